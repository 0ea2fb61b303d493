"""The learner's review of a marked attempt: the course's own readable section, built from the
mark of record.

For each graded scenario of the marked attempt, in the order the learner saw them: the title and
situation, "Your choice" (with the letter the learner saw), "The best choice", "Why" (the
feedback on the choice, with the policy and Code points it cites) and nbgrader's mark for that
scenario (course.grading.scenario_grades), never the page's own score. Plain HTML in the page:
no frame, no code, nothing from nbgrader's own feedback page (which managers still have, see
docs/MANAGERS.md).

The best choice and an item bank (the final). A retake of the final draws again, and up to a
third of its items may be ones the last attempt showed (policy.yaml: blueprint.retake_overlap).
Showing the best choice of every item after a failed final would hand a retaker the answers to
the items they will meet again. So:

- a practice module (every learner sees every scenario; its feedback already names the best
  choice as the learner goes) shows the best choice always;
- a bank module shows the learner's choice, whether it was the best, the mark, the feedback on
  their own choice and the points it rests on; the best choice only once this mark is a pass.
  A pass needs 80% and no critical 0, so it reveals the best choice of at most a few items the
  learner missed, and a pass is retaken only when it is due again, long after.
"""

from __future__ import annotations

from html import escape

from course.content.model import Module, Policy, Scenario
from course.grading.scenario_grades import MarkedSubmission
from course.widgets.cards import best_choice, citation_html, first_sentence, narrative_html, shown_letter_of, verdict


def shows_best_choice(module: Module, passed: bool | None) -> bool:
    """The rule above: a practice module always; a bank module only once its mark is a pass."""
    return not module.is_bank or passed is True


def _situation(scenario: Scenario) -> str:
    return f'<div class="cm-review__situation">{narrative_html(scenario)}<p><strong>{escape(scenario.question)}</strong></p></div>'


def _cites(choice, policy: Policy) -> str:
    points = "".join(citation_html(pid, policy) for pid in choice.cites if pid in policy.points)
    return f'<ul class="cm-review__points" aria-label="What this rests on">{points}</ul>' if points else ""


def _mark(score: float, max_score: float) -> str:
    return f"{score:g} out of {max_score:g}"


def item_html(
    scenario: Scenario,
    choice_id: str | None,
    score: float,
    max_score: float,
    policy: Policy,
    *,
    number: int,
    total: int,
    show_best: bool,
) -> str:
    """One graded scenario of the review. `scenario` has its choices in the order the attempt
    showed them (the letters are the learner's)."""
    heading = f"cm-review-{escape(scenario.id)}"
    chosen = next((c for c in scenario.choices if c.id == choice_id), None)
    if chosen is None:
        modifier, symbol, words = "wrong", "✗", "Not answered"
        yours = "<dd>Not answered.</dd>"
        why = ""
    else:
        modifier, symbol, words = verdict(chosen)
        yours = f"<dd><strong>{shown_letter_of(scenario, chosen)}.</strong> {escape(chosen.text)}</dd>"
        why = f"<dt>Why</dt><dd><p>{escape(chosen.feedback)}</p>{_cites(chosen, policy)}</dd>"
    best = ""
    top = best_choice(scenario)
    if show_best and (chosen is None or chosen.score < top.score):
        best = (
            f"<dt>The best choice</dt><dd><strong>{shown_letter_of(scenario, top)}.</strong> {escape(top.text)} "
            f"<em>Why it is best:</em> {escape(first_sentence(top.feedback))}</dd>"
        )
    elif show_best:
        best = "<dt>The best choice</dt><dd>Your choice was the best choice.</dd>"
    return (
        f'<li class="cm-review__item cm-review__item--{modifier}"><article aria-labelledby="{heading}">'
        f'<p class="cm-review__count">Scenario {number} of {total}</p>'
        f'<h4 class="cm-review__title" id="{heading}">{escape(scenario.title)}</h4>'
        f'<p class="cm-review__mark"><span aria-hidden="true">{symbol}</span> {words}. '
        f"<strong>Mark: {_mark(score, max_score)}</strong></p>"
        f"{_situation(scenario)}"
        f'<dl class="cm-review__answer"><dt>Your choice</dt>{yours}{best}{why}</dl></article></li>'
    )


def review_html(records, marked: MarkedSubmission | None, passed: bool | None) -> str:
    """The review of `marked` (nbgrader's grades of the learner's last marked submission) for the
    attempt `records` holds; "" when there is nothing to show, or the marked submission is another
    attempt's (its letters and choices would not be the ones on this page)."""
    module: Module = records.module
    if marked is None or not marked.grades or marked.attempt != records.attempt:
        return ""
    policy = records._policy()
    show_best = shows_best_choice(module, passed)
    total = len(marked.grades)
    items = []
    for grade in marked.grades:
        try:
            scenario = records.shown(grade.scenario_id)  # the choices in the order this attempt showed
        except KeyError:
            continue  # removed from the content since it was marked
        items.append(
            item_html(
                scenario,
                grade.choice_id,
                grade.score,
                grade.max_score,
                policy,
                number=grade.number,
                total=total,
                show_best=show_best,
            )
        )
    if module.is_bank and not show_best:
        note = (
            "<p>The best choice for each scenario is not shown here, because a retake can show some "
            "of the same scenarios. You will see them once you pass.</p>"
        )
    else:
        note = ""
    branches = (
        "<p>Follow-up scenarios are for practice and do not count towards your mark.</p>"
        if any(s.branch for s in module.scenarios)
        else ""
    )
    return (
        '<section class="cm-review" aria-labelledby="cm-review-h">'
        f'<h3 id="cm-review-h">Your answers, as marked</h3>'
        f"<p>Attempt {marked.attempt}: {_mark(marked.score, sum(g.max_score for g in marked.grades))} "
        f"over {total} scenarios. Each mark below is the one the marker gave.</p>{note}{branches}"
        f'<ol class="cm-review__list">{"".join(items)}</ol></section>'
    )
