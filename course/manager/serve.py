"""`course manager dashboard`: the manager dashboard in its own Voila server on 127.0.0.1.

It is a separate server from the learners' (`course serve`), on another port, serving one
notebook (notebooks/manager/dashboard.ipynb): learners' pages never link to it, and the
page shows nothing until the manager password is given (see course.manager.auth).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..paths import data_dir, notebooks_dir


def dashboard_notebook() -> Path:
    return Path(notebooks_dir()) / "manager" / "dashboard.ipynb"


def dashboard_command(port: int, notebook: Path | None = None) -> list[str]:
    return [
        sys.executable, "-m", "voila", str(notebook or dashboard_notebook()),
        f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--no-browser",
        "--theme=light",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.show_tracebacks=False",
        "--MappingKernelManager.cull_idle_timeout=1800",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
    ]


def dashboard_env(base: dict | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    env.setdefault("COURSE_DATA_DIR", str(data_dir()))
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def serve_dashboard(port: int) -> None:
    command = dashboard_command(port)
    os.execve(command[0], command, dashboard_env())
