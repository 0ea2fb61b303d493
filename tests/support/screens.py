"""What every screen test shares: the three screens the course is used on, a check that the page
shows no code, and screenshots kept for CI's artifacts (test-artifacts/screens/, git-ignored).

Issue 17's screens are taken as each user sees them: a phone (375x740), a desktop or a
projector (1280x800) and a large projector (1920x1080).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENS_DIR = ROOT / "test-artifacts" / "screens"

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}  # also a projector
LARGE = {"width": 1920, "height": 1080}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP, "large": LARGE}

# text a learner must never see: Python, nbgrader's cell labels, tracebacks
CODE_TEXT = re.compile(
    r"from course\.|^\s*import [A-Za-z_][\w.]*(\s+as\s+\w+)?\s*$|module\.show|open_module\(|Test cell|Grade cell"
    r"|Traceback|\bdef \w+\(|Score: \d"
)  # an import statement, not the word: "import the staff list" is plain English


def keep_screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as test-artifacts/screens/<name>.png and return its path."""
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def code_on_page(page) -> list[str]:
    """Lines of the page's visible text (frames included) that look like code; [] when none."""
    texts = [page.inner_text("body")]
    for frame in page.frames[1:]:
        try:
            texts.append(frame.inner_text("body"))
        except Exception:  # noqa: BLE001 - a frame that went away has no text to check
            continue
    return [line for text in texts for line in text.splitlines() if CODE_TEXT.search(line)]


def above_the_fold(page, selector: str) -> bool:
    """True when the element's top edge is inside the first screen, without scrolling."""
    return bool(
        page.evaluate(
            """(sel) => { const el = document.querySelector(sel); if (!el) return false;
                const r = el.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.top < window.innerHeight; }""",
            selector,
        )
    )
