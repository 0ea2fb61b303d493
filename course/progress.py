"""The progress rule: passed, failed, being marked, needs review, due, for one learner or for everyone.

Every view asks this module (the course home, the module summary, the certificate page,
reports, the dashboard, xAPI, the learning record, the gradebook frame, Finish and `course
grade`), so they cannot disagree. A single learner and the whole organisation go through the
same vectorised `evaluate` (one pass of numpy over every mark: 10,000 staff take well under a
second); a learner's page simply gives it one learner's rows.

**The mark of record decides.** That is nbgrader's grade as the marker recorded it in the
grading log (the `gradings` table, course.records.grading_log: score, max_score, status,
needs_review, graded_at per learner and module), written by `course grade` and the Finish
worker from nbgrader's result. The log, not nbgrader's gradebook, is the source for every view
because it lives in the records store: a learner's page kernel can read it (on a hub the
kernel cannot reach the grading folder, and opening nbgrader's gradebook from a page would
create one), it carries what the gradebook does not (needs review, could not be marked), and
`course serve --no-grading` or a killed marker leave it visibly without a mark instead of
leaving the home to guess from the click-time score. The click-time score a learner sees while
answering is only "so far"; it never makes a pass.

A mark is dated by the Finish it marked (the learner's latest finished attempt at or before
the mark; the mark's own time when there is none), and carries that attempt's policy version.

The states of a module, first that applies (`MODULE_STATUSES`):

- **passed**: a mark reached the pass mark (`reaches_pass_mark`, the one pass test) under the
  current policy version (any version when `renew_on_policy_change` is false), or trainer-led
  attendance when `trainer_led_counts` is true, and it is not due again;
- **in progress**: answers saved after the latest Finish and mark (an open attempt);
- **being marked**: Finish pressed, and no mark of record for that attempt yet (no marker,
  `--no-grading`, a killed marker, or a submission the marker could not mark): never passed,
  never failed;
- **needs review**: the latest mark is flagged for review (edited read-only cells): not a pass
  (so no certificate) until a manager clears it, and not a fail;
- **failed**: the latest mark is below the pass mark, or its attempt answered a `critical: true`
  item with a 0 choice (`critical_missed`), whatever the score;
- **due again**: a pass that no longer counts: older than `renew_after_months` (for a learner
  with a current completion: once that completion is due), or made under an older policy
  version while `renew_on_policy_change` is true;
- **not started**.

The course, per person (`STATUSES`): **completed** when every module in `completion.modules`
is passed with the latest passes no more than `renew_after_months` apart; it is **due**
`renew_after_months` after its latest pass (or on the day a new policy version took effect
for a completion under an older version); **due soon** within `due_soon_days`; **overdue** once
due; **failed** (a module's latest mark failed, nothing since), **in progress**, **not started**.
A completion in the certificate register (`history`) still counts after its marks were
replaced (a pass, then a failed retake).

Frames in (column names; extra columns are ignored):
- grades: learner_id, module_id, score, max_score, date, [policy_version], [needs_review],
  [critical_missed] (the critical items scored 0: a tuple of scenario ids, or a count);
  one row per mark (the grading log has the latest per module; a history is fine too). A mark
  with no policy_version is taken to be under the version in force on its date;
- roster: learner_id, staff_number, name, team, role, start_date (see course.records.roster);
- activity: learner_id, module_id, last_activity: the latest decision or reflection saved;
- finished: learner_id, module_id, finished_at: the latest Finish (attempts.finished_at);
- attendance: learner_id, module_id (a module id, or "all"), date, confirmed: trainer-led
  sessions. **Only a row whose `confirmed` is true counts** (`counted_attendance`, the one
  rule): a signed-in learner the trainer confirmed as in the room, or a row a manager recorded
  in the attendance table. A frame without the column counts nothing: a typed name on a join
  page, a learner nobody confirmed, never completes anyone;
- history: learner_id, completed_on, [policy_version]: completions recorded earlier (the
  certificate register), so a lapsed completion is still known after marks were replaced.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class _OnFirstUse:
    """numpy or pandas, imported the first time the vectorised rule touches it (then the module
    itself takes this name's place). Why: every page imports this module for the states and the
    scalar rules (may_start_again, reaches_pass_mark on numbers); a page that never evaluates
    marks (the help page) then never loads pandas and numpy, about 400 modules and 40 MB of a
    page kernel (issue 19, benchmarks/kernel_imports.py; tests/test_page_imports.py pins it)."""

    def __init__(self, module: str, alias: str):
        self._module, self._alias = module, alias

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._module)
        globals()[self._alias] = module  # later look-ups find the module, not this stand-in
        return getattr(module, attr)


if not TYPE_CHECKING:
    np = _OnFirstUse("numpy", "np")
    pd = _OnFirstUse("pandas", "pd")

# --- the states ---------------------------------------------------------------------------
NOT_STARTED, IN_PROGRESS, FAILED, OVERDUE, DUE_SOON, COMPLETED = (
    "not started",
    "in progress",
    "failed",
    "overdue",
    "due soon",
    "completed",
)
STATUSES = [COMPLETED, DUE_SOON, OVERDUE, FAILED, IN_PROGRESS, NOT_STARTED]
PASSED, BEING_MARKED, NEEDS_REVIEW, DUE_AGAIN = "passed", "being marked", "needs review", "due again"
MODULE_PASSED, MODULE_DUE_AGAIN = PASSED, DUE_AGAIN
MODULE_STATUSES = [PASSED, IN_PROGRESS, BEING_MARKED, NEEDS_REVIEW, FAILED, DUE_AGAIN, NOT_STARTED]
CURRENT = (COMPLETED, DUE_SOON)  # a person whose certificate is in date

# the defaults of policy.yaml's `completion:`, in one place
DEFAULT_PASS_MARK = 0.8
RENEW_AFTER_MONTHS = 12
RENEW_ON_POLICY_CHANGE = True
DUE_SOON_DAYS = 30
TRAINER_LED_COUNTS = False

TOLERANCE = 1e-9  # nbgrader adds partial credit in floats: 0.1 * 8 must still reach 0.8
NAT = -(2**63)  # NaT as int64 nanoseconds (numpy.iinfo(int64).min): smaller than any date
NEVER = 2**63 - 1  # numpy.iinfo(int64).max
DAY = 86_400 * 10**9
NOT_ON_ROSTER = "(not on the roster)"


RETAKE_AFTER = (FAILED, DUE_AGAIN)  # the module states in which a learner may start it again


def may_start_again(module_status: str) -> bool:
    """THE retake rule: a new attempt only when the module is failed or due again, so never
    after a pass, never while an attempt is open or its Finish is being marked (or needs review)."""
    return str(module_status) in RETAKE_AFTER


# The gate is for a first start: a module the learner has begun (answers saved, a Finish, a mark
# of any kind, a pass now due again) stays open whatever its prerequisites say now, so no attempt,
# result or retake the rule allows is ever taken away.
GATED_STATES = (NOT_STARTED,)


def prerequisites(course) -> dict[str, tuple[str, ...]]:
    """policy.yaml's `completion.prerequisites`: module id -> the modules to pass before it opens
    (checked by `course validate`: known modules, none its own prerequisite, no loop)."""
    raw = course.policy.completion.get("prerequisites") or {}
    return {str(m): tuple(str(x) for x in (before or ())) for m, before in raw.items()}


def waiting_for(prerequisites_of: tuple[str, ...], own_state: str, states) -> tuple[str, ...]:
    """THE gate: the prerequisites a module still waits for (empty: it is open). A prerequisite
    counts once the rule says it is passed (a mark of record, or trainer-led attendance when
    `trainer_led_counts` is true); being marked, needs review or due again do not. `states`:
    module id -> this learner's module state (the rule's `module_rows`)."""
    if str(own_state) not in GATED_STATES:
        return ()
    return tuple(m for m in prerequisites_of if str(states.get(m, NOT_STARTED)) != PASSED)


def missed_count(critical_missed):
    """How many critical items a mark answered with a 0: from a count, a list/tuple of scenario
    ids, or (for `evaluate`) an array or Series of either, element by element."""
    if critical_missed is None:
        return 0
    if isinstance(critical_missed, list | tuple | set | frozenset):
        return len(critical_missed)
    if isinstance(critical_missed, pd.Series | np.ndarray):
        values = np.asarray(critical_missed)
        if values.dtype == object:  # tuples from the grading log: len() of each, in C when all are
            try:
                return np.fromiter(map(len, values), dtype=np.int64, count=len(values))
            except TypeError:  # some are counts or missing
                pass
            return np.fromiter(
                (len(v) if isinstance(v, list | tuple) else 0 if v is None or v != v else int(v) for v in values),
                dtype=np.int64,
                count=len(values),
            )
        return np.nan_to_num(values.astype(float), nan=0.0).astype(np.int64)
    if isinstance(critical_missed, float) and critical_missed != critical_missed:  # NaN: none recorded
        return 0
    return int(critical_missed)


def reaches_pass_mark(score, max_score, pass_mark, critical_missed=0):
    """THE pass test: `score >= pass_mark * max_score` (within float tolerance), max_score > 0, and
    no critical item answered with a 0 (`critical_missed`: a count or the items' ids; a 0 on a
    `critical: true` item fails the module whatever the mean).

    Numbers give a bool (None for a missing score gives False); numpy arrays and pandas Series
    give an array, element by element, so `evaluate` uses the very same test."""
    if score is None or max_score is None:
        return False
    return (max_score > 0) & (score >= pass_mark * max_score - TOLERANCE) & (missed_count(critical_missed) == 0)


def mark_verdict(score, max_score, pass_mark, needs_review: bool = False, critical_missed=()) -> bool | None:
    """What one mark of record says on its own: True (a pass), False (a fail), or None (no mark,
    or a mark flagged for review, which is neither until a manager clears it)."""
    if score is None or max_score is None or not max_score or needs_review:
        return None
    return bool(reaches_pass_mark(score, max_score, pass_mark, critical_missed))


@dataclass(frozen=True)
class Rule:
    """`completion:` from policy.yaml, with the policy version it applies to."""

    modules: tuple[str, ...]
    pass_marks: dict[str, float]
    renew_after_months: int = RENEW_AFTER_MONTHS
    renew_on_policy_change: bool = RENEW_ON_POLICY_CHANGE
    due_soon_days: int = DUE_SOON_DAYS
    trainer_led_counts: bool = TRAINER_LED_COUNTS
    policy_version: str = ""
    policy_updated: pd.Timestamp | None = None  # when the current version took effect
    minutes: dict[str, int] = field(default_factory=dict)  # estimated learning time per module
    titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_course(cls, course) -> Rule:
        c = course.policy.completion
        modules = tuple(c.get("modules") or course.modules)
        unknown = [m for m in modules if m not in course.modules]
        if unknown:
            raise KeyError(f"policy.yaml completion.modules names unknown module(s): {', '.join(unknown)}")
        return cls(
            modules=modules,
            pass_marks={m: float(course.modules[m].pass_mark) for m in modules},
            renew_after_months=int(c.get("renew_after_months", RENEW_AFTER_MONTHS)),
            renew_on_policy_change=bool(c.get("renew_on_policy_change", RENEW_ON_POLICY_CHANGE)),
            due_soon_days=int(c.get("due_soon_days", DUE_SOON_DAYS)),
            trainer_led_counts=bool(c.get("trainer_led_counts", TRAINER_LED_COUNTS)),
            policy_version=str(course.policy.version),
            policy_updated=pd.Timestamp(course.policy.updated) if course.policy.updated else None,
            minutes={m: int(course.modules[m].minutes) for m in modules},
            titles={m: course.modules[m].title for m in modules},
        )


def as_ns(values) -> np.ndarray:
    """Dates (strings, datetimes, with or without time zone) as int64 UTC nanoseconds; NaT -> NAT."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if s.dtype.kind != "M" and not isinstance(s.dtype, pd.DatetimeTZDtype):
        s = pd.to_datetime(s, utc=True, format="mixed")
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.to_numpy().astype("datetime64[ns]").view("int64")


def timestamp(value=None) -> pd.Timestamp:
    """A naive UTC Timestamp (now when None; the end of the day for a date)."""
    import datetime as dt

    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return pd.Timestamp(value) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    ts = pd.Timestamp.now(tz="UTC") if value is None else pd.Timestamp(value)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts


def add_months(ns: np.ndarray, months: int) -> np.ndarray:
    """Calendar months added to int64 dates (NaT stays NaT)."""
    index = pd.DatetimeIndex(ns.view("datetime64[ns]")) + pd.DateOffset(months=months)
    return index.to_numpy().astype("datetime64[ns]").view("int64")


def _dates(ns: np.ndarray) -> np.ndarray:
    return ns.view("datetime64[ns]")


@dataclass
class Evaluation:
    """What `evaluate` found. `people`: one row per person; `modules`: one per person and module."""

    rule: Rule
    as_of: pd.Timestamp
    people: pd.DataFrame
    _cells: dict = field(repr=False)

    @cached_property
    def modules(self) -> pd.DataFrame:
        c = self._cells
        n, m = c["status"].shape
        return pd.DataFrame(
            {
                "learner_id": np.repeat(self.people["learner_id"].to_numpy(), m),
                "module_id": np.tile(np.array(self.rule.modules, dtype=object), n),
                "status": pd.Categorical.from_codes(c["status"].ravel(), MODULE_STATUSES),
                "passed_on": _dates(c["passed_on"].ravel()),
                "score": c["score"].ravel(),  # of the pass that counts
                "max_score": c["max_score"].ravel(),
                "attended": c["attended"].ravel(),
                "mark_score": c["mark_score"].ravel(),  # of the latest mark, pass or not
                "mark_max_score": c["mark_max"].ravel(),
                "critical_missed": c["mark_critical"].ravel(),  # of the latest mark: critical items scored 0
                "renew_by": _dates(c["renew_by"].ravel()),
                "old_policy": c["old_policy"].ravel(),  # due again because the policy changed
                "last_graded": _dates(c["last_graded"].ravel()),
                "last_finished": _dates(c["finished"].ravel()),
                "last_activity": _dates(c["activity"].ravel()),
            }
        )

    def counts(self, by: str | None = None) -> pd.DataFrame:
        """Number of people per status (columns in STATUSES order), overall or per `by` (e.g. team)."""
        return status_counts(self.people, by)

    def person(self, learner_id: str) -> pd.Series | None:
        rows = self.people[self.people["learner_id"] == learner_id]
        return rows.iloc[0] if len(rows) else None

    def module_rows(self, learner_id: str) -> pd.DataFrame:
        """One learner's modules, indexed by module id (every module of the rule)."""
        return self.modules[self.modules["learner_id"] == learner_id].set_index("module_id")

    def certificate_ready(self, learner_id: str) -> bool:
        """The learner has a completion in date (completed or due soon): the certificate shows."""
        row = self.person(learner_id)
        return row is not None and str(row["status"]) in CURRENT


def status_counts(people: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    status = people["status"]
    codes = (
        status.cat.codes.to_numpy()
        if isinstance(status.dtype, pd.CategoricalDtype) and list(status.cat.categories) == STATUSES
        else pd.Categorical(status, categories=STATUSES).codes
    )
    if by is None:
        groups, keys = np.zeros(len(people), dtype=np.int64), None
    else:
        groups, keys = pd.factorize(people[by].astype(str), sort=True)
    n = 1 if keys is None else len(keys)
    table = np.zeros((n, len(STATUSES)), dtype=np.int64)
    ok = codes >= 0
    np.add.at(table, (groups[ok], codes[ok]), 1)
    frame = pd.DataFrame(table, columns=STATUSES)
    if keys is not None:
        frame.insert(0, by, np.asarray(keys, dtype=object))
    frame["staff"] = table.sum(axis=1)
    current = frame[COMPLETED] + frame[DUE_SOON]
    frame["completion_rate"] = np.where(frame["staff"] > 0, current / frame["staff"].where(frame["staff"] > 0, 1), 0.0)
    return frame


def _people_index(roster: pd.DataFrame | None, *id_columns) -> tuple[pd.Index, int]:
    roster_ids = (
        roster["learner_id"].astype(str).to_numpy()
        if roster is not None and len(roster)
        else np.array([], dtype=object)
    )
    index = pd.Index(roster_ids)
    if not index.is_unique:
        raise ValueError("the roster has the same learner id twice")
    for ids in id_columns:
        if ids is None or not len(ids):
            continue
        codes = index.get_indexer(ids)
        missing = ids[codes < 0]
        if len(missing):
            index = index.append(pd.Index(pd.unique(missing)))
    return index, len(roster_ids)


def counted_attendance(attendance: pd.DataFrame | None) -> pd.DataFrame | None:
    """THE attendance rule: the rows that may count toward completion are those confirmed (see
    the module's docstring), with a learner id. None when none is left."""
    if attendance is None or not len(attendance) or "confirmed" not in attendance:
        return None
    ids = attendance["learner_id"].fillna("").astype(str)
    keep = attendance[attendance["confirmed"].eq(True).to_numpy() & (ids != "").to_numpy()]
    return keep.reset_index(drop=True) if len(keep) else None


def _ids(frame: pd.DataFrame | None):
    return frame["learner_id"].astype(str).to_numpy() if frame is not None and len(frame) else None


def evaluate(
    rule: Rule,
    grades: pd.DataFrame,
    roster: pd.DataFrame | None = None,
    *,
    activity: pd.DataFrame | None = None,
    attendance: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    finished: pd.DataFrame | None = None,
    as_of=None,
    roster_only: bool = False,
) -> Evaluation:
    """Status per person and module on `as_of` (default: now). See the module's docstring.

    People are the roster's staff, then (unless `roster_only`) anyone else with records,
    shown in team NOT_ON_ROSTER so that a mistyped staff number is seen, not lost."""
    as_of = timestamp(as_of)
    now_ns = as_of.value
    modules = pd.Index(rule.modules)
    m = len(modules)
    updated_ns = timestamp(rule.policy_updated).value if rule.policy_updated is not None else NAT

    g_ids, a_ids, f_ids = _ids(grades), _ids(activity), _ids(finished)
    attendance = counted_attendance(attendance) if rule.trainer_led_counts else None
    t_ids = _ids(attendance)
    index, on_roster = _people_index(roster, *(() if roster_only else (g_ids, a_ids, f_ids, t_ids)))
    n = len(index)
    size = n * m

    def cells(ids, module_ids):
        p = index.get_indexer(ids)
        mm = modules.get_indexer(module_ids)
        ok = (p >= 0) & (mm >= 0)
        return p * m + mm, ok

    passed_on = np.full(size, NAT, dtype=np.int64)  # latest pass under the current version
    any_pass = np.full(size, NAT, dtype=np.int64)  # latest pass under any version
    last_graded = np.full(size, NAT, dtype=np.int64)  # latest mark of record, pass or not
    latest_failed = np.zeros(size, dtype=bool)
    latest_review = np.zeros(size, dtype=bool)
    score = np.full(size, np.nan)
    max_score = np.full(size, np.nan)
    mark_score = np.full(size, np.nan)
    mark_max = np.full(size, np.nan)
    mark_critical = np.empty(size, dtype=object)  # the latest mark's critical items scored 0
    mark_critical.fill(())
    attended = np.zeros(size, dtype=bool)
    old_version_pass = np.zeros(size, dtype=bool)  # the latest pass was under an older version

    def current_version(versions, dates) -> np.ndarray:
        if not rule.renew_on_policy_change:
            return np.ones(len(dates), dtype=bool)
        by_date = dates >= updated_ns if updated_ns != NAT else np.ones(len(dates), dtype=bool)
        if versions is None:
            return by_date
        v = versions.to_numpy(dtype=object)
        known = pd.notna(v)
        return np.where(known, v == rule.policy_version, by_date)

    if g_ids is not None:
        cell, ok = cells(g_ids, grades["module_id"].astype(str).to_numpy())
        g_date = as_ns(grades["date"])
        ok &= (g_date != NAT) & (g_date <= now_ns)  # as of a day in the past: later marks did not exist yet
        cell = cell[ok]
        g_score = grades["score"].to_numpy(dtype=float)[ok]
        g_max = grades["max_score"].to_numpy(dtype=float)[ok]
        g_date = g_date[ok]
        g_review = (
            grades["needs_review"].eq(True).to_numpy()[ok]
            if "needs_review" in grades
            else np.zeros(len(cell), dtype=bool)
        )
        g_critical = (
            grades["critical_missed"].to_numpy(dtype=object)[ok]
            if "critical_missed" in grades
            else np.zeros(len(cell), dtype=np.int64)
        )
        g_missed = missed_count(g_critical)
        pm = np.array([rule.pass_marks.get(x, DEFAULT_PASS_MARK) for x in rule.modules])[cell % m] if m else np.zeros(0)
        g_passed = reaches_pass_mark(g_score, g_max, pm, g_missed) & ~g_review
        versions = grades["policy_version"][ok] if "policy_version" in grades else None
        g_current = current_version(versions, g_date)
        np.maximum.at(last_graded, cell, g_date)
        latest_row = g_date == last_graded[cell]
        latest_failed[cell[latest_row & ~g_passed & ~g_review]] = True
        latest_failed[cell[latest_row & (g_passed | g_review)]] = False
        latest_review[cell[latest_row & g_review]] = True
        latest_review[cell[latest_row & ~g_review]] = False
        mark_score[cell[latest_row]] = g_score[latest_row]
        mark_max[cell[latest_row]] = g_max[latest_row]
        for at in np.flatnonzero(latest_row & (g_missed > 0)):  # few: a loop over only these
            missed = g_critical[at]
            mark_critical[cell[at]] = tuple(missed) if isinstance(missed, list | tuple) else ()
        counted = g_passed & g_current
        np.maximum.at(passed_on, cell[counted], g_date[counted])
        np.maximum.at(any_pass, cell[g_passed], g_date[g_passed])
        chosen = counted & (g_date == passed_on[cell])
        score[cell[chosen]] = g_score[chosen]
        max_score[cell[chosen]] = g_max[chosen]
        old = g_passed & ~g_current & (g_date == any_pass[cell])
        old_version_pass[cell[old]] = True

    if t_ids is not None and attendance is not None:  # t_ids only comes from an attendance frame
        t_mod = attendance["module_id"].astype(str).to_numpy()
        t_date = as_ns(attendance["date"])
        every = t_mod == "all"
        if every.any():  # "all" attends every module of the completion
            t_ids = np.concatenate([t_ids[~every], np.repeat(t_ids[every], m)])
            t_date = np.concatenate([t_date[~every], np.repeat(t_date[every], m)])
            t_mod = np.concatenate([t_mod[~every], np.tile(np.array(rule.modules, dtype=object), int(every.sum()))])
        cell, ok = cells(t_ids, t_mod)
        ok &= (t_date != NAT) & (t_date <= now_ns)
        cell, t_date = cell[ok], t_date[ok]
        t_current = current_version(None, t_date)
        np.maximum.at(any_pass, cell, t_date)
        better = t_current & (t_date > passed_on[cell])
        np.maximum.at(passed_on, cell[better], t_date[better])
        won = better & (t_date == passed_on[cell])
        attended[cell[won]] = True
        score[cell[won]] = np.nan
        max_score[cell[won]] = np.nan
        after = t_date >= last_graded[cell]
        latest_failed[cell[after]] = False
        latest_review[cell[after]] = False

    def latest(frame, column) -> np.ndarray:
        out = np.full(size, NAT, dtype=np.int64)
        if frame is not None and len(frame):
            cell, ok = cells(frame["learner_id"].astype(str).to_numpy(), frame["module_id"].astype(str).to_numpy())
            at = as_ns(frame[column])
            ok &= (at != NAT) & (at <= now_ns)
            np.maximum.at(out, cell[ok], at[ok])
        return out

    activity_ns = latest(activity, "last_activity")
    finished_ns = latest(finished, "finished_at")

    # --- per person (from the passes that count) ------------------------------------------
    P = passed_on.reshape(n, m)
    A = any_pass.reshape(n, m)
    has = P != NAT
    n_passed = has.sum(axis=1)
    last = P.max(axis=1) if m else np.full(n, NAT)
    first = np.where(has, P, NEVER).min(axis=1) if m else np.full(n, NEVER)
    all_passed = n_passed == m
    within = first >= add_months(last, -rule.renew_after_months)
    completed = all_passed & within & (m > 0)
    completed_on = np.where(completed, last, NAT)
    due_on = np.where(completed, add_months(completed_on, rule.renew_after_months), NAT)

    # --- per module: the state a learner sees ----------------------------------------------
    # A pass is due again once it can no longer count: for a current completion when that
    # completion is due; otherwise when it is older than renew_after_months (a later
    # completion would have its passes further apart than that).
    pass_due = np.where(np.repeat(completed, m), np.repeat(due_on, m), add_months(passed_on, rule.renew_after_months))
    pass_due = np.where(passed_on != NAT, pass_due, NAT)
    current_pass = (passed_on != NAT) & (pass_due > now_ns)
    touched = np.maximum(last_graded, finished_ns)
    in_progress = (activity_ns != NAT) & (activity_ns > touched)
    being_marked = (finished_ns != NAT) & (finished_ns > last_graded)
    mod_status = np.select(
        [current_pass, in_progress, being_marked, latest_review, latest_failed, any_pass != NAT],
        [0, 1, 2, 3, 4, 5],
        default=6,
    ).astype(np.int8)  # codes into MODULE_STATUSES
    old_policy = (mod_status == 5) & ~(passed_on != NAT) & old_version_pass
    renew_by = np.where(current_pass, pass_due, NAT)

    # an earlier completion: every module passed under some version, close enough together
    S = mod_status.reshape(n, m)
    a_has = A != NAT
    a_last = A.max(axis=1) if m else np.full(n, NAT)
    a_first = np.where(a_has, A, NEVER).min(axis=1) if m else np.full(n, NEVER)
    earlier = ~completed & a_has.all(axis=1) & (a_first >= add_months(a_last, -rule.renew_after_months)) & (m > 0)
    earlier_on = np.where(earlier, a_last, NAT)
    earlier_old = earlier & old_version_pass.reshape(n, m).any(axis=1)
    if history is not None and len(history):
        h = index.get_indexer(history["learner_id"].astype(str).to_numpy())
        h_on = as_ns(history["completed_on"])
        keep = (h >= 0) & (h_on != NAT) & (h_on <= now_ns)
        h_old = (
            history["policy_version"].astype(str).to_numpy() != rule.policy_version
            if "policy_version" in history
            else np.zeros(len(history), dtype=bool)
        )
        rec = np.full(n, NAT, dtype=np.int64)
        np.maximum.at(rec, h[keep], h_on[keep])
        rec_old = np.zeros(n, dtype=bool)
        newest = keep & (h_on == rec[np.where(h >= 0, h, 0)])
        rec_old[h[newest]] = h_old[newest]
        use = ~completed & (rec > earlier_on)
        earlier_on = np.where(use, rec, earlier_on)
        earlier_old = np.where(use, rec_old, earlier_old)
        earlier = earlier | use
    earlier_due = np.where(earlier, add_months(earlier_on, rule.renew_after_months), NAT)
    if rule.renew_on_policy_change and updated_ns != NAT:
        earlier_due = np.where(earlier & earlier_old, np.minimum(earlier_due, updated_ns), earlier_due)

    any_failed = (S == 4).any(axis=1)
    started = ((S != 6).any(axis=1)) | (activity_ns.reshape(n, m) != NAT).any(axis=1)
    soon_ns = now_ns + rule.due_soon_days * DAY
    due_any = np.where(completed, due_on, earlier_due)
    status = np.select(
        [
            completed & (due_on > soon_ns),
            (completed | earlier) & (due_any >= now_ns) & (due_any <= soon_ns),
            (completed | earlier) & (due_any < now_ns),
            earlier & (due_any > soon_ns),
            any_failed,
            started,
        ],
        [COMPLETED, DUE_SOON, OVERDUE, COMPLETED, FAILED, IN_PROGRESS],
        default=NOT_STARTED,
    )

    score2 = score.reshape(n, m)
    max2 = max_score.reshape(n, m)
    att2 = attended.reshape(n, m)
    people = pd.DataFrame({"learner_id": index.to_numpy(dtype=object)})
    if roster is not None and len(roster):
        r = roster.reset_index(drop=True)
        for col in ("staff_number", "name", "team", "role"):
            values = r[col].astype(object).to_numpy() if col in r else np.full(on_roster, "", dtype=object)
            fill = NOT_ON_ROSTER if col == "team" else ""
            people[col] = np.concatenate([values, np.full(n - on_roster, fill, dtype=object)])
        start = as_ns(r["start_date"]) if "start_date" in r else np.full(on_roster, NAT, dtype=np.int64)
        people["start_date"] = _dates(np.concatenate([start, np.full(n - on_roster, NAT, dtype=np.int64)]))
    else:
        people["staff_number"] = people["learner_id"]
        people["name"] = ""
        people["team"] = NOT_ON_ROSTER
        people["role"] = ""
        people["start_date"] = _dates(np.full(n, NAT, dtype=np.int64))
    people["on_roster"] = np.arange(n) < on_roster
    people["status"] = pd.Categorical(status, categories=STATUSES)
    people["modules_passed"] = (S == 0).sum(axis=1)  # modules that count as passed now (not due again)
    people["modules_required"] = m
    people["completed_on"] = _dates(np.where(completed, completed_on, earlier_on))
    people["due_on"] = _dates(due_any)
    people["current_completion"] = completed
    people["score"] = np.where(completed, np.nansum(np.where(has, score2, np.nan), axis=1), np.nan) if m else np.nan
    people["max_score"] = np.where(completed, np.nansum(np.where(has, max2, np.nan), axis=1), np.nan) if m else np.nan
    people["attended_modules"] = att2.sum(axis=1)
    people["last_activity"] = _dates(
        np.maximum(activity_ns.reshape(n, m).max(axis=1), P.max(axis=1)) if m else np.full(n, NAT)
    )
    shape = (n, m)
    cells_ = {
        "status": S,
        "passed_on": P,
        "score": score2,
        "max_score": max2,
        "attended": att2,
        "mark_score": mark_score.reshape(shape),
        "mark_max": mark_max.reshape(shape),
        "mark_critical": mark_critical.reshape(shape),
        "renew_by": renew_by.reshape(shape),
        "old_policy": old_policy.reshape(shape),
        "last_graded": last_graded.reshape(shape),
        "finished": finished_ns.reshape(shape),
        "activity": activity_ns.reshape(shape),
    }
    return Evaluation(rule, as_of, people, cells_)


# --- one learner --------------------------------------------------------------------------
def learner_evaluation(store, course, learner_id: str, as_of=None, rule: Rule | None = None) -> Evaluation:
    """The rule for one learner, from the same sources as the reports, read for that learner only
    (a page kernel reads a few rows, never the whole organisation's)."""
    from course.manager.reports.data import load_inputs

    inputs = load_inputs(store, course=course, learner_ids=[learner_id])
    roster = inputs.roster if len(inputs.roster) else pd.DataFrame({"learner_id": [learner_id]})
    return evaluate(
        rule or inputs.rule,
        inputs.grades,
        roster,
        activity=inputs.activity,
        attendance=inputs.attendance,
        history=inputs.history,
        finished=inputs.finished,
        as_of=as_of,
    )
