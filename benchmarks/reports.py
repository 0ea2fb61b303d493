"""Benchmark: the completion report against a plain pandas groupby answering the same question.

    .venv/bin/python -m benchmarks.reports [--staff 10000] [--years 3] [--repeats 7] [--seed 1]

Synthetic data: `--staff` people in 40 teams, the course's 5 modules, `--years` yearly
cycles of attempts (fails and retries, a policy version a year, some staff never starting,
some half way), plus the learners' latest activity per module. Timed, each the median of
`--repeats` runs in this one process:

- floor: the same statuses (completed, due soon, overdue, failed, in progress, not started)
  from a plain pandas groupby over the same frames: the least work that answers the question;
- minimal groupby: only who has completed and when they are due (one groupby of current
  passes): less than the question asks, shown as a lower bound;
- course.manager.completion.evaluate: the status per person (and the arrays behind per module);
- completion report: evaluate + the report's tables (by team, and one row per person).

Ratios are against the floor (the aim is 1.5 or less) and the minimal groupby. The run fails if the two answers
differ in any person's status. Never run in CI.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

import numpy as np
import pandas as pd

from course.manager.completion import Rule, evaluate

MODULES = ("why", "sharing", "boundaries", "protect", "final")
AS_OF = pd.Timestamp("2026-09-15")


def make_rule(years: int) -> Rule:
    return Rule(
        modules=MODULES,
        pass_marks=dict.fromkeys(MODULES, 0.8),
        renew_after_months=12,
        renew_on_policy_change=True,
        due_soon_days=30,
        trainer_led_counts=False,
        policy_version=f"{AS_OF.year - 1}-09",
        policy_updated=pd.Timestamp(f"{AS_OF.year - 1}-09-01"),
        minutes=dict.fromkeys(MODULES, 25),
        titles={m: m for m in MODULES},
    )


def generate(staff: int = 10_000, years: int = 3, seed: int = 1):
    """(roster, grades, activity): a big, realistic-looking register, built with numpy."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"S{n:06d}" for n in range(staff)], dtype=object)
    teams = np.array([f"Team {t:02d}" for t in range(40)], dtype=object)
    roster = pd.DataFrame(
        {
            "learner_id": ids,
            "staff_number": ids,
            "name": [f"Person {n}" for n in range(staff)],
            "team": teams[rng.integers(0, len(teams), staff)],
            "role": "Support worker",
            "start_date": AS_OF - pd.to_timedelta(rng.integers(30, 3650, staff), unit="D"),
        }
    )
    engaged = rng.random(staff) > 0.08  # some never start
    rows = []
    for year in range(years):
        cycle_start = pd.Timestamp(f"{AS_OF.year - years + year}-09-01")
        version = f"{cycle_start.year}-09"
        takes = engaged & (rng.random(staff) > 0.1)  # most do it each year
        people = np.flatnonzero(takes)
        offset = rng.integers(0, 360, len(people))  # when in the year they start
        stop_after = np.where(rng.random(len(people)) < 0.1, rng.integers(1, 5, len(people)), 5)
        for k, module in enumerate(MODULES):
            go = stop_after > k
            p = people[go]
            day = cycle_start + pd.to_timedelta(offset[go] + 3 * k, unit="D")
            tries = 1 + (rng.random(len(p)) < 0.15) + (rng.random(len(p)) < 0.03)
            for t in range(3):
                has = tries > t
                last = tries == t + 1
                score = np.where(
                    last & (rng.random(len(p)) < 0.93), rng.integers(8, 11, len(p)), rng.integers(3, 8, len(p))
                )
                rows.append(
                    pd.DataFrame(
                        {
                            "learner_id": ids[p[has]],
                            "module_id": module,
                            "score": score[has].astype(float),
                            "max_score": 10.0,
                            "date": day[has] + pd.Timedelta(days=2 * t),
                            "policy_version": version,
                        }
                    )
                )
    grades = pd.concat(rows, ignore_index=True)
    grades = grades[grades["date"] <= AS_OF].reset_index(drop=True)
    # the store's latest activity: everyone graded, plus some still answering
    last = grades.groupby(["learner_id", "module_id"], sort=False)["date"].max().reset_index()
    extra_p = rng.choice(np.flatnonzero(engaged), size=staff // 20, replace=False)
    extra = pd.DataFrame(
        {
            "learner_id": ids[extra_p],
            "module_id": rng.choice(MODULES, len(extra_p)),
            "date": AS_OF - pd.to_timedelta(rng.integers(1, 60, len(extra_p)), unit="D"),
        }
    )
    activity = pd.concat([last, extra], ignore_index=True).rename(columns={"date": "last_activity"})
    activity["last_activity"] = activity["last_activity"] - pd.Timedelta(hours=1)
    return roster, grades, activity


def floor(rule: Rule, grades: pd.DataFrame, roster: pd.DataFrame, activity: pd.DataFrame, as_of) -> pd.Series:
    """Status per person with plain pandas groupby and merge: the same rule, nothing else."""
    months = pd.DateOffset(months=rule.renew_after_months)
    g = grades[grades["module_id"].isin(rule.modules)]
    passed = (g["max_score"] > 0) & (g["score"] >= g["module_id"].map(rule.pass_marks) * g["max_score"] - 1e-9)
    current = g["policy_version"].eq(rule.policy_version)
    keys = ["learner_id", "module_id"]
    cur = g[passed & current].groupby(keys)["date"].max()
    anyp = (
        g[passed]
        .assign(old=~current[passed])
        .sort_values("date")
        .groupby(keys)
        .agg(date=("date", "last"), old=("old", "last"))
    )
    last_graded = g.groupby(keys)["date"].max()
    latest = g.assign(passed=passed).merge(last_graded.rename("lg").reset_index(), on=keys)
    failed_latest = latest[latest["date"] == latest["lg"]].groupby(keys)["passed"].max() == False  # noqa: E712
    act = activity.groupby(keys)["last_activity"].max()

    m = len(rule.modules)
    per = cur.groupby(level=0).agg(["size", "max", "min"])
    done = per[(per["size"] == m) & (per["min"] >= per["max"] - months)]
    due = done["max"] + months
    ap = anyp.groupby(level=0).agg(n=("date", "size"), last=("date", "max"), first=("date", "min"), old=("old", "max"))
    earlier = ap[(ap["n"] == m) & (ap["first"] >= ap["last"] - months) & ~ap.index.isin(done.index)]
    e_due = earlier["last"] + months
    e_due = e_due.where(~earlier["old"], np.minimum(e_due, rule.policy_updated))

    cells = pd.concat(
        [
            cur.rename("cur"),
            anyp["date"].rename("any"),
            last_graded.rename("lg"),
            failed_latest.rename("fail"),
            act.rename("act"),
        ],
        axis=1,
    )
    retry = cells["act"].notna() & (cells["lg"].isna() | (cells["act"] > cells["lg"]))
    mod_failed = cells["cur"].isna() & ~retry & cells["fail"].fillna(False).astype(bool)
    people_failed = mod_failed.groupby(level=0).any()
    started = cells.index.get_level_values(0).unique()

    status = pd.Series("not started", index=pd.Index(roster["learner_id"]))
    status[status.index.isin(started)] = "in progress"
    status[people_failed[people_failed].index.intersection(status.index)] = "failed"
    soon = as_of + pd.Timedelta(days=rule.due_soon_days)
    for dates in (e_due, due):
        dates = dates[dates.index.isin(status.index)]
        status[dates[dates > soon].index] = "completed"
        status[dates[(dates >= as_of) & (dates <= soon)].index] = "due soon"
        status[dates[dates < as_of].index] = "overdue"
    return status


def minimal(rule: Rule, grades: pd.DataFrame, as_of) -> pd.Series:
    """Only "completed, and when due": one groupby of current passes. Less than the question
    asks (no failed, in progress, earlier completions or roster); a lower bound for scale."""
    g = grades[grades["module_id"].isin(rule.modules)]
    ok = (g["score"] >= g["module_id"].map(rule.pass_marks) * g["max_score"]) & g["policy_version"].eq(
        rule.policy_version
    )
    per = g[ok].groupby(["learner_id", "module_id"])["date"].max().groupby(level=0).agg(["size", "max"])
    return per.loc[per["size"] == len(rule.modules), "max"] + pd.DateOffset(months=rule.renew_after_months)


def ours(rule, grades, roster, activity, as_of):
    return evaluate(rule, grades, roster, activity=activity, as_of=as_of, roster_only=True)


def report(rule, grades, roster, activity, as_of):
    from course.manager.reports import people_table, team_table

    result = ours(rule, grades, roster, activity, as_of)
    return team_table(result), people_table(result)


def timed(fn, repeats: int) -> float:
    fn()  # warm up: imports and first-call caches are not what is measured
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    console = Console()
    started = time.perf_counter()
    roster, grades, activity = generate(args.staff, args.years, args.seed)
    rule = make_rule(args.years)
    console.print(
        f"{len(roster)} staff, {len(grades)} graded attempts over {args.years} years, "
        f"{len(activity)} activity rows (made in {time.perf_counter() - started:.1f} s)"
    )

    expected = floor(rule, grades, roster, activity, AS_OF)
    got = ours(rule, grades, roster, activity, AS_OF).people.set_index("learner_id")["status"].astype(str)
    differ = (expected.reindex(got.index) != got).sum()
    if differ:
        console.print(f"[red]the floor and course.manager.completion disagree on {differ} people[/red]")
        return 1
    counts = got.value_counts().to_dict()
    console.print("statuses (both agree): " + ", ".join(f"{k} {v}" for k, v in counts.items()))

    runs = [
        ("floor: plain pandas groupby", lambda: floor(rule, grades, roster, activity, AS_OF)),
        ("minimal groupby (completed only)", lambda: minimal(rule, grades, AS_OF)),
        ("course.manager.completion.evaluate", lambda: ours(rule, grades, roster, activity, AS_OF)),
        ("completion report (evaluate + tables)", lambda: report(rule, grades, roster, activity, AS_OF)),
    ]
    results = [(name, timed(fn, args.repeats)) for name, fn in runs]
    base = results[0][1]
    table = Table(
        title=f"Completion report: {args.staff} staff x {len(MODULES)} modules x {args.years} years "
        f"(median of {args.repeats})"
    )
    table.add_column("what")
    table.add_column("median s", justify="right")
    table.add_column("ratio to floor", justify="right")
    table.add_column("ratio to minimal", justify="right")
    for name, seconds in results:
        table.add_row(name, f"{seconds:.3f}", f"{seconds / base:.2f}x", f"{seconds / results[1][1]:.2f}x")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
