"""nbgrader end to end, for real: release, submit (Voila Finish and `nbgrader submit`), autograde,
feedback, gradebook; exact scores from the gradebook and the pandas frame."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from course.grading.autograde import grade
from course.grading.coursedir import gradebook_url
from course.grading.finish import finish, result_for
from course.grading.gradebook import gradebook_frame
from course.grading.release import release
from course.grading.submissions import write_submission
from course.grading.worker import run as run_worker
from course.records import signin_tokens, tables

from .support.grading_helpers import answer, make_course_root

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
N = 9  # graded scenarios in "sharing"


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = make_course_root(tmp_path, monkeypatch)
    results = release(root, modules=["sharing"], to_exchange=False)
    assert results[0].generated
    return root


def gradebook_scores(root: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gb:
        return {(d["student"], "sharing"): float(d["score"]) for d in gb.submission_dicts("sharing")}


def test_round_trip_twelve_learners(root, store, tmp_path):
    plans = {
        "all-right": ["best"] * N,
        "all-wrong": ["worst"] * N,
        "partial": ["partly"] * N,
        "mixed": ["best", "worst", "partly"] * 3,
        "unfinished": ["best", "best", "best", None, None, None, None, None, None],
        "nothing": [None] * N,
        "resubmitted": ["worst"] * N,
        "tampered": ["best"] * N,
        "late-starter": ["partly", "best"] + [None] * 7,
        "steady": ["best"] * 7 + ["worst"] * 2,
        "unsure": ["partly", "worst"] * 4 + ["best"],
        "almost": ["best"] * 8 + ["partly"],
    }
    expected = {}
    for learner, plan in plans.items():
        view, score = answer(store, learner, "sharing", plan)
        write_submission(root, learner, "sharing", view.records.as_responses())
        expected[learner] = score
    # two learners whose submissions cannot be graded, reported by name
    view, _ = answer(store, "broken-json", "sharing", ["best"] * N)
    write_submission(root, "broken-json", "sharing", view.records.as_responses())
    (root / "submitted" / "broken-json" / "sharing" / "sharing.ipynb").write_text('{"cells": [')
    view, _ = answer(store, "no-responses", "sharing", ["best"] * N)
    write_submission(root, "no-responses", "sharing", view.records.as_responses())
    (root / "submitted" / "no-responses" / "sharing" / "responses.json").unlink()
    # the tamperer edits a read-only cell and a graded test cell in the notebook
    nb_path = root / "submitted" / "tampered" / "sharing" / "sharing.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.get("id") == "overview":
            cell.source += "\n\nI changed this."
        if cell.get("id", "").startswith("test-"):
            cell.source = "1.0"
    nbformat.write(nb, nb_path)

    results = {r.learner: r for r in grade(root, store=store)}
    assert set(results) == set(plans) | {"broken-json", "no-responses"}
    for learner, score in expected.items():
        assert results[learner].score == pytest.approx(score), learner
        assert results[learner].max_score == N
    assert results["all-right"].passed is True and results["all-wrong"].passed is False
    assert results["tampered"].status == "needs review" and "overview" in results["tampered"].message
    assert results["tampered"].score == pytest.approx(expected["tampered"])  # graded on its answers, not its edits
    assert results["broken-json"].status == "not graded" and "not a valid notebook" in results["broken-json"].message
    assert (
        results["no-responses"].status == "not graded"
        and "responses.json is missing" in results["no-responses"].message
    )

    # resubmission: a new attempt with better answers; only it is graded again
    store.start_new_attempt("resubmitted", "sharing", "2025-09")
    view, better = answer(store, "resubmitted", "sharing", ["best"] * N)
    write_submission(root, "resubmitted", "sharing", view.records.as_responses())
    again = grade(root, store=store)
    assert [(r.learner, r.score) for r in again] == [("resubmitted", better)]
    expected["resubmitted"] = better

    book = gradebook_scores(root)
    assert {k[0]: v for k, v in book.items()} == expected
    frame = gradebook_frame(root, store)
    rows = frame.set_index("learner")
    assert set(rows.index) == set(expected)
    for learner, score in expected.items():
        assert rows.loc[learner, "score"] == pytest.approx(score)
        assert rows.loc[learner, "max_score"] == N
        # `passed` is the progress rule's: a mark flagged for review is not a pass until a manager clears it
        assert bool(rows.loc[learner, "passed"]) == (score >= 0.8 * N and learner != "tampered"), learner
    assert bool(rows.loc["tampered", "needs_review"]) and not bool(rows.loc["all-right", "needs_review"])
    assert rows["submitted_at"].notna().all() and rows["graded_at"].notna().all()
    # feedback: nbgrader's HTML, showing the learner's own answers and not widget reprs
    html = (root / "feedback" / "all-wrong" / "sharing" / "sharing.html").read_text()
    assert "You chose:" in html and "Not the best choice" in html and "DecisionWidget(" not in html


def test_parallel_grading_loses_nothing(root, store):
    expected = {}
    for i, plan in enumerate([["best"] * N, ["worst"] * N, ["partly"] * N, ["best", "worst", "partly"] * 3]):
        view, score = answer(store, f"p{i}", "sharing", plan)
        write_submission(root, f"p{i}", "sharing", view.records.as_responses())
        expected[f"p{i}"] = score
    results = grade(root, store=store, jobs=2)
    assert {r.learner: r.score for r in results} == expected
    assert {k[0]: v for k, v in gradebook_scores(root).items()} == expected


def test_cli_grade_prints_table_and_reports_bad_submissions(root, store, db_url, monkeypatch):
    monkeypatch.setenv("COURSE_DB_URL", db_url)
    view, score = answer(store, "cli-learner", "sharing", ["best"] * N)
    write_submission(root, "cli-learner", "sharing", view.records.as_responses())
    bad = root / "submitted" / "ghost" / "nosuchmodule"
    bad.mkdir(parents=True)
    result = subprocess.run([str(BIN / "course"), "grade"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 1  # one submission could not be graded
    assert "cli-learner" in result.stdout and f"{score:g} / {N}" in result.stdout
    assert "not graded: submitted/ghost/nosuchmodule: unknown module 'nosuchmodule'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    unchanged = subprocess.run([str(BIN / "course"), "grade"], capture_output=True, text=True, timeout=600)
    assert "cli-learner" not in unchanged.stdout and "unchanged" in unchanged.stdout


def test_finish_submits_grades_and_returns_the_result(root, store):
    """The Finish path end to end (its speed is measured by benchmarks/grading.py, not asserted here)."""
    worker = threading.Thread(target=lambda: run_worker(root, store, stop_after=30), daemon=True)
    worker.start()
    time.sleep(2)  # the grader is up and idle, as under `course serve`
    view, score = answer(store, "finisher", "sharing", ["best"] * 5 + ["worst"] * 4)
    result = finish(view.records, root, wait=300)
    assert result.status == "graded", result
    assert result.score == pytest.approx(score) and result.max_score == N
    assert result.passed is False
    assert result.feedback_path and "You chose:" in result.feedback_path.read_text()
    assert result_for(store, "finisher", "sharing", 0.8, root).score == pytest.approx(score)
    from sqlalchemy import select

    from course.records.store import attempts

    assert all(row.finished_at for row in store._read(select(attempts).where(attempts.c.learner_id == "finisher")))


def test_a_finish_whose_page_closed_at_once_is_still_graded_from_the_store(root, store):
    """Finish writes only to the records store; the marker builds the submission itself, so a page
    (and its kernel) gone the moment after Finish, or a marker stopped mid-grade, loses nothing."""
    from datetime import timedelta

    from course.grading.finish import submit
    from course.records import finish_queue as queue
    from course.records.store import now

    view, score = answer(store, "closed-page", "sharing", ["best"] * 6 + ["worst"] * 3)
    submit(view.records)  # the kernel's whole part; then the page closes
    assert not (root / "submitted").exists()  # the kernel wrote nothing in the grading folder
    abandoned = queue.enqueue(store, "half-graded", "sharing")  # a marker was stopped grading this one
    view2, score2 = answer(store, "half-graded", "sharing", ["best"] * N)
    store.finish_attempt("half-graded", "sharing", view2.records.attempt)
    store._write(
        tables.grading_queue.update()
        .where(tables.grading_queue.c.id == abandoned)
        .values(status="running", started_at=now() - timedelta(minutes=30))
    )
    never = queue.enqueue(store, "never-finished", "sharing")
    answer(store, "never-finished", "sharing", ["best"] * 2)

    assert run_worker(root, store, stop_after=1) == 3  # a marker starts later and takes them all
    assert result_for(store, "closed-page", "sharing", 0.8, root).score == pytest.approx(score)
    assert result_for(store, "half-graded", "sharing", 0.8, root).score == pytest.approx(score2)
    failed = queue.get(store, never)
    assert failed.status == "failed" and failed.message == "no finished attempt of this module in the records store"
    submitted = json.loads((root / "submitted" / "closed-page" / "sharing" / "responses.json").read_text())
    assert submitted["decisions"] == view.records.as_responses()["decisions"]


def test_a_finish_with_no_marker_running_is_marked_by_the_next_course_grade(root, store, db_url, monkeypatch, course):
    from course.app import marking
    from course.app.module import SUMMARY, open_module_app

    from .support.grading_helpers import pick

    monkeypatch.setenv("COURSE_DB_URL", db_url)
    store.ensure_learner("later", name="Ali Khan", staff_number="S200")
    app = open_module_app(course, store, "later", "sharing", token=signin_tokens.issue(store, "later"))
    for scenario in app.module.graded_scenarios:
        app.records.record_decision(scenario.id, pick(scenario, "best").id)
    app.go(SUMMARY)
    assert app.finish() == marking.SENT and marking.SENT in app.finish_status.value
    assert app.marking.value == ""  # nothing to wait for: no marker runs
    result = subprocess.run([str(BIN / "course"), "grade"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Marked 1 Finish request(s) waiting in the queue." in result.stdout
    assert result_for(store, "later", "sharing", 0.8, root).score == N


def test_module_app_finish_shows_the_mark_and_the_feedback(root, store, course, monkeypatch):
    """Finish in the Voila module app (as `course serve` runs it: the marker beside it) submits to
    nbgrader; the summary shows the mark of record and nbgrader's feedback, then and on coming back."""
    from course.app import marking
    from course.app.module import SUMMARY, open_module_app

    monkeypatch.setenv(marking.GRADE_ON_FINISH, "1")
    worker = threading.Thread(target=lambda: run_worker(root, store, stop_after=60), daemon=True)
    worker.start()
    store.ensure_learner("marked", name="Sam Taylor", staff_number="S100")
    app = open_module_app(course, store, "marked", "sharing", token=signin_tokens.issue(store, "marked"))
    plan = ["best"] * 8 + ["worst"]
    from .support.grading_helpers import pick

    for scenario, how in zip(app.module.graded_scenarios, plan):
        app.records.record_decision(scenario.id, pick(scenario, how).id)
    expected = sum(pick(s, h).score for s, h in zip(app.module.graded_scenarios, plan))
    app.go(SUMMARY)
    assert app.marking.value == ""  # nothing to show before Finish
    app.finish()
    assert app.finished_at is not None and "Your result is saved" in app.finish_status.value
    # within 10 s the mark is on the page; on a busy machine it says it is on its way
    assert "Mark of record" in app.marking.value or "Come back to this page" in app.marking.value
    deadline = time.monotonic() + 300
    while result_for(store, "marked", "sharing", 0.8, root) is None and time.monotonic() < deadline:
        time.sleep(0.5)
    again = open_module_app(course, store, "marked", "sharing", token=signin_tokens.issue(store, "marked"))
    assert again.position == SUMMARY
    shown = again.marking.value
    assert f"Mark of record: {expected:g} out of {N:g}" in shown and "Passed." in shown
    # the course's own review of the attempt (course.app.review), never nbgrader's page in a frame
    assert "<iframe" not in shown and "srcdoc=" not in shown
    assert "<dt>Your choice</dt>" in shown and "Mark:" in shown
    assert "<script" not in shown
    monkeypatch.delenv(marking.GRADE_ON_FINISH)
    assert (
        open_module_app(course, store, "marked", "sharing", token=signin_tokens.issue(store, "marked")).marking.value
        == ""
    )


def nbgrader(*args, cwd, env=None):
    import os

    result = subprocess.run(
        [str(BIN / "nbgrader"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_jupyterlab_learner_submits_with_nbgrader(tmp_path, monkeypatch, store):
    """Release to a local exchange, fetch and submit as a learner with nbgrader's own commands, collect, grade."""
    root = make_course_root(tmp_path, monkeypatch)
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(exchange))
    results = release(root, modules=["sharing"])
    assert results[0].generated and results[0].released
    home = tmp_path / "learner-home"
    home.mkdir()
    (home / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = 'social-media-course'\n"
    )
    learner_env = {"USER": "lab-learner", "JUPYTERHUB_USER": "lab-learner"}
    nbgrader("fetch_assignment", "sharing", cwd=home, env=learner_env)
    fetched = home / "sharing"
    assert (fetched / "sharing.ipynb").exists()
    # the learner works in JupyterLab: answers land in responses.json beside the notebook
    _view, score = answer(store, "lab-learner", "sharing", ["best"] * 6 + ["partly"] * 3, responses_dir=fetched)
    assert json.loads((fetched / "responses.json").read_text())["learner"] == "lab-learner"
    nbgrader("submit", "sharing", cwd=home, env=learner_env)
    nbgrader("collect", "sharing", cwd=root)
    from nbgrader.utils import get_username

    student = get_username()  # nbgrader's own notion of who submitted
    assert [p.name for p in (root / "submitted").iterdir()] == [student]
    results = grade(root, store=store)
    assert [(r.learner, r.status) for r in results] == [(student, "graded")]
    assert results[0].score == pytest.approx(score)
    assert gradebook_scores(root) == {(student, "sharing"): pytest.approx(score)}
