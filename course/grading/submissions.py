"""nbgrader's submitted layout: submitted/<learner>/<module>/{<module>.ipynb, responses.json, timestamp.txt}.

Writing one (the Voila "Finish" path) and checking one before grading: a notebook that is
not valid JSON, a missing or broken responses.json, an unknown module, or graded/read-only
cells whose source differs from the release (nbgrader's checksums) are each named.

**The marker never runs a cell that is not in the release.** Every cell of a module notebook
is locked and the learner's answers live in responses.json, so `rebuild` puts the released
notebook in place of the submitted one before autograde: a cell added or changed by the
learner is never executed. The submitted notebook, when it differed, is kept beside it as
`<module>.ipynb.as-submitted` (never executed: autograde only runs `*.ipynb`), and `check`
compares that original, so a regrade still flags it.
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
    tampered_cells: list[str] = field(default_factory=list)  # release cells changed or removed
    added_cells: list[str] = field(default_factory=list)  # cells the release does not have
    changed_answers: list[str] = field(default_factory=list)  # scenarios whose answer differs from the store

    @property
    def review_reasons(self) -> list[str]:
        """Why this submission's mark needs a person's review (empty: it does not)."""
        reasons = []
        if self.added_cells:
            reasons.append("cells added to the notebook (not run): " + ", ".join(self.added_cells))
        if self.tampered_cells:
            reasons.append("edited read-only or graded cells: " + ", ".join(self.tampered_cells))
        if self.changed_answers:
            reasons.append(
                "responses.json differs from the records store (marked from the store): "
                + ", ".join(self.changed_answers)
            )
        return reasons

    @property
    def folder(self) -> Path:
        return self.root / "submitted" / self.learner / self.module

    @property
    def notebook(self) -> Path:
        return self.folder / f"{self.module}.ipynb"

    @property
    def original(self) -> Path:
        """The notebook as the learner submitted it, kept when it differed from the release."""
        return self.folder / f"{self.module}.ipynb{AS_SUBMITTED}"

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


AS_SUBMITTED = ".as-submitted"  # suffix of a learner's file replaced before marking


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
    if submission.original.exists():  # a rebuilt submission: judge what the learner sent
        try:
            nb = nbformat.read(submission.original, as_version=4)
        except Exception:  # noqa: BLE001 - kept as sent; unreadable means it was not the release
            submission.added_cells.append(submission.original.name + " (not a valid notebook)")
            return submission
    release = release_notebook(submission.root, submission.module)
    if release.exists():
        reference = {c.get("id"): c for c in nbformat.read(release, as_version=4).cells}
        submitted = {c.get("id"): c for c in nb.cells}
        for cell_id, cell in reference.items():
            meta = cell.metadata.get("nbgrader", {})
            theirs = submitted.get(cell_id)
            if meta.get("locked") or meta.get("grade"):
                changed = theirs is None or compute_checksum(theirs) != meta.get("checksum")
            else:
                changed = theirs is None or (theirs.cell_type, theirs.source) != (cell.cell_type, cell.source)
            if changed:
                submission.tampered_cells.append(cell_id)
        submission.added_cells.extend(
            str(cell_id or f"cell {n + 1}")
            for n, (cell_id, cell) in enumerate((c.get("id"), c) for c in nb.cells)
            if cell_id not in reference
        )
    return submission


def rebuild(submission: Submission) -> None:
    """Put the released notebook in place of the submitted one (the answers stay in responses.json),
    so autograde runs only the release's cells. A submitted notebook that differs from the release
    in any cell (added, removed, changed; outputs do not count) is kept as `original` first, once."""
    import nbformat

    release = release_notebook(submission.root, submission.module)
    if not release.exists():
        raise FileNotFoundError(f"{release} is missing: run `course release` first")
    released = release.read_text(encoding="utf-8")
    try:
        same = _cells(nbformat.reads(submission.notebook.read_text(encoding="utf-8"), as_version=4)) == _cells(
            nbformat.reads(released, as_version=4)
        )
    except Exception:  # noqa: BLE001 - a broken notebook is not the release
        same = False
    if not same and not submission.original.exists():
        submission.notebook.replace(submission.original)
    write_atomic(submission.notebook, released)


def _cells(nb) -> list[tuple]:
    return [(c.get("id"), c.cell_type, c.source) for c in nb.cells]


def reconcile_with_store(submission: Submission, store, course) -> None:
    """In Voila mode the records store holds the answers (the learner pressed Finish there): a
    responses.json that differs from the store's last finished attempt is replaced by the store's
    (so the mark is computed from the record), the file as sent kept aside, and each scenario that
    differs named in `changed_answers`. Without a finished attempt in the store (JupyterLab
    without a store) the submitted answers are all there is and stand."""
    from course.records.attempt import LearnerRecords

    module = course.modules.get(submission.module)
    attempt = store.last_finished_attempt(submission.learner, submission.module) if module else None
    if attempt is None or not submission.gradable:
        return
    recorded = LearnerRecords.of_attempt(
        submission.learner, module, course.policy.version, store, attempt
    ).as_responses()
    current = submission.folder / responses.FILENAME
    kept = current.with_name(current.name + AS_SUBMITTED)
    try:
        sent = responses.read(kept if kept.exists() else current) or {"decisions": {}}
    except responses.ResponsesError:
        sent = {"decisions": {}}
    choice = lambda d: d.get("choice") if isinstance(d, dict) else d  # noqa: E731
    theirs = {sid: choice(d) for sid, d in sent["decisions"].items()}
    ours = {sid: d["choice"] for sid, d in recorded["decisions"].items()}
    submission.changed_answers = sorted(sid for sid in set(theirs) | set(ours) if theirs.get(sid) != ours.get(sid))
    if submission.changed_answers and not kept.exists():
        current.replace(kept)
    if submission.changed_answers or kept.exists():
        write_atomic(current, responses.dumps(recorded))
