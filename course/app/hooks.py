"""What happens when a learner presses Finish in the module app.

The module app records the attempt as finished in the store and puts it on the marker's
queue (course.app.marking), then calls `on_finish(learner_id, module_id)`. By default that
does nothing more; an organisation may replace it (`course.app.hooks.on_finish = ...`) to
tell another system. It may return a short plain-English line to show the learner, or None.
`ModuleApp(on_finish=...)` replaces the whole step (tests use it).
"""

from __future__ import annotations


def on_finish(learner_id: str, module_id: str) -> str | None:
    """Called after the learner's attempt is recorded as finished. Default: nothing visible."""
    return None
