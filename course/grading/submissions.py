"""nbgrader's submitted layout: submitted/<learner>/<module>/{<module>.ipynb, responses.json, timestamp.txt}.

Writing one (the Voila "Finish" path) and checking one before grading: a notebook that is
not valid JSON, a missing or broken responses.json, an unknown module, or graded/read-only
cells whose source differs from the release (nbgrader's checksums) are each named.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from course.atomic import locked, write_atomic
from course.grading.coursedir import timestamp_format
from course.records import responses


@dataclass
class Submission:
    root: Path
    learner: str
    module: str
    problems: list[str] = field(default_factory=list)
    tampered_cells: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.root / "submitted" / self.learner / self.module

    @property
    def notebook(self) -> Path:
        return self.folder / f"{self.module}.ipynb"

    @property
    def gradable(self) -> bool:
        return not self.problems

    def fingerprint(self) -> str:
        """Changes whenever the learner submits again (any file in the folder)."""
        digest = hashlib.sha256()
        for path in sorted(self.folder.iterdir()) if self.folder.exists() else []:
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()[:32]


def release_notebook(root: Path, module: str) -> Path:
    return root / "release" / module / f"{module}.ipynb"


def write_submission(root: Path, learner: str, module: str, answers: dict, when: datetime | None = None) -> Submission:
    """Submit a learner's answers as nbgrader would: the released notebook, responses.json, timestamp.

    The folder is built beside its final place and swapped in with renames, so the grader
    never sees a half-written submission.
    """
    source = release_notebook(root, module)
    if not source.exists():
        raise FileNotFoundError(f"{source} is missing: run `course release` first")
    submission = Submission(root, learner, module)
    final = submission.folder
    final.parent.mkdir(parents=True, exist_ok=True)
    with locked(final):  # two Finish presses at once: one submission after the other, never a mix
        _swap_in(final, source, answers, when)
    return submission


def _swap_in(final: Path, source: Path, answers: dict, when: datetime | None) -> None:
    module = final.name
    staging = final.with_name(f".{module}.incoming")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    shutil.copy2(source, staging / source.name)
    write_atomic(staging / responses.FILENAME, responses.dumps(answers))
    stamp = (when or datetime.now(UTC)).astimezone(UTC).strftime(timestamp_format())
    write_atomic(staging / "timestamp.txt", stamp)
    old = final.with_name(f".{module}.previous")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def find_submissions(root: Path, known_modules: set[str]) -> list[Submission]:
    """Every learner/module folder under submitted/, checked."""
    found: list[Submission] = []
    base = root / "submitted"
    if not base.exists():
        return found
    for learner_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for module_dir in sorted(p for p in learner_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            found.append(check(Submission(root, learner_dir.name, module_dir.name), known_modules))
    return found


def check(submission: Submission, known_modules: set[str]) -> Submission:
    """Fill in `problems` (cannot be graded) and `tampered_cells` (graded, but needs review)."""
    import nbformat
    from nbgrader.utils import compute_checksum

    if submission.module not in known_modules:
        submission.problems.append(f"unknown module '{submission.module}'")
        return submission
    if not submission.notebook.exists():
        submission.problems.append(f"{submission.notebook.name} is missing")
        return submission
    try:
        nb = nbformat.read(submission.notebook, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for a broken file
        submission.problems.append(
            f"{submission.notebook.name} is not a valid notebook ({str(exc).splitlines()[0][:120]})"
        )
        return submission
    try:
        if responses.read(submission.folder / responses.FILENAME) is None:
            submission.problems.append("responses.json is missing")
    except responses.ResponsesError as exc:
        submission.problems.append(str(exc).replace(str(submission.folder) + "/", ""))
    if not (submission.folder / "timestamp.txt").exists():
        submission.problems.append("timestamp.txt is missing")
    release = release_notebook(submission.root, submission.module)
    if release.exists():
        reference = {c.get("id"): c for c in nbformat.read(release, as_version=4).cells}
        submitted = {c.get("id"): c for c in nb.cells}
        for cell_id, cell in reference.items():
            meta = cell.metadata.get("nbgrader", {})
            if not (meta.get("locked") or meta.get("grade")):
                continue
            theirs = submitted.get(cell_id)
            if theirs is None or compute_checksum(theirs) != meta.get("checksum"):
                submission.tampered_cells.append(cell_id)
    return submission
