"""Trainer-led group sessions: live anonymous voting on scenarios, tally, reveal, discussion.

Python API first (the apps and the CLI are thin layers over it):

    from course.live import core, summary
    opened = summary.start_session(store, course, module_id="sharing")   # opened.trainer_key: show once
    core.show(store, opened.session.id, opened.trainer_key, 0)
    joined = core.join(store, opened.session.code, name="Sam Taylor")     # name optional
    core.cast_vote(store, joined.session.id, joined.voter_token, scenario_id, "c")
    core.tally(store, opened.session.id, scenario_id)                      # {"c": 1}
    core.reveal(store, opened.session.id, opened.trainer_key)
    summary.session_summary(store, course, core.get_session(store, opened.session.id))
    summary.attendance_frame(store)                                         # pandas, for managers

Modules: core (every state change and its checks; the rows are course.records.live's),
summary (planning, results, CSV, attendance), address (join address and QR code), views
(HTML), trainer_app and join_app (ipywidgets). The pages start through the one launcher in
course.kernel.launch, and their notebooks come from course.app.notebooks. Nothing heavy is
imported here.
"""

from __future__ import annotations


def attendance_frame(store=None, course=None, *, counted_only: bool = True):
    """Trainer-led attendance as a pandas DataFrame (see `course.live.summary.attendance_frame`)."""
    from course.live.summary import attendance_frame as frame

    return frame(store, course, counted_only=counted_only)
