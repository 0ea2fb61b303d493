"""The hook the marker calls when it records a mark of record (course.records.grading_log.record).

For a learner launched from an LMS into that module, the mark is queued in the outbox
(course.records.lti.queue_mark) with a comment saying what the course's own rule made of it:
the LMS compares the score with its own "grade to pass", which does not know that a 0 on a
critical item fails the module whatever the score (course.progress). For anyone else it costs
one indexed read.
"""

from __future__ import annotations

import logging

from course.records import lti as lti_records
from course.records.store import Store

log = logging.getLogger("course.lti")


def verdict_comment(module_id: str, score: float, max_score: float, critical_missed=()) -> str:
    from course.content.model import load_course
    from course.progress import mark_verdict

    try:
        pass_mark = load_course().module(module_id).pass_mark
    except Exception:  # noqa: BLE001 - a module gone from the content: the score alone goes
        return ""
    verdict = mark_verdict(score, max_score, pass_mark, False, critical_missed)
    if verdict is None:
        return ""
    if verdict:
        return "Passed."
    if critical_missed:
        return "Not passed: an answer that matters most was wrong, whatever the score."
    return "Not passed: below the pass mark."


def queue_for_lms(store: Store, learner_id: str, module_id: str, score: float, max_score: float, critical_missed=()):
    if lti_records.link(store, learner_id, module_id) is None:
        return None
    row = lti_records.queue_mark(
        store, learner_id, module_id, score, max_score, verdict_comment(module_id, score, max_score, critical_missed)
    )
    if row is not None:
        log.info("LTI mark %d queued for the LMS", row)
    return row
