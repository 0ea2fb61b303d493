"""Everything the progress rule (course.progress) reads, once: marks, Finishes, activity,
roster, attendance, register. For the whole organisation (reports, dashboard) or for a few
learners (`learner_ids`: a learner's own pages read only their rows).

- grades: the marks of record from the grading log (`gradings`, course.records.grading_log), which
  the marker writes from nbgrader's result; a mark that could not be made ("not graded") is
  no mark. Each mark is dated by the Finish it marked (the latest finished attempt at or
  before the mark) and carries that attempt's policy version;
- finished: the latest Finish of each learner and module (a Finish later than its mark is
  still being marked);
- activity: the latest decision or reflection each learner saved in each module;
- roster: the imported staff list (`course roster import`);
- history: completions already in the certificate register (`course.manager.certificates`);
- attendance: trainer-led sessions: the live group sessions' attendance
  (`course.live.attendance_frame`) and a plain `attendance` table (learner_id, module_id
  or "all", date) when the records store has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from course.content.model import load_course
from course.progress import Rule
from course.records import grading_log
from course.records.store import Store

GRADE_COLUMNS = [
    "learner_id",
    "module_id",
    "score",
    "max_score",
    "date",
    "policy_version",
    "needs_review",
    "critical_missed",  # tuple of the critical items the mark's attempt answered with a 0
]


@dataclass
class Inputs:
    rule: Rule
    grades: pd.DataFrame
    roster: pd.DataFrame
    activity: pd.DataFrame
    history: pd.DataFrame
    names: pd.DataFrame  # learner_id, name, identity: from sign-in (the name for people not on the roster)
    attendance: pd.DataFrame | None = None
    finished: pd.DataFrame | None = None  # learner_id, module_id, finished_at: the latest Finish


def gradebook_exists(root: Path | None = None) -> bool:
    """False when nbgrader has no gradebook yet (opening one would create it)."""
    from sqlalchemy.engine import make_url

    from course.grading.coursedir import gradebook_url

    url = make_url(gradebook_url(root))
    if url.get_backend_name() == "sqlite":
        database = url.database
        return bool(database and database != ":memory:" and Path(database).exists())
    return True


def grades_frame(store: Store, learner_ids=None) -> pd.DataFrame:
    """The marks of record: one row per learner and module from the grading log (see the docstring)."""
    rows = grading_log.marks(store, learner_ids)
    frame = pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["learner_id", "module_id", "score", "max_score", "needs_review", "graded_at", "critical_missed"],
    )
    if frame.empty:
        return pd.DataFrame(columns=GRADE_COLUMNS)
    frame = frame.astype(
        {"learner_id": str, "module_id": str, "score": float, "max_score": float, "needs_review": bool}
    )
    frame["graded_at"] = pd.to_datetime(frame["graded_at"], utc=True)
    return with_policy_versions(frame, attempts_frame(store, learner_ids))


def attempts_frame(store: Store, learner_ids=None) -> pd.DataFrame:
    frame = pd.DataFrame(
        store.attempt_starts(learner_ids),
        columns=["learner_id", "module_id", "policy_version", "started_at", "finished_at"],
    )
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    frame["finished_at"] = pd.to_datetime(frame["finished_at"], utc=True)
    return frame


def _latest_before(marks: pd.DataFrame, attempts_: pd.DataFrame, when: str) -> pd.DataFrame:
    """For each mark, the attempt with the latest `when` at or before the mark (NaN when none)."""
    # one unit for both keys: databases give seconds or microseconds, and merge_asof wants the same
    right = attempts_.dropna(subset=[when]).rename(columns={when: "_t"})
    right = right.assign(_t=right["_t"].astype("datetime64[ns, UTC]")).sort_values("_t")
    left = marks.assign(_t=marks["graded_at"].astype("datetime64[ns, UTC]")).sort_values("_t")
    merged = pd.merge_asof(
        left,
        right[["learner_id", "module_id", "policy_version", "_t"]].assign(_at=right["_t"]),
        on="_t",
        by=["learner_id", "module_id"],
        direction="backward",
    )
    return merged.drop(columns="_t")


def with_policy_versions(marks: pd.DataFrame, attempts_: pd.DataFrame) -> pd.DataFrame:
    """`date` and `policy_version` of each mark: those of the Finish it marked (the latest attempt
    finished at or before the mark, which is what the marker submits), else the mark's own time
    and the version of the latest attempt started before it."""
    if attempts_.empty:
        return marks.assign(date=marks["graded_at"], policy_version=None)[GRADE_COLUMNS]
    done = _latest_before(marks, attempts_, "finished_at")
    started = _latest_before(marks, attempts_, "started_at").set_index(done.index)
    found = done["_at"].notna()
    done["date"] = done["_at"].where(found, done["graded_at"])
    done["policy_version"] = done["policy_version"].where(found, started["policy_version"])
    return done[GRADE_COLUMNS].reset_index(drop=True)


def finished_frame(store: Store, learner_ids=None) -> pd.DataFrame:
    """learner_id, module_id, finished_at: each learner's latest Finish of each module."""
    frame = pd.DataFrame(store.latest_finishes(learner_ids), columns=["learner_id", "module_id", "finished_at"])
    frame["finished_at"] = pd.to_datetime(frame["finished_at"], utc=True)
    return frame


def activity_frame(store: Store, learner_ids=None) -> pd.DataFrame:
    """learner_id, module_id, last_activity: the latest decision or reflection saved."""
    frame = pd.DataFrame(store.last_activity(learner_ids), columns=["learner_id", "module_id", "last_activity"])
    frame["last_activity"] = pd.to_datetime(frame["last_activity"], utc=True)
    return frame


def names_frame(store: Store, learner_ids=None) -> pd.DataFrame:
    return pd.DataFrame(store.names(learner_ids), columns=["learner_id", "name", "identity"])


def attendance_frame(store: Store, course=None) -> pd.DataFrame | None:
    """Trainer-led attendance (learner_id, module_id or "all", date, confirmed), or None when there is none.

    From the live group sessions (`course.live.attendance_frame`: a person counts for a
    module when the session showed every graded scenario of it), and from a plain
    `attendance` table with those three columns, when the records store has one."""
    frames = []
    try:
        from course.live import attendance_frame as live_attendance
    except ImportError:  # the live sessions package is optional
        pass
    else:
        live = live_attendance(store, course)
        if len(live):
            frames.append(live[["learner_id", "module_id", "date", "confirmed"]])
    from course.records import attendance

    recorded = attendance.rows(store)
    if recorded:
        # rows a manager recorded in the attendance table are the manager's confirmation
        table = pd.DataFrame(recorded, columns=["learner_id", "module_id", "date"])
        table["confirmed"] = True
        frames.append(table)
    frames = [f for f in frames if len(f)]
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _rows_of(frame: pd.DataFrame | None, learner_ids):
    if frame is None or learner_ids is None:
        return frame
    return frame[frame["learner_id"].astype(str).isin(list(learner_ids))].reset_index(drop=True)


def load_inputs(
    store: Store | None = None, root: Path | None = None, course=None, step=None, learner_ids=None
) -> Inputs:
    """Read everything once (for `learner_ids` only, when given). `step(label)` is called before
    each part (for a progress bar). `root` is kept for callers that pass nbgrader's course root:
    the marks come from the grading log in the records store."""
    from course.manager import certificates
    from course.records.roster import roster_frame

    store = store or Store()
    course = course or load_course()
    step = step or (lambda _label: None)
    step("reading the marks")
    grades = grades_frame(store, learner_ids)
    finished = finished_frame(store, learner_ids)
    step("reading the records store")
    activity = activity_frame(store, learner_ids)
    roster = _rows_of(roster_frame(store), learner_ids)
    names = names_frame(store, learner_ids)
    history = certificates.register_frame(store, learner_ids)
    attendance = _rows_of(attendance_frame(store, course), learner_ids)
    if attendance is not None and attendance.empty:
        attendance = None
    return Inputs(Rule.from_course(course), grades, roster, activity, history, names, attendance, finished)
