"""A temporary content folder whose Final assessment is a small item bank (`draw:`), for tests.

A copy of course/data with `draw: DRAW` in final.yaml, one critical item, and a blueprint that
the real final's items (all in one section, untagged) can meet: what the marker needs to mark
drawn attempts, whatever the real bank looks like on the day.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

CONTENT = Path(__file__).resolve().parents[2] / "course" / "data"
DRAW = 5
CRITICAL = "final-late-message"  # its choices a and c score 0


def bank_content(folder: Path, draw: int = DRAW, critical: str = CRITICAL) -> Path:
    root = folder / "bank-content"
    shutil.copytree(CONTENT, root)
    policy = root / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    text = re.sub(r"^blueprint:\n(?:[ \t]+.*\n?)*", "blueprint:\n  retake_overlap: 0.34\n", text, flags=re.M)
    policy.write_text(text, encoding="utf-8")
    final = root / "modules" / "final.yaml"
    text = final.read_text(encoding="utf-8")
    text, drawn = re.subn(r"^draw: \d+$", f"draw: {draw}", text, count=1, flags=re.M)
    if not drawn:
        text = text.replace("\npass_mark: 0.8\n", f"\npass_mark: 0.8\ndraw: {draw}\n", 1)
    text = _critical(text, critical)
    final.write_text(text, encoding="utf-8")
    return root


def _critical(text: str, scenario_id: str) -> str:
    """`critical: true` on one scenario of a module's YAML text (once, whether or not it was already)."""
    marker = f"  - id: {scenario_id}\n"
    assert marker in text
    start = text.index(marker) + len(marker)
    end = text.find("\n  - id: ", start)
    block = text[start : end if end != -1 else len(text)]
    if "\n    critical: true\n" in "\n" + block:
        return text
    return text.replace(marker, marker + "    critical: true\n", 1)


def use_bank_content(folder: Path, monkeypatch, **kwargs) -> Path:
    """bank_content, made the course's content (COURSE_CONTENT_DIR) for this test and its kernels."""
    root = bank_content(folder, **kwargs)
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(root))
    return root


def make_critical(root: Path, module_id: str, scenario_id: str) -> None:
    """Mark one scenario of a content folder `critical: true`."""
    path = root / "modules" / f"{module_id}.yaml"
    text = path.read_text(encoding="utf-8")
    marker = f"  - id: {scenario_id}\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + "    critical: true\n", 1), encoding="utf-8")
