"""A page kernel loads only what its page needs (issue 19): pinned by module names, not timings.

Each check runs what a preheated kernel runs (`prepare(kind)`, then the page build) in a fresh
Python over a store at head and the content snapshot, as `course serve` leaves them, and looks
at sys.modules. benchmarks/kernel_imports.py measures the memory and import time behind it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from course.content.model import load_course
from course.kernel.runtime import write_snapshot
from course.records import migrate
from course.records.store import Store
from tests.support.servers import signed_in

KERNEL = r"""
import json, sys
import ipykernel, ipywidgets  # noqa: E401,F401 - what every page kernel has
from course.kernel.launch import prepare
app = prepare(sys.argv[1])
assert not app.failed, "the page did not start"
app.build(json.loads(sys.argv[2]))
print(json.dumps(sorted(sys.modules)))
"""

# pandas and numpy are for the vectorised progress rule (course.progress evaluates marks);
# the help page evaluates none, so it must not load them (about 400 modules and 40 MB)
NOT_ON_THE_HELP_PAGE = ("pandas", "numpy", "jsonschema", "alembic", "nbgrader", "nbformat", "openpyxl", "qrcode")


@pytest.fixture
def served(tmp_path):
    """The environment of a page kernel under `course serve`, and a signed-in learner's token."""
    env = {
        **os.environ,
        "COURSE_DATA_DIR": str(tmp_path),
        "COURSE_DB_URL": f"sqlite:///{tmp_path / 'records.db'}",
        "COURSE_APP_SNAPSHOT": str(tmp_path / "course-content.pickle"),
    }
    migrate.upgrade(env["COURSE_DB_URL"])
    write_snapshot(load_course(), tmp_path / "course-content.pickle")
    store = Store(env["COURSE_DB_URL"])
    token = signed_in(store, "amy", "Amy Reid")
    return env, token


def kernel_modules(kind: str, query: dict, env: dict) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", KERNEL, kind, json.dumps(query)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def packages_among(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted({name.split(".")[0] for name in modules} & set(packages))


def test_help_page_kernel_loads_no_heavy_packages(served):
    env, token = served
    modules = kernel_modules("help", {"token": token}, env)
    assert "course.app.help" in modules  # the page was really built
    loaded = packages_among(modules, NOT_ON_THE_HELP_PAGE)
    assert loaded == [], f"the help page's kernel imported {', '.join(loaded)}"


def test_learner_page_kernel_loads_no_schema_checks_or_migrations(served):
    """A module page needs pandas (the progress rule), but not the YAML checks (the snapshot
    stands in for them) nor Alembic (the store is at head) nor nbgrader's or a report's packages."""
    env, token = served
    module = next(iter(load_course().modules))
    modules = kernel_modules("module", {"token": token, "module": module}, env)
    assert "course.app.module" in modules
    loaded = packages_among(modules, ("jsonschema", "alembic", "nbgrader", "nbformat", "openpyxl", "qrcode"))
    assert loaded == [], f"the module page's kernel imported {', '.join(loaded)}"
