"""What happens when a learner presses Finish in the module app.

The module app first records the attempt as finished in the store, then calls
`on_finish(learner_id, module_id)`. By default that does nothing more; grading replaces it
(`course.app.hooks.on_finish = ...`, or `ModuleApp(on_finish=...)`) to submit the answers
to nbgrader. It may return a short plain-English line to show the learner, or None.
"""

from __future__ import annotations


def on_finish(learner_id: str, module_id: str) -> str | None:
    """Called after the learner's attempt is recorded as finished. Default: nothing visible."""
    return None
