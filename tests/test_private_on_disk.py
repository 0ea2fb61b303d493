"""Personal data private on disk: after a real `course grade`, var/ and grading/ are 0700 with
0600 files (records.db and its -wal/-shm, gradebook.db, the submission's responses.json, the
autograded copy, the feedback html), nbgrader's exchange excepted.

Checked with the defence off: without `make_private` in `course grade` this test sees
records.db 0644 and the feedback 0644."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from course.grading.release import release
from course.grading.submissions import write_submission
from course.private import private_tree
from course.records.store import Store

from .support.grading_helpers import answer, make_course_root

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_course_grade_leaves_records_and_grading_private(tmp_path, monkeypatch):
    root = make_course_root(tmp_path, monkeypatch)
    data = tmp_path / "var"
    data.mkdir(exist_ok=True)
    store = Store(f"sqlite:///{data / 'records.db'}")  # the default place: var/records.db
    assert release(root, modules=["sharing"], to_exchange=False)[0].generated
    view, _score = answer(store, "private-learner", "sharing", ["best"] * 9)
    write_submission(root, "private-learner", "sharing", view.records.as_responses())
    exchange = root / "exchange"
    exchange.mkdir(exist_ok=True)
    exchange.chmod(0o777)
    (data / "records.db").chmod(0o644)  # as an older release left it
    result = subprocess.run([str(BIN / "course"), "grade"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr

    must = [
        data / "records.db",
        root / "gradebook.db",
        root / "submitted" / "private-learner" / "sharing" / "responses.json",
        root / "autograded" / "private-learner" / "sharing" / "responses.json",
        root / "autograded" / "private-learner" / "sharing" / "sharing.ipynb",
        root / "feedback" / "private-learner" / "sharing" / "sharing.html",
    ]
    for path in must:
        assert mode(path) == 0o600, f"{path} is {oct(mode(path))}"
    for top in (data, root):
        for path in [top, *top.rglob("*")]:
            if exchange in path.parents or path == exchange:
                continue
            want = 0o700 if path.is_dir() else 0o600
            assert mode(path) == want, f"{path} is {oct(mode(path))}"
    wal = list(data.glob("records.db-*"))
    assert wal, "the store's WAL files exist while it is open"  # and were checked above
    assert mode(exchange) == 0o777  # nbgrader's exchange stays shared


def test_private_tree_skips_links_and_the_exchange(tmp_path):
    top = tmp_path / "top"
    (top / "exchange").mkdir(parents=True)
    (top / "a").mkdir()
    (top / "a" / "f").write_text("x")
    outside = tmp_path / "outside"
    outside.write_text("y")
    outside.chmod(0o644)
    (top / "link").symlink_to(outside)
    private_tree(top)
    assert mode(top / "a") == 0o700 and mode(top / "a" / "f") == 0o600
    assert mode(outside) == 0o644 and mode(top / "exchange") != 0o700
