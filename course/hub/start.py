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

from course import settings

CONFIG_FOLDER = ".course-server-config"  # in the user's home: the Voila settings this server loads

# Learners need no terminal (staff keep one for `course grade` and `course report`), nor the
# instructor's and editor's extensions: each costs start-up time and memory in every server.
# JupyterLab and nbgrader's assignment list stay, for learners who prefer notebooks.
LEARNER_ARGS = [
    "--ServerApp.terminals_enabled=False",
    "--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=False",
    "--ServerApp.jpserver_extensions=nbgrader.server_extensions.course_list=False",
    "--ServerApp.jpserver_extensions=jupyter_lsp=False",
]


def hub_settings() -> dict:
    """The shared launch configuration (course.server.launch_config) for Voila as a server extension:
    the course template, no tracebacks, only the widget manager's scripts, idle kernels culled."""
    from course.server.launch_config import voila_config  # a small module: nothing heavy before every start

    return voila_config(standalone=False)


def write_server_config(home: Path) -> Path:
    """jupyter_server_config.json with the course's Voila settings, in a folder of its own in the
    home; the server finds it on JUPYTER_CONFIG_PATH (after ~/.jupyter, before the system's)."""
    from course.server.launch_config import write_config

    return write_config(hub_settings(), Path(home) / CONFIG_FOLDER, name="jupyter_server_config")


def server_env(config: Path, base: dict | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(config.parent), env.get("JUPYTER_CONFIG_PATH", "")) if p
    )
    return env


# the course's own routes a user's server needs beside Voila: the learner's downloads
# (course.server.downloads; `course serve` adds the same route in course.server.voila)
EXTENSION_ARGS = ["--ServerApp.jpserver_extensions=course.server.downloads=True"]


def command(staff: bool, extra: list[str]) -> list[str]:
    singleuser = str(Path(sys.executable).with_name("jupyterhub-singleuser"))
    # a container or CI job may run everything as root (Jupyter refuses unless told)
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [singleuser, *([] if staff else LEARNER_ARGS), *EXTENSION_ARGS, *root, *extra]


def upgrade_records() -> None:
    """`course db upgrade` on the shared records store before the user's kernels open it (locked:
    many users' servers may start at once; the hub's set-up has usually done it already)."""
    from course.records import migrate
    from course.records.store import default_url

    migrate.upgrade(default_url())


def _private_home_data(home: Path) -> None:
    """A learner's own data folder (in their home) private to them, umask 077 for their server.
    The shared folder (staff's common `var/` and `grading/`) keeps the modes the deployer gave
    it: several staff users must reach it (docs/DEPLOY.md, docs/PRIVACY.md)."""
    from course.private import make_private

    data = settings.data_dir().resolve()
    if data.is_relative_to(home.resolve()):
        make_private(data)


def main(argv: list[str] | None = None) -> None:
    from course.hub.spawn import prepare_home

    home = Path(os.environ.get("HOME") or os.getcwd())
    shared = settings.hub_shared()
    staff = bool(settings.manager_group())
    prepare_home(home, shared, staff)
    _private_home_data(home)
    upgrade_records()
    os.chdir(home)
    args = command(staff, list(sys.argv[1:] if argv is None else argv))
    os.execve(args[0], args, server_env(write_server_config(home)))  # noqa: S606 - replace this process with the server, no shell


if __name__ == "__main__":
    main()
