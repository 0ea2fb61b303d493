"""The hardest scenarios: where learners' first choices most often missed the best answer.

A learner's first choice is their decision in the first attempt in which they answered the
scenario (later attempts are practice: they have seen the feedback). A choice "misses"
when it scores below 1. Use the list to pick scenarios for the next group session.
"""

from __future__ import annotations

import pandas as pd

from course.records.store import Store

COLUMNS = ["scenario", "module", "title", "learners", "missed", "missed_share", "most_chosen_miss", "its_share"]
LABELS = {"missed_share": "missed share", "most_chosen_miss": "most chosen miss", "its_share": "its share"}


def first_choices(store: Store) -> pd.DataFrame:
    """learner_id, module_id, scenario_id, choice_id, score: one row per learner and scenario."""
    return pd.DataFrame(store.first_choices(), columns=["learner_id", "module_id", "scenario_id", "choice_id", "score"])


def hardest(choices: pd.DataFrame, course, *, min_learners: int = 1, limit: int | None = None) -> pd.DataFrame:
    """One row per scenario, the most missed (by share, then by count) first."""
    if choices.empty:
        return pd.DataFrame(columns=COLUMNS).rename(columns=LABELS)
    missed = choices["score"] < 1
    grouped = choices.assign(missed=missed).groupby("scenario_id", sort=False)
    summary = grouped.agg(module_id=("module_id", "first"), learners=("learner_id", "size"), missed=("missed", "sum"))
    summary = summary[summary["learners"] >= min_learners]
    misses = choices[missed]
    if len(misses):
        top = (
            misses.groupby(["scenario_id", "choice_id"])
            .size()
            .rename("n")
            .reset_index()
            .sort_values(["scenario_id", "n", "choice_id"], ascending=[True, False, True])
            .drop_duplicates("scenario_id")
            .set_index("scenario_id")
        )
    else:
        top = pd.DataFrame(columns=["choice_id", "n"])
    rows = []
    for scenario_id, row in summary.iterrows():  # one row per scenario: tens, not thousands
        try:
            scenario = course.scenario(scenario_id)
            title = scenario.title
            module_title = course.modules[scenario.module_id].title
        except KeyError:
            scenario, title, module_title = None, "(no longer in the course)", row["module_id"]
        choice_text, share = "", None
        if scenario_id in top.index and row["missed"]:
            choice_id = top.loc[scenario_id, "choice_id"]
            share = float(top.loc[scenario_id, "n"]) / float(row["missed"])
            try:
                choice_text = f"{choice_id}: {scenario.choice(choice_id).text}" if scenario else str(choice_id)
            except KeyError:
                choice_text = str(choice_id)
        rows.append(
            {
                "scenario": scenario_id,
                "module": module_title,
                "title": title,
                "learners": int(row["learners"]),
                "missed": int(row["missed"]),
                "missed_share": round(float(row["missed"]) / float(row["learners"]), 3),
                "most_chosen_miss": choice_text,
                "its_share": round(share, 3) if share is not None else None,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS).sort_values(
        ["missed_share", "missed", "scenario"], ascending=[False, False, True]
    )
    frame = frame.reset_index(drop=True).rename(columns=LABELS)
    return frame.head(limit) if limit else frame
