"""The `course` command is one package with one error handler: every area's module adds its
commands to the group the same way, and a user's mistake is one clear line with the same exit
code whichever command made it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import course.cli
from course.cli import explain, main

CLI = Path(course.cli.__file__).resolve().parent


def test_every_area_registers_its_commands_the_same_way():
    modules = sorted(p.name for p in CLI.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert {"content.py", "grading.py", "serve.py", "live.py", "manager.py"} <= set(modules)
    init = (CLI / "__init__.py").read_text()
    imported = re.search(r"^from course\.cli import ([\w, ]+)", init, re.M).group(1).replace(" ", "").split(",")
    for name in modules:
        text = (CLI / name).read_text()
        assert re.search(r"^@main\.(command|group)\(", text, re.M), name
        # no second way to register, and no handler of its own
        for other in ("add_command(", "def register(", "def _fail(", "def clean_errors(", "sys.exit(2)"):
            assert other not in text, (name, other)
        assert name[:-3] in imported, name  # one import line in __init__ registers a module's commands
    expected = {
        "validate",
        "build",
        "curriculum",
        "release",
        "grade",
        "gradebook",
        "serve",
        "session",
        "report",
        "roster",
        "certificate",
        "verify",
        "learning-record",
        "xapi",
        "export-learner",
        "purge",
        "manager",
    }
    assert expected <= set(main.commands)


class Bug(Exception):
    pass


@pytest.fixture
def failing():
    """A throwaway command on the real group that raises what it is given."""

    @main.command("raise-for-test")
    @click.argument("kind")
    def raise_for_test(kind):
        from course.content.loader import ContentError
        from course.live.core import LiveError
        from course.manager.certificates import CertificateError
        from course.records.roster import RosterError
        from course.records.store import StoreError

        raise {
            "key": KeyError("no learner or staff number 'X1' in the records or on the roster"),
            "store": StoreError("could not read the records store (sqlite:///x.db): locked"),
            "content": ContentError("modules/why.yaml", 3, "not YAML"),
            "os": FileNotFoundError(2, "No such file or directory", "staff.csv"),
            "value": ValueError("--as-of 'soon' is not a date (use YYYY-MM-DD)"),
            "certificate": CertificateError("COURSE_SECRET_KEY is too short (use at least 16 random characters)"),
            "live": LiveError("No session has the code or id 'ZZZZZZ'."),
            "roster": RosterError("staff.csv", ["line 2: no name", "line 3: no team or service"]),
            "bug": Bug("a programming error"),
        }[kind]

    yield
    del main.commands["raise-for-test"]


@pytest.mark.parametrize(
    "kind, code, words",
    [
        ("key", 2, ["error no learner or staff number 'X1' in the records or on the roster"]),
        ("store", 2, ["error could not read the records store (sqlite:///x.db): locked"]),
        ("content", 2, ["error modules/why.yaml:3: not YAML"]),
        ("os", 2, ["error [Errno 2] No such file or directory: 'staff.csv"]),
        ("value", 2, ["error --as-of 'soon' is not a date (use YYYY-MM-DD)"]),
        ("certificate", 2, ["error COURSE_SECRET_KEY is too short"]),
        ("live", 2, ["error No session has the code or id 'ZZZZZZ'."]),
        (
            "roster",
            1,
            [
                "error staff.csv: line 2: no name",
                "error staff.csv: line 3: no team or service",
                "error staff.csv: nothing imported (2 problem(s)); fix the file and import it again",
            ],
        ),
    ],
)
def test_one_handler_one_line_one_exit_code(failing, kind, code, words):
    result = CliRunner().invoke(main, ["raise-for-test", kind])
    assert result.exit_code == code, result.output
    for line in words:
        assert line in result.output
    assert "Traceback" not in result.output


def test_a_bug_keeps_its_traceback(failing):
    result = CliRunner().invoke(main, ["raise-for-test", "bug"])
    assert isinstance(result.exception, Bug)  # not swallowed into a friendly line: someone must fix it
    with pytest.raises(Bug):
        explain(Bug("x"))


def test_click_s_own_errors_are_click_s(failing):
    result = CliRunner().invoke(main, ["raise-for-test"])
    assert result.exit_code == 2 and "Missing argument 'KIND'" in result.output
