"""What the Voila app's Finish button calls: ask the marker to grade the learner's finished
attempt, and wait (up to a few seconds) for nbgrader's result.

The learner's kernel writes only to the records store (the attempt is finished, a request
is queued: two small writes). The marker builds the submission from the store itself, so a
page closed the moment after Finish, which stops its kernel, loses nothing, and the kernel
never needs to reach the grading folder (on a hub it cannot).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from course.grading.feedback_view import feedback_path
from course.records import finish_queue as queue
from course.records import grading_log as state
from course.records.attempt import LearnerRecords
from course.records.store import AttemptFinished, Store

WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class FinishResult:
    status: str  # graded | needs review | queued | not graded
    score: float | None = None
    max_score: float | None = None
    passed: bool | None = None  # course.progress.mark_verdict: None when unmarked or needing review
    message: str = ""
    feedback_path: Path | None = None


def submit(records: LearnerRecords) -> int:
    """Finish the attempt and queue it for the marker (which knows its course root); returns the request id.

    Only the Finish that finished the attempt queues it (LearnerRecords.take_submission): a second
    tab's Finish, or this page's pressed again, is refused (RecordRefused) and queues nothing."""
    if records.store is None:
        records.store = Store()
    records.finish()  # refused when another tab or device finished (or changed) the attempt first
    if not records.take_submission():
        raise AttemptFinished("This attempt is already sent for marking")
    return queue.enqueue(records.store, records.learner_id, records.module.id)


def result_for(
    store: Store, learner_id: str, module_id: str, pass_mark: float, root: Path | None = None
) -> FinishResult | None:
    """The latest grading of this learner's module, with the path of nbgrader's feedback page."""
    record = state.graded(store, learner_id, module_id)
    if record is None:
        return None
    feedback = feedback_path(learner_id, module_id, root)
    from course.progress import mark_verdict

    passed = mark_verdict(record.score, record.max_score, pass_mark, bool(record.needs_review), record.critical_missed)
    return FinishResult(
        record.status, record.score, record.max_score, passed, record.message, feedback if feedback.exists() else None
    )


def finish(records: LearnerRecords, root: Path | None = None, wait: float = WAIT_SECONDS) -> FinishResult:
    request_id = submit(records)
    store = records.store or Store()
    request = queue.wait_for(store, request_id, timeout=wait)
    if request is None:
        return FinishResult("queued", message="Your answers are submitted. Your result will be ready in a few minutes.")
    result = result_for(store, records.learner_id, records.module.id, records.module.pass_mark, root)
    return result or FinishResult("not graded", message=request.message)
