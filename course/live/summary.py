"""Planning a session from the course content, and what is left after it: a summary per
scenario, a CSV export, the attendance list and `attendance_frame()` for managers.

A scenario is *contested* when no choice has a clear majority: the most chosen answer has
less than `CONTESTED_BELOW` (60%) of the votes. Those are the ones worth more time.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from course.assessment.layout import session_key, shown_scenario
from course.content.model import Course, Scenario
from course.live import core
from course.records.store import Store

CONTESTED_BELOW = 0.6
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- planning -----------------------------------------------------------------------------------------


def session_scenarios(
    course: Course, module_id: str | None = None, scenario_ids: list[str] | tuple[str, ...] | None = None
) -> list[str]:
    """The scenarios a session shows: a module's own (branch follow-ups left out: in a room
    everyone sees the same scenario), or a hand-picked list, checked against the course."""
    if bool(module_id) == bool(scenario_ids):
        raise core.LiveError("Choose a module, or choose scenarios, to discuss.")
    if module_id:
        try:
            module = course.module(module_id)
        except KeyError:
            raise core.LiveError("That module is not in the course.") from None
        return [s.id for s in module.graded_scenarios]
    assert scenario_ids  # no module, so the check above saw scenarios
    known = {s.id for s in course.scenarios()}
    unknown = [s for s in scenario_ids if s not in known]
    if unknown:
        raise core.LiveError(f"These scenarios are not in the course: {', '.join(unknown)}.")
    return list(dict.fromkeys(scenario_ids))


def start_session(
    store: Store, course: Course, module_id: str | None = None, scenario_ids: list[str] | tuple[str, ...] | None = None
) -> core.Opened:
    """Open a session for a whole module or for hand-picked scenarios."""
    ids = session_scenarios(course, module_id, scenario_ids)
    return core.open_session(store, ids, module_id=module_id or None)


def session_title(course: Course, session: core.LiveSession) -> str:
    if session.module_id and session.module_id in course.modules:
        return course.module(session.module_id).title
    count = len(session.scenario_ids)
    return f"{count} chosen scenario{'s' if count != 1 else ''}"


def room_scenario(course: Course, session_id: str, scenario_id: str | None) -> Scenario | None:
    """A scenario as the room sees it: its choices in the session's one order (session_key), so the
    letters on every phone, the projector, the tally and the summary agree. The votes stay by choice
    id. None for no scenario, or one removed from the course since."""
    if scenario_id is None:
        return None
    try:
        return shown_scenario(course.scenario(scenario_id), session_key(session_id))
    except KeyError:
        return None


def scenarios_of(course: Course, session: core.LiveSession) -> list[Scenario | None]:
    """The session's scenarios as the room saw them (None for one removed from the course since)."""
    return [room_scenario(course, session.id, scenario_id) for scenario_id in session.scenario_ids]


# --- the summary --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceResult:
    letter: str
    choice_id: str
    text: str
    score: float
    votes: int
    share: float  # of this scenario's votes, 0-1

    @property
    def best(self) -> bool:
        return self.score >= 1


@dataclass(frozen=True)
class ScenarioResult:
    number: int
    scenario_id: str
    title: str
    shown: bool
    revealed: bool
    votes: int
    choices: tuple[ChoiceResult, ...]

    @property
    def best_share(self) -> float:
        return sum(c.share for c in self.choices if c.best)

    @property
    def top(self) -> ChoiceResult | None:
        return max(self.choices, key=lambda c: c.votes) if self.votes else None

    @property
    def top_share(self) -> float:
        return self.top.share if self.top else 0.0

    @property
    def contested(self) -> bool:
        """No clear majority: the most chosen answer has under 60% of the votes."""
        return self.votes > 0 and self.top_share < CONTESTED_BELOW

    @property
    def most_chose_best(self) -> bool:
        top = self.top
        return bool(top and top.best and not self.contested)

    def split_text(self) -> str:
        """How the room split, in words: 'A 2 (25%), B 6 (75%)'."""
        return ", ".join(f"{c.letter} {c.votes} ({percent(c.share)})" for c in self.choices)


@dataclass(frozen=True)
class SessionSummary:
    session: core.LiveSession
    title: str
    scenarios: tuple[ScenarioResult, ...]
    attendees: tuple[core.Attendee, ...]
    voters: int

    @property
    def contested(self) -> tuple[ScenarioResult, ...]:
        return tuple(s for s in self.scenarios if s.contested)


def letter(index: int) -> str:
    return chr(ord("A") + index)


def percent(share: float) -> str:
    return f"{round(100 * share)}%"


def results_for(scenario: Scenario, counts: dict[str, int]) -> tuple[ChoiceResult, ...]:
    total = sum(counts.get(c.id, 0) for c in scenario.choices)
    return tuple(
        ChoiceResult(
            letter(i), c.id, c.text, c.score, counts.get(c.id, 0), counts.get(c.id, 0) / total if total else 0.0
        )
        for i, c in enumerate(scenario.choices)
    )


def session_summary(store: Store, course: Course, session: core.LiveSession) -> SessionSummary:
    tallies = core.all_tallies(store, session.id)
    results = []
    for number, (scenario_id, scenario) in enumerate(zip(session.scenario_ids, scenarios_of(course, session)), 1):
        counts = tallies.get(scenario_id, {})
        if scenario is None:  # removed from the content since the session: keep what is known
            choices = tuple(
                ChoiceResult(letter(i), cid, cid, 0.0, n, n / max(1, sum(counts.values())))
                for i, (cid, n) in enumerate(sorted(counts.items()))
            )
            title = scenario_id
        else:
            choices, title = results_for(scenario, counts), scenario.title
        results.append(
            ScenarioResult(
                number,
                scenario_id,
                title,
                number - 1 <= session.furthest,
                scenario_id in session.revealed_ids,
                sum(c.votes for c in choices),
                choices,
            )
        )
    return SessionSummary(
        session,
        session_title(course, session),
        tuple(results),
        tuple(core.attendance(store, session.id)),
        core.voter_count(store, session.id),
    )


# --- CSV ---------------------------------------------------------------------------------------------


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


RESULT_COLUMNS = [
    "session_code",
    "session_date",
    "session",
    "scenario_number",
    "scenario_id",
    "scenario_title",
    "shown",
    "answer_revealed",
    "choice",
    "choice_text",
    "best_answer",
    "votes",
    "share_percent",
    "scenario_votes",
    "chose_best_percent",
    "contested",
]


def summary_csv(summary: SessionSummary) -> str:
    """One row per scenario and choice: how the room split. No names, no voters."""
    session = summary.session
    rows = []
    for s in summary.scenarios:
        for c in s.choices:
            rows.append(
                [
                    session.code,
                    session.opened_at.date().isoformat(),
                    summary.title,
                    s.number,
                    s.scenario_id,
                    s.title,
                    yes(s.shown),
                    yes(s.revealed),
                    c.letter,
                    c.text,
                    yes(c.best),
                    c.votes,
                    round(100 * c.share),
                    s.votes,
                    round(100 * s.best_share),
                    yes(s.contested),
                ]
            )
    return _csv(RESULT_COLUMNS, rows)


def attendance_csv(summary: SessionSummary) -> str:
    session = summary.session
    return _csv(
        ["session_code", "session_date", "session", "name", "staff_number", "signed_in", "confirmed"],
        [
            [
                session.code,
                session.opened_at.date().isoformat(),
                summary.title,
                a.name,
                a.staff_number or "",
                yes(a.signed_in),
                yes(a.confirmed),
            ]
            for a in summary.attendees
        ],
    )


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


# --- attendance for managers ---------------------------------------------------------------------------

ATTENDANCE_COLUMNS = [
    "learner_id",
    "module_id",
    "date",
    "name",
    "staff_number",
    "session_code",
    "confirmed",
    "counts",
]


def attendance_frame(store: Store | None = None, course: Course | None = None, *, counted_only: bool = True):
    """Trainer-led attendance as a pandas DataFrame, one row per person and module.

    Columns: learner_id (the signed-in learner's id; for a typed name, "" : it is nobody's
    record), module_id, date (the session's day), name, staff_number, session_code,
    confirmed, counts. `confirmed` (course.progress's attendance input: only such rows count)
    is true only for a learner who joined signed in and whom the trainer confirmed as in the
    room. A row *counts* toward completion when it is confirmed and the session showed the
    room every graded scenario of that module; with `counted_only` (the default) only those
    rows are returned.
    """
    import pandas as pd  # here, not at the top: learner kernels never need pandas

    if course is None:
        from course.kernel.runtime import app_course

        course = app_course()
    store = store or Store()
    from course.records import live as live_rows

    sessions = {s.id: s for s in (core.LiveSession.from_row(r) for r in live_rows.newest(store))}
    graded = {m.id: {s.id for s in m.graded_scenarios} for m in course.modules.values()}
    module_of = {s.id: s.module_id for s in course.scenarios()}
    rows = []
    for r in live_rows.attendance(store):
        session = sessions.get(r.session_id)
        if session is None:
            continue
        # a typed name is anonymous for completion: never confirmed, never anyone's record
        confirmed = r.learner_id is not None and r.confirmed_at is not None
        shown = set(session.shown_ids)
        modules = dict.fromkeys(module_of[s] for s in session.scenario_ids if s in module_of)
        for module_id in modules:
            counts = confirmed and bool(graded.get(module_id)) and graded[module_id] <= shown
            if counted_only and not counts:
                continue
            rows.append(
                [
                    r.learner_id or "",
                    module_id,
                    session.opened_at.date(),
                    r.name,
                    r.staff_number or "",
                    session.code,
                    confirmed,
                    counts,
                ]
            )
    frame = pd.DataFrame(rows, columns=ATTENDANCE_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.sort_values(["date", "module_id", "learner_id"], kind="stable").reset_index(drop=True)
