"""Only course/records/ touches the store's private write path and its tables (issue 20)."""

from __future__ import annotations

import re
from pathlib import Path

import course

PACKAGE = Path(course.__file__).parent
RECORDS = PACKAGE / "records"
# store._read( / ._write( / ._write_all( / ._write_returning( on anything but an object's own
# method (the live apps' `self._read()` polls their screen), and the dialect-aware _insert(
PRIVATE = re.compile(r"(?<!self)\._(read|write|write_all|write_returning)\(|\b_insert\(")
TABLES = re.compile(
    r"from course\.records\.tables import|course\.records\.tables\b|import tables\b|"
    r"\bmetadata\.(create_all|reflect)\b|autoload_with|\bTable\(\s*\""
)


def outside_records() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if RECORDS not in p.parents]


def test_the_grep_sees_what_it_must():
    assert PRIVATE.search("rows = store._read(select(x))") and PRIVATE.search("self.store._write(stmt)")
    assert PRIVATE.search("stmt = _insert(store.engine, t)") and not PRIVATE.search("self._read()")
    assert TABLES.search("from course.records.tables import attempts")
    assert TABLES.search('table = Table("attendance", MetaData(), autoload_with=engine)')
    assert len(outside_records()) > 50


def test_nothing_outside_records_uses_the_private_write_path():
    found = [
        f"{p.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for p in outside_records()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert found == []


def test_nothing_outside_records_imports_a_table_or_defines_one():
    found = [
        f"{p.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for p in outside_records()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if TABLES.search(line)
    ]
    assert found == []


def test_every_table_is_defined_in_the_tables_module():
    defined = [
        f"{p.relative_to(PACKAGE)}"
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.name != "tables.py"
        and "migrations" not in p.parts
        and re.search(r"=\s*Table\(\s*\"", p.read_text(encoding="utf-8"))
    ]
    assert defined == []
