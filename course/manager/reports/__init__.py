"""Managers' reports: completions, who is due, the hardest scenarios.

    inputs = load_inputs()                      # marks of record, records store, roster, register
    result = evaluate_inputs(inputs)            # course.progress.evaluate (the one rule), names filled in
    report = completions_report(result)         # a Report: titled tables
    writers.write_xlsx(report, Path("completions.xlsx"))  # or to_html(report), print_report(...)

The frames are plain pandas; `writers` turns a Report into a table, CSV, XLSX or HTML.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course.manager.completion import timeline
from course.manager.reports.data import Inputs, load_inputs
from course.manager.reports.writers import FORMATS, Report, Section
from course.progress import COMPLETED, DUE_SOON, NOT_ON_ROSTER, OVERDUE, STATUSES, Evaluation, evaluate, status_counts
from course.records import identity

KINDS = ("completions", "due", "scenarios", "items")

__all__ = [
    "FORMATS",
    "KINDS",
    "Inputs",
    "Report",
    "Section",
    "completions_report",
    "due_report",
    "evaluate_inputs",
    "items_report",
    "load_inputs",
    "people_table",
    "scenarios_report",
    "team_table",
    "timeline",
]


def evaluate_inputs(inputs: Inputs, as_of=None, *, roster_only: bool = False) -> Evaluation:
    result = evaluate(
        inputs.rule,
        inputs.grades,
        inputs.roster,
        activity=inputs.activity,
        attendance=inputs.attendance,
        history=inputs.history,
        finished=inputs.finished,
        as_of=as_of,
        roster_only=roster_only,
    )
    people = result.people
    if len(inputs.names):
        missing = ~people["on_roster"] | (people["name"] == "")
        if missing.any():
            names = inputs.names.set_index("learner_id")["name"]
            people.loc[missing, "name"] = people.loc[missing, "learner_id"].map(names).fillna("").to_numpy()
    # how the course knew each person (certificates and reports say so); "" before anyone signed in
    kinds = inputs.names.set_index("learner_id")["identity"] if "identity" in inputs.names else pd.Series(dtype=object)
    people["identity"] = [k if isinstance(k, str) else "" for k in people["learner_id"].map(kinds).to_numpy()]
    return result


def _score_text(people: pd.DataFrame) -> np.ndarray:
    score, top, attended = (
        people["score"].to_numpy(),
        people["max_score"].to_numpy(),
        people["attended_modules"].to_numpy(),
    )
    out = np.full(len(people), "", dtype=object)
    has = ~np.isnan(top) & (top > 0)
    out[has] = [f"{s:g}/{t:g} ({s / t:.0%})" for s, t in zip(score[has], top[has])]
    att = people["current_completion"].to_numpy() & (attended > 0)
    out[att] = [f"{o} + {a} attended".strip(" +") if o else f"{a} attended" for o, a in zip(out[att], attended[att])]
    return out


# the identity column of the reports (the certificate's words: course.records.identity.IDENTITY_LABELS)
IDENTITY_SHORT = {
    identity.ROSTER: "staff list + sign-in code",
    identity.HUB: "hub sign-in",
    identity.SELF_DECLARED: "self-declared (no staff list)",
}


SPREADSHEET_ONLY = ("score %",)  # people_table's score as a number: the "score" column says it in words


def people_table(result: Evaluation, *, team: str | None = None, statuses=None) -> pd.DataFrame:
    """One row per person, as managers read it."""
    p = result.people
    if team:
        p = p[p["team"].str.casefold() == team.casefold()]
    if statuses:
        p = p[p["status"].isin(list(statuses))]
    p = p.sort_values(["team", "name", "staff_number"], kind="stable")
    return pd.DataFrame(
        {
            "staff number": p["staff_number"].to_numpy(),
            "name": p["name"].to_numpy(),
            "team": p["team"].to_numpy(),
            "role": p["role"].to_numpy(),
            "status": p["status"].astype(str).to_numpy(),
            "modules passed": [f"{a}/{b}" for a, b in zip(p["modules_passed"], p["modules_required"])],
            "completed on": p["completed_on"].dt.date.to_numpy(),
            "due on": p["due_on"].dt.date.to_numpy(),
            "score": _score_text(p),
            # the same score as a number (0-100, like "completed %"): sortable, a real number in XLSX
            "score %": (100 * p["score"] / p["max_score"].where(p["max_score"] > 0)).round(1).to_numpy(),
            "identity": [IDENTITY_SHORT.get(k, "") for k in p["identity"]] if "identity" in p else "",
        }
    )


def team_table(result: Evaluation) -> pd.DataFrame:
    counts = status_counts(result.people, "team")
    total = status_counts(result.people)
    total.insert(0, "team", "All staff")
    frame = pd.concat([counts, total], ignore_index=True)
    frame["completion_rate"] = (frame["completion_rate"] * 100).round(1)
    return frame.rename(columns={"completion_rate": "completed %"})[["team", "staff", *STATUSES, "completed %"]]


def _notes(result: Evaluation) -> list[str]:
    r = result.rule
    notes = [
        f"As of {result.as_of.date().isoformat()}. Policy version {r.policy_version}. "
        f"Completion: modules {', '.join(r.modules)} passed; due again after {r.renew_after_months} months"
        + (" or when the policy version changes" if r.renew_on_policy_change else "")
        + f"; 'due soon' is within {r.due_soon_days} days"
        + ("; trainer-led attendance counts." if r.trainer_led_counts else ".")
        + " 'completed %' counts people completed or due soon."
    ]
    if "identity" in result.people:
        declared = int((result.people["identity"] == identity.SELF_DECLARED).sum())
        if declared:
            notes.append(
                f"{identity.identity_label(identity.SELF_DECLARED)} for {declared} learner(s): they signed in "
                "with a name and staff number that nobody checked. Import the staff list and issue sign-in codes "
                "(`course roster invite`) so that only people on it can sign in."
            )
    outside = int((~result.people["on_roster"]).sum())
    if outside:
        notes.append(
            f"{outside} learner(s) with records are not on the roster (team '{NOT_ON_ROSTER}'): "
            "check their staff numbers or import the staff list."
        )
    return notes


def completions_report(result: Evaluation, *, team: str | None = None, statuses=None) -> Report:
    return Report(
        "Social media training: completions",
        [
            Section("By team", team_table(result), sheet="By team"),
            Section(
                "People",
                people_table(result, team=team, statuses=statuses),
                sheet="People",
                spreadsheet_only=SPREADSHEET_ONLY,
            ),
        ],
        _notes(result),
        **_stamp(result),
    )


def _stamp(result: Evaluation) -> dict:
    """A report's as-of time and policy version (the XLSX header), from the evaluation it shows."""
    return {"as_of": result.as_of.to_pydatetime(), "policy_version": str(result.rule.policy_version)}


def due_table(result: Evaluation, within_days: int | None = None) -> pd.DataFrame:
    days = result.rule.due_soon_days if within_days is None else within_days
    p = result.people
    limit = result.as_of + pd.Timedelta(days=days)
    due = p[p["status"].isin([DUE_SOON, OVERDUE, COMPLETED]) & p["due_on"].notna() & (p["due_on"] <= limit)]
    due = due.sort_values(["due_on", "team", "name"], kind="stable")
    days_left = (due["due_on"].dt.normalize() - result.as_of.normalize()).dt.days
    return pd.DataFrame(
        {
            "staff number": due["staff_number"].to_numpy(),
            "name": due["name"].to_numpy(),
            "team": due["team"].to_numpy(),
            "status": due["status"].astype(str).to_numpy(),
            "completed on": due["completed_on"].dt.date.to_numpy(),
            "due on": due["due_on"].dt.date.to_numpy(),
            "days left": days_left.to_numpy(),
        }
    )


def due_report(result: Evaluation, within_days: int | None = None) -> Report:
    days = result.rule.due_soon_days if within_days is None else within_days
    frame = due_table(result, within_days)
    return Report(
        "Social media training: due and overdue",
        [
            Section(
                f"Due within {days} days, or overdue",
                frame,
                sheet="Due",
                note="Negative 'days left' means overdue by that many days.",
            ),
        ],
        _notes(result),
        **_stamp(result),
    )


def scenarios_report(store=None, course=None, *, min_learners: int | None = None, limit: int | None = 20) -> Report:
    """The graded scenarios whose first choices most often missed the best answer (see
    course.manager.reports.scenarios for what is left out and why)."""
    from course.content.model import load_course
    from course.manager.reports.scenarios import MIN_LEARNERS, PERCENT, first_choices, hardest, held_back

    course = course or load_course()
    least = MIN_LEARNERS if min_learners is None else min_learners
    choices = first_choices(store or _store())
    frame = hardest(choices, course, min_learners=least, limit=limit)
    waiting = held_back(choices, course, min_learners=least)
    notes = [f"{count(len(frame), 'scenario')} that at least {count(least, 'learner')} answered and someone missed."]
    if waiting:
        notes.append(f"{count(waiting, 'more scenario')} will be ranked once {least} learners have answered.")
    return Report(
        "Social media training: the hardest scenarios",
        [
            Section(
                "Scenarios whose first choices most often missed the best answer",
                frame,
                sheet="Scenarios",
                note="Graded scenarios only (follow-ups are not marked), from each learner's first attempt. "
                "'most chosen miss' is the wrong answer picked most often.",
                percent=PERCENT,
            ),
        ],
        notes,
        policy_version=str(course.policy.version),
    )


def _store():
    from course.records.store import Store

    return Store()


def count(n: int, noun: str) -> str:
    """A number with its noun, singular or plural: "1 row", "3 rows" (nouns here take an s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def items_report(store=None, course=None) -> Report:
    """Item statistics per scenario (facility, discrimination, pick rates, flags) and per choice."""
    from course.content.model import load_course
    from course.manager.reports.items import EASY, MIN_ANSWERS, first_attempt_decisions, item_statistics
    from course.records.store import Store

    course = course or load_course()
    items, choices = item_statistics(first_attempt_decisions(store or Store()), course)
    flagged = int((items["flags"] != "").sum()) if len(items) else 0
    return Report(
        "Social media training: item statistics",
        [
            Section(
                "Each scenario: facility, discrimination and pick rates (first attempts)",
                items,
                sheet="Items",
                note=f"facility: share choosing the best answer; discrimination: point-biserial correlation of "
                f"choosing it with the rest of the attempt (below 0: stronger learners miss it more). Flags from "
                f"{MIN_ANSWERS} answers: facility of {EASY:.0%} or more, a distractor chosen more than the best, "
                "negative discrimination.",
                percent=("facility",),
            ),
            Section("Each choice: how often it was picked", choices, sheet="Choices", percent=("pick_rate",)),
        ],
        [f"{count(len(items), 'scenario')} answered; {flagged} flagged."],
        detail=0,
        policy_version=str(course.policy.version),
    )
