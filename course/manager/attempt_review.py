"""A manager's review of a learner's attempts: which items were shown, in what order, each with
its choices in the order shown (the letters the learner saw) and the choice picked.

Read from the layout recorded with each attempt (course.records.attempt: `attempt_layouts`);
an attempt made before layouts were recorded is shown with the layout recomputed from its key
(the same pure function, course.assessment.layout), and says so.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from course.assessment.layout import Layout, attempt_layout, letter
from course.content.model import Course
from course.records.store import Store


@dataclass(frozen=True)
class ShownItem:
    number: int  # its place in the attempt (1 = first shown)
    scenario_id: str
    title: str
    choices: tuple[tuple[str, str, str, float], ...]  # (letter, choice id, text, score), in the order shown
    picked: str | None  # the choice id picked, None if not answered
    score: float | None

    @property
    def picked_letter(self) -> str:
        return next((c[0] for c in self.choices if c[1] == self.picked), "") if self.picked else ""


@dataclass(frozen=True)
class AttemptReview:
    module_id: str
    module_title: str
    attempt: int
    recorded: bool  # the layout was recorded with the attempt (False: recomputed, an older attempt)
    items: tuple[ShownItem, ...]


def review(store: Store, course: Course, learner_id: str, module_id: str | None = None) -> list[AttemptReview]:
    """Every attempt of one learner (at one module, when given), oldest first."""
    attempt_rows, decision_rows, _reflections = store.history(learner_id, module_id)
    layouts = store.layouts(learner_id, module_id)
    out = []
    for row in sorted(attempt_rows, key=lambda r: (r.module_id, r.attempt)):
        module = course.modules.get(row.module_id)
        if module is None:
            continue  # a module no longer in the course: its attempts stay in the export
        stored = layouts.get((row.module_id, row.attempt))
        shown = (
            Layout.from_json(stored)
            if stored is not None
            else attempt_layout(module, course.policy, learner_id, row.attempt)
        )
        picks = {d.scenario_id: d for d in decision_rows if d.module_id == row.module_id and d.attempt == row.attempt}
        # the items in the order shown, then any follow-up (branch) the learner reached
        order = [s for s in shown.items if s in shown.choices] + [
            s for s in shown.choices if s not in shown.items and s in picks
        ]
        items = []
        for number, scenario_id in enumerate(order, 1):
            try:
                scenario = shown.scenario(module, scenario_id)
            except KeyError:
                continue  # removed from the content since
            if scenario.branch and scenario_id not in picks:
                continue  # a path this learner did not take
            pick = picks.get(scenario_id)
            items.append(
                ShownItem(
                    number,
                    scenario_id,
                    scenario.title,
                    tuple((letter(i), c.id, c.text, c.score) for i, c in enumerate(scenario.choices)),
                    pick.choice_id if pick else None,
                    pick.score if pick else None,
                )
            )
        out.append(AttemptReview(module.id, module.title, row.attempt, stored is not None, tuple(items)))
    return out


def as_json(reviews: list[AttemptReview]) -> str:
    return (
        json.dumps(
            [
                {
                    "module": r.module_id,
                    "attempt": r.attempt,
                    "layout_recorded": r.recorded,
                    "items": [
                        {
                            "number": i.number,
                            "scenario": i.scenario_id,
                            "choices_shown": [{"letter": c[0], "choice": c[1]} for c in i.choices],
                            "picked": i.picked,
                            "picked_letter": i.picked_letter or None,
                            "score": i.score,
                        }
                        for i in r.items
                    ],
                }
                for r in reviews
            ],
            indent=2,
        )
        + "\n"
    )


def as_text(reviews: list[AttemptReview]) -> str:
    lines = []
    for r in reviews:
        note = "" if r.recorded else " (layout recomputed: recorded before layouts were kept)"
        lines.append(f"{r.module_title} ({r.module_id}), attempt {r.attempt}{note}")
        for i in r.items:
            order = " ".join(f"{c[0]}={c[1]}" for c in i.choices)
            picked = f"picked {i.picked_letter} ({i.picked}, {i.score:g})" if i.picked else "not answered"
            lines.append(f"  {i.number:>2}. {i.scenario_id}: {order}; {picked}")
        lines.append("")
    return "\n".join(lines)


def as_html(reviews: list[AttemptReview]) -> str:
    e = html.escape
    parts = []
    for r in reviews:
        rows = []
        for i in r.items:
            shown = "".join(
                f"<li{' class=picked' if c[1] == i.picked else ''}>{e(c[0])}. {e(c[2])} "
                f"<span class='id'>({e(c[1])}, {c[3]:g})</span>{' <strong>picked</strong>' if c[1] == i.picked else ''}</li>"
                for c in i.choices
            )
            result = f"{e(i.picked_letter)} ({i.score:g})" if i.picked else "not answered"
            rows.append(
                f"<tr><td>{i.number}</td><th scope='row'>{e(i.title)}<br><span class='id'>{e(i.scenario_id)}"
                f"</span></th><td><ol class='shown'>{shown}</ol></td><td>{result}</td></tr>"
            )
        note = "" if r.recorded else "<p>Layout recomputed: this attempt was made before layouts were recorded.</p>"
        parts.append(
            f"<section><h2>{e(r.module_title)}: attempt {r.attempt}</h2>{note}<table>"
            f"<caption>What attempt {r.attempt} showed, in order, and the choice picked</caption>"
            "<thead><tr><th scope='col'>No.</th><th scope='col'>Scenario</th><th scope='col'>Choices, as shown"
            "</th><th scope='col'>Picked</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></section>"
        )
    return "".join(parts) or "<p>No attempts.</p>"
