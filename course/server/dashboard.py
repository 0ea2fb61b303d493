"""`course manager dashboard`: the manager dashboard in its own server on 127.0.0.1.

It is a separate server from the learners' (`course serve`), on another port, serving the
manager's folder (notebooks/manager/, which holds only dashboard.ipynb): learners' pages
never link to it, and the page shows nothing until the manager password is given (see
course.manager.auth).

It runs the course's own Voila server (course.server.voila) rather than plain `voila`, so it
has what the learners' server has: `/` opens the dashboard, no notebook listings or files,
security headers, the course's friendly error pages (no tracebacks, nothing from a CDN),
query strings kept out of the log, and a kernel websocket that carries widget messages only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from course.settings import assets_dir, data_dir, notebooks_dir

ERROR_INSTRUCTION = ("Something went wrong on our side. Please reload the page; if it happens again, "
                     "tell whoever runs the course.")


def dashboard_notebook() -> Path:
    return Path(notebooks_dir()) / "manager" / "dashboard.ipynb"


def dashboard_command(port: int, notebook: Path | None = None) -> list[str]:
    notebook = Path(notebook or dashboard_notebook())
    return [
        sys.executable, "-m", "course.server.voila", str(notebook.parent),
        f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--no-browser",
        "--template=course", "--theme=light",
        f"--CourseVoila.home_page=voila/render/{notebook.name}",
        # course.server.voila enforces these too; here they are visible in `ps` and the log
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaExecutor.cell_error_instruction={ERROR_INSTRUCTION}",
        "--MappingKernelManager.cull_idle_timeout=1800",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
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
    os.execve(command[0], command, dashboard_env())
