"""A marker killed with kill -9 in the middle of a Finish: the next marker start re-queues the
request (its marker's pid is dead), removes the half-written gradebook entry, and grades it
again, so the gradebook frame (what the report reads) and the progress rule (what the home
reads) agree. Real `course grade --watch`, real nbgrader, a real SIGKILL.

Checked with the defence off: without `drop_half_written` the frame keeps the killed run's
unscored entry until the regrade replaces it; without the pid check the request stays
"running" for ten minutes (requeue_abandoned's age rule) and the restarted marker grades nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from course.grading.finish import submit
from course.grading.gradebook import gradebook_frame
from course.grading.release import release
from course.grading.worker import run as run_worker
from course.records import finish_queue as queue
from course.records import grading_log

from .support.grading_helpers import answer, make_course_root
from .support.servers import wait_until

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
N = 9


def unscored(root: Path) -> int:
    import sqlite3

    db = root / "gradebook.db"
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        try:
            return conn.execute(
                "SELECT count(*) FROM grade WHERE auto_score IS NULL AND manual_score IS NULL"
            ).fetchone()[0]
        except sqlite3.OperationalError:  # the gradebook is still being created
            return 0


def test_kill_9_mid_finish_is_healed_by_the_next_marker_start(tmp_path, monkeypatch, store, db_url):
    root = make_course_root(tmp_path, monkeypatch)
    assert release(root, modules=["sharing"], to_exchange=False)[0].generated
    env = {**os.environ, "COURSE_DB_URL": db_url, "COURSE_GRADING_DIR": str(root)}
    marker = subprocess.Popen(
        [str(BIN / "course"), "grade", "--watch"],
        env=env,
        start_new_session=True,  # its own process group: the kill takes its kernel too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        view, score = answer(store, "killed-mid-finish", "sharing", ["best"] * N)
        request_id = submit(view.records)
        wait_until(lambda: unscored(root) > 0, timeout=300, every=0.05)  # autograde is writing its grades
    finally:
        os.killpg(marker.pid, signal.SIGKILL)
        marker.wait(timeout=30)  # reaped: its pid is gone, as under `course serve`'s supervisor
    request = queue.get(store, request_id)
    assert request.status == "running" and request.message.startswith(queue.RUNNING_PREFIX)
    assert grading_log.graded(store, "killed-mid-finish", "sharing") is None

    # a marker started a moment later (not ten minutes later) takes it back and finishes the job
    assert run_worker(root, store, stop_after=1) == 1
    assert queue.get(store, request_id).status == "done"
    assert unscored(root) == 0
    record = grading_log.graded(store, "killed-mid-finish", "sharing")
    assert (record.status, record.score) == ("graded", pytest.approx(score))
    frame = gradebook_frame(root, store)
    row = frame[frame.learner == "killed-mid-finish"].iloc[0]
    assert row.score == pytest.approx(score) and bool(row.passed)  # the report and the home agree


def test_a_live_marker_on_this_host_is_never_robbed(store):
    queue.enqueue(store, "someone", "sharing")
    claimed = queue.claim(store)  # this test process is the (live) marker
    assert queue.requeue_abandoned(store) == 0
    assert queue.requeue_abandoned(store, alive=lambda pid: False) == 1  # once its pid is dead
    assert queue.get(store, claimed.id).status == "queued"
    queue.claim(store, marker="elsewhere 123")
    assert queue.requeue_abandoned(store, older_than=timedelta(minutes=10), alive=lambda pid: False) == 0
