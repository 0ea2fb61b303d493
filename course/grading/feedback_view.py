"""nbgrader's own HTML feedback, for managers (`course feedback LEARNER MODULE`).

Learners never see this page: it is a printout of the module's notebook (Python, "Test cell" and
"Grade cell" labels, a page many screens tall). They read the course's own review of the marked
attempt instead (course.app.review, from the same grades). The file nbgrader writes stays where
nbgrader puts it (grading/feedback/<learner>/<module>/<module>.html); this module finds it and
gives a copy that fetches nothing from outside the server: its <script> tags and stylesheet links
point at a CDN, and are dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

from course.grading.coursedir import grading_root

SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.S | re.I)
OUTSIDE_LINK = re.compile(r"<link\b[^>]*href=[\"']https?://[^>]*>", re.I)


def offline_html(html: str) -> str:
    return OUTSIDE_LINK.sub("", SCRIPT.sub("", html))


def feedback_path(learner_id: str, module_id: str, root: Path | None = None) -> Path:
    """Where nbgrader writes the feedback page of a learner's last marked submission of a module."""
    return Path(root or grading_root()).resolve() / "feedback" / learner_id / module_id / f"{module_id}.html"


def manager_copy(learner_id: str, module_id: str, root: Path | None = None) -> str | None:
    """nbgrader's feedback page for that submission, offline; None when nbgrader has written none."""
    path = feedback_path(learner_id, module_id, root)
    try:
        return offline_html(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
