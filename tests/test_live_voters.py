"""40 voters at once through the records store: every vote counted exactly once.

Threads share one engine (one process, as one Voila server's kernels would not, but as a
busy pool would); processes each open their own engine, as 40 Voila kernels do.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter

import pytest

from course.live import core, summary
from course.records.store import Store

VOTERS = 40


def _plan(scenario, n):
    ids = [c.id for c in scenario.choices]
    first = [ids[i % len(ids)] for i in range(n)]
    second = [ids[(i * 7 + 1) % len(ids)] for i in range(n)]  # half of them change their mind
    return first, second


def test_forty_threads_vote_at_once_and_each_vote_counts_once(any_db_url, course):
    store = Store(any_db_url)
    opened = summary.start_session(store, course, module_id="boundaries")
    session, key = opened.session, opened.trainer_key
    core.show(store, session.id, key, 0)
    scenario = course.scenario(session.scenario_ids[0])
    first, second = _plan(scenario, VOTERS)
    joined = [None] * VOTERS
    failures: list[BaseException] = []
    gate = threading.Barrier(VOTERS)

    def voter(i: int) -> None:
        try:
            gate.wait(timeout=60)
            joined[i] = core.join(store, session.code, name=f"Person {chr(65 + i % 26)}{'x' * (i // 26)}")
            core.cast_vote(store, session.id, joined[i].voter_token, scenario.id, first[i])
            if i % 2:
                core.cast_vote(store, session.id, joined[i].voter_token, scenario.id, second[i])
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=voter, args=(i,)) for i in range(VOTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not failures, failures[:3]
    final = [second[i] if i % 2 else first[i] for i in range(VOTERS)]
    assert core.tally(store, session.id, scenario.id) == dict(Counter(final))
    assert sum(core.tally(store, session.id, scenario.id).values()) == VOTERS
    assert core.voter_count(store, session.id) == VOTERS
    assert len(core.attendance(store, session.id)) == VOTERS
    for i in range(VOTERS):
        assert core.my_vote(store, session.id, joined[i].voter_token, scenario.id) == final[i]


def _process_voter(
    url: str, code: str, session_id: str, scenario_id: str, choices: list[str], start_at: float, results
) -> None:
    store = Store(url)
    tokens = []
    for _choice in choices:
        tokens.append(core.join(store, code).voter_token)  # a vote needs a token the server issued
    while time.time() < start_at:
        time.sleep(0.005)
    counted = 0
    threads = []

    def one(token, choice):
        nonlocal counted
        core.cast_vote(store, session_id, token, scenario_id, choice)
        counted += 1

    for token, choice in zip(tokens, choices):
        threads.append(threading.Thread(target=one, args=(token, choice)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(counted)


@pytest.mark.slow
def test_forty_voters_in_four_processes_at_once(db_url, course):
    """Separate processes, separate engines, one SQLite file: WAL and the busy timeout queue them."""
    store = Store(db_url)
    opened = summary.start_session(store, course, module_id="protect")
    session, key = opened.session, opened.trainer_key
    core.show(store, session.id, key, 0)
    scenario = course.scenario(session.scenario_ids[0])
    first, _second = _plan(scenario, VOTERS)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 10  # after every process has imported and opened its engine
    processes = [
        context.Process(
            target=_process_voter, args=(db_url, session.code, session.id, scenario.id, first[p::4], start_at, results)
        )
        for p in range(4)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=300)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    assert sum(results.get(timeout=10) for _ in processes) == VOTERS
    assert core.tally(store, session.id, scenario.id) == dict(Counter(first))


def _open_at(url: str, start_at: float, results) -> None:
    while time.time() < start_at:
        time.sleep(0.002)
    try:
        core.open_store(url)
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported by the test
        results.put(repr(exc))


@pytest.mark.slow
def test_kernels_opening_a_new_database_at_once_all_get_the_tables(tmp_path):
    """The trainer's kernel and the phones' kernels may all start on a new database together."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 5
    processes = [context.Process(target=_open_at, args=(url, start_at, results)) for _ in range(6)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
    assert sorted(results.get(timeout=10) for _ in processes) == ["ok"] * 6
