"""The grader: takes Finish requests off the queue and grades each at once (`course grade --watch`)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from course.content.model import load_course
from course.grading.autograde import drop_half_written, grade_one, issue_certificates, prepare_gradebook
from course.grading.coursedir import api as nbgrader_api
from course.grading.coursedir import grading_root
from course.grading.submissions import Submission, check, write_submission
from course.lti.outbox import send_quietly
from course.records import finish_queue as queue
from course.records import grading_log as state
from course.records.attempt import LearnerRecords
from course.records.store import Store

log = logging.getLogger("course.grader")
SEND_EVERY = 10.0  # seconds between two looks at the LTI outbox (course.lti.outbox) while idle


def submit_from_store(root: Path, store: Store, course, learner_id: str, module_id: str) -> str | None:
    """Write the learner's last finished attempt in nbgrader's submitted layout; None when done,
    else why it could not be (the module is unknown, or no attempt was finished)."""
    if module_id not in course.modules:
        return None  # check() names the unknown module
    attempt = store.last_finished_attempt(learner_id, module_id)
    if attempt is None:
        return "no finished attempt of this module in the records store"
    records = LearnerRecords.of_attempt(learner_id, course.modules[module_id], course.policy.version, store, attempt)
    write_submission(root, learner_id, module_id, records.as_responses())
    return None


def grade_request(api, store: Store, request: queue.Request, course=None) -> str:
    course = course or load_course()
    root = Path(api.coursedir.root)
    problem = submit_from_store(root, store, course, request.learner_id, request.module_id)
    if problem:
        state.record(store, request.learner_id, request.module_id, "", "not graded", message=problem)
        queue.complete(store, request.id, False, problem)
        return problem
    submission = check(Submission(root, request.learner_id, request.module_id), set(course.modules))
    fingerprint = submission.fingerprint()
    if not submission.gradable:
        message = "; ".join(submission.problems)
        state.record(store, request.learner_id, request.module_id, fingerprint, "not graded", message=message)
        queue.complete(store, request.id, False, message)
        return message
    prepare_gradebook(api, [submission])
    result = grade_one(api, submission)
    state.record(
        store,
        result.learner,
        result.module,
        fingerprint,
        result.status,
        score=result.score,
        max_score=result.max_score,
        needs_review=result.status == "needs review",
        message=result.message,
        critical_missed=result.critical_missed,
        scenario_marks=result.scenario_marks,
    )
    queue.complete(store, request.id, result.status != "not graded", result.message)
    issue_certificates(store, [result.learner], course)  # a mark that completes the course issues it
    return result.status


def run(
    root: Path | None = None, store: Store | None = None, *, poll: float = 0.2, stop_after: float | None = None
) -> int:
    """Grade requests until stopped (or until `stop_after` seconds with nothing to do); returns how many."""
    root = Path(root or grading_root()).resolve()
    store = store or Store()
    api = nbgrader_api(root)  # one API for the worker's life: no start-up cost per request
    course = load_course()
    requeued = queue.requeue_abandoned(store)  # a marker killed mid-grade: its requests go back in the queue
    if requeued:
        log.info("took back %d request(s) a stopped marker had started", requeued)
    for learner, module in drop_half_written(root):  # and what it half wrote in the gradebook goes
        log.info("removed a half-written gradebook entry (%s, %s)", learner, module)
    handled, idle_since, marker = 0, time.monotonic(), queue.marker_id()
    last_send = 0.0
    while True:
        if time.monotonic() - last_send >= SEND_EVERY:  # marks for an LMS (LTI): sent as they are made
            send_quietly(store)
            last_send = time.monotonic()
        request = queue.claim(store, marker)
        if request is None:
            if stop_after is not None and time.monotonic() - idle_since > stop_after:
                return handled
            time.sleep(poll)
            continue
        try:
            outcome = grade_request(api, store, request, course)
            log.info("graded request %s (%s): %s", request.id, request.module_id, outcome)
        except Exception as exc:
            log.exception("request %s failed", request.id)
            queue.complete(store, request.id, False, f"{exc.__class__.__name__}: {exc}")
        handled += 1
        idle_since = time.monotonic()
        last_send = 0.0  # the new mark may be for an LMS: look at the outbox now
