"""Learning time from the records (course.learning_time), against hand-computed values.

Synthetic records: moments written straight into the store's tables at chosen times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from course.learning_time import GAP_CAP, attempt_seconds, minutes_spent
from course.records.tables import attempts, decisions, reflections

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_gaps_add_up_and_a_long_gap_counts_as_ten_minutes():
    assert timedelta(minutes=10) == GAP_CAP
    # 0 -> 2 -> 5 -> 65 (a lunch break: 10) -> 66: 2 + 3 + 10 + 1 = 16 minutes
    assert attempt_seconds([at(5), at(0), at(65), at(2), at(66)]) == 16 * 60
    assert attempt_seconds([at(0)]) == 0 and attempt_seconds([]) == 0


def write(store, learner, module, attempt, started, finished, decided, saved):
    with store.engine.begin() as conn:
        conn.execute(
            insert(attempts).values(
                learner_id=learner,
                module_id=module,
                attempt=attempt,
                policy_version="v",
                started_at=at(started),
                finished_at=at(finished) if finished is not None else None,
            )
        )
        for n, minute in enumerate(decided):
            conn.execute(
                insert(decisions).values(
                    learner_id=learner,
                    module_id=module,
                    attempt=attempt,
                    scenario_id=f"s{n}",
                    choice_id="a",
                    score=1.0,
                    decided_at=at(minute),
                )
            )
        for n, minute in enumerate(saved):
            conn.execute(
                insert(reflections).values(
                    learner_id=learner,
                    module_id=module,
                    attempt=attempt,
                    prompt_id=f"p{n}",
                    text="x",
                    saved_at=at(minute),
                )
            )


def test_minutes_per_module_from_synthetic_records(store):
    store.ensure_learner("amy")
    store.ensure_learner("ben")
    # why, attempt 1: start 0, decisions 3, 7, 30 (gap 23 -> 10), reflection 32, Finish 33: 3+4+10+2+1 = 20
    write(store, "amy", "why", 1, 0, 33, [3, 7, 30], [32])
    # why, attempt 2 (a retake, a day later): start 1440, decisions 1444, 1449; open: 4+5 = 9
    write(store, "amy", "why", 2, 1440, None, [1444, 1449], [])
    # sharing: start 100, decision 100.5, Finish 101: 0.5+0.5 = 1 minute
    write(store, "amy", "sharing", 1, 100, 101, [100.5], [])
    # ben opened a module and did nothing: 0
    write(store, "ben", "why", 1, 0, None, [], [])
    spent = minutes_spent(store)
    assert spent == {("amy", "why"): 29, ("amy", "sharing"): 1, ("ben", "why"): 0}
    assert minutes_spent(store, ["ben"]) == {("ben", "why"): 0}
    # a pass at minute 33 (the first Finish): the retake after it is not counted
    assert minutes_spent(store, ["amy"], {("amy", "why"): at(33)})[("amy", "why")] == 20
