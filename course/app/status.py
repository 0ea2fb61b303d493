"""Where a learner stands in each module: what the course home and the module page show.

The state is the one progress rule's (course.progress: the mark of record decides), for this
learner only; this module adds what a page needs beside it from the learner's attempts (how
many answered so far, which attempt). States: not started, in progress, being marked,
passed, needs review, failed, due again (see course.progress).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from course.assessment.marker import critical_reason
from course.content.model import Course, Module
from course.progress import BEING_MARKED, DUE_AGAIN, FAILED, IN_PROGRESS, NEEDS_REVIEW, NOT_STARTED, PASSED  # noqa: F401
from course.records.store import Store, aware


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
    score: float | None  # share of the points (0-1): the mark of record, or the open attempt's so far
    attempt: int | None
    finished_at: datetime | None = None
    renew_by: date | None = None
    reason: str = ""  # why a module is due again, or failed on a critical item, in plain words
    last_activity: datetime | None = None
    attended: bool = False  # passed by trainer-led attendance
    critical_missed: tuple[str, ...] = ()  # the latest mark's critical items answered with a 0
    # the modules still to pass before this one opens (policy.yaml `completion.prerequisites`,
    # course.progress.waiting_for): empty when it is open
    waiting_for: tuple[Module, ...] = ()

    @property
    def locked(self) -> bool:
        return bool(self.waiting_for)

    @property
    def percent(self) -> int | None:
        return None if self.score is None else round(100 * self.score)


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
        times = [aware(d.decided_at) for d in decision_rows if d.attempt == row.attempt]
        times += [aware(r.saved_at) for r in reflection_rows if r.attempt == row.attempt and r.text.strip()]
        result.append(
            AttemptSummary(
                attempt=row.attempt,
                policy_version=row.policy_version,
                started_at=aware(row.started_at),
                finished_at=aware(row.finished_at),
                answered=len(mine),
                score=sum(d.score for d in mine),
                last_activity=max(times) if times else None,
            )
        )
    return result


def _when(value) -> datetime | None:
    """A pandas timestamp (naive UTC) from the rule as an aware datetime; None for NaT."""
    import pandas as pd

    return None if value is None or pd.isna(value) else pd.Timestamp(value).tz_localize("UTC").to_pydatetime()


def _reason(row, completion) -> str:
    if bool(row["old_policy"]):
        return "The policy has changed since you passed."
    return f"Your pass is more than {int(completion.get('renew_after_months') or 12)} months old."


def _module_status(course: Course, module: Module, row, history: list[AttemptSummary]) -> ModuleStatus:
    total = module.draw or len(module.graded_scenarios)  # a bank: the items an attempt draws
    latest = history[-1] if history else None
    state = str(row["status"]) if row is not None else NOT_STARTED
    if state == IN_PROGRESS and latest is not None:  # "so far": the open attempt's click-time score
        share: float | None = latest.score / module.max_score if module.max_score else 0.0
        return ModuleStatus(
            module, state, latest.answered, total, share, latest.attempt, last_activity=latest.last_activity
        )
    if state in (NOT_STARTED, BEING_MARKED) or row is None:
        answered = latest.answered if latest is not None and state == BEING_MARKED else 0
        return ModuleStatus(
            module,
            state,
            answered,
            total,
            None,
            latest.attempt if latest else None,
            finished_at=_when(row["last_finished"]) if row is not None else None,
            last_activity=latest.last_activity if latest else None,
        )
    attended = state == PASSED and bool(row["attended"])
    if state == PASSED:
        mark, best = row["score"], row["max_score"]
    else:
        mark, best = row["mark_score"], row["mark_max_score"]
    share = None if attended or best != best or not best else float(mark) / float(best)
    renew = _when(row["renew_by"])
    finished = [s for s in history if s.finished_at is not None]
    missed = tuple(row["critical_missed"] or ()) if state == FAILED and "critical_missed" in row else ()
    reason = (
        _reason(row, course.policy.completion)
        if state == DUE_AGAIN
        else critical_reason(module, missed)
        if missed
        else ""
    )
    return ModuleStatus(
        module,
        state,
        total if share is not None else 0,
        total,
        share,
        finished[-1].attempt if finished else (latest.attempt if latest else None),
        _when(row["passed_on"]) if state in (PASSED, DUE_AGAIN) else _when(row["last_graded"]),
        renew.date() if renew and state == PASSED else None,
        reason,
        latest.last_activity if latest else None,
        attended,
        missed,
    )


def evaluation_for(store: Store, course: Course, learner_id: str, at: datetime | None = None):
    """The progress rule's Evaluation for this learner (course.progress.learner_evaluation)."""
    from course.progress import learner_evaluation

    return learner_evaluation(store, course, learner_id, as_of=at)


def _display_rows(store: Store, course: Course, learner_id: str, at, evaluation):
    """The rule's row per module; modules outside `completion.modules` go through the same rule
    as a completion of their own (they show a state but do not make a certificate)."""
    from dataclasses import replace

    from course.progress import learner_evaluation

    evaluation = evaluation or evaluation_for(store, course, learner_id, at)
    rows = evaluation.module_rows(learner_id)
    extra = tuple(m for m in course.modules if m not in rows.index)
    if extra:
        from course.progress import Rule

        base = Rule.from_course(course)
        rule = replace(base, modules=extra, pass_marks={m: course.modules[m].pass_mark for m in extra})
        more = learner_evaluation(store, course, learner_id, as_of=at, rule=rule).module_rows(learner_id)
        import pandas as pd

        rows = pd.concat([rows, more])
    return evaluation, rows


def _gated(course: Course, status: ModuleStatus, states) -> ModuleStatus:
    """The status with what it still waits for (the progress rule's gate), from the learner's rows."""
    from dataclasses import replace

    from course.progress import prerequisites, waiting_for

    before = prerequisites(course).get(status.module.id, ())
    if not before:
        return status
    words = {m: str(states.loc[m]["status"]) for m in states.index}
    waiting = waiting_for(before, status.state, words)
    return replace(status, waiting_for=tuple(course.modules[m] for m in waiting)) if waiting else status


def waiting_reason(status: ModuleStatus) -> str:
    """Why a locked module is not open yet, in plain words ("" when it is open)."""
    if not status.waiting_for:
        return ""
    titles = [m.title for m in status.waiting_for]
    listed = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
    return f"It opens once you have passed {listed}."


def module_status(
    store: Store,
    course: Course,
    learner_id: str,
    module: Module,
    at: datetime | None = None,
    rows=None,
    evaluation=None,
) -> ModuleStatus:
    _evaluation, states = _display_rows(store, course, learner_id, at, evaluation)
    history = _summaries(module, rows if rows is not None else _rows(store, learner_id, module.id))
    status = _module_status(course, module, states.loc[module.id] if module.id in states.index else None, history)
    return _gated(course, status, states)


def course_status(
    store: Store, course: Course, learner_id: str, at: datetime | None = None, evaluation=None
) -> list[ModuleStatus]:
    _evaluation, states = _display_rows(store, course, learner_id, at, evaluation)
    rows = _rows(store, learner_id)
    return [
        _gated(
            course,
            _module_status(course, m, states.loc[m.id] if m.id in states.index else None, _summaries(m, rows)),
            states,
        )
        for m in course.modules.values()
    ]


def certificate_ready(
    store: Store, course: Course, learner_id: str, at: datetime | None = None, evaluation=None
) -> bool:
    """The learner's completion is in date (course.progress: completed or due soon)."""
    evaluation = evaluation or evaluation_for(store, course, learner_id, at)
    return evaluation.certificate_ready(learner_id)


def next_step(statuses: list[ModuleStatus]) -> ModuleStatus | None:
    """ "Continue where you left off": the module in progress touched last, else the first one to do."""
    open_ = [s for s in statuses if not s.locked]  # a module not open yet is never the next step
    in_progress = [s for s in open_ if s.state == IN_PROGRESS]
    if in_progress:
        return max(in_progress, key=lambda s: s.last_activity or datetime.min.replace(tzinfo=UTC))
    return next((s for s in open_ if s.state in (NOT_STARTED, FAILED, DUE_AGAIN)), None)
