"""The hardest scenarios: where learners' first choices most often missed the best answer.

A learner's first choice is their decision in the first attempt in which they answered the
scenario (later attempts are practice: they have seen the feedback). A choice "misses" when it
is not the scenario's best choice. Use the list to pick scenarios for the next group session.

What is left out, and why:
- follow-up (branch) scenarios: they are not graded, and only learners who took that path see
  them (the same graded-only rule as the item statistics, course.manager.reports.items);
- scenarios fewer than MIN_LEARNERS learners answered: with two learners one miss is "50%",
  and in a small team a row could point at one person; the threshold is the item statistics'
  own (MIN_ANSWERS, 5), so the two tables never disagree on what is enough to judge;
- scenarios nobody missed: nothing to discuss.
"""

from __future__ import annotations

import pandas as pd

from course.manager.reports.items import MIN_ANSWERS
from course.records.store import Store

MIN_LEARNERS = MIN_ANSWERS
BEST_SHARE = "chose the best answer"
MISS_SHARE = "its share of the misses"
COLUMNS = ["module", "scenario", "learners", BEST_SHARE, "missed", "most chosen miss", MISS_SHARE]
PERCENT = (BEST_SHARE, MISS_SHARE)  # fractions: shown as "45%", written to XLSX in percent format


def first_choices(store: Store) -> pd.DataFrame:
    """learner_id, module_id, scenario_id, choice_id, score: one row per learner and scenario."""
    return pd.DataFrame(store.first_choices(), columns=["learner_id", "module_id", "scenario_id", "choice_id", "score"])


def _graded(choices: pd.DataFrame, course) -> pd.DataFrame:
    graded = {s.id for m in course.modules.values() for s in m.graded_scenarios}
    return choices[choices["scenario_id"].isin(graded)]


def held_back(choices: pd.DataFrame, course, *, min_learners: int = MIN_LEARNERS) -> int:
    """How many graded scenarios have answers, but from fewer than `min_learners` learners."""
    counts = _graded(choices, course).groupby("scenario_id")["learner_id"].nunique()
    return int(((counts > 0) & (counts < min_learners)).sum())


def hardest(
    choices: pd.DataFrame, course, *, min_learners: int = MIN_LEARNERS, limit: int | None = None
) -> pd.DataFrame:
    """One row per graded scenario someone missed and at least `min_learners` answered, the most
    missed (by share, then by count) first. Titles, not ids; shares as fractions (see PERCENT)."""
    rows = []
    for module in course.modules.values():
        for order, scenario in enumerate(module.graded_scenarios):
            answers = choices[choices["scenario_id"] == scenario.id]
            learners = len(answers)
            if learners < min_learners:
                continue
            top_score = max(c.score for c in scenario.choices)
            best_ids = {c.id for c in scenario.choices if c.score >= top_score}
            misses = answers[~answers["choice_id"].isin(best_ids)]
            if misses.empty:
                continue
            # the wrong answer picked most often (ties: the one listed first in the content)
            picked = misses["choice_id"].value_counts()
            listed = [c for c in scenario.choices if c.id in picked.index]
            top = max(listed, key=lambda c: picked[c.id]) if listed else None
            rows.append(
                {
                    "module": module.title,
                    "scenario": scenario.title,
                    "learners": learners,
                    BEST_SHARE: round(1 - len(misses) / learners, 3),
                    "missed": len(misses),
                    "most chosen miss": top.text if top else "(a choice no longer in the course)",
                    MISS_SHARE: round(picked[top.id] / len(misses), 3) if top else None,
                    "_order": (list(course.modules).index(module.id), order),
                }
            )
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.DataFrame(rows).sort_values(
        [BEST_SHARE, "missed", "_order"], ascending=[True, False, True], kind="stable"
    )
    frame = frame.drop(columns="_order").reset_index(drop=True)[COLUMNS]
    return frame.head(limit) if limit else frame
