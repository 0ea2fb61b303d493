"""The sender: the outbox's pending marks, each sent once to its LMS with AGS (course.lti.ags).

Run by the marker loop (course.grading.worker, so `course serve` and `course grade --watch`
send as they mark) and by `course lti send`. Per row:
- delivered: the row is `sent` (a compare-and-swap on `pending`: of two senders one counts it);
- the LMS down or busy (5xx, 429, refused connection, timeout): tried again after a backoff
  (1, 2, 4 ... minutes, at most 6 hours), the row still pending;
- the LMS refused it (another 4xx) or its registration is gone: `failed`, with the reason, not
  retried; `course lti status` lists it.
Log lines name the row id and the LMS host only: never the learner, their LMS id or the mark.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from course import settings
from course.lti import ags, platforms
from course.lti.keys import ToolKey, tool_key
from course.records import lti as lti_records
from course.records.store import Store, aware

log = logging.getLogger("course.lti")


@dataclass
class Sent:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def registrations() -> dict[tuple[str, str], platforms.Platform]:
    """The LMS registrations (COURSE_LTI_PLATFORMS); none when the course has no LTI set up."""
    path = settings.lti_platforms()
    return platforms.load(path) if path else {}


def send_due(
    store: Store,
    known: dict[tuple[str, str], platforms.Platform] | None = None,
    key: ToolKey | None = None,
    at: datetime | None = None,
) -> Sent:
    """Try every pending row whose time has come; what happened to each (by row id)."""
    done = Sent()
    rows = lti_records.due(store, at)
    if not rows:
        return done
    known = registrations() if known is None else known
    if not known:  # this process was started without the registrations: the rows wait for one that has them
        log.warning("%d LTI mark(s) waiting, but no LMS is registered (COURSE_LTI_PLATFORMS)", len(rows))
        return done
    key = key or tool_key()
    for row in rows:
        platform = known.get((row.issuer, row.client_id))
        if platform is None:
            lti_records.refused(store, row, "no registration for this LMS any more (COURSE_LTI_PLATFORMS)")
            log.warning("LTI mark %d not sent: its LMS is no longer registered", row.id)
            done.failed.append(row.id)
            continue
        score = ags.Score(row.subject, row.score_given, row.score_maximum, aware(row.timestamp), row.comment)
        try:
            ags.send_score(platform, key, row.lineitem, score)
        except ags.ScoreError as exc:
            if exc.retry:
                when = lti_records.retry_later(store, row, str(exc), at)
                log.warning("LTI mark %d not delivered (%s); next try at %s", row.id, exc, f"{when:%H:%M:%S}")
                done.retrying.append(row.id)
            else:
                lti_records.refused(store, row, str(exc))
                log.error("LTI mark %d refused by the LMS (%s): not retried; see `course lti status`", row.id, exc)
                done.failed.append(row.id)
            continue
        if lti_records.sent(store, row.id):
            log.info("LTI mark %d delivered to %s", row.id, platform.issuer)
            done.sent.append(row.id)
    return done


def send_quietly(store: Store) -> Sent | None:
    """For the marker loop: a broken registrations file or store must not stop the marking."""
    try:
        return send_due(store)
    except Exception:
        log.exception("the LTI outbox could not be sent")
        return None
