"""Subject access and retention.

- `export_learner`: every record about one learner, as JSON, or as a zip with that JSON,
  their certificates and learning record as pages, and their files from nbgrader's
  course folder (submitted, autograded, feedback). Every table in the records store that
  has a `learner_id` column is read, including ones added later (for example attendance).
- `purge`: deletes records older than a date, and says how many of each kind it removed
  (never whose). In the records store it is one transaction: all of it happens or none.
  nbgrader's gradebook is a separate database: its old submissions are removed after the
  store's transaction has committed, with nbgrader's own API; their folders are first moved
  aside and deleted only when both databases are done, so a failure puts them back.

What "older than the date" means for each kind:
  an attempt (with its decisions and reflections): its last activity; a grading-log entry:
  when graded; a Finish request: when made; a sign-in session: when it expired; a
  certificate: its completion date; a learner: when first seen, and only once nothing else
  about them is left; an nbgrader submission: its submission time; attendance: its date.
The staff list (roster) is not purged: it is replaced by the next import.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import MetaData, and_, delete, func, select, tuple_

from course.records.store import Store, attempts, decisions, learners, now, reflections

SECRET_COLUMNS = ("token_hash",)
GRADING_FOLDERS = ("submitted", "autograded", "feedback")


def _jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _all_tables(store: Store) -> MetaData:
    reflected = MetaData()
    reflected.reflect(bind=store.engine)
    return reflected


def _roster_numbers(store: Store, learner_id: str) -> list[str]:
    from course.records.roster import ensure_table, staff

    ensure_table(store)
    rows = store._read(select(staff.c.staff_number).where(staff.c.learner_id == learner_id))
    return [r[0] for r in rows]


def store_records(store: Store, learner_id: str) -> dict[str, list[dict]]:
    """table -> rows about this learner (credentials withheld), for every table in the store."""
    numbers = sorted(set(_roster_numbers(store, learner_id)) | {learner_id})
    out: dict[str, list[dict]] = {}
    for name, table in sorted(_all_tables(store).tables.items()):
        columns = table.c.keys()
        if "learner_id" in columns:
            condition = table.c.learner_id == learner_id
        elif "staff_number" in columns:
            condition = table.c.staff_number.in_(numbers)
        else:
            continue
        rows = store._read(select(table).where(condition))
        if not rows:
            continue
        out[name] = [{k: ("(withheld: a security credential)" if k in SECRET_COLUMNS else _jsonable(v))
                      for k, v in r._mapping.items()} for r in rows]
    return out


def gradebook_records(learner_id: str, root: Path | None = None) -> list[dict]:
    """The learner's submissions in nbgrader's gradebook (empty when there is no gradebook)."""
    from course.manager.reports.data import gradebook_exists

    if not gradebook_exists(root):
        return []
    from nbgrader.api import Gradebook, MissingEntry

    from course.grading.coursedir import _alembic_on_path, gradebook_url

    _alembic_on_path()
    out = []
    with Gradebook(gradebook_url(root)) as gb:
        try:
            gb.find_student(learner_id)
        except MissingEntry:
            return []
        for assignment in gb.assignments:
            try:
                sub = gb.find_submission(assignment.name, learner_id)
            except MissingEntry:
                continue
            out.append({"module": assignment.name, "submitted_at": _jsonable(sub.timestamp),
                        "score": float(sub.score), "max_score": float(sub.max_score)})
    return out


def _learner_folders(learner_id: str, root: Path | None = None) -> list[Path]:
    from course.grading.coursedir import grading_root

    root = Path(root or grading_root())
    return [root / kind / learner_id for kind in GRADING_FOLDERS if (root / kind / learner_id).is_dir()]


def export_learner(store: Store, learner_id: str, *, root: Path | None = None, course=None) -> dict:
    """Everything about one learner, as one JSON-ready dict."""
    from course.manager import certificates

    records = store_records(store, learner_id)
    grades = gradebook_records(learner_id, root)
    if not records and not grades and not _learner_folders(learner_id, root):
        raise KeyError(f"nothing is held about learner '{learner_id}'")
    return {
        "learner_id": learner_id, "exported_at": now().isoformat(timespec="seconds"),
        "about": "Every record this course holds about one learner: the records store (one key per table), "
                 "nbgrader's gradebook, and the list of files from nbgrader's course folder (in files/ of the zip).",
        "records_store": records, "gradebook": grades,
        "files": [str(p.relative_to(p.parents[1])) + "/" + str(f.relative_to(p))
                  for p in _learner_folders(learner_id, root) for f in sorted(p.rglob("*")) if f.is_file()],
        "certificates": [c["certificate_id"] for c in certificates.for_learner(store, learner_id)],
    }


def write_export_zip(store: Store, learner_id: str, path: Path, *, root: Path | None = None, course=None) -> Path:
    """The export as a zip: records.json, certificates/*.html, learning-record.html, files/."""
    from course.manager import certificates
    from course.records.atomic import write_atomic
    from course.content.model import load_course
    from course.manager.learning_record import learning_record, to_html

    course = course or load_course()
    data = export_learner(store, learner_id, root=root, course=course)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("records.json", json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        for cert in certificates.for_learner(store, learner_id):
            z.writestr(f"certificates/{cert['certificate_id']}.html", certificates.render_html(cert, course))
        try:
            z.writestr("learning-record.html", to_html(learning_record(store, learner_id, course)))
        except KeyError:
            pass
        for folder in _learner_folders(learner_id, root):
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    z.write(f, f"files/{folder.parent.name}/{f.relative_to(folder)}")
    write_atomic(Path(path), buffer.getvalue())
    return Path(path)


# --- retention ----------------------------------------------------------------------------
@dataclass
class PurgeResult:
    before: datetime
    removed: dict[str, int] = field(default_factory=dict)
    learners_affected: int = 0
    dry_run: bool = False
    not_covered: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _cutoff(before) -> datetime:
    if isinstance(before, datetime):
        return _aware(before)
    if isinstance(before, date):
        return datetime(before.year, before.month, before.day, tzinfo=timezone.utc)
    return _cutoff(date.fromisoformat(str(before)))


def _old_attempts(conn, cutoff: datetime) -> list[tuple[str, str, int]]:
    """(learner, module, attempt) whose last activity is before the cutoff."""
    d = (select(decisions.c.learner_id, decisions.c.module_id, decisions.c.attempt, func.max(decisions.c.decided_at).label("at"))
         .group_by(decisions.c.learner_id, decisions.c.module_id, decisions.c.attempt))
    r = (select(reflections.c.learner_id, reflections.c.module_id, reflections.c.attempt, func.max(reflections.c.saved_at).label("at"))
         .group_by(reflections.c.learner_id, reflections.c.module_id, reflections.c.attempt))
    last: dict[tuple, datetime] = {}
    for row in conn.execute(select(attempts.c.learner_id, attempts.c.module_id, attempts.c.attempt,
                                   attempts.c.started_at, attempts.c.finished_at)):
        key = (row.learner_id, row.module_id, row.attempt)
        last[key] = max(x for x in (_aware(row.started_at), _aware(row.finished_at)) if x is not None)
    for row in list(conn.execute(d)) + list(conn.execute(r)):
        key = (row.learner_id, row.module_id, row.attempt)
        at = _aware(row.at)
        last[key] = max(last.get(key, at), at)
    return [k for k, at in last.items() if at < cutoff]


def _delete_keys(conn, table, keys: list[tuple]) -> int:
    removed = 0
    columns = tuple_(table.c.learner_id, table.c.module_id, table.c.attempt)
    for i in range(0, len(keys), 300):
        result = conn.execute(delete(table).where(columns.in_(keys[i:i + 300])))
        removed += result.rowcount or 0
    return removed


def _old_submissions(cutoff: datetime, root: Path | None) -> list[tuple[str, str]]:
    from course.manager.reports.data import gradebook_exists

    if not gradebook_exists(root):
        return []
    from nbgrader.api import Gradebook

    from course.grading.coursedir import _alembic_on_path, gradebook_url

    _alembic_on_path()
    out = []
    with Gradebook(gradebook_url(root)) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                if sub.timestamp is not None and _aware(sub.timestamp) < cutoff:
                    out.append((sub.student.id, assignment.name))
    return out


def purge(store: Store, before, *, root: Path | None = None, dry_run: bool = False,
          include_gradebook: bool = True) -> PurgeResult:
    """Delete every record older than `before` (a date: records from before that day). See the docstring."""
    from course.manager.certificates import certificates, ensure_table as ensure_certificates
    from course.grading.coursedir import grading_root
    from course.grading.queue import requests
    from course.grading.state import gradings
    from course.records.signin_tokens import sessions

    cutoff = _cutoff(before)
    result = PurgeResult(before=cutoff, dry_run=dry_run)
    ensure_certificates(store)
    for table in (gradings, requests, sessions):
        table.create(store.engine, checkfirst=True)
    everything = _all_tables(store).tables
    learner_tables = [t for n, t in everything.items() if n != "learners" and "learner_id" in t.c.keys()]
    has_attendance = "attendance" in everything
    known = {"learners", "attempts", "decisions", "reflections", "gradings", "grading_queue", "sessions",
             "certificates", "staff", "attendance", "live_attendance"}
    result.not_covered = sorted(t.name for t in everything.values() if t.name not in known
                                and ({"learner_id", "staff_number"} & set(t.c.keys())))

    old_subs = _old_submissions(cutoff, root) if include_gradebook else []
    grading = Path(root or grading_root())
    staging = grading / f".purge-{os.getpid()}-{int(now().timestamp())}"
    moved: list[tuple[Path, Path]] = []

    simple = [("grading log entries", gradings, gradings.c.graded_at < cutoff),
              ("Finish requests", requests, and_(requests.c.requested_at < cutoff, requests.c.status.in_(["done", "failed"]))),
              ("sign-in sessions", sessions, sessions.c.expires_at < cutoff),
              ("certificates", certificates, certificates.c.completed_on < cutoff.date())]
    if "live_attendance" in everything and "joined_at" in everything["live_attendance"].c:
        live = everything["live_attendance"]  # trainer-led sessions: who joined, by name or staff number
        simple.append(("live session attendances", live, live.c.joined_at < cutoff))
    if has_attendance:
        attendance = MetaData()
        attendance.reflect(bind=store.engine, only=["attendance"])
        att = attendance.tables["attendance"]
        if "date" in att.c:
            simple.append(("trainer-led attendances", att, att.c.date < cutoff.date()))

    affected: set[str] = set()
    try:
        if not dry_run:
            for learner, module in old_subs:
                for kind in GRADING_FOLDERS:
                    source = grading / kind / learner / module
                    if source.exists():
                        target = staging / kind / learner / module
                        target.parent.mkdir(parents=True, exist_ok=True)
                        source.rename(target)
                        moved.append((source, target))
        # one transaction; a dry run makes the same deletions and rolls them back, so its counts are exact
        with store.engine.connect() as conn:
            transaction = conn.begin()
            try:
                keys = _old_attempts(conn, cutoff)
                affected |= {k[0] for k in keys}
                result.removed["decisions"] = _delete_keys(conn, decisions, keys)
                result.removed["reflections"] = _delete_keys(conn, reflections, keys)
                # answers saved without an attempt row: by their own date
                for label, table, column in (("decisions", decisions, decisions.c.decided_at),
                                             ("reflections", reflections, reflections.c.saved_at)):
                    orphan = and_(column < cutoff, ~tuple_(table.c.learner_id, table.c.module_id, table.c.attempt).in_(
                        select(attempts.c.learner_id, attempts.c.module_id, attempts.c.attempt)))
                    affected |= {r[0] for r in conn.execute(select(table.c.learner_id).where(orphan).distinct())}
                    result.removed[label] += conn.execute(delete(table).where(orphan)).rowcount or 0
                result.removed["attempts"] = _delete_keys(conn, attempts, keys)
                for label, table, condition in simple:
                    who = next((table.c[k] for k in ("learner_id", "staff_number", "name") if k in table.c), None)
                    if who is not None:
                        affected |= {r[0] for r in conn.execute(select(who).where(condition).distinct())}
                    result.removed[label] = conn.execute(delete(table).where(condition)).rowcount or 0
                # a learner row goes once nothing else about them is left
                keep = set()
                for table in learner_tables:
                    keep |= {r[0] for r in conn.execute(select(table.c.learner_id).distinct())}
                gone = [r.learner_id for r in conn.execute(select(learners.c.learner_id)
                                                           .where(learners.c.created_at < cutoff))
                        if r.learner_id not in keep]
                for i in range(0, len(gone), 500):
                    conn.execute(delete(learners).where(learners.c.learner_id.in_(gone[i:i + 500])))
                result.removed["learners"] = len(gone)
                affected |= set(gone)
            except BaseException:
                transaction.rollback()
                raise
            if dry_run:
                transaction.rollback()
            else:
                transaction.commit()
    except BaseException:
        for source, target in reversed(moved):
            source.parent.mkdir(parents=True, exist_ok=True)
            target.rename(source)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result.removed["gradebook submissions"] = len(old_subs)
    result.removed["submission folders"] = len(moved) if not dry_run else sum(
        1 for learner, module in old_subs for kind in GRADING_FOLDERS if (grading / kind / learner / module).exists())
    affected |= {s[0] for s in old_subs}
    if old_subs and not dry_run:
        from nbgrader.api import Gradebook

        from course.grading.coursedir import gradebook_url

        with Gradebook(gradebook_url(root)) as gb:
            for learner, module in old_subs:
                gb.remove_submission(module, learner)
    shutil.rmtree(staging, ignore_errors=True)
    for kind in GRADING_FOLDERS:  # learner folders left empty
        for learner in {s[0] for s in old_subs}:
            folder = grading / kind / learner
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    result.learners_affected = len(affected)
    return result
