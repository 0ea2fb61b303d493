"""What a learner sees and touches: cards, decisions, reflections, progress, a module view."""

from .decision import DecisionWidget
from .module_view import ModuleView, open_module
from .progress import ProgressWidget
from .reflection import ReflectionWidget

__all__ = ["DecisionWidget", "ModuleView", "ProgressWidget", "ReflectionWidget", "open_module"]
