"""A temporary nbgrader course and learners who answer through the widgets' API."""

from __future__ import annotations

import shutil
from pathlib import Path

from course.records.store import Store
from course.widgets import open_module

ROOT = Path(__file__).resolve().parents[2]


def copy_course_root(folder: Path) -> Path:
    """A copy of grading/ beside a copy of notebooks/, as the real layout has them; returns the root."""
    root = folder / "grading"
    shutil.copytree(
        ROOT / "grading",
        root,
        ignore=shutil.ignore_patterns(
            "gradebook.db*", "release", "submitted", "autograded", "feedback", "source", "exchange"
        ),
    )
    shutil.copytree(ROOT / "notebooks", folder / "notebooks", ignore=shutil.ignore_patterns("app"))
    return root


def make_course_root(tmp_path: Path, monkeypatch) -> Path:
    """A private course root for one test (COURSE_GRADING_DIR points at it)."""
    root = copy_course_root(tmp_path)
    monkeypatch.setenv("COURSE_GRADING_DIR", str(root))
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    return root


def pick(scenario, how: str):
    ranked = sorted(scenario.choices, key=lambda c: c.score)
    return {"best": ranked[-1], "worst": ranked[0], "partly": next((c for c in ranked if c.score == 0.5), ranked[-1])}[
        how
    ]


def answer(store: Store, learner: str, module: str, plan: list[str | None], responses_dir: Path | None = None):
    """Answer a module's graded scenarios as `plan` says (best/worst/partly/None = skip).
    Returns the view and the score nbgrader should give."""
    view = open_module(module, learner_id=learner, store=store, responses_dir=responses_dir or Path("/nonexistent"))
    if responses_dir is None:
        view.records.responses_path = None  # a Voila learner: the store only
    expected = 0.0
    for scenario, how in zip(view.module.graded_scenarios, plan):
        if how is None:
            continue
        choice = pick(scenario, how)
        widget = view.show(scenario.id)
        widget.choose(choice.id)
        assert widget.check() is not None
        expected += choice.score
    return view, expected


def mark(
    store: Store,
    learner: str,
    module: str,
    score: float,
    max_score: float,
    *,
    needs_review: bool = False,
    status: str | None = None,
    critical_missed=(),
) -> None:
    """A mark of record in the grading log, exactly as the marker writes it after nbgrader has graded
    the learner's last Finish (course.records.grading_log.record)."""
    from course.records import grading_log as state

    state.record(
        store,
        learner,
        module,
        f"fingerprint-{learner}-{module}",
        status or ("needs review" if needs_review else "graded"),
        score=score,
        max_score=max_score,
        needs_review=needs_review,
        critical_missed=critical_missed,
    )


def mark_attempt(store: Store, course, learner: str, module_id: str, attempt: int, critical_missed=()) -> float:
    """Mark a finished attempt with the score nbgrader gives it (its choices' points); returns the score.
    `critical_missed`: the critical items the marker found scored 0 (as it records them)."""
    module = course.module(module_id)
    graded = {s.id for s in module.graded_scenarios}
    score = sum(d.score for sid, d in store.decisions(learner, module_id, attempt).items() if sid in graded)
    mark(store, learner, module_id, score, module.max_score, critical_missed=critical_missed)
    return score
