"""Learning time: the time a learner actually spent, from the records (not the modules' `minutes:`).

What counts: the moments the records hold for each attempt (its start, every decision, every
reflection saved, its Finish). The time of an attempt is the sum of the gaps between its
consecutive moments, each gap counted up to GAP_CAP (10 minutes): a learner who leaves a page
open over lunch is credited 10 minutes for that gap, not an hour. Time after an attempt's last
moment (reading the last feedback, say) is not seen by the records, so not counted; the figure
is a floor, never an inflated estimate.

A passed module counts its moments up to when it was passed (`until`): a retake or a look back
after the pass does not change the time a certificate states, so its facts (and id) stay the same.

One function for every view: the certificate (course.manager.certificates) and the learning
record (course.manager.learning_record) both call `minutes_spent`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import pairwise

from course.records.store import Store, aware

GAP_CAP = timedelta(minutes=10)


def attempt_seconds(moments: Iterable[datetime]) -> float:
    """Seconds spent in one attempt: the gaps between its moments, each at most GAP_CAP."""
    ordered = sorted(aware(m) for m in moments if m is not None)
    cap = GAP_CAP.total_seconds()
    return sum(min((b - a).total_seconds(), cap) for a, b in pairwise(ordered))


def minutes_spent(
    store: Store, learner_ids: Iterable[str] | None = None, until: Mapping[tuple[str, str], datetime] | None = None
) -> dict[tuple[str, str], int]:
    """(learner_id, module_id) -> whole minutes spent (rounded to the nearest), for every module a
    learner has moments in. `until[(learner, module)]`: count only moments up to then (a pass)."""
    ids = None if learner_ids is None else list(learner_ids)
    moments: dict[tuple[str, str, int], list[datetime]] = defaultdict(list)
    limits = {k: aware(v) for k, v in (until or {}).items() if v is not None}
    for learner_id, module_id, attempt, at in store.activity_moments(ids):
        when = aware(at)
        limit = limits.get((learner_id, module_id))
        if when is None or (limit is not None and when > limit):
            continue
        moments[(learner_id, module_id, attempt)].append(when)
    seconds: dict[tuple[str, str], float] = defaultdict(float)
    for (learner_id, module_id, _attempt), times in moments.items():
        seconds[(learner_id, module_id)] += attempt_seconds(times)
    return {key: round(value / 60) for key, value in seconds.items()}
