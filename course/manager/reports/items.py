"""Item statistics: does each scenario measure judgement? (`course report items`, the dashboard).

Read from each learner's first attempt at each module (later attempts follow the feedback), over
graded scenarios only (follow-ups are not seen by everyone). Per scenario:

- facility: the share of learners who chose the best answer;
- discrimination: the point-biserial correlation between choosing the best answer (1 or 0) and the
  learner's mean score on the *other* items of the same attempt (a bank attempt draws different
  items for each learner, so the rest is a mean, not a sum); None when either side does not vary;
- each choice's pick rate (by choice id: learners saw the choices in different orders);
- flags, once at least MIN_ANSWERS learners answered: nearly everyone right (facility >= 0.9),
  a distractor picked more often than the best answer (check the key), negative discrimination
  (stronger learners miss it more often than weaker ones: often an ambiguous or wrong key).

Moodle's quiz statistics report computes the same facility and discrimination index; this one
adds the flags an author acts on.
"""

from __future__ import annotations

import math

import pandas as pd

from course.content.model import Course

MIN_ANSWERS = 5
EASY = 0.9

DECISION_COLUMNS = ["learner_id", "module_id", "attempt", "scenario_id", "choice_id", "score"]
ITEM_COLUMNS = [
    "module",
    "scenario",
    "title",
    "learners",
    "facility",
    "discrimination",
    "choices",
    "flags",
]
CHOICE_COLUMNS = ["module", "scenario", "choice", "text", "score", "picked", "pick_rate"]


def first_attempt_decisions(store) -> pd.DataFrame:
    return pd.DataFrame(store.first_attempt_decisions(), columns=DECISION_COLUMNS)


def _graded_only(decisions: pd.DataFrame, course: Course) -> pd.DataFrame:
    graded = {s.id for m in course.modules.values() for s in m.graded_scenarios}
    return decisions[decisions["scenario_id"].isin(graded)]


def point_biserial(item: pd.Series, rest: pd.Series) -> float | None:
    """Pearson correlation of a 0/1 item with the rest score; None when either does not vary."""
    if len(item) < 2 or item.nunique() < 2 or rest.nunique() < 2:
        return None
    value = float(item.astype(float).corr(rest.astype(float)))
    return None if math.isnan(value) else value


def with_rest_scores(decisions: pd.DataFrame) -> pd.DataFrame:
    """Adds `best` (1 if the best answer was chosen) and `rest` (mean score on the attempt's other items)."""
    frame = decisions.copy()
    group = frame.groupby(["learner_id", "module_id", "attempt"])["score"]
    total, count = group.transform("sum"), group.transform("size")
    frame["rest"] = ((total - frame["score"]) / (count - 1)).where(count > 1)
    frame["best"] = (frame["score"] >= 1).astype(int)
    return frame


def _flags(learners: int, facility: float, discrimination: float | None, key_beaten: str | None) -> str:
    if learners < MIN_ANSWERS:
        return f"fewer than {MIN_ANSWERS} answers"
    flags = []
    if facility >= EASY:
        flags.append("nearly everyone right")
    if key_beaten:
        flags.append(f"choice {key_beaten} picked more than the best: check the key")
    if discrimination is not None and discrimination < 0:
        flags.append("negative discrimination")
    return "; ".join(flags)


def item_statistics(decisions: pd.DataFrame, course: Course) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per scenario, one row per choice), in course order."""
    decisions = _graded_only(decisions, course)
    scored = with_rest_scores(decisions)
    items, choices = [], []
    for module in course.modules.values():
        for scenario in module.graded_scenarios:
            rows = scored[scored["scenario_id"] == scenario.id]
            learners = len(rows)
            if not learners:
                continue
            picked = rows["choice_id"].value_counts()
            best = max(scenario.choices, key=lambda c: c.score)
            facility = float(rows["best"].mean())
            answered = rows.dropna(subset=["rest"])
            discrimination = point_biserial(answered["best"], answered["rest"])
            beaten = [
                c.id for c in scenario.choices if c.score < best.score and picked.get(c.id, 0) > picked.get(best.id, 0)
            ]
            rates = []
            for c in scenario.choices:
                n = int(picked.get(c.id, 0))
                rates.append(f"{c.id} {n / learners:.0%}{' (best)' if c is best else ''}")
                choices.append(
                    {
                        "module": module.title,
                        "scenario": scenario.id,
                        "choice": c.id,
                        "text": c.text,
                        "score": c.score,
                        "picked": n,
                        "pick_rate": round(n / learners, 3),
                    }
                )
            items.append(
                {
                    "module": module.title,
                    "scenario": scenario.id,
                    "title": scenario.title,
                    "learners": learners,
                    "facility": round(facility, 3),
                    "discrimination": None if discrimination is None else round(discrimination, 3),
                    "choices": " · ".join(rates),
                    "flags": _flags(learners, facility, discrimination, beaten[0] if beaten else None),
                }
            )
    return pd.DataFrame(items, columns=ITEM_COLUMNS), pd.DataFrame(choices, columns=CHOICE_COLUMNS)
