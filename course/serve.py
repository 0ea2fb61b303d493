"""`course serve`: the course in Voila on this machine, with a SQLite records store.

Voila serves a learner view of each module: the module notebook without its graded test
cells (they belong to nbgrader, and a learner has no use for them). Overrides from the
URL are off and idle kernels are culled, because closing a tab does not free a kernel.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat

from .content import Course
from .notebook_build import build_notebook, render
from .paths import data_dir

TEST_TAG = "autograded"


def learner_view(module, course: Course) -> nbformat.NotebookNode:
    nb = build_notebook(module, course)
    nb.cells = [c for c in nb.cells if TEST_TAG not in c.metadata.get("tags", [])]
    return nb


def prepare_app_dir(course: Course, target: Path | None = None) -> Path:
    """Write the learner-view notebooks Voila serves (one per module)."""
    from .atomic import write_atomic

    target = Path(target or data_dir() / "app")
    target.mkdir(parents=True, exist_ok=True)
    for module in course.modules.values():
        write_atomic(target / f"{module.order}-{module.id}.ipynb", render(learner_view(module, course)))
    return target


def voila_command(app_dir: Path, port: int, *, preheat: bool = False) -> list[str]:
    voila = Path(sys.executable).with_name("voila")
    args = [
        str(voila), str(app_dir), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.file_allowlist=[]",
        "--MappingKernelManager.cull_idle_timeout=900",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
    ]
    if preheat:
        args += ["--preheat_kernel=True", "--pool_size=1"]
    return args


def serve(course: Course, port: int, preheat: bool = False) -> None:
    app_dir = prepare_app_dir(course)
    env = dict(os.environ)
    env.setdefault("COURSE_DATA_DIR", str(data_dir()))
    command = voila_command(app_dir, port, preheat=preheat)
    os.execve(command[0], command, env)
