"""The grade is the record: the marker never runs a cell that is not in the release, and in Voila
mode a submission's answers that differ from the records store are marked from the store and
flagged "needs review". Real nbgrader autograde throughout.

Checked with the defence off: with `rebuild` made a no-op the added cell runs (the canary file
appears) and the mark is "graded"; without `reconcile_with_store` the edited responses.json
scores 9/9 with no flag."""

from __future__ import annotations

import json
import pwd
import shutil
from pathlib import Path

import nbformat
import pytest

from course.grading import sandbox
from course.grading.autograde import grade
from course.grading.release import release
from course.grading.submissions import write_submission
from course.records import grading_log

from .support.grading_helpers import answer, make_course_root, pick

pytestmark = pytest.mark.slow
N = 9


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = make_course_root(tmp_path, monkeypatch)
    assert release(root, modules=["sharing"], to_exchange=False)[0].generated
    return root


def test_an_added_cell_never_runs_and_the_mark_needs_review(root, store, tmp_path, db_url):
    view, score = answer(store, "adder", "sharing", ["best"] * 5 + ["worst"] * 4)
    write_submission(root, "adder", "sharing", view.records.as_responses())
    notebook = root / "submitted" / "adder" / "sharing" / "sharing.ipynb"
    canary = tmp_path / "the-added-cell-ran"
    db_file = db_url.removeprefix("sqlite:///")
    nb = nbformat.read(notebook, as_version=4)
    evil = nbformat.v4.new_code_cell(
        f"open({str(canary)!r}, 'w').write(open({db_file!r}, 'rb').read(100).hex())\n"
        "from course.grading import cells\ncells.scenario_points = lambda *a, **k: 1.0"
    )
    nb.cells.insert(4, evil)
    nbformat.write(nb, notebook)

    [result] = grade(root, store=store)
    assert not canary.exists()  # the cell never ran: it could not read records.db, nor fake a score
    assert result.status == "needs review"
    assert result.score == pytest.approx(score)  # marked from the release plus the answers
    assert "cells added to the notebook (not run): " + evil.id in result.message
    record = grading_log.graded(store, "adder", "sharing")
    assert record.needs_review and record.status == "needs review"
    # the learner's notebook is kept as sent, beside the release copy that was marked
    assert any(c.get("id") == evil.id for c in nbformat.read(notebook.with_name("sharing.ipynb.as-submitted"), 4).cells)
    assert [r.status for r in grade(root, store=store, force=True)] == ["needs review"]  # a regrade still flags it


def test_a_choice_changed_in_responses_json_is_marked_from_the_store(root, store):
    """Voila mode: the learner finished in the page, so the records store holds the answers."""
    view, score = answer(store, "changer", "sharing", ["best"] * 4 + ["worst"] * 5)
    store.finish_attempt("changer", "sharing", view.records.attempt)
    write_submission(root, "changer", "sharing", view.records.as_responses())
    path = root / "submitted" / "changer" / "sharing" / "responses.json"
    data = json.loads(path.read_text())
    changed = view.module.graded_scenarios[-1]
    data["decisions"][changed.id]["choice"] = pick(changed, "best").id
    path.write_text(json.dumps(data))

    [result] = grade(root, store=store)
    assert result.status == "needs review"
    assert result.score == pytest.approx(score)  # not 9/9: the store's answers are the record
    assert changed.id in result.message and "records store" in result.message
    assert json.loads(path.read_text())["decisions"][changed.id]["choice"] == pick(changed, "worst").id
    assert [r.status for r in grade(root, store=store, force=True)] == ["needs review"]


def test_an_untouched_voila_submission_is_graded_without_a_flag(root, store):
    view, score = answer(store, "honest", "sharing", ["best"] * N)
    store.finish_attempt("honest", "sharing", view.records.attempt)
    write_submission(root, "honest", "sharing", view.records.as_responses())
    [result] = grade(root, store=store)
    assert (result.status, result.score, result.message) == ("graded", pytest.approx(score), "")
    assert not list((root / "submitted" / "honest" / "sharing").glob("*.as-submitted"))


@pytest.mark.skipif(not sandbox.needed(), reason="only root has privilege to drop")
def test_a_cell_that_slipped_through_runs_unprivileged(root, store, db_url, monkeypatch):
    """Second wall: even if an added cell were run (here `rebuild` is switched off on purpose), the
    grading kernel is COURSE_MARKER_USER, not root, and cannot read the records store."""
    import tempfile

    import course.grading.autograde as autograde

    monkeypatch.setattr(autograde, "rebuild", lambda submission: None)
    out = Path(tempfile.mkdtemp(prefix="course-test-canary-"))
    out.chmod(0o777)  # somewhere the unprivileged kernel can report to
    try:
        view, score = answer(store, "slipper", "sharing", ["best"] * N)
        write_submission(root, "slipper", "sharing", view.records.as_responses())
        notebook = root / "submitted" / "slipper" / "sharing" / "sharing.ipynb"
        nb = nbformat.read(notebook, as_version=4)
        probe = (
            "import os\ntry:\n    open({db!r}, 'rb').read(16); seen = 'read'\n"
            "except OSError as exc:\n    seen = type(exc).__name__\n"
            "open({out!r}, 'w').write(f'{{os.getuid()}} {{seen}} ' + str('COURSE_DB_URL' in os.environ))"
        ).format(db=db_url.removeprefix("sqlite:///"), out=str(out / "report"))
        nb.cells.insert(4, nbformat.v4.new_code_cell(probe))
        nbformat.write(nb, notebook)
        monkeypatch.setenv("COURSE_DB_URL", db_url)
        [result] = grade(root, store=store)
        uid, seen, has_url = (out / "report").read_text().split()
        assert int(uid) == pwd.getpwnam("nobody").pw_uid and seen == "PermissionError" and has_url == "False"
        assert result.score == pytest.approx(score)  # the release's cells still marked it, unprivileged
        assert result.status == "needs review"
    finally:
        shutil.rmtree(out, ignore_errors=True)
