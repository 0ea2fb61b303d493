"""The records store and responses.json: writes land whole, read back, and the first answer stands."""

from __future__ import annotations

import json
import threading

import pytest

from course.records import responses
from course.records.store import Store, StoreError


@pytest.fixture
def store(any_db_url):
    """Every test here runs on SQLite and on PostgreSQL."""
    return Store(any_db_url)


def test_decision_written_and_read_back(store, any_db_url):
    store.ensure_learner("amy", name="Amy Test", staff_number="S100")
    attempt = store.current_attempt("amy", "sharing", "2025-09")
    saved = store.record_decision("amy", "sharing", attempt, "sharing-tribute", "b", 0.5)
    assert (saved.choice_id, saved.score) == ("b", 0.5)
    fresh = Store(any_db_url)  # a new kernel, same database
    assert fresh.decisions("amy", "sharing", 1)["sharing-tribute"].choice_id == "b"
    assert fresh.learner("amy")["staff_number"] == "S100"


def test_first_decision_stands(store):
    store.record_decision("amy", "sharing", 1, "sharing-tribute", "b", 0.5)
    again = store.record_decision("amy", "sharing", 1, "sharing-tribute", "a", 1.0)
    assert (again.choice_id, again.score) == ("b", 0.5)
    assert len(store.decisions("amy", "sharing", 1)) == 1


def test_reflection_upsert(store):
    store.save_reflection("amy", "sharing", 1, "module", "first")
    store.save_reflection("amy", "sharing", 1, "module", "second")
    assert store.reflections("amy", "sharing", 1) == {"module": "second"}


def test_attempts_keep_earlier_answers(store):
    assert store.current_attempt("amy", "final", "v1") == 1
    store.record_decision("amy", "final", 1, "s1", "a", 1.0)
    assert store.start_new_attempt("amy", "final", "v1") == 2
    assert store.current_attempt("amy", "final", "v1") == 2
    assert store.decisions("amy", "final", 2) == {}
    assert store.decisions("amy", "final", 1)["s1"].choice_id == "a"


def test_threads_writing_at_once_lose_nothing(store, any_db_url):
    errors = []

    def learner(n):
        try:
            own = Store(any_db_url)
            for s in range(5):
                own.record_decision(f"l{n}", "sharing", 1, f"s{s}", "a", 1.0)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=learner, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = sum(len(store.decisions(f"l{n}", "sharing", 1)) for n in range(12))
    assert total == 60


def test_unreachable_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open the records store"):
        Store(f"sqlite:///{tmp_path}/no/such/dir/records.db")


def test_responses_file_is_whole_and_first_answer_stands(tmp_path):
    path = tmp_path / "responses.json"
    responses.update(path, "amy", "sharing", 1, decision=("s1", {"choice": "a", "score": 1.0}))
    responses.update(path, "amy", "sharing", 1, decision=("s1", {"choice": "b", "score": 0.0}))
    responses.update(path, "amy", "sharing", 1, reflection=("module", "I will ask first."))
    data = json.loads(path.read_text())
    assert data["decisions"]["s1"]["choice"] == "a"
    assert data["reflections"] == {"module": "I will ask first."}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_broken_responses_file_is_kept_aside_and_rebuilt(tmp_path):
    path = tmp_path / "responses.json"
    path.write_text('{"decisions": {"s1": ')  # half-written
    with pytest.raises(responses.ResponsesError, match="not valid JSON"):
        responses.read(path)
    base = responses.empty("amy", "sharing", 1)
    base["decisions"]["s0"] = {"choice": "c", "score": 0.5}
    responses.update(path, "amy", "sharing", 1, decision=("s1", {"choice": "a", "score": 1.0}), base=base)
    data = responses.read(path)
    assert set(data["decisions"]) == {"s0", "s1"}
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("responses.json.broken-")]
    assert len(kept) == 1 and kept[0].read_text() == '{"decisions": {"s1": '
