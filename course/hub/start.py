"""A user's server on the hub: `python -m course.hub.start` (the spawner's command).

Prepares the user's home (course.hub.spawn.prepare_home: the app notebooks and staff
extras) and then becomes `jupyterhub-singleuser` with Voila set up as the
course's app. It runs inside the user's own server (a local process, or the user's pod on
Kubernetes), so the hub never needs to reach into users' homes.

The hub passes everything in the environment: COURSE_HUB_SHARED (the shared folder) and
COURSE_MANAGER_GROUP (set only for staff) besides the course's own variables.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from course.app.pages import ERROR_INSTRUCTION  # a small module: nothing heavy before every server start

# The same Voila settings `course serve` enforces (course.server.voila), for Voila as a Jupyter
# server extension: the course template, no tracebacks, only the widget manager's scripts.
VOILA_ARGS = [
    "--VoilaConfiguration.template=course",
    "--VoilaConfiguration.theme=light",
    "--VoilaConfiguration.allow_template_override=NO",
    "--VoilaConfiguration.allow_theme_override=NO",
    "--VoilaConfiguration.show_tracebacks=False",
    "--VoilaConfiguration.strip_sources=True",
    "--VoilaConfiguration.extension_allowlist=@jupyter-widgets/jupyterlab-manager",
    "--VoilaConfiguration.extension_allowlist=@voila-dashboards/widgets-manager8",
    f"--VoilaExecutor.cell_error_instruction={ERROR_INSTRUCTION}",
    # a page left open but unused (a phone that dropped the tab) gives its kernel back
    "--MappingKernelManager.cull_idle_timeout=900",
    "--MappingKernelManager.cull_interval=60",
    "--MappingKernelManager.cull_connected=False",
]
# Learners need no terminal (staff keep one for `course grade` and `course report`), nor the
# instructor's and editor's extensions: each costs start-up time and memory in every server.
# JupyterLab and nbgrader's assignment list stay, for learners who prefer notebooks.
LEARNER_ARGS = [
    "--ServerApp.terminals_enabled=False",
    "--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=False",
    "--ServerApp.jpserver_extensions=nbgrader.server_extensions.course_list=False",
    "--ServerApp.jpserver_extensions=jupyter_lsp=False",
]


def command(staff: bool, extra: list[str]) -> list[str]:
    singleuser = str(Path(sys.executable).with_name("jupyterhub-singleuser"))
    # a container or CI job may run everything as root (Jupyter refuses unless told)
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [singleuser, *VOILA_ARGS, *([] if staff else LEARNER_ARGS), *root, *extra]


def upgrade_records() -> None:
    """`course db upgrade` on the shared records store before the user's kernels open it (locked:
    many users' servers may start at once; the hub's set-up has usually done it already)."""
    from course.records import migrate
    from course.records.store import default_url

    migrate.upgrade(default_url())


def main(argv: list[str] | None = None) -> None:
    from course.hub.spawn import prepare_home

    home = Path(os.environ.get("HOME") or os.getcwd())
    shared = Path(os.environ["COURSE_HUB_SHARED"])
    staff = bool(os.environ.get("COURSE_MANAGER_GROUP"))
    prepare_home(home, shared, staff)
    upgrade_records()
    os.chdir(home)
    args = command(staff, list(sys.argv[1:] if argv is None else argv))
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
