"""Completion over time, on top of the one progress rule (course.progress).

The rule itself (`Rule`, `evaluate`, the statuses, the pass test) lives in `course.progress`,
so that a learner's page and the organisation's reports decide the same way; its names are
re-exported here for the reports, the benchmarks and older imports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course.progress import (  # noqa: F401 - re-exported: the rule's one home is course.progress
    BEING_MARKED,
    COMPLETED,
    DAY,
    DUE_AGAIN,
    DUE_SOON,
    FAILED,
    IN_PROGRESS,
    MODULE_DUE_AGAIN,
    MODULE_PASSED,
    MODULE_STATUSES,
    NAT,
    NEEDS_REVIEW,
    NEVER,
    NOT_ON_ROSTER,
    NOT_STARTED,
    OVERDUE,
    PASSED,
    STATUSES,
    Evaluation,
    Rule,
    add_months,
    as_ns,
    evaluate,
    reaches_pass_mark,
    status_counts,
    timestamp,
)


def timeline(
    evaluation: Evaluation, history: pd.DataFrame | None = None, *, months: int = 24, by: str | None = None
) -> pd.DataFrame:
    """Completion rate at the end of each of the last `months` months (and today).

    A person counts as complete on a day when a completion (the current one, or one in
    `history`: learner_id, completed_on) was made on or before it and was not yet due. The
    people are today's (the roster as it is now); staff with a start date later than a day
    are not counted on it."""
    people = evaluation.people
    rule = evaluation.rule
    ends = pd.date_range(end=evaluation.as_of.normalize(), periods=months + 1, freq="ME")
    ends = ends[ends < evaluation.as_of.normalize()].append(pd.DatetimeIndex([evaluation.as_of.normalize()]))
    ends_ns = ends.to_numpy().astype("datetime64[ns]").view("int64") + DAY - 1  # end of each day
    index = pd.Index(people["learner_id"])
    events_p = [np.flatnonzero(people["current_completion"].to_numpy())]
    events_on = [as_ns(people["completed_on"])[events_p[0]]]
    if history is not None and len(history):
        p = index.get_indexer(history["learner_id"].astype(str).to_numpy())
        on = as_ns(history["completed_on"])
        keep = (p >= 0) & (on != NAT)
        events_p.append(p[keep])
        events_on.append(on[keep])
    ep = np.concatenate(events_p)
    eon = np.concatenate(events_on)
    edue = add_months(eon, rule.renew_after_months)
    # people x days: complete when any of their completions covers the day
    covered = (eon[:, None] <= ends_ns[None, :]) & (edue[:, None] > ends_ns[None, :])
    complete = np.zeros((len(people), len(ends)), dtype=bool)
    np.logical_or.at(complete, ep, covered)
    start = as_ns(people["start_date"])
    employed = (start == NAT)[:, None] | (start[:, None] <= ends_ns[None, :])
    groups = people[by].astype(str).to_numpy() if by else np.array(["all staff"] * len(people), dtype=object)
    rows = []
    for group in pd.unique(groups):
        sel = groups == group
        staff = employed[sel].sum(axis=0)
        done = (complete[sel] & employed[sel]).sum(axis=0)
        for day, s, d in zip(ends, staff, done):
            rows.append(
                {
                    "group": group,
                    "date": day.date(),
                    "staff": int(s),
                    "completed": int(d),
                    "completion_rate": (d / s) if s else 0.0,
                }
            )
    frame = pd.DataFrame(rows, columns=["group", "date", "staff", "completed", "completion_rate"])
    return frame.rename(columns={"group": by}) if by else frame.drop(columns="group")
