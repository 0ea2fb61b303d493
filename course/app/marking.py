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


def result_html(result: FinishResult | None) -> str:
    """The marker's result in plain English, and nbgrader's feedback behind a disclosure. The
    verdict is the mark's own (course.progress.mark_verdict): one flagged for review is neither."""
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
    feedback = ""
    if result.feedback_path is not None:
        from course.grading.feedback_view import feedback_iframe

        feedback = (
            '<details class="cm-feedback-details"><summary>Read the marker\'s feedback on every answer'
            f"</summary>{feedback_iframe(result.feedback_path)}</details>"
        )
    return (
        f'<section class="cm-marking" aria-labelledby="cm-marking-h"><h3 id="cm-marking-h">Marked</h3>'
        f'<p class="cm-marking__score">Mark of record: {result.score:g} out of {best:g}{percent}. '
        f"<strong>{verdict}</strong>{escape(review)}</p>{feedback}</section>"
    )
