"""The completion rule on a synthetic roster and gradebook that has every status.

`synthetic()` (also used by the report, certificate and dashboard tests) builds 13 staff in
three teams and one learner who is not on the roster, on 15 September 2026 under policy
version 2025-09 (in force from 1 September 2025):

    S01 completed        all five modules passed in December 2025
    S02 completed        a trainer-led session ("all" modules) in February 2026
    S03 due soon         completed 25 September 2025: due 25 September 2026
    S04 overdue          completed 5 September 2025: due 5 September 2026
    S05 overdue          completed March 2025 under policy 2024-09: due when 2025-09 took effect
    S06 failed           four passes, the final assessment failed, nothing since
    S07 in progress      as S06, but answering the final assessment again since
    S08 in progress      decisions saved in one module, nothing graded
    S09 not started
    S10 not started
    S11 in progress      two modules passed
    S12 overdue          no grades left, but the register has a completion of June 2024
    S13 in progress      five passes more than 12 months apart: not a completion
    X99 in progress      one pass; not on the roster
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course.manager.completion import (
    COMPLETED,
    DUE_SOON,
    FAILED,
    IN_PROGRESS,
    NOT_ON_ROSTER,
    NOT_STARTED,
    OVERDUE,
    STATUSES,
    Rule,
    evaluate,
    status_counts,
    timeline,
)

MODULES = ("why", "sharing", "boundaries", "protect", "final")
AS_OF = pd.Timestamp("2026-09-15")
VERSION = "2025-09"

EXPECTED = {
    "S01": COMPLETED,
    "S02": COMPLETED,
    "S03": DUE_SOON,
    "S04": OVERDUE,
    "S05": OVERDUE,
    "S06": FAILED,
    "S07": IN_PROGRESS,
    "S08": IN_PROGRESS,
    "S09": NOT_STARTED,
    "S10": NOT_STARTED,
    "S11": IN_PROGRESS,
    "S12": OVERDUE,
    "S13": IN_PROGRESS,
    "X99": IN_PROGRESS,
}
COUNTS = {COMPLETED: 2, DUE_SOON: 1, OVERDUE: 3, FAILED: 1, IN_PROGRESS: 5, NOT_STARTED: 2}


def rule(**changes) -> Rule:
    values = {
        "modules": MODULES,
        "pass_marks": dict.fromkeys(MODULES, 0.8),
        "renew_after_months": 12,
        "renew_on_policy_change": True,
        "due_soon_days": 30,
        "trainer_led_counts": True,
        "policy_version": VERSION,
        "policy_updated": pd.Timestamp("2025-09-01"),
        "minutes": dict.fromkeys(MODULES, 25),
        "titles": {m: m.title() for m in MODULES},
    }
    values.update(changes)
    return Rule(**values)


def synthetic(modules=MODULES):
    """(roster, grades, activity, attendance, history): see the module docstring.

    `modules` is the course's module list (the real course's rule, for the tests that use it):
    a module beyond the five above is passed on the day each run of passes starts, so every
    date in the table stays true."""
    modules = tuple(modules)
    before_final = tuple(m for m in modules if m != "final")
    team = {
        **dict.fromkeys(["S01", "S02", "S03", "S04", "S05"], "Riverside care home"),
        **dict.fromkeys(["S06", "S07", "S08", "S09"], "Home care north"),
        **dict.fromkeys(["S10", "S11", "S12", "S13"], "Young people's service"),
    }
    roster = pd.DataFrame(
        {
            "learner_id": list(team),
            "staff_number": list(team),
            "name": [f"Person {k[1:]}" for k in team],
            "team": list(team.values()),
            "role": "Support worker",
            "start_date": pd.Timestamp("2020-01-06"),
        }
    )
    rows = []

    def passes(learner, first_day, version=VERSION, score=9.0, modules=modules, step=1):
        known = [m for m in modules if m in MODULES]
        for module in modules:
            i = known.index(module) if module in known else 0
            rows.append((learner, module, score, 10.0, pd.Timestamp(first_day) + pd.Timedelta(days=step * i), version))

    passes("S01", "2025-12-01")
    passes("S03", "2025-09-21")  # last pass 25 September 2025
    passes("S04", "2025-09-01 10:00")  # last pass 5 September 2025
    passes("S05", "2025-03-01", version="2024-09")
    passes("S06", "2026-07-01", modules=before_final)
    rows.append(("S06", "final", 5.0, 10.0, pd.Timestamp("2026-08-01"), VERSION))
    passes("S07", "2026-07-01", modules=before_final)
    rows.append(("S07", "final", 6.0, 10.0, pd.Timestamp("2026-08-01"), VERSION))
    passes("S11", "2026-06-01", modules=modules[:2])
    passes("S13", "2025-09-02", modules=modules[:1])
    passes("S13", "2026-09-10", modules=modules[1:])
    passes("X99", "2026-05-05", modules=modules[:1])
    grades = pd.DataFrame(rows, columns=["learner_id", "module_id", "score", "max_score", "date", "policy_version"])
    activity = pd.DataFrame(
        [
            ("S07", "final", pd.Timestamp("2026-08-10")),
            ("S08", "why", pd.Timestamp("2026-09-01")),
            ("S06", "final", pd.Timestamp("2026-07-31")),  # before the failed grade: not a new try
        ],
        columns=["learner_id", "module_id", "last_activity"],
    )
    attendance = pd.DataFrame(
        [("S02", "all", pd.Timestamp("2026-02-10"), True)], columns=["learner_id", "module_id", "date", "confirmed"]
    )
    history = pd.DataFrame(
        [("S12", pd.Timestamp("2024-06-01"), "2024-09")], columns=["learner_id", "completed_on", "policy_version"]
    )
    return roster, grades, activity, attendance, history


@pytest.fixture
def result():
    roster, grades, activity, attendance, history = synthetic()
    return evaluate(rule(), grades, roster, activity=activity, attendance=attendance, history=history, as_of=AS_OF)


def statuses(result) -> dict[str, str]:
    return dict(zip(result.people["learner_id"], result.people["status"].astype(str)))


def test_every_status_with_exact_counts(result):
    assert statuses(result) == EXPECTED
    counts = result.counts().iloc[0]
    assert {s: int(counts[s]) for s in STATUSES} == COUNTS
    assert int(counts["staff"]) == 14
    assert counts["completion_rate"] == pytest.approx(3 / 14)


def test_counts_by_team(result):
    by_team = result.counts("team").set_index("team")
    assert by_team.loc["Riverside care home", [COMPLETED, DUE_SOON, OVERDUE]].tolist() == [2, 1, 2]
    assert by_team.loc["Home care north", [FAILED, IN_PROGRESS, NOT_STARTED]].tolist() == [1, 2, 1]
    assert by_team.loc["Young people's service", [OVERDUE, IN_PROGRESS, NOT_STARTED]].tolist() == [1, 2, 1]
    assert by_team.loc[NOT_ON_ROSTER, "staff"] == 1
    assert by_team["staff"].sum() == 14
    assert by_team.loc["Riverside care home", "completion_rate"] == pytest.approx(3 / 5)


def test_dates(result):
    people = result.people.set_index("learner_id")
    assert people.loc["S01", "completed_on"] == pd.Timestamp("2025-12-05")
    assert people.loc["S01", "due_on"] == pd.Timestamp("2026-12-05")
    assert people.loc["S03", "due_on"] == pd.Timestamp("2026-09-25")
    assert people.loc["S04", "due_on"].normalize() == pd.Timestamp("2026-09-05")
    assert people.loc["S05", "completed_on"] == pd.Timestamp("2025-03-05")
    assert people.loc["S05", "due_on"] == pd.Timestamp("2025-09-01")  # the day the new version took effect
    assert people.loc["S12", "due_on"] == pd.Timestamp("2025-06-01")
    assert people.loc["S02", "completed_on"] == pd.Timestamp("2026-02-10")
    assert people.loc["S02", "attended_modules"] == 5
    assert people.loc["S01", "score"] == 45 and people.loc["S01", "max_score"] == 50
    assert bool(people.loc["S04", "current_completion"]) and not bool(people.loc["S05", "current_completion"])
    assert pd.isna(people.loc["S09", "completed_on"]) and pd.isna(people.loc["S09", "due_on"])


def test_module_statuses(result):
    mods = result.modules.set_index(["learner_id", "module_id"])["status"].astype(str)
    assert mods[("S06", "final")] == "failed"
    assert mods[("S07", "final")] == "in progress"
    assert mods[("S08", "why")] == "in progress" and mods[("S08", "sharing")] == "not started"
    assert mods[("S05", "why")] == "due again"
    assert mods[("S11", "sharing")] == "passed" and mods[("S11", "boundaries")] == "not started"
    assert len(result.modules) == 14 * 5


def test_pass_mark_is_inclusive():
    grades = pd.DataFrame(
        {
            "learner_id": ["A", "B"],
            "module_id": "why",
            "score": [8.0, 7.99],
            "max_score": 10.0,
            "date": pd.Timestamp("2026-01-01"),
            "policy_version": VERSION,
        }
    )
    result = evaluate(rule(modules=("why",), pass_marks={"why": 0.8}), grades, as_of=AS_OF)
    assert statuses(result) == {"A": COMPLETED, "B": FAILED}


def test_trainer_led_attendance_counts_only_when_configured():
    roster, grades, activity, attendance, history = synthetic()
    off = evaluate(
        rule(trainer_led_counts=False),
        grades,
        roster,
        activity=activity,
        attendance=attendance,
        history=history,
        as_of=AS_OF,
    )
    assert statuses(off)["S02"] == NOT_STARTED


def test_attendance_for_one_module_completes_with_grades():
    roster, grades, activity, _attendance, _history = synthetic()
    attendance = pd.DataFrame(
        [("S06", "final", pd.Timestamp("2026-08-20"), True)], columns=["learner_id", "module_id", "date", "confirmed"]
    )
    result = evaluate(rule(), grades, roster, activity=activity, attendance=attendance, as_of=AS_OF)
    people = result.people.set_index("learner_id")
    assert people.loc["S06", "status"] == COMPLETED
    assert people.loc["S06", "completed_on"] == pd.Timestamp("2026-08-20")
    assert people.loc["S06", "attended_modules"] == 1
    assert people.loc["S06", "max_score"] == 40  # only the four graded modules are scored


def test_policy_change_renewal_can_be_switched_off():
    roster, grades, *_ = synthetic()
    on = evaluate(rule(), grades, roster, as_of="2026-01-01")
    off = evaluate(rule(renew_on_policy_change=False), grades, roster, as_of="2026-01-01")
    assert statuses(on)["S05"] == OVERDUE
    assert statuses(off)["S05"] == COMPLETED
    assert off.people.set_index("learner_id").loc["S05", "due_on"] == pd.Timestamp("2026-03-05")


def test_grades_without_a_policy_version_use_the_date_it_took_effect():
    grades = pd.DataFrame(
        {
            "learner_id": ["old", "new"],
            "module_id": "why",
            "score": 10.0,
            "max_score": 10.0,
            "date": [pd.Timestamp("2025-08-31"), pd.Timestamp("2025-09-01")],
            "policy_version": None,
        }
    )
    result = evaluate(rule(modules=("why",), pass_marks={"why": 0.8}), grades, as_of="2025-10-01")
    assert statuses(result) == {"old": OVERDUE, "new": COMPLETED}


def test_roster_only_leaves_out_unknown_learners(result):
    roster, grades, activity, attendance, history = synthetic()
    only = evaluate(
        rule(), grades, roster, activity=activity, attendance=attendance, history=history, as_of=AS_OF, roster_only=True
    )
    assert "X99" not in set(only.people["learner_id"])
    assert len(only.people) == 13
    unknown = result.people.set_index("learner_id").loc["X99"]
    assert unknown["team"] == NOT_ON_ROSTER and not unknown["on_roster"]


def test_empty_inputs():
    empty = pd.DataFrame(columns=["learner_id", "module_id", "score", "max_score", "date", "policy_version"])
    result = evaluate(rule(), empty, as_of=AS_OF)
    assert result.people.empty
    assert status_counts(result.people)["staff"].iloc[0] == 0
    roster, *_ = synthetic()
    nobody = evaluate(rule(), empty, roster, as_of=AS_OF)
    assert set(nobody.people["status"]) == {NOT_STARTED}


def test_timeline_counts_current_and_recorded_completions(result):
    _roster, _grades, _activity, _attendance, history = synthetic()
    frame = timeline(result, history, months=3)
    assert list(frame.columns) == ["date", "staff", "completed", "completion_rate"]
    last = frame.iloc[-1]
    assert str(last["date"]) == "2026-09-15"
    assert last["staff"] == 14
    # on 15 September 2026: S01, S02, S03 current (S04's completion ran out on 5 September)
    assert last["completed"] == 3
    june = frame[frame["date"].astype(str) == "2026-06-30"].iloc[0]
    assert june["completed"] == 4  # S01, S02, S03, S04
    by_team = timeline(result, history, months=1, by="team")
    assert set(by_team["team"]) == {"Riverside care home", "Home care north", "Young people's service", NOT_ON_ROSTER}


def test_rule_from_policy_yaml(course):
    r = Rule.from_course(course)
    course_modules = ("why", "sharing", "boundaries", "protect", "safety", "final")  # issue 16 added safety
    assert r.modules == course_modules
    assert r.renew_after_months == 12 and r.renew_on_policy_change and r.due_soon_days == 30
    assert r.trainer_led_counts
    assert r.policy_version == course.policy.version
    assert r.pass_marks == {m: course.modules[m].pass_mark for m in course_modules}
    assert r.policy_updated == pd.Timestamp(course.policy.updated)


def test_agrees_with_a_plain_pandas_groupby_on_random_data():
    """The benchmark's floor answers the same question another way: same status for everyone."""
    from benchmarks.reports import AS_OF as BENCH_DAY
    from benchmarks.reports import floor, generate, make_rule

    for seed in (1, 2, 3):
        roster, grades, activity = generate(staff=600, years=3, seed=seed)
        r = make_rule(3)
        expected = floor(r, grades, roster, activity, BENCH_DAY)
        got = evaluate(r, grades, roster, activity=activity, as_of=BENCH_DAY, roster_only=True)
        got = got.people.set_index("learner_id")["status"].astype(str)
        assert (expected.reindex(got.index) == got).all()
        assert set(got) == set(STATUSES)  # the random data reaches every status


def test_no_python_loop_per_person():
    """10,000 staff with three years of attempts in well under a second (see benchmarks/reports.py)."""
    import time

    from benchmarks.reports import AS_OF as BENCH_DAY
    from benchmarks.reports import generate, make_rule

    roster, grades, activity = generate(staff=10_000, years=3, seed=4)
    r = make_rule(3)
    evaluate(r, grades, roster, activity=activity, as_of=BENCH_DAY)
    started = time.perf_counter()
    result = evaluate(r, grades, roster, activity=activity, as_of=BENCH_DAY)
    assert time.perf_counter() - started < 2.0
    assert len(result.people) == 10_000
    assert np.isin(result.people["status"].astype(str), STATUSES).all()


def test_only_confirmed_attendance_counts():
    """The one attendance rule (course.progress.counted_attendance): a row not confirmed by a
    trainer (or a frame that does not say) never completes anyone."""
    roster, grades, activity, _attendance, _history = synthetic()
    for confirmed in (False, None):
        frame = pd.DataFrame(
            [("S06", "final", pd.Timestamp("2026-08-20"), confirmed)],
            columns=["learner_id", "module_id", "date", "confirmed"],
        )
        result = evaluate(rule(), grades, roster, activity=activity, attendance=frame, as_of=AS_OF)
        assert result.people.set_index("learner_id").loc["S06", "status"] != COMPLETED
    no_column = pd.DataFrame(
        [("S06", "final", pd.Timestamp("2026-08-20"))], columns=["learner_id", "module_id", "date"]
    )
    result = evaluate(rule(), grades, roster, activity=activity, attendance=no_column, as_of=AS_OF)
    assert result.people.set_index("learner_id").loc["S06", "status"] != COMPLETED
