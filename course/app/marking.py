"""Marking in the module app: Finish sends the answers to nbgrader, and the summary shows the
mark nbgrader gave and its feedback.

Finish always puts the finished attempt on the marker's queue (two small writes to the
records store). `course serve` runs the marker (`course grade --watch`) beside Voila and
tells the app's kernels so (`COURSE_GRADE_ON_FINISH=1`, also set by the hub when its grader
service runs): the page then waits a few seconds and shows the mark. Without a marker
(`course serve --no-grading`, a hub without the service) the queue waits for the next
`course grade`, and the page says the answers are sent for marking.
"""

from __future__ import annotations

from html import escape

from course import settings
from course.grading.finish import FinishResult
from course.kernel.runtime import log

GRADE_ON_FINISH = "COURSE_GRADE_ON_FINISH"

WAITING = (
    '<p class="cm-status" role="status"><strong>Marking your answers…</strong> This usually takes a few seconds.</p>'
)


def enabled() -> bool:
    return settings.grade_on_finish()


SENT = "Your answers are sent for marking."


def submit(records) -> FinishResult:
    """Submit the finished attempt to nbgrader and wait (up to 10 s) for its mark."""
    from course.grading.finish import finish

    return finish(records)


def queue_only(records) -> str:
    """Put the finished attempt on the marker's queue without waiting (no marker is running)."""
    from course.grading.finish import submit as enqueue

    enqueue(records)
    return SENT


def latest(store, learner_id: str, module) -> FinishResult | None:
    """The mark of the learner's last submission of this module, if it has been marked."""
    from course.grading.finish import result_for

    return result_for(store, learner_id, module.id, module.pass_mark)


def being_marked_html() -> str:
    """Finish was pressed and this attempt has no mark of record yet (course.progress: being marked)."""
    return (
        '<section class="cm-marking" aria-labelledby="cm-marking-h"><h3 id="cm-marking-h">Marking</h3>'
        "<p>Your answers are being marked. Come back to this page, or to the course home, to see your "
        "result.</p></section>"
    )


def result_html(result: FinishResult | None, records=None) -> str:
    """The marker's result in plain English and, given the attempt's `records`, the review of
    every graded scenario as marked (course.app.review). The verdict is the mark's own
    (course.progress.mark_verdict): one flagged for review is neither.

    nbgrader's own feedback page is not shown to learners (it is a notebook's printout: code,
    cell labels, a page far taller than a phone); managers read it with `course feedback`."""
    if result is None:
        return ""
    if result.status == "queued":
        return (
            f'<section class="cm-marking" aria-labelledby="cm-marking-h"><h3 id="cm-marking-h">Marking</h3>'
            f"<p>{escape(result.message)} Come back to this page, or to the course home, to see it.</p></section>"
        )
    if result.status == "not graded" or result.score is None:
        return (
            '<section class="cm-marking" aria-labelledby="cm-marking-h"><h3 id="cm-marking-h">Marking</h3>'
            "<p>Your answers are saved, but they could not be marked automatically. Your trainer has been "
            "told and will mark them.</p></section>"
        )
    best = result.max_score or 0
    percent = f" ({round(100 * result.score / best)}%)" if best else ""
    verdict = {True: "Passed.", False: "Not passed yet.", None: "Waiting for a trainer's review."}[result.passed]
    review = (
        " A trainer will look at this submission before the mark counts." if result.status == "needs review" else ""
    )
    return (
        f'<section class="cm-marking" aria-labelledby="cm-marking-h"><h3 id="cm-marking-h">Marked</h3>'
        f'<p class="cm-marking__score">Mark of record: {result.score:g} out of {best:g}{percent}. '
        f"<strong>{verdict}</strong>{escape(review)}</p></section>{marked_review_html(result, records)}"
    )


def marked_review_html(result: FinishResult, records) -> str:
    """The review of the marked attempt from nbgrader's per-scenario grades, which the marker keeps
    in the grading log with the mark (course.grading.scenario_grades); "" without records, or for
    a mark made before the grading log kept them."""
    if records is None or records.store is None:
        return ""
    from course.app.review import review_html
    from course.grading.scenario_grades import from_record
    from course.records.grading_log import graded

    try:
        record = graded(records.store, records.learner_id, records.module.id)
    except Exception:  # noqa: BLE001 - the mark stands without its review; the log says why
        log.exception("could not read the marks of %s", records.module.id)
        return ""
    marked = from_record(record.scenario_marks) if record is not None else None
    return review_html(records, marked, result.passed)
