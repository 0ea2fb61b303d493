"""Shared fixtures. Every test gets its own records store and data folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CONTENT = ROOT / "course" / "data"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test touches the developer's records, and none inherits a hub or Voila identity."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    monkeypatch.delenv("COURSE_CONTENT_DIR", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("COURSE_GRADE_ON_FINISH", raising=False)  # only `course serve` turns marking on
    monkeypatch.delenv("COURSE_PUBLIC_URL", raising=False)
    monkeypatch.setenv("COURSE_LEARNER", "learner-test")
    # nbgrader runs `alembic` from PATH: make sure it is this venv's
    monkeypatch.setenv("PATH", f"{VENV_BIN}:{__import__('os').environ.get('PATH', '')}")
    yield


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'records.db'}"


@pytest.fixture
def store(db_url):
    from course.records.store import Store

    return Store(db_url)


@pytest.fixture
def course():
    from course.content.model import load_course

    return load_course()


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A private copy of the content folder that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


@pytest.fixture(scope="module")
def browser():
    """A real headless Debian Chromium, one per test file (tests/servers.py starts it)."""
    from .support.servers import chromium

    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def postgres_url():
    """One PostgreSQL server for the test session; tests needing it are skipped, with the reason, if it cannot start."""
    from .support.postgres import postgres_server, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request, tmp_path):
    """The records store's URL on each supported database: the same code runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.db'}"
    url = request.getfixturevalue("postgres_url")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:  # each test starts from an empty schema
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    from course.records.store import engine_for

    engine_for.cache_clear()
    return url
