"""Module notebooks: generated from YAML, committed clean, run headless, graded by nbgrader for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course.content.build import build_notebook, notebook_path, render, slot_grade_id
from course.content.model import load_course
from course.records.store import Store
from course.widgets import open_module

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
MODULES = list(load_course().modules)
BIN = Path(sys.executable).parent


def execute(path: Path, env: dict | None = None) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


def test_notebooks_match_their_yaml(course):
    for module in course.modules.values():
        path = notebook_path(NOTEBOOKS, module.id)
        assert path.read_text() == render(build_notebook(module, course)), f"{path} is out of date: run `course build`"


def test_committed_notebooks_have_no_outputs():
    for path in NOTEBOOKS.glob("*/*.ipynb"):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path


def graded_cell_ids(module) -> list[str]:
    """One test cell per graded scenario; a bank (`draw:`) one per drawn slot, "Item k of draw"."""
    if module.is_bank:
        return [slot_grade_id(module, k) for k in range(1, (module.draw or 0) + 1)]
    return [f"test-{s.id}" for s in module.graded_scenarios]


def test_one_graded_test_cell_per_scenario(course):
    for module in course.modules.values():
        nb = nbformat.read(notebook_path(NOTEBOOKS, module.id), as_version=4)
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert [c.id for c in tests] == graded_cell_ids(module)
        assert sum(c.metadata.nbgrader["points"] for c in tests) == module.max_score


@pytest.mark.parametrize("module_id", MODULES)
def test_notebook_runs_headless(module_id, tmp_path):
    work = tmp_path / module_id
    shutil.copytree(NOTEBOOKS / module_id, work)
    nb = execute(work / f"{module_id}.ipynb")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    results = [
        o.data["text/plain"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
        for o in c.outputs
        if o.output_type == "execute_result"
    ]
    assert results and set(results) == {"0.0"}  # nothing answered yet: no points, no error


def test_test_cells_score_saved_answers(tmp_path, db_url):
    work = tmp_path / "sharing"
    shutil.copytree(NOTEBOOKS / "sharing", work)
    view = open_module("sharing", learner_id="amy", store=Store(db_url), responses_dir=work)
    expected = {}
    for i, scenario in enumerate(view.module.graded_scenarios):
        choice = sorted(scenario.choices, key=lambda c: c.score)[i % len(scenario.choices)]
        w = view.show(scenario.id)
        w.choose(choice.id)
        w.check()
        expected[f"test-{scenario.id}"] = choice.score
    nb = execute(work / "sharing.ipynb", {"COURSE_DB_URL": db_url, "COURSE_LEARNER": "amy"})
    got = {
        c.id: float(o.data["text/plain"])
        for c in nb.cells
        if c.id.startswith("test-")
        for o in c.outputs
        if o.output_type == "execute_result"
    }
    assert got == expected


def nbgrader(*args, cwd):
    result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.slow
def test_nbgrader_grades_saved_answers(tmp_path, db_url):
    """Real nbgrader: generate the release version, submit one learner's answers, autograde, read the gradebook."""
    root = tmp_path / "grading"
    shutil.copytree(
        ROOT / "grading",
        root,
        ignore=shutil.ignore_patterns("gradebook.db", "release", "submitted", "autograded", "feedback"),
    )
    shutil.copytree(NOTEBOOKS, tmp_path / "notebooks")
    nbgrader("generate_assignment", "sharing", "--force", cwd=root)
    submission = root / "submitted" / "amy" / "sharing"
    submission.mkdir(parents=True)
    shutil.copy(root / "release" / "sharing" / "sharing.ipynb", submission)
    view = open_module("sharing", learner_id="amy", store=Store(db_url), responses_dir=submission)
    scores = []
    for scenario, pick in zip(view.module.graded_scenarios, ["best", "worst", "mid"] * 10):
        ranked = sorted(scenario.choices, key=lambda c: c.score)
        choice = {"best": ranked[-1], "worst": ranked[0], "mid": ranked[len(ranked) // 2]}[pick]
        w = view.show(scenario.id)
        w.choose(choice.id)
        w.check()
        scores.append(choice.score)
    (submission / "timestamp.txt").write_text("2026-11-25 12:00:00.000000 UTC")
    nbgrader("autograde", "sharing", "--student", "amy", cwd=root)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission("sharing", "amy")
        assert sub.max_score == len(view.module.graded_scenarios)
        assert sub.score == pytest.approx(sum(scores))
