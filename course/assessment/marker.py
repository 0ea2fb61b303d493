"""Marking one attempt from its responses.json: exactly the items the attempt showed, nothing else.

The draw is recomputed on the server (course.assessment.layout.attempt_layout) from the learner
id and attempt number; what a submitted file says it showed is never believed. So:

- a bank module's k-th graded slot scores the k-th drawn item's chosen choice; an answer for an
  item the attempt did not draw earns nothing;
- every point comes from the content (the choice id's `score`), never from the file's `score`;
- a `layout` in the file that differs from the recomputed one, answers for items not drawn, or a
  choice id the scenario does not have are `problems`: the mark is made, and flagged for review;
- a chosen 0 on a `critical: true` item is listed in `critical_missed` (course.progress fails
  such a mark whatever its score).

Pure: no store, no nbgrader. The notebook's test cells (course.grading.cells) and the marker
(course.grading.autograde) both call `mark_responses`, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from course.assessment.layout import BlueprintError, Layout, attempt_layout
from course.content.model import Module, Policy


@dataclass(frozen=True)
class ItemMark:
    """One shown graded item: what was chosen (None: not answered) and the points it earns."""

    scenario_id: str
    title: str
    choice_id: str | None
    points: float
    critical_missed: bool = False


@dataclass(frozen=True)
class AttemptMark:
    learner_id: str
    attempt: int
    items: tuple[ItemMark, ...]  # the graded items in the order shown (a bank's drawn slots)
    problems: tuple[str, ...] = ()  # why the mark needs a trainer's review ("" when none)

    @property
    def score(self) -> float:
        return float(sum(i.points for i in self.items))

    @property
    def critical_missed(self) -> tuple[str, ...]:
        """Scenario ids of critical items answered with a 0 choice, in the order shown."""
        return tuple(i.scenario_id for i in self.items if i.critical_missed)

    def slot(self, k: int) -> ItemMark | None:
        """The k-th graded item shown (1-based), None when the attempt has fewer."""
        return self.items[k - 1] if 1 <= k <= len(self.items) else None


def _attempt_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 1:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) >= 1:
        return int(value)
    return None


def _layout_problem(data: dict, layout: Layout) -> str | None:
    claimed = data.get("layout")
    if claimed is None:
        return None
    try:
        theirs = Layout.from_json(claimed)
    except (KeyError, TypeError, ValueError, AttributeError):
        return "responses.json's 'layout' is not a layout; the server's draw was marked"
    # items in the same order, and the same choice order wherever both give one (answers are by
    # choice id, so an order the file leaves out changes no mark)
    if theirs.items != layout.items or any(
        theirs.choices[k] != v for k, v in layout.choices.items() if k in theirs.choices
    ):
        return (
            "responses.json's 'layout' differs from the one the server draws for this attempt; the server's was marked"
        )
    return None


def mark_responses(module: Module, policy: Policy, data: dict, submitted_by: str | None = None) -> AttemptMark:
    """Mark `data` (a parsed responses.json) for `module`.

    The draw is the one shown to the learner the file names (what the page drew, and what the
    notebook's test cells recompute). `submitted_by`, when the caller knows whose submission this
    is (the marker does, from the submission folder), must be that learner for a bank module,
    whose draw depends on who it is: else the mark needs review. (A formative module shows every
    learner the same items; nbgrader's own student id may differ from the course's learner id.)"""
    problems: list[str] = []
    if data.get("module") != module.id:
        problems.append(f"responses.json holds answers for module '{data.get('module')}', not '{module.id}'")
    learner = str(data.get("learner") or submitted_by or "")
    if module.is_bank and submitted_by is not None and learner != submitted_by:
        problems.append(
            f"responses.json names learner '{learner}', but was submitted by '{submitted_by}' "
            "(the draw marked is the one for the learner it names)"
        )
    attempt = _attempt_number(data.get("attempt", 1))
    if attempt is None:
        problems.append(f"responses.json's attempt {data.get('attempt')!r} is not a number from 1; marked as attempt 1")
        attempt = 1
    try:
        layout = attempt_layout(module, policy, learner, attempt)
    except BlueprintError as exc:  # the bank cannot be drawn (course validate says so too): nothing to mark
        return AttemptMark(learner, attempt, (), (*problems, f"cannot work out what this attempt showed: {exc}"))
    if problem := _layout_problem(data, layout):
        problems.append(problem)

    found = data.get("decisions")
    decisions: dict = found if isinstance(found, dict) else {}
    graded = {s.id for s in module.graded_scenarios}
    shown = [sid for sid in layout.items if sid in graded]
    undrawn = sorted(sid for sid in decisions if sid not in layout.choices)
    if undrawn:
        problems.append("answers for items this attempt did not show (they earn nothing): " + ", ".join(undrawn))

    items = []
    for sid in shown:
        scenario = module.scenario(sid)
        record = decisions.get(sid)
        choice_id = str(record["choice"]) if isinstance(record, dict) and "choice" in record else None
        if choice_id is None:
            items.append(ItemMark(sid, scenario.title, None, 0.0))
            continue
        try:
            choice = scenario.choice(choice_id)
        except KeyError:
            problems.append(f"'{choice_id}' is not a choice of scenario '{sid}' (it earns nothing)")
            items.append(ItemMark(sid, scenario.title, None, 0.0))
            continue
        missed = scenario.critical and choice.score == 0
        items.append(ItemMark(sid, scenario.title, choice.id, float(choice.score), missed))
    return AttemptMark(learner, attempt, tuple(items), tuple(problems))


def critical_reason(module: Module, missed) -> str:
    """Why a mark with critical items scored 0 fails, naming them (ids no longer in the content
    are named as they are)."""
    titles = []
    for sid in missed:
        try:
            titles.append(f"'{module.scenario(sid).title}'")
        except KeyError:
            titles.append(f"'{sid}'")
    if not titles:
        return ""
    named = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
    return (
        f"You chose an action that would leave someone at risk in {named}: this fails the module "
        "whatever your score. Read the feedback and try again."
    )
