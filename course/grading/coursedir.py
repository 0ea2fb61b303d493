"""The nbgrader course root (`grading/`) and nbgrader's own Python API over it."""

from __future__ import annotations

import logging
import os
import sys
from functools import cache
from pathlib import Path

from course import settings

CONFIG_FILE = "nbgrader_config.py"


def grading_root() -> Path:
    return settings.grading_dir()


def load_config(root: Path | None = None):
    """nbgrader_config.py as a traitlets Config, with the root pinned to `root` and the gradebook
    to `gradebook_url(root)`: nbgrader's API and the course's own reads open the same database."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root or grading_root()).resolve()
    config = Config()
    if (root / CONFIG_FILE).exists():
        config.merge(PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = (
        settings.gradebook_db_url() or config.CourseDirectory.get("db_url") or f"sqlite:///{root / 'gradebook.db'}"
    )
    return config


def gradebook_url(root: Path | None = None) -> str:
    """nbgrader's gradebook, the one answer: NBGRADER_DB_URL, else nbgrader_config.py's `db_url`,
    else nbgrader's default (gradebook.db in the course root)."""
    return str(load_config(root).CourseDirectory.db_url)


def api(root: Path | None = None, quiet: bool = True):
    """An in-process NbGraderAPI: no 3 s interpreter start-up per call."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from course.grading import sandbox

    _alembic_on_path()
    config = load_config(root)
    sandbox.configure(config, settings.data_dir() / "marker-kernel")  # root: kernels as an unprivileged user
    coursedir = CourseDirectory(config=config)
    instance = NbGraderAPI(coursedir=coursedir, config=config)
    if quiet:
        instance.log.setLevel(logging.WARNING)
    return instance


@cache
def timestamp_format() -> str:
    from nbgrader.exchange.abc.exchange import Exchange

    return Exchange.timestamp_format.default_value


def _alembic_on_path() -> None:
    """nbgrader migrates a new gradebook by running `alembic` from PATH: make it this venv's."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
