"""`course grade`: autograde every new or changed submission with nbgrader, then its feedback.

Submissions that cannot be graded are reported by name and the rest go on. With
`jobs > 1` submissions are graded in worker processes; every learner and assignment is
put in the gradebook first, by this process alone, so workers only ever write grades.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from course.content.model import load_course
from course.grading.coursedir import api as nbgrader_api
from course.grading.coursedir import gradebook_url, grading_root
from course.grading.scenario_grades import cell_grades, for_submission
from course.grading.submissions import Submission, find_submissions, rebuild, reconcile_with_store, release_notebook
from course.private import private_tree
from course.records import grading_log as state
from course.records.store import Store

RETRIES = 3


@dataclass
class GradeResult:
    learner: str
    module: str
    status: str  # graded | needs review | not graded | unchanged
    score: float | None = None
    max_score: float | None = None
    message: str = ""
    seconds: float = 0.0
    critical_missed: tuple[str, ...] = ()  # critical items the attempt answered with a 0
    scenario_marks: str | None = None  # nbgrader's mark per scenario, JSON (course.grading.scenario_grades)

    @property
    def passed(self) -> bool | None:
        """The mark's verdict by the one pass test (course.progress); None when there is no mark or
        it needs review (neither a pass nor a fail until a manager clears it)."""
        from course.progress import mark_verdict

        if self.score is None:  # no mark (perhaps of a module the course does not have)
            return None
        return mark_verdict(
            self.score,
            self.max_score,
            load_course().module(self.module).pass_mark,
            self.status == "needs review",
            self.critical_missed,
        )


def _last_line(result: dict) -> str:
    text = (result.get("error") or result.get("log") or "").strip().splitlines()
    return text[-1][:300] if text else "nbgrader failed"


def grade_one(api, submission: Submission) -> GradeResult:
    """Autograde one checked submission and generate its feedback, in this process."""
    from nbgrader.api import Gradebook, MissingEntry

    started = time.perf_counter()
    rebuild(submission)  # only the release's cells ever run, whatever was submitted
    for attempt in range(RETRIES):
        result = api.autograde(submission.module, submission.learner, force=True, create=False)
        if result["success"]:
            break
        if "locked" not in (result.get("error", "") + result.get("log", "")):  # only a busy database is retried
            return GradeResult(
                submission.learner,
                submission.module,
                "not graded",
                message=_last_line(result),
                seconds=time.perf_counter() - started,
            )
        time.sleep(0.5 * (attempt + 1))
    else:
        return GradeResult(submission.learner, submission.module, "not graded", message=_last_line(result))
    feedback = api.generate_feedback(submission.module, submission.learner, force=True)
    root = Path(api.coursedir.root)
    for step in ("submitted", "autograded", "feedback"):  # copies keep their source's mode: made private again
        private_tree(root / step / submission.learner)
    with Gradebook(gradebook_url(root)) as gb:
        try:
            graded = gb.find_submission(submission.module, submission.learner)
            score, max_score = float(graded.score), float(graded.max_score)
            cells = cell_grades(gb, submission.module, submission.learner)  # for the learner's review
        except MissingEntry:
            return GradeResult(
                submission.learner, submission.module, "not graded", message="no gradebook entry after autograde"
            )
    notes = list(submission.review_reasons)  # cells added, changed or removed; answers unlike the store's
    marked = check_marking(submission, score, max_score)
    notes += marked.problems
    status = "needs review" if notes else "graded"
    if not feedback["success"]:
        notes.append("feedback not generated: " + _last_line(feedback))
    return GradeResult(
        submission.learner,
        submission.module,
        status,
        score,
        max_score,
        "; ".join(notes),
        time.perf_counter() - started,
        marked.critical_missed,
        for_submission(submission.folder, submission.module, submission.learner, cells),
    )


@dataclass(frozen=True)
class MarkingCheck:
    problems: tuple[str, ...]
    critical_missed: tuple[str, ...]


def check_marking(submission: Submission, score: float, max_score: float) -> MarkingCheck:
    """The server's own marking of the submitted answers (course.assessment.marker: the draw
    recomputed for the submitting learner and attempt), beside nbgrader's: its problems (a layout
    that differs, answers for items not drawn, another learner's file) and a score or a maximum
    that differ from nbgrader's each make the mark need review; its critical items scored 0 go
    into the grading log."""
    from course.assessment.marker import mark_responses
    from course.records import responses

    course = load_course()
    module = course.module(submission.module)
    data = responses.read(submission.folder / responses.FILENAME) or {}
    marked = mark_responses(module, course.policy, data, submitted_by=submission.learner)
    problems = list(marked.problems)
    if abs(max_score - module.max_score) > 1e-6:
        problems.append(f"nbgrader's maximum {max_score:g} is not the module's {module.max_score:g}: release it again")
    elif abs(score - marked.score) > 1e-6:
        problems.append(
            f"nbgrader's score {score:g} differs from the server's marking of the answers ({marked.score:g})"
        )
    return MarkingCheck(tuple(problems), marked.critical_missed)


# --- worker processes -----------------------------------------------------------------
_worker_api = None


def _worker_init(root: str) -> None:
    global _worker_api
    _worker_api = nbgrader_api(Path(root))


def _worker_grade(submission: Submission) -> GradeResult:
    return grade_one(_worker_api, submission)


# --- the whole run ----------------------------------------------------------------------
def prepare_gradebook(api, submissions: list[Submission]) -> None:
    """Release versions and gradebook entries for everything about to be graded, serially."""
    from nbgrader.api import Gradebook

    root = Path(api.coursedir.root)
    for module in sorted({s.module for s in submissions}):
        if not release_notebook(root, module).exists():
            result = api.generate_assignment(module, force=True, create=True)
            if not result["success"]:
                raise RuntimeError(f"could not generate the release version of '{module}': {_last_line(result)}")
    with Gradebook(gradebook_url(Path(api.coursedir.root))) as gb:
        for module in sorted({s.module for s in submissions}):
            gb.update_or_create_assignment(module)
        for learner in sorted({s.learner for s in submissions}):
            gb.update_or_create_student(learner)


def drop_half_written(root: Path) -> list[tuple[str, str]]:
    """Remove from nbgrader's gradebook every submission autograde did not finish (a marker
    killed mid-grade leaves one with grades that have no score): the report would read it as
    0 points. Its Finish is re-queued (course.records.finish_queue.requeue_abandoned) and graded
    again, so the gradebook and the grading log agree. Returns the (learner, module) removed."""
    from nbgrader.api import Grade, Gradebook

    with Gradebook(gradebook_url(root)) as gb:
        unscored = gb.db.query(Grade).filter(Grade.auto_score.is_(None), Grade.manual_score.is_(None))
        removed = sorted({(g.notebook.assignment.student.id, g.notebook.assignment.assignment.name) for g in unscored})
        for learner, module in removed:
            gb.remove_submission(module, learner)
    return removed


def pending(
    root: Path, store: Store, *, modules=None, learners=None, force=False
) -> tuple[list[Submission], list[Submission]]:
    """(to grade, unchanged) among the submissions that pass the filters."""
    known = set(load_course().modules)
    found = [
        s
        for s in find_submissions(root, known)
        if (not modules or s.module in modules) and (not learners or s.learner in learners)
    ]
    last = state.last_graded(store)
    todo, unchanged = [], []
    for submission in found:
        previous = last.get((submission.learner, submission.module))
        if force or previous is None or previous.fingerprint != submission.fingerprint():
            todo.append(submission)
        else:
            unchanged.append(submission)
    return todo, unchanged


def issue_certificates(store: Store, learners, course=None) -> None:
    """After marks are recorded: put any completion they make in the certificate register
    (course.manager.certificates.issue, by the progress rule), so the learner's certificate page
    finds it without writing anything itself. A failure is logged and never stops the marking."""
    import logging

    try:
        from course.manager import certificates

        certificates.issue(store, course or load_course(), learners)
    except Exception:
        logging.getLogger("course.grader").exception("could not update the certificate register")


def grade(
    root: Path | None = None,
    *,
    jobs: int = 1,
    modules=None,
    learners=None,
    force: bool = False,
    store: Store | None = None,
    progress: Callable[[GradeResult], None] | None = None,
) -> list[GradeResult]:
    root = Path(root or grading_root()).resolve()
    store = store or Store()
    todo, _unchanged = pending(root, store, modules=modules, learners=learners, force=force)
    results: list[GradeResult] = []

    def done(submission: Submission, result: GradeResult) -> None:
        state.record(
            store,
            result.learner,
            result.module,
            submission.fingerprint(),
            result.status,
            score=result.score,
            max_score=result.max_score,
            needs_review=result.status == "needs review",
            message=result.message,
            critical_missed=result.critical_missed,
            scenario_marks=result.scenario_marks,
        )
        results.append(result)
        if progress:
            progress(result)

    gradable = []
    course = load_course()
    for submission in todo:
        reconcile_with_store(submission, store, course)  # Voila mode: the store's answers are the record
        if submission.gradable:
            gradable.append(submission)
        else:
            done(
                submission,
                GradeResult(
                    submission.learner, submission.module, "not graded", message="; ".join(submission.problems)
                ),
            )
    if gradable:
        api = nbgrader_api(root)
        prepare_gradebook(api, gradable)
        if jobs <= 1 or len(gradable) == 1:
            for submission in gradable:
                done(submission, grade_one(api, submission))
        else:
            with ProcessPoolExecutor(
                max_workers=jobs, mp_context=get_context("spawn"), initializer=_worker_init, initargs=(str(root),)
            ) as pool:
                for submission, result in zip(gradable, pool.map(_worker_grade, gradable)):
                    done(submission, result)
    issue_certificates(store, {r.learner for r in results if r.score is not None})
    return results
