"""Where a learner stands in each module, from the records store: what the course home shows.

- not started: no answer yet;
- in progress: the open attempt has answers (or a reflection) and is not finished;
- passed: a finished attempt reached the module's pass mark, and it is still current;
- due again: the latest pass is older than `completion.renew_after_months`, or was made under
  an older policy version while `completion.renew_on_policy_change` is true;
- failed: the latest finished attempt did not reach the pass mark (and no current pass).

An attempt counts as finished when the learner pressed Finish (`attempts.finished_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from course.content.model import Course, Module
from course.records.store import Store, now

NOT_STARTED, IN_PROGRESS, PASSED, FAILED, DUE_AGAIN = "not started", "in progress", "passed", "failed", "due again"


@dataclass(frozen=True)
class AttemptSummary:
    attempt: int
    policy_version: str
    started_at: datetime
    finished_at: datetime | None
    answered: int
    score: float
    last_activity: datetime | None


@dataclass(frozen=True)
class ModuleStatus:
    module: Module
    state: str
    answered: int
    total: int
    score: float | None  # share of the points (0-1) of the attempt the state rests on
    attempt: int | None
    finished_at: datetime | None = None
    renew_by: date | None = None
    reason: str = ""  # why a module is due again, in plain words
    last_activity: datetime | None = None

    @property
    def percent(self) -> int | None:
        return None if self.score is None else round(100 * self.score)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def add_months(day: datetime, months: int) -> datetime:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days_in = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return day.replace(year=year, month=month, day=min(day.day, days_in))


def _rows(store: Store, learner_id: str, module_id: str | None = None):
    """The learner's attempts, decisions and reflections (one module's, or all): three queries."""
    return store.history(learner_id, module_id)


def _summaries(module: Module, rows) -> list[AttemptSummary]:
    attempt_rows, decision_rows, reflection_rows = rows
    graded = {s.id for s in module.graded_scenarios}
    decision_rows = [d for d in decision_rows if d.module_id == module.id]
    reflection_rows = [r for r in reflection_rows if r.module_id == module.id]
    result = []
    for row in sorted((r for r in attempt_rows if r.module_id == module.id), key=lambda r: r.attempt):
        mine = [d for d in decision_rows if d.attempt == row.attempt and d.scenario_id in graded]
        times = [_aware(d.decided_at) for d in decision_rows if d.attempt == row.attempt]
        times += [_aware(r.saved_at) for r in reflection_rows if r.attempt == row.attempt and r.text.strip()]
        result.append(AttemptSummary(
            attempt=row.attempt, policy_version=row.policy_version, started_at=_aware(row.started_at),
            finished_at=_aware(row.finished_at), answered=len(mine), score=sum(d.score for d in mine),
            last_activity=max(times) if times else None))
    return result


def passed(module: Module, summary: AttemptSummary) -> bool:
    return (summary.answered == len(module.graded_scenarios)
            and summary.score >= module.pass_mark * module.max_score - 1e-9)


def module_status(store: Store, course: Course, learner_id: str, module: Module, at: datetime | None = None,
                  rows=None) -> ModuleStatus:
    at = at or now()
    total = len(module.graded_scenarios)
    history = _summaries(module, rows if rows is not None else _rows(store, learner_id, module.id))
    completion = course.policy.completion
    share = (lambda s: s.score / module.max_score if module.max_score else 0.0)
    latest = history[-1] if history else None
    if latest and latest.finished_at is None and latest.last_activity is not None:
        return ModuleStatus(module, IN_PROGRESS, latest.answered, total, share(latest), latest.attempt,
                            last_activity=latest.last_activity)
    finished = [s for s in history if s.finished_at is not None]
    if not finished:
        return ModuleStatus(module, NOT_STARTED, 0, total, None, latest.attempt if latest else None)
    passes = [s for s in finished if passed(module, s)]
    last = finished[-1]
    if passes:
        best = passes[-1]
        months = int(completion.get("renew_after_months") or 0)
        renew_by = add_months(best.finished_at, months) if months else None
        reason = ""
        if renew_by is not None and renew_by <= at:
            reason = f"Your pass is more than {months} months old."
        elif completion.get("renew_on_policy_change") and best.policy_version != course.policy.version:
            reason = "The policy has changed since you passed."
        if not reason:
            return ModuleStatus(module, PASSED, best.answered, total, share(best), best.attempt, best.finished_at,
                                renew_by.date() if renew_by else None, last_activity=best.last_activity)
        if last is best:
            return ModuleStatus(module, DUE_AGAIN, best.answered, total, share(best), best.attempt, best.finished_at,
                                renew_by.date() if renew_by else None, reason, best.last_activity)
    return ModuleStatus(module, FAILED, last.answered, total, share(last), last.attempt, last.finished_at,
                        last_activity=last.last_activity)


def course_status(store: Store, course: Course, learner_id: str, at: datetime | None = None) -> list[ModuleStatus]:
    rows = _rows(store, learner_id)
    return [module_status(store, course, learner_id, m, at, rows) for m in course.modules.values()]


def certificate_ready(course: Course, statuses: list[ModuleStatus]) -> bool:
    """Every module that completion requires is passed and current."""
    required = course.policy.completion.get("modules") or list(course.modules)
    states = {s.module.id: s.state for s in statuses}
    return all(states.get(module_id) == PASSED for module_id in required)


def next_step(statuses: list[ModuleStatus]) -> ModuleStatus | None:
    """"Continue where you left off": the module in progress touched last, else the first one to do."""
    in_progress = [s for s in statuses if s.state == IN_PROGRESS]
    if in_progress:
        return max(in_progress, key=lambda s: s.last_activity or datetime.min.replace(tzinfo=timezone.utc))
    return next((s for s in statuses if s.state in (NOT_STARTED, FAILED, DUE_AGAIN)), None)
