"""Many writers at once, and a writer killed mid-write: nothing lost, nothing doubled, all readable."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from sqlalchemy import func, select

from course.records import responses
from course.records.store import Store, decisions


def _process_writer(url: str, learner: str, count: int) -> None:
    store = Store(url)
    for s in range(count):
        store.record_decision(learner, "sharing", 1, f"s{s}", "a", 1.0)


@pytest.fixture
def store(any_db_url):
    """Every test here runs on SQLite and on PostgreSQL."""
    return Store(any_db_url)


def test_fifty_writers_threads_and_processes(any_db_url):
    store = Store(any_db_url)
    errors = []

    def thread_writer(n):
        try:
            own = Store(any_db_url)
            for s in range(4):
                own.record_decision(f"t{n}", "sharing", 1, f"s{s}", "a", 1.0)
                own.record_decision(f"t{n}", "sharing", 1, f"s{s}", "b", 0.0)  # a second click: refused
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_process_writer, args=(any_db_url, f"p{n}", 4)) for n in range(25)]
    threads = [threading.Thread(target=thread_writer, args=(n,)) for n in range(25)]
    for worker in processes + threads:
        worker.start()
    for worker in processes + threads:
        worker.join(120)
    assert errors == []
    assert all(p.exitcode == 0 for p in processes)
    with store.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(decisions)).scalar()
        per = conn.execute(select(decisions.c.learner_id, func.count()).group_by(decisions.c.learner_id)).fetchall()
        choices = {r.choice_id for r in conn.execute(select(decisions.c.choice_id))}
    assert total == 50 * 4
    assert {n for _, n in per} == {4} and len(per) == 50
    assert choices == {"a"}  # every first answer stood


KILLED_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from course.content.model import load_course
    from course.records.attempt import LearnerRecords
    from course.records.store import Store
    module = load_course().module("sharing")
    store = Store(sys.argv[1])
    folder = Path(sys.argv[2])
    n = 0
    while True:
        records = LearnerRecords.open(f"k{n}", module, "v", store, folder / f"k{n}.json")
        for scenario in module.graded_scenarios:
            records.record_decision(scenario.id, scenario.choices[0].id)
            print(f"k{n} {scenario.id}", flush=True)
        n += 1
""")


def test_sigkill_mid_write_loses_nothing_saved(tmp_path, any_db_url):
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    folder = tmp_path / "files"
    folder.mkdir()
    proc = subprocess.Popen([sys.executable, str(script), any_db_url, str(folder)], stdout=subprocess.PIPE, text=True)
    saved = []
    deadline = time.monotonic() + 60
    while len(saved) < 40 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            saved.append(line.split())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    saved += [line.split() for line in proc.stdout.read().splitlines()]
    assert len(saved) >= 40
    store = Store(any_db_url)
    for learner, scenario in saved:
        assert scenario in store.decisions(learner, "sharing", 1), (learner, scenario)
        data = responses.read(folder / f"{learner}.json")  # every file readable, whole JSON
        assert scenario in data["decisions"]
    for path in folder.glob("*.json"):
        json.loads(path.read_text())
    # a write cut short may leave its temporary file, hidden and never read as an answer file
    assert all(p.name.startswith(".") for p in folder.iterdir() if p.name.endswith(".tmp"))
