"""The completion rule: who has completed the course, who is due again, who failed.

Pure functions over pandas frames, no database and no files: give them the grades, the
roster, the learners' activity, trainer-led attendance and the policy's `completion:` rule,
and they give a status per person and per module, with dates. Everything is vectorised
(one pass of numpy over every grade; no Python loop per person), so 10,000 staff with years
of attempts take well under a second.

The rule (`policy.yaml`, `completion:`), as this module applies it:

- a module is **passed** when a grade reached its pass mark (`score >= pass_mark * max_score`;
  each module's `pass_mark`, which defaults to `completion.pass_mark`) under the current
  policy version (any version when `renew_on_policy_change` is false). Trainer-led
  attendance counts as a pass on the day attended when `trainer_led_counts` is true;
- the course is **completed** when every module in `completion.modules` is passed, with the
  latest passes no more than `renew_after_months` apart (a pass that old must be redone).
  The completion date is the latest of those passes; it is **due** again
  `renew_after_months` later;
- a completion under an older policy version falls due on the day the current version
  took effect (`updated:` in policy.yaml) when `renew_on_policy_change` is true;
- statuses, one per person, first that applies:
  **completed** (due in more than `due_soon_days`), **due soon** (within `due_soon_days`),
  **overdue** (a completion, current or earlier, whose due date has passed),
  **failed** (a module's latest grade is below its pass mark, with no new try since),
  **in progress** (decisions saved, or some modules passed), **not started**.

Frames in (column names; extra columns are ignored):
- grades: learner_id, module_id, score, max_score, date, [policy_version]; one row per graded
  attempt (nbgrader's gradebook has the latest per module; a history is fine too). A grade
  with no policy_version is taken to be under the version in force on its date;
- roster: learner_id, staff_number, name, team, role, start_date (see course.records.roster);
- activity: learner_id, module_id, last_activity: the latest decision saved in the store;
- attendance: learner_id, module_id (a module id, or "all"), date: trainer-led sessions;
- history: learner_id, completed_on, [policy_version]: completions recorded earlier (the
  certificate register), so a lapsed completion is still known after grades were replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

NOT_STARTED, IN_PROGRESS, FAILED, OVERDUE, DUE_SOON, COMPLETED = (
    "not started", "in progress", "failed", "overdue", "due soon", "completed")
STATUSES = [COMPLETED, DUE_SOON, OVERDUE, FAILED, IN_PROGRESS, NOT_STARTED]
MODULE_PASSED, MODULE_DUE_AGAIN = "passed", "due again"
MODULE_STATUSES = [MODULE_PASSED, IN_PROGRESS, FAILED, MODULE_DUE_AGAIN, NOT_STARTED]

NAT = np.iinfo(np.int64).min  # NaT as int64 nanoseconds: smaller than any date
NEVER = np.iinfo(np.int64).max
DAY = 86_400 * 10**9
NOT_ON_ROSTER = "(not on the roster)"


@dataclass(frozen=True)
class Rule:
    """`completion:` from policy.yaml, with the policy version it applies to."""
    modules: tuple[str, ...]
    pass_marks: dict[str, float]
    renew_after_months: int = 12
    renew_on_policy_change: bool = True
    due_soon_days: int = 30
    trainer_led_counts: bool = False
    policy_version: str = ""
    policy_updated: pd.Timestamp | None = None   # when the current version took effect
    minutes: dict[str, int] = field(default_factory=dict)  # estimated learning time per module
    titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_course(cls, course) -> "Rule":
        c = course.policy.completion
        modules = tuple(c.get("modules") or course.modules)
        unknown = [m for m in modules if m not in course.modules]
        if unknown:
            raise KeyError(f"policy.yaml completion.modules names unknown module(s): {', '.join(unknown)}")
        default = float(c.get("pass_mark", 0.8))
        return cls(
            modules=modules,
            pass_marks={m: float(course.modules[m].pass_mark if m in course.modules else default) for m in modules},
            renew_after_months=int(c.get("renew_after_months", 12)),
            renew_on_policy_change=bool(c.get("renew_on_policy_change", True)),
            due_soon_days=int(c.get("due_soon_days", 30)),
            trainer_led_counts=bool(c.get("trainer_led_counts", False)),
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
        frame = pd.DataFrame({
            "learner_id": np.repeat(self.people["learner_id"].to_numpy(), m),
            "module_id": np.tile(np.array(self.rule.modules, dtype=object), n),
            "status": pd.Categorical.from_codes(c["status"].ravel(), MODULE_STATUSES),
            "passed_on": _dates(c["passed_on"].ravel()),
            "score": c["score"].ravel(),
            "max_score": c["max_score"].ravel(),
            "attended": c["attended"].ravel(),
            "last_graded": _dates(c["last_graded"].ravel()),
            "last_activity": _dates(c["activity"].ravel()),
        })
        return frame

    def counts(self, by: str | None = None) -> pd.DataFrame:
        """Number of people per status (columns in STATUSES order), overall or per `by` (e.g. team)."""
        return status_counts(self.people, by)


def status_counts(people: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    status = people["status"]
    codes = (status.cat.codes.to_numpy() if isinstance(status.dtype, pd.CategoricalDtype)
             and list(status.cat.categories) == STATUSES else pd.Categorical(status, categories=STATUSES).codes)
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
    roster_ids = roster["learner_id"].astype(str).to_numpy() if roster is not None and len(roster) else np.array([], dtype=object)
    index = pd.Index(roster_ids)
    if not index.is_unique:
        raise ValueError("the roster has the same learner id twice")
    extras = []
    for ids in id_columns:
        if ids is None or not len(ids):
            continue
        codes = index.get_indexer(ids)
        missing = ids[codes < 0]
        if len(missing):
            extras.append(pd.unique(missing))
            index = index.append(pd.Index(extras[-1]))
    return index, len(roster_ids)


def evaluate(rule: Rule, grades: pd.DataFrame, roster: pd.DataFrame | None = None, *,
             activity: pd.DataFrame | None = None, attendance: pd.DataFrame | None = None,
             history: pd.DataFrame | None = None, as_of=None, roster_only: bool = False) -> Evaluation:
    """Status per person and module on `as_of` (default: now). See the module's docstring.

    People are the roster's staff, then (unless `roster_only`) anyone else with records,
    shown in team NOT_ON_ROSTER so that a mistyped staff number is seen, not lost."""
    as_of = timestamp(as_of)
    now_ns = as_of.value
    modules = pd.Index(rule.modules)
    m = len(modules)
    updated_ns = timestamp(rule.policy_updated).value if rule.policy_updated is not None else NAT

    g_ids = grades["learner_id"].astype(str).to_numpy() if grades is not None and len(grades) else None
    a_ids = activity["learner_id"].astype(str).to_numpy() if activity is not None and len(activity) else None
    t_ids = (attendance["learner_id"].astype(str).to_numpy()
             if rule.trainer_led_counts and attendance is not None and len(attendance) else None)
    index, on_roster = _people_index(roster, *(() if roster_only else (g_ids, a_ids, t_ids)))
    n = len(index)
    size = n * m

    def cells(ids, module_ids):
        p = index.get_indexer(ids)
        mm = modules.get_indexer(module_ids)
        ok = (p >= 0) & (mm >= 0)
        return p * m + mm, ok

    passed_on = np.full(size, NAT, dtype=np.int64)      # latest pass under the current version
    any_pass = np.full(size, NAT, dtype=np.int64)       # latest pass under any version
    last_graded = np.full(size, NAT, dtype=np.int64)
    latest_failed = np.zeros(size, dtype=bool)
    score = np.full(size, np.nan)
    max_score = np.full(size, np.nan)
    attended = np.zeros(size, dtype=bool)
    old_version_pass = np.zeros(size, dtype=bool)       # the latest pass was under an older version

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
        cell = cell[ok]
        g_score = grades["score"].to_numpy(dtype=float)[ok]
        g_max = grades["max_score"].to_numpy(dtype=float)[ok]
        g_date = as_ns(grades["date"])[ok]
        if (g_date > now_ns).any():  # as of a day in the past: later grades did not exist yet
            later = g_date > now_ns
            ok[np.flatnonzero(ok)[later]] = False
            cell, g_score, g_max, g_date = cell[~later], g_score[~later], g_max[~later], g_date[~later]
        pm = np.array([rule.pass_marks.get(x, 0.8) for x in rule.modules])[cell % m] if m else np.zeros(0)
        g_passed = (g_max > 0) & (g_score >= pm * g_max - 1e-9) & (g_date != NAT)
        versions = grades["policy_version"][ok] if "policy_version" in grades else None
        g_current = current_version(versions, g_date)
        np.maximum.at(last_graded, cell, g_date)
        latest_row = g_date == last_graded[cell]
        latest_failed[cell[latest_row & ~g_passed]] = True
        latest_failed[cell[latest_row & g_passed]] = False
        counted = g_passed & g_current
        np.maximum.at(passed_on, cell[counted], g_date[counted])
        np.maximum.at(any_pass, cell[g_passed], g_date[g_passed])
        chosen = counted & (g_date == passed_on[cell])
        score[cell[chosen]] = g_score[chosen]
        max_score[cell[chosen]] = g_max[chosen]
        old = g_passed & ~g_current & (g_date == any_pass[cell])
        old_version_pass[cell[old]] = True

    if t_ids is not None:
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
        latest_failed[cell[t_date >= last_graded[cell]]] = False

    activity_ns = np.full(size, NAT, dtype=np.int64)
    if a_ids is not None:
        cell, ok = cells(a_ids, activity["module_id"].astype(str).to_numpy())
        a_date = as_ns(activity["last_activity"])
        ok &= a_date <= now_ns
        np.maximum.at(activity_ns, cell[ok], a_date[ok])

    # --- per module -----------------------------------------------------------------
    has_pass = passed_on != NAT
    retrying = (activity_ns != NAT) & (activity_ns > last_graded)
    mod_status = np.select(
        [has_pass, retrying, latest_failed, any_pass != NAT],
        [0, 1, 2, 3], default=4).astype(np.int8)  # codes into MODULE_STATUSES

    # --- per person ---------------------------------------------------------------
    P = passed_on.reshape(n, m)
    A = any_pass.reshape(n, m)
    S = mod_status.reshape(n, m)
    has = P != NAT
    n_passed = has.sum(axis=1)
    last = P.max(axis=1) if m else np.full(n, NAT)
    first = np.where(has, P, NEVER).min(axis=1) if m else np.full(n, NEVER)
    all_passed = n_passed == m
    within = first >= add_months(last, -rule.renew_after_months)
    completed = all_passed & within & (m > 0)
    completed_on = np.where(completed, last, NAT)
    due_on = np.where(completed, add_months(completed_on, rule.renew_after_months), NAT)

    # an earlier completion: every module passed under some version, close enough together
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
        h_old = (history["policy_version"].astype(str).to_numpy() != rule.policy_version
                 if "policy_version" in history else np.zeros(len(history), dtype=bool))
        rec = np.full(n, NAT, dtype=np.int64)
        np.maximum.at(rec, h[keep], h_on[keep])
        rec_old = np.zeros(n, dtype=bool)
        latest = keep & (h_on == rec[np.where(h >= 0, h, 0)])
        rec_old[h[latest]] = h_old[latest]
        use = ~completed & (rec > earlier_on)
        earlier_on = np.where(use, rec, earlier_on)
        earlier_old = np.where(use, rec_old, earlier_old)
        earlier = earlier | use
    earlier_due = np.where(earlier, add_months(earlier_on, rule.renew_after_months), NAT)
    if rule.renew_on_policy_change and updated_ns != NAT:
        earlier_due = np.where(earlier & earlier_old, np.minimum(earlier_due, updated_ns), earlier_due)

    any_failed = (S == 2).any(axis=1)
    started = ((S != 4).any(axis=1)) | (activity_ns.reshape(n, m) != NAT).any(axis=1)
    soon_ns = now_ns + rule.due_soon_days * DAY
    due_any = np.where(completed, due_on, earlier_due)
    status = np.select(
        [completed & (due_on > soon_ns),
         (completed | earlier) & (due_any >= now_ns) & (due_any <= soon_ns),
         (completed | earlier) & (due_any < now_ns),
         earlier & (due_any > soon_ns),
         any_failed, started],
        [COMPLETED, DUE_SOON, OVERDUE, COMPLETED, FAILED, IN_PROGRESS], default=NOT_STARTED)

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
    people["modules_passed"] = n_passed
    people["modules_required"] = m
    people["completed_on"] = _dates(np.where(completed, completed_on, earlier_on))
    people["due_on"] = _dates(due_any)
    people["current_completion"] = completed
    people["score"] = np.where(completed, np.nansum(np.where(has, score2, np.nan), axis=1), np.nan) if m else np.nan
    people["max_score"] = np.where(completed, np.nansum(np.where(has, max2, np.nan), axis=1), np.nan) if m else np.nan
    people["attended_modules"] = att2.sum(axis=1)
    people["last_activity"] = _dates(np.maximum(activity_ns.reshape(n, m).max(axis=1), P.max(axis=1)) if m else np.full(n, NAT))
    cells_ = {"status": S, "passed_on": P, "score": score2, "max_score": max2, "attended": att2,
              "last_graded": last_graded.reshape(n, m), "activity": activity_ns.reshape(n, m)}
    return Evaluation(rule, as_of, people, cells_)


def timeline(evaluation: Evaluation, history: pd.DataFrame | None = None, *, months: int = 24,
             by: str | None = None) -> pd.DataFrame:
    """Completion rate at the end of each of the last `months` months (and today).

    A person counts as complete on a day when a completion (the current one, or one in
    `history`: learner_id, completed_on) was made on or before it and was not yet due. The
    people are today's (the roster as it is now); staff with a start date later than a day
    are not counted on it."""
    people = evaluation.people
    rule = evaluation.rule
    ends = pd.date_range(end=evaluation.as_of.normalize(), periods=months + 1, freq="ME")
    ends = ends[ends < evaluation.as_of.normalize()].append(pd.DatetimeIndex([evaluation.as_of.normalize()]))
    ends_ns = ends.to_numpy().astype("datetime64[ns]").view("int64") + DAY - 1  # end of each day
    index = pd.Index(people["learner_id"])
    events_p = [np.flatnonzero(people["current_completion"].to_numpy())]
    events_on = [as_ns(people["completed_on"])[events_p[0]]]
    if history is not None and len(history):
        p = index.get_indexer(history["learner_id"].astype(str).to_numpy())
        on = as_ns(history["completed_on"])
        keep = (p >= 0) & (on != NAT)
        events_p.append(p[keep])
        events_on.append(on[keep])
    ep = np.concatenate(events_p)
    eon = np.concatenate(events_on)
    edue = add_months(eon, rule.renew_after_months)
    # people x days: complete when any of their completions covers the day
    covered = (eon[:, None] <= ends_ns[None, :]) & (edue[:, None] > ends_ns[None, :])
    complete = np.zeros((len(people), len(ends)), dtype=bool)
    np.logical_or.at(complete, ep, covered)
    start = as_ns(people["start_date"])
    employed = (start == NAT)[:, None] | (start[:, None] <= ends_ns[None, :])
    groups = people[by].astype(str).to_numpy() if by else np.array(["all staff"] * len(people), dtype=object)
    rows = []
    for group in pd.unique(groups):
        sel = groups == group
        staff = employed[sel].sum(axis=0)
        done = (complete[sel] & employed[sel]).sum(axis=0)
        for day, s, d in zip(ends, staff, done):
            rows.append({"group": group, "date": day.date(), "staff": int(s), "completed": int(d),
                         "completion_rate": (d / s) if s else 0.0})
    frame = pd.DataFrame(rows, columns=["group", "date", "staff", "completed", "completion_rate"])
    return frame.rename(columns={"group": by}) if by else frame.drop(columns="group")
