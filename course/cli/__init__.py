"""The `course` command: thin wrappers over the package's Python API.

This module holds the group and its one error handler; the commands live beside it, one module
per area, each adding its commands to `main` with `@main.command()` / `@main.group()`:

    content.py   validate, build, curriculum
    grading.py   release, grade, gradebook
    serve.py     serve
    live.py      session list|summary|attendance
    manager.py   report, roster, certificate, verify, learning-record, xapi, export-learner, purge, manager
    badge.py     badge issue|verify|revoke|restore|jwks

A new area is a new module and one line in the import list at the bottom.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 2):
    """One clear line on stderr (what, and where), and the exit code; never a traceback."""
    errors.print(f"[red]error[/red] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


class CourseGroup(click.Group):
    """The one error handler: the errors a user can cause become one clear line, never a traceback.

    Exit 1: the input is wrong and every problem is listed (content, a roster file); exit 2: the
    command could not do its job (a store, a file, a certificate, a session, a bad value).
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as exc:  # noqa: BLE001 - explain() re-raises what it does not know
            explain(exc)


def explain(exc: Exception) -> None:
    """Say what went wrong and exit; re-raise an error no user can cause (a bug: keep its traceback).

    The error classes are imported only now, so a command loads only the modules it uses."""
    from course.content.loader import ContentError
    from course.content.model import ContentErrors
    from course.live.core import LiveError
    from course.manager.auth import PasswordError
    from course.manager.certificates import CertificateError
    from course.records.identity import IdentityError
    from course.records.responses import ResponsesError
    from course.records.roster import RosterError
    from course.records.store import StoreError

    if isinstance(exc, ContentErrors):
        for problem in exc.problems:
            errors.print(f"[red]error[/red] {escape(str(problem))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    if isinstance(exc, RosterError):
        for message in exc.problems:
            errors.print(f"[red]error[/red] {escape(exc.source)}: {escape(message)}", highlight=False, soft_wrap=True)
        fail(f"{exc.source}: nothing imported ({len(exc.problems)} problem(s)); fix the file and import it again", 1)
    if isinstance(exc, KeyError):
        fail(str(exc.args[0]) if exc.args else "not found")
    if isinstance(exc, (ContentError, StoreError, ResponsesError, OSError)):
        fail(str(exc).strip(chr(39)))
    if isinstance(exc, (CertificateError, PasswordError, LiveError, IdentityError, ValueError)):
        fail(str(exc))
    raise exc


@click.group(cls=CourseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="course")
def main():
    """Social media, confidentiality and boundaries: the course's own tools."""


# each module adds its commands to `main` when imported (the order is `course --help`'s)
from course.cli import content, grading, serve, live, manager, db, lti, badge  # noqa: E402,F401,I001


if __name__ == "__main__":
    main()
