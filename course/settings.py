"""Where things live. Every location can be moved with an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CONTENT_DIR = PACKAGE_DIR / "data"


def content_dir() -> Path:
    """The YAML content: `COURSE_CONTENT_DIR` lets a trainer try edits in a copy."""
    return Path(os.environ.get("COURSE_CONTENT_DIR", CONTENT_DIR))


def project_root() -> Path:
    """The checkout the package was installed from (editable install), or the cwd."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").exists() else Path.cwd()


def data_dir() -> Path:
    """Where records live when no database URL is given (git-ignored `var/` in a checkout)."""
    env = os.environ.get("COURSE_DATA_DIR")
    path = Path(env) if env else project_root() / "var"
    path.mkdir(parents=True, exist_ok=True)
    return path


def notebooks_dir() -> Path:
    return Path(os.environ.get("COURSE_NOTEBOOKS_DIR", project_root() / "notebooks"))


def assets_dir() -> Path:
    return Path(os.environ.get("COURSE_ASSETS_DIR", project_root() / "assets"))
