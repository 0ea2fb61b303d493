"""The staff list (roster): who should do the training, in which team, since when.

Managers import it from a CSV file, as HR or a rota system exports it. An import is all or
nothing: every row is checked first, every problem is reported as "line N: what is wrong",
and the table is changed only when the whole file is good, in one transaction.

Identity: with a roster, only people on it can sign in (with a code from `course roster invite`,
then their own PIN or passphrase: course.app.signin); the course uses the staff number (upper case, no spaces) as their learner id. So a roster row joins the records by
`learner_id`, which is the staff number unless the file has a `learner id` (or `username`)
column, for a hub whose user names are not staff numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, select

from course.records import identity
from course.records.store import Store, now
from course.records.tables import staff

COLUMNS = ["staff_number", "learner_id", "name", "team", "role", "start_date"]

# header spellings seen in HR exports -> our column; anything else is ignored
ALIASES = {
    "staff_number": (
        "staff number",
        "staff no",
        "staff no.",
        "staff id",
        "staff_number",
        "employee number",
        "employee no",
        "employee id",
        "payroll number",
        "number",
    ),
    "name": ("name", "full name", "staff name", "employee name"),
    "first_name": ("first name", "forename", "given name"),
    "last_name": ("last name", "surname", "family name"),
    "team": ("team", "service", "team/service", "team / service", "team or service", "department", "unit"),
    "role": ("role", "job title", "job role", "position", "post"),
    "start_date": ("start date", "start_date", "started", "date started", "employment start date"),
    "learner_id": ("learner id", "learner_id", "username", "hub user", "jupyterhub user"),
}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y")


class RosterError(Exception):
    """A roster file that cannot be imported; `problems` lists each one with its line."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        super().__init__(f"{source}: nothing imported: {shown}")


@dataclass
class ImportResult:
    rows: int
    added: int
    updated: int
    removed: int
    ignored_columns: list[str] = field(default_factory=list)


def _key(header: str) -> str:
    return " ".join(header.replace("_", " ").strip().lower().split()) if header else ""


def _map_headers(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    lookup = {_key(alias): column for column, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        column = lookup.get(_key(header))
        if column and column not in found:
            found[column] = index
        elif (header or "").strip():
            ignored.append(header.strip())
    return found, ignored


def clean_staff_number(value: str) -> str:
    """The learner-id form of a staff number, as the course home makes it at sign-in; "" for an
    empty cell; identity.DetailsError for one the course home would refuse."""
    return identity.staff_number(value, required=False)


def parse_date(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"start date '{value}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.__getitem__) if any(counts.values()) else ","


def parse_csv(text: str, source: str = "roster") -> tuple[list[dict], list[str]]:
    """Rows ready to store, and the ignored column names; RosterError listing every bad line."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise RosterError(source, ["line 1: the file is empty (expected a header row and one row per member of staff)"])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(lines[0]))
    try:
        headers = next(reader)
    except csv.Error as exc:
        raise RosterError(source, [f"line 1: {exc}"]) from None
    found, ignored = _map_headers(headers)
    missing = []
    if "staff_number" not in found:
        missing.append("staff number")
    if "name" not in found and not {"first_name", "last_name"} <= set(found):
        missing.append("name")
    if "team" not in found:
        missing.append("team (or service)")
    if missing:
        raise RosterError(
            source,
            [f"line 1: no {', no '.join(missing)} column (found: {', '.join(h for h in headers if h) or 'nothing'})"],
        )

    rows: list[dict] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    seen_learner: dict[str, int] = {}
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"line {reader.line_num}: {exc}")
            break
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank line

        def cell(column: str, record: list[str] = record) -> str:  # bound now: one row's cells
            index = found.get(column)
            return record[index].strip() if index is not None and index < len(record) else ""

        if len(record) < len(headers) and len(record) <= max(found.values()):
            problems.append(f"line {line}: {len(record)} field(s) where the header has {len(headers)}")
            continue
        errors = []
        try:
            number = clean_staff_number(cell("staff_number"))
        except identity.DetailsError:
            number = None
            errors.append(f"staff number '{cell('staff_number')}' is not {identity.STAFF_NUMBER_RULE}")
        if number == "":
            errors.append("no staff number")
        elif number in seen:
            errors.append(f"staff number {number} is also on line {seen[number]}")
        try:
            name = identity.person_name(cell("name") or f"{cell('first_name')} {cell('last_name')}", required=False)
            if not name:
                errors.append("no name")
        except identity.DetailsError as exc:
            errors.append(f"name: {exc}")
        team = " ".join(cell("team").split())
        if not team:
            errors.append("no team or service")
        role = " ".join(cell("role").split())
        try:
            start = parse_date(cell("start_date"))
        except ValueError as exc:
            errors.append(str(exc))
            start = None
        learner_id = cell("learner_id") or number
        if learner_id and learner_id != number and not identity.valid_learner_id(learner_id):
            errors.append(f"learner id '{learner_id}' is not valid (letters, digits, . _ @ -)")
        elif learner_id in seen_learner and learner_id != number:
            errors.append(f"learner id {learner_id} is also on line {seen_learner[learner_id]}")
        if errors:
            problems.append(f"line {line}: " + "; ".join(errors))
            continue
        # a staff number that failed to clean (None) added an error, so the line was skipped above
        assert number is not None and learner_id is not None
        seen[number] = line
        seen_learner[learner_id] = line
        rows.append(
            {
                "staff_number": number,
                "learner_id": learner_id,
                "name": name,
                "team": team,
                "role": role,
                "start_date": start,
            }
        )
    if problems:
        raise RosterError(source, problems)
    if not rows:
        raise RosterError(source, ["the file has a header but no staff rows"])
    return rows, ignored


def read_csv_file(path: Path) -> str:
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            return raw.decode("cp1252")  # Excel's "CSV" on Windows
        except UnicodeDecodeError:
            raise RosterError(str(path), [f"line {line}: not UTF-8 text (save the file as 'CSV UTF-8')"]) from None


def import_csv(store: Store, path: Path, *, replace: bool = True) -> ImportResult:
    """Check the whole file, then replace (or, with replace=False, add to) the roster in one transaction."""
    rows, ignored = parse_csv(read_csv_file(path), str(path))
    return import_rows(store, rows, replace=replace, ignored=ignored)


def import_rows(
    store: Store, rows: list[dict], *, replace: bool = True, ignored: list[str] | None = None
) -> ImportResult:
    stamp = now()
    incoming = {r["staff_number"] for r in rows}
    with store.engine.begin() as conn:
        existing = {r.staff_number for r in conn.execute(select(staff.c.staff_number))}
        removed = existing - incoming if replace else set()
        if replace:
            conn.execute(delete(staff))
        else:
            conn.execute(delete(staff).where(staff.c.staff_number.in_(incoming)))
        conn.execute(staff.insert(), [{**r, "imported_at": stamp} for r in rows])
    return ImportResult(
        rows=len(rows),
        added=len(incoming - existing),
        updated=len(incoming & existing),
        removed=len(removed),
        ignored_columns=list(ignored or []),
    )


def in_use(store: Store) -> bool:
    """Is there a staff list? Then only people on it can sign in (course.app.signin)."""
    return bool(store._read(select(staff.c.staff_number).limit(1)))


def person(store: Store, staff_number: str) -> dict | None:
    """The roster row of one staff number (already in learner-id form), or None."""
    rows = store._read(select(*(staff.c[c] for c in COLUMNS)).where(staff.c.staff_number == staff_number))
    return dict(rows[0]._mapping) if rows else None


def person_by_learner(store: Store, learner_id: str) -> dict | None:
    """The roster row whose learner id this is, or None."""
    rows = store._read(select(*(staff.c[c] for c in COLUMNS)).where(staff.c.learner_id == learner_id))
    return dict(rows[0]._mapping) if rows else None


def people(store: Store, team: str | None = None, numbers: list[str] | None = None) -> list[dict]:
    """Roster rows, by team then name: all, one team's, or these staff numbers'."""
    query = select(*(staff.c[c] for c in COLUMNS)).order_by(staff.c.team, staff.c.name)
    if team is not None:
        query = query.where(staff.c.team == team)
    if numbers is not None:
        query = query.where(staff.c.staff_number.in_(numbers))
    return [dict(r._mapping) for r in store._read(query)]


def roster_frame(store: Store):
    """The roster as a DataFrame (COLUMNS; start_date as datetime64), empty when none was imported."""
    import pandas as pd

    rows = store._read(select(*(staff.c[c] for c in COLUMNS)))
    frame = pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    return frame
