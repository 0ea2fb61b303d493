"""`course purge` removes every trace: nbgrader's student row, the learner's submitted/ folder
with its lock files, autograded/ and feedback/, and deleted reflections in neither the SQLite
WAL nor a free page; `export_learner` afterwards names every place it looked and finds nothing.

Checked with the defence off: with `Store.compact` a no-op the reflection's bytes are still in
records.db or its -wal after the purge; without the student-row removal the gradebook keeps
the learner's row."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from course.grading.autograde import grade
from course.grading.release import release
from course.grading.submissions import write_submission
from course.manager import privacy

from .support.grading_helpers import answer, make_course_root

pytestmark = pytest.mark.slow


def raw_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in [db, db.with_name(db.name + "-wal")] if p.exists())


def test_purge_leaves_no_trace_and_export_proves_it(tmp_path, monkeypatch, store, db_url):
    root = make_course_root(tmp_path, monkeypatch)
    assert release(root, modules=["sharing"], to_exchange=False)[0].generated
    learner = "purge-me-" + uuid.uuid4().hex[:8]
    secret = "a-reflection-nobody-may-read-" + uuid.uuid4().hex
    view, _ = answer(store, learner, "sharing", ["best"] * 9)
    view.records.save_reflection("sharing-reflection", secret)
    view.records.save_reflection("sharing-reflection-2", secret + " again")
    write_submission(root, learner, "sharing", view.records.as_responses())
    [result] = grade(root, store=store)
    assert result.status == "graded"
    db = Path(db_url.removeprefix("sqlite:///"))
    assert secret.encode() in raw_bytes(db)
    assert list((root / "submitted" / learner).glob(".*.lock"))  # write_submission's lock file

    purged = privacy.purge(store, date.today() + timedelta(days=1))
    assert purged.removed["reflections"] == 2 and purged.removed["gradebook students"] == 1

    assert secret.encode() not in raw_bytes(db)  # not in the WAL, not in a free page
    with sqlite3.connect(root / "gradebook.db") as conn:
        assert conn.execute("SELECT count(*) FROM student WHERE id = ?", (learner,)).fetchone()[0] == 0
    assert learner.encode() not in (root / "gradebook.db").read_bytes()
    for kind in ("submitted", "autograded", "feedback"):
        assert not (root / kind / learner).exists(), kind
    with pytest.raises(KeyError) as nothing:
        privacy.export_learner(store, learner, root=root)
    message = str(nothing.value)
    assert "nothing is held" in message and "Looked in:" in message
    for place in ("records store table 'reflections'", "nbgrader gradebook", f"folder {root / 'submitted' / learner}"):
        assert place in message
