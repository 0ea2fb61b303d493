"""The security page names the test that proves each mitigation: every one it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cited_tests(text: str) -> list[tuple[str, str]]:
    """(file, test name) for each `tests/x.py::name` and each following `::name` (same file)."""
    found, current = [], None
    for match in re.finditer(r"`(tests/[\w/]+\.py)?::(\w+)`", text):
        current = match.group(1) or current
        found.append((current, match.group(2)))
    return found


def test_every_test_the_security_page_cites_exists():
    cited = cited_tests((ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8"))
    assert len(cited) > 30
    missing = [
        f"{path}::{name}"
        for path, name in cited
        if not (ROOT / path).exists() or f"def {name}(" not in (ROOT / path).read_text(encoding="utf-8")
    ]
    assert missing == []


def test_every_path_the_architecture_page_names_exists():
    """docs/ARCHITECTURE.md is where a newcomer starts: a module or folder it names that does not
    exist (moved, renamed, never built) is a stale claim."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`?((?:course|tests|deploy|assets|notebooks|benchmarks)/[\w./-]*\w)`?", text))
    assert len(named) > 30
    missing = sorted(p for p in named if "<" not in p and "*" not in p and not (ROOT / p).exists())
    assert missing == []
