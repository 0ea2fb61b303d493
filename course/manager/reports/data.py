"""Everything a report needs, read once: grades, roster, activity, attendance, register.

- grades: nbgrader's gradebook (the grade of record) through
  `course.grading.gradebook.gradebook_frame()`, with each grade's policy version taken from
  the records store's attempt that the submission belongs to (the latest attempt started
  before it was submitted);
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

from course.manager.completion import Rule
from course.content.model import load_course
from course.records.store import Store

GRADE_COLUMNS = ["learner_id", "module_id", "score", "max_score", "date", "policy_version"]


@dataclass
class Inputs:
    rule: Rule
    grades: pd.DataFrame
    roster: pd.DataFrame
    activity: pd.DataFrame
    history: pd.DataFrame
    names: pd.DataFrame          # learner_id, name: from sign-in, for people not on the roster
    attendance: pd.DataFrame | None = None


def gradebook_exists(root: Path | None = None) -> bool:
    """False when nbgrader has no gradebook yet (opening one would create it)."""
    from course.grading.coursedir import gradebook_url

    from sqlalchemy.engine import make_url

    url = make_url(gradebook_url(root))
    if url.get_backend_name() == "sqlite":
        return bool(url.database) and url.database != ":memory:" and Path(url.database).exists()
    return True


def grades_frame(store: Store, root: Path | None = None) -> pd.DataFrame:
    """One row per learner and module from nbgrader's gradebook, with its policy version."""
    if not gradebook_exists(root):
        return pd.DataFrame(columns=GRADE_COLUMNS)
    from course.grading.gradebook import gradebook_frame

    book = gradebook_frame(root, store)
    if book.empty:
        return pd.DataFrame(columns=GRADE_COLUMNS)
    date = book["submitted_at"].fillna(book["graded_at"])
    frame = pd.DataFrame({"learner_id": book["learner"].astype(str), "module_id": book["module"].astype(str),
                          "score": book["score"].astype(float), "max_score": book["max_score"].astype(float),
                          "date": pd.to_datetime(date, utc=True)})
    return with_policy_versions(frame, attempts_frame(store))


def attempts_frame(store: Store) -> pd.DataFrame:
    frame = pd.DataFrame(store.attempt_starts(), columns=["learner_id", "module_id", "policy_version", "started_at"])
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    return frame


def with_policy_versions(grades: pd.DataFrame, attempts_: pd.DataFrame) -> pd.DataFrame:
    """Add `policy_version`: that of the latest attempt started on or before each grade's date."""
    if grades.empty or attempts_.empty:
        return grades.assign(policy_version=None)[GRADE_COLUMNS]
    left = grades.assign(_t=pd.to_datetime(grades["date"], utc=True)).sort_values("_t")
    right = attempts_.rename(columns={"started_at": "_t"}).sort_values("_t")
    merged = pd.merge_asof(left, right[["learner_id", "module_id", "policy_version", "_t"]], on="_t",
                           by=["learner_id", "module_id"], direction="backward")
    return merged[GRADE_COLUMNS].reset_index(drop=True)


def activity_frame(store: Store) -> pd.DataFrame:
    """learner_id, module_id, last_activity: the latest decision or reflection saved."""
    frame = pd.DataFrame(store.last_activity(), columns=["learner_id", "module_id", "last_activity"])
    frame["last_activity"] = pd.to_datetime(frame["last_activity"], utc=True)
    return frame


def names_frame(store: Store) -> pd.DataFrame:
    return pd.DataFrame(store.names(), columns=["learner_id", "name"])


def attendance_frame(store: Store, course=None) -> pd.DataFrame | None:
    """Trainer-led attendance (learner_id, module_id or "all", date), or None when there is none.

    From the live group sessions (`course.live.attendance_frame`: a person counts for a
    module when the session showed every graded scenario of it), and from a plain
    `attendance` table with those three columns, when the records store has one."""
    frames = []
    try:
        from course.live import attendance_frame as live_attendance
    except ImportError:  # the live sessions package is optional
        live_attendance = None
    if live_attendance is not None:
        live = live_attendance(store, course)
        if len(live):
            frames.append(live[["learner_id", "module_id", "date"]])
    from course.records import attendance

    recorded = attendance.rows(store)
    if recorded:
        frames.append(pd.DataFrame(recorded, columns=["learner_id", "module_id", "date"]))
    frames = [f for f in frames if len(f)]
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def load_inputs(store: Store | None = None, root: Path | None = None, course=None, step=None) -> Inputs:
    """Read everything once. `step(label)` is called before each part (for a progress bar)."""
    from course.manager import certificates
    from course.records.roster import roster_frame

    store = store or Store()
    course = course or load_course()
    step = step or (lambda _label: None)
    step("reading the gradebook")
    grades = grades_frame(store, root)
    step("reading the records store")
    activity = activity_frame(store)
    roster = roster_frame(store)
    names = names_frame(store)
    history = certificates.register_frame(store)
    attendance = attendance_frame(store, course)
    return Inputs(Rule.from_course(course), grades, roster, activity, history, names, attendance)
