"""The gradebook as a pandas DataFrame: one row per learner and module."""

from __future__ import annotations

from pathlib import Path

from course.content.model import load_course
from course.grading.coursedir import gradebook_url
from course.records import grading_log as state
from course.records.store import Store

COLUMNS = ["learner", "module", "score", "max_score", "passed", "submitted_at", "graded_at", "needs_review", "status"]


def gradebook_frame(root: Path | None = None, store: Store | None = None):
    """nbgrader's gradebook (scores, submission times) joined to the course's grading log
    (when graded, whether it needs review). `passed` is the progress rule's word on the
    module (course.progress: passed and still counting), so this frame never says "passed"
    where the home or the reports do not. Pandas is imported here, never in learner kernels."""
    import pandas as pd
    from nbgrader.api import Gradebook

    from course.manager.reports.data import load_inputs
    from course.progress import PASSED, evaluate

    course = load_course()
    store = store or Store()
    rows = []
    with Gradebook(gradebook_url(root)) as gb:
        for module in course.modules.values():
            try:
                dicts = gb.submission_dicts(module.id)
            except Exception:  # noqa: BLE001, S112 - an assignment not in the gradebook has no rows
                continue
            for d in dicts:
                rows.append(
                    {
                        "learner": d["student"],
                        "module": module.id,
                        "score": float(d["score"]),
                        "max_score": float(d["max_score"]),
                        "submitted_at": d["timestamp"],
                    }
                )
    frame = pd.DataFrame(rows, columns=["learner", "module", "score", "max_score", "submitted_at"])
    log = state.last_graded(store)
    frame["graded_at"] = [
        log[(r.learner, r.module)].graded_at if (r.learner, r.module) in log else None for r in frame.itertuples()
    ]
    frame["needs_review"] = [
        bool(log[(r.learner, r.module)].needs_review) if (r.learner, r.module) in log else False
        for r in frame.itertuples()
    ]
    frame["status"] = [
        log[(r.learner, r.module)].status if (r.learner, r.module) in log else "graded" for r in frame.itertuples()
    ]
    learners = sorted(set(frame["learner"]))
    inputs = load_inputs(store, course=course, learner_ids=learners)
    result = evaluate(
        inputs.rule,
        inputs.grades,
        activity=inputs.activity,
        attendance=inputs.attendance,
        history=inputs.history,
        finished=inputs.finished,
    )
    states = result.modules.set_index(["learner_id", "module_id"])["status"].astype(str)
    frame["passed"] = [states.get((r.learner, r.module)) == PASSED for r in frame.itertuples()]
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    frame["graded_at"] = pd.to_datetime(frame["graded_at"], utc=True)
    return frame[COLUMNS].sort_values(["learner", "module"]).reset_index(drop=True)
