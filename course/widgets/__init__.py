"""What a learner sees and touches: cards, decisions, reflections, progress, a module view."""

from course.widgets.decision import DecisionWidget
from course.widgets.module_view import ModuleView, open_module
from course.widgets.progress import ProgressWidget
from course.widgets.reflection import ReflectionWidget

__all__ = ["DecisionWidget", "ModuleView", "ProgressWidget", "ReflectionWidget", "open_module"]
