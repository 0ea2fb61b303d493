"""Where the manager dashboard is served.

`course serve` serves it at `/dashboard/` on the course server (`page_settings`, used by
course.server.voila's DashboardPageHandler): the notebook is read from the manager's folder
(notebooks/manager/, which holds only dashboard.ipynb), never from the learners' app folder, so
no learner address reaches it; learners' pages never link to it, and the page shows nothing
until the manager password is given (see course.manager.auth).

`course manager dashboard` (kept for a dashboard on a separate port) serves the same folder in a
server of its own on 127.0.0.1 (`serve_dashboard`).

It runs the course's own Voila server (course.server.voila) rather than plain `voila`, so it
has what the learners' server has: `/` opens the dashboard, no notebook listings or files,
security headers, the course's friendly error pages (no tracebacks, nothing from a CDN),
query strings kept out of the log, and a kernel websocket that carries widget messages only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from course.server.launch_config import CONFIG_DIR, DASHBOARD_ERROR_INSTRUCTION, voila_config, write_config
from course.settings import assets_dir, data_dir, notebooks_dir

# a manager reads the dashboard, looks away, comes back: its kernel waits longer than a learner's
CULL_IDLE_TIMEOUT = 1800


def dashboard_notebook() -> Path:
    return Path(notebooks_dir()) / "manager" / "dashboard.ipynb"


def page_settings(notebook: Path | None = None) -> dict | None:
    """What the `/dashboard/` route adds to Voila's page settings: the notebook, and a contents
    manager rooted at its folder (Voila reads the notebook through it). None with no notebook."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    notebook = Path(notebook or dashboard_notebook())
    if not notebook.is_file():
        return None
    return {"notebook_path": notebook.name, "contents_manager": FileContentsManager(root_dir=str(notebook.parent))}


def dashboard_settings(port: int, notebook: Path | None = None) -> dict:
    """The shared launch configuration (course.server.launch_config), as the dashboard needs it."""
    notebook = Path(notebook or dashboard_notebook())
    return voila_config(
        standalone=True,
        port=port,
        cull_idle_timeout=CULL_IDLE_TIMEOUT,
        error_instruction=DASHBOARD_ERROR_INSTRUCTION,
        home_page=f"voila/render/{notebook.name}",
    )


def dashboard_command(port: int, notebook: Path | None = None, config_dir: Path | None = None) -> list[str]:
    notebook = Path(notebook or dashboard_notebook())
    config = write_config(dashboard_settings(port, notebook), config_dir or data_dir() / CONFIG_DIR)
    return [
        sys.executable,
        "-m",
        "course.server.voila",
        str(notebook.parent),
        f"--Voila.config_file_paths={config.parent}",
    ]


def dashboard_env(base: dict | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    env.setdefault("COURSE_DATA_DIR", str(data_dir()))
    # the course template lives in assets/voila/templates/course
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(assets_dir()), env.get("JUPYTER_PATH", "")) if p)
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def serve_dashboard(port: int) -> None:
    command = dashboard_command(port)
    os.execve(command[0], command, dashboard_env())  # noqa: S606 - replace this process with the server, no shell
