"""The gradebook as a pandas DataFrame: one row per learner and module."""

from __future__ import annotations

from pathlib import Path

from course.content.model import load_course
from course.records.store import Store
from course.grading import state
from course.grading.coursedir import gradebook_url

COLUMNS = ["learner", "module", "score", "max_score", "passed", "submitted_at", "graded_at", "needs_review", "status"]


def gradebook_frame(root: Path | None = None, store: Store | None = None):
    """nbgrader's gradebook (scores, submission times) joined to the course's grading log
    (when graded, whether it needs review). Pandas is imported here, never in learner kernels."""
    import pandas as pd
    from nbgrader.api import Gradebook

    course = load_course()
    rows = []
    with Gradebook(gradebook_url(root)) as gb:
        for module in course.modules.values():
            try:
                dicts = gb.submission_dicts(module.id)
            except Exception:  # noqa: BLE001 - an assignment not in the gradebook has no rows
                continue
            for d in dicts:
                rows.append({"learner": d["student"], "module": module.id, "score": float(d["score"]),
                             "max_score": float(d["max_score"]), "submitted_at": d["timestamp"],
                             "pass_mark": module.pass_mark})
    frame = pd.DataFrame(rows, columns=["learner", "module", "score", "max_score", "submitted_at", "pass_mark"])
    log = state.last_graded(store or Store())
    frame["graded_at"] = [log[(r.learner, r.module)].graded_at if (r.learner, r.module) in log else None
                          for r in frame.itertuples()]
    frame["needs_review"] = [bool(log[(r.learner, r.module)].needs_review) if (r.learner, r.module) in log else False
                             for r in frame.itertuples()]
    frame["status"] = [log[(r.learner, r.module)].status if (r.learner, r.module) in log else "graded"
                       for r in frame.itertuples()]
    frame["passed"] = frame["score"] >= frame["pass_mark"] * frame["max_score"]
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    frame["graded_at"] = pd.to_datetime(frame["graded_at"], utc=True)
    return frame[COLUMNS].sort_values(["learner", "module"]).reset_index(drop=True)
