"""Subject access and retention.

- `export_learner`: every record about one learner, as JSON, or as a zip with that JSON,
  their certificates and learning record as pages, and their files from nbgrader's
  course folder (submitted, autograded, feedback). Every table the records schema marks
  as personal is read, so a table added there is exported with no change here.
- `purge`: deletes records older than a date, and says how many of each kind it removed
  (never whose). In the records store it is one transaction: all of it happens or none.
  nbgrader's gradebook is a separate database: its old submissions are removed after the
  store's transaction has committed, with nbgrader's own API; their folders are first moved
  aside and deleted only when both databases are done, so a failure puts them back.

What "older than the date" means for each kind:
  an attempt (with its decisions, reflections and layout): its last activity; a grading-log entry:
  when graded; a Finish request: when made; a sign-in session: when it expired; a
  certificate: its completion date; a learner: when first seen, and only once nothing else
  about them is left; an nbgrader submission: its submission time; attendance: its date.
The staff list (roster) is not purged: it is replaced by the next import.

Every trace goes: a learner left with no submission loses their nbgrader student row too, and
their folders under submitted/, autograded/ and feedback/ (lock files, kept originals and all)
once no module folder is left in them; then the store and the gradebook are compacted (the
SQLite WAL checkpointed and truncated, VACUUM), so deleted text is in neither the -wal file nor
a free page. `export_learner` names every place it looked (`looked_in`), so an export after a
purge shows nothing is left.
"""

from __future__ import annotations

import html
import io
import json
import os
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from course.records import retention
from course.records.store import Store, aware, now

GRADING_FOLDERS = ("submitted", "autograded", "feedback")


def store_records(store: Store, learner_id: str) -> dict[str, list[dict]]:
    """table -> rows about this learner (credentials withheld), for every personal table in the store."""
    return retention.rows_about(store, learner_id)


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
            student = gb.find_student(learner_id)
        except MissingEntry:
            return []
        if not student.submissions:  # a student row alone is a trace too
            return [{"module": None, "student": learner_id, "submitted_at": None, "score": None, "max_score": None}]
        for assignment in gb.assignments:
            try:
                sub = gb.find_submission(assignment.name, learner_id)
            except MissingEntry:
                continue
            out.append(
                {
                    "module": assignment.name,
                    "submitted_at": retention.jsonable(sub.timestamp),
                    "score": float(sub.score),
                    "max_score": float(sub.max_score),
                }
            )
    return out


def _learner_folders(learner_id: str, root: Path | None = None) -> list[Path]:
    return [p for p in _places(learner_id, root) if p.is_dir()]


def _places(learner_id: str, root: Path | None = None) -> list[Path]:
    from course.grading.coursedir import grading_root

    root = Path(root or grading_root())
    return [root / kind / learner_id for kind in GRADING_FOLDERS]


def looked_in(store: Store, learner_id: str, root: Path | None = None) -> list[str]:
    """Every place an export reads: each personal table of the store, the gradebook, each folder."""
    from sqlalchemy.engine import make_url

    from course.grading.coursedir import gradebook_url

    tables = [f"records store table '{table.name}'" for table, _personal in retention.personal_tables()]
    gradebook = make_url(gradebook_url(root)).render_as_string(hide_password=True)
    return [
        *tables,
        f"nbgrader gradebook {gradebook}: its student row and submissions",
        *(f"folder {p}" for p in _places(learner_id, root)),
    ]


def export_learner(store: Store, learner_id: str, *, root: Path | None = None, course=None) -> dict:
    """Everything about one learner, as one JSON-ready dict."""
    from course.manager import certificates

    records = store_records(store, learner_id)
    grades = gradebook_records(learner_id, root)
    places = looked_in(store, learner_id, root)
    if not records and not grades and not _learner_folders(learner_id, root):
        raise KeyError(f"nothing is held about learner '{learner_id}'. Looked in: " + "; ".join(places))
    return {
        "learner_id": learner_id,
        "exported_at": now().isoformat(timespec="seconds"),
        "about": "Every record this course holds about one learner: the records store (one key per table), "
        "nbgrader's gradebook, and the list of files from nbgrader's course folder (in files/ of the zip).",
        "records_store": records,
        "gradebook": grades,
        "files": [
            str(p.relative_to(p.parents[1])) + "/" + str(f.relative_to(p))
            for p in _learner_folders(learner_id, root)
            for f in sorted(p.rglob("*"))
            if f.is_file()
        ],
        "certificates": [c["certificate_id"] for c in certificates.for_learner(store, learner_id)],
        "looked_in": places,
    }


def write_export_zip(store: Store, learner_id: str, path: Path, *, root: Path | None = None, course=None) -> Path:
    """The export as a zip: records.json, certificates/*.html, learning-record.html, attempts.html
    (what each attempt showed, in order, and the choice picked), files/."""
    from course.atomic import write_atomic
    from course.content.model import load_course
    from course.manager import certificates
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
        from course.manager.attempt_review import as_html, review

        z.writestr(
            "attempts.html",
            f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Attempts of {html.escape(learner_id)}"
            f"</title><body><h1>What each attempt showed</h1>{as_html(review(store, course, learner_id))}</body></html>",
        )
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


def _cutoff(before) -> datetime:
    if isinstance(before, datetime):
        return aware(before)
    if isinstance(before, date):
        return datetime(before.year, before.month, before.day, tzinfo=UTC)
    return _cutoff(date.fromisoformat(str(before)))


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
                if sub.timestamp is not None and aware(sub.timestamp) < cutoff:
                    out.append((sub.student.id, assignment.name))
    return out


def purge(
    store: Store, before, *, root: Path | None = None, dry_run: bool = False, include_gradebook: bool = True
) -> PurgeResult:
    """Delete every record older than `before` (a date: records from before that day). See the docstring."""
    from course.grading.coursedir import grading_root

    cutoff = _cutoff(before)
    result = PurgeResult(before=cutoff, dry_run=dry_run)
    result.not_covered = retention.not_covered(store)

    old_subs = _old_submissions(cutoff, root) if include_gradebook else []
    grading = Path(root or grading_root())
    staging = grading / f".purge-{os.getpid()}-{int(now().timestamp())}"
    moved: list[tuple[Path, Path]] = []

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
        removed, who = retention.purge_before(store, cutoff, dry_run=dry_run)
        result.removed.update(removed)
        affected |= who
    except BaseException:
        for source, target in reversed(moved):
            source.parent.mkdir(parents=True, exist_ok=True)
            target.rename(source)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result.removed["gradebook submissions"] = len(old_subs)
    result.removed["submission folders"] = (
        len(moved)
        if not dry_run
        else sum(
            1
            for learner, module in old_subs
            for kind in GRADING_FOLDERS
            if (grading / kind / learner / module).exists()
        )
    )
    affected |= {s[0] for s in old_subs}
    gone_students: list[str] = []
    if old_subs:
        from nbgrader.api import Gradebook

        from course.grading.coursedir import gradebook_url

        with Gradebook(gradebook_url(root)) as gb:
            for learner, module in old_subs if not dry_run else []:
                gb.remove_submission(module, learner)
            for learner in sorted({s[0] for s in old_subs}):
                left = {sub.assignment.name for sub in gb.find_student(learner).submissions}
                if not left - {m for who, m in old_subs if who == learner}:
                    gone_students.append(learner)
            for learner in gone_students if not dry_run else []:
                gb.remove_student(learner)
    result.removed["gradebook students"] = len(gone_students)
    shutil.rmtree(staging, ignore_errors=True)
    if not dry_run:
        for kind in GRADING_FOLDERS:  # a learner folder with no module left: lock files and all go
            for learner in {s[0] for s in old_subs}:
                folder = grading / kind / learner
                if folder.is_dir() and not any(p.is_dir() and not p.name.startswith(".") for p in folder.iterdir()):
                    shutil.rmtree(folder)
        store.compact()  # deleted rows out of the WAL and the free pages
        if old_subs:
            _compact_gradebook(root)
    result.learners_affected = len(affected)
    return result


def _compact_gradebook(root: Path | None) -> None:
    """nbgrader's SQLite gradebook rewritten without the free pages its deletions left."""
    import sqlite3

    from course.grading.coursedir import gradebook_url

    url = gradebook_url(root)
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as conn:
            conn.execute("VACUUM")
