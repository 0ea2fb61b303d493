"""nbgrader's HTML feedback, shown inside the Voila app.

The page is put in a sandboxed iframe (no scripts, no same-origin) through `srcdoc`, so
it needs no file route on the server, and its <script> tags, which point at a CDN, are
dropped first: the course fetches nothing from outside the server.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.S | re.I)
OUTSIDE_LINK = re.compile(r"<link\b[^>]*href=[\"']https?://[^>]*>", re.I)


def offline_html(html: str) -> str:
    return OUTSIDE_LINK.sub("", SCRIPT.sub("", html))


def feedback_iframe(path: Path, title: str = "Your feedback from the marking") -> str:
    html = offline_html(Path(path).read_text(encoding="utf-8"))
    return (
        f'<iframe class="cm-feedback-frame" title="{escape(title)}" sandbox="" '
        f'style="width:100%;min-height:70vh;border:1px solid #c8c8c8;border-radius:8px" '
        f'srcdoc="{escape(html, quote=True)}"></iframe>'
    )
