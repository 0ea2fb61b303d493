"""`course session ...`: trainer-led group sessions from the command line (see docs/TRAINERS.md).

    course session list                          recent sessions: code, date, what, votes, names
    course session summary CODE [--format csv]   how the room split on each scenario
    course session attendance CODE [--format csv]

Added to the `course` group like every other area's commands (see course/cli/__init__.py).
"""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from course.cli import console, main


@main.group()
def session():
    """Trainer-led group sessions: list them, see how the room voted, who attended."""


@session.command("list")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(1, 10000), help="How many, newest first.")
def list_sessions(limit: int):
    """Recent sessions, newest first."""
    from course.kernel.runtime import app_course
    from course.live import core
    from course.live.summary import session_title
    from course.records.store import Store

    store = Store()
    course = app_course()
    found = core.list_sessions(store, limit)
    table = Table(title=f"Group sessions ({len(found)})")
    for column in ("code", "opened", "closed", "what", "scenarios shown", "voters", "names"):
        table.add_column(column)
    for s in found:
        closed = s.closed_at.strftime("%Y-%m-%d %H:%M") if s.closed_at else ("expired" if s.expired else "open")
        table.add_row(
            s.code,
            s.opened_at.strftime("%Y-%m-%d %H:%M"),
            closed,
            escape(session_title(course, s)),
            f"{max(0, s.furthest + 1)} of {s.total}",
            str(core.voter_count(store, s.id)),
            str(len(core.attendance(store, s.id))),
        )
    console.print(table)


def _summary(code: str):
    from course.kernel.runtime import app_course
    from course.live import core
    from course.live.summary import session_summary
    from course.records.store import Store

    store = Store()
    found = core.latest_by_code(store, code)  # an unknown code: LiveError, said by the `course` group
    return session_summary(store, app_course(), found)


@session.command()
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def summary(code: str, fmt: str):
    """How the room split on each scenario of session CODE (the newest with that code)."""
    from course.live.summary import percent, summary_csv

    result = _summary(code)
    if fmt == "csv":
        click.echo(summary_csv(result), nl=False)
        return
    s = result.session
    table = Table(title=f"Session {s.code}, {s.opened_at:%Y-%m-%d}: {escape(result.title)}")
    for column in ("no.", "scenario", "votes", "how the room split", "chose the best", "result"):
        table.add_column(column)
    for r in result.scenarios:
        if not r.shown:
            verdict = "not shown"
        elif not r.votes:
            verdict = "no votes"
        elif r.contested:
            verdict = "CONTESTED"
        elif r.most_chose_best:
            verdict = "most chose the best"
        else:
            verdict = "most chose another answer"
        table.add_row(
            str(r.number),
            escape(r.title),
            str(r.votes),
            escape(r.split_text()) if r.votes else "-",
            percent(r.best_share) if r.votes else "-",
            verdict,
        )
    console.print(table)
    console.print(
        f"{result.voters} voter(s); {len(result.attendees)} gave their name; "
        f"{len(result.contested)} contested scenario(s) (no answer had 60% or more)."
    )


@session.command()
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def attendance(code: str, fmt: str):
    """Who gave their name in session CODE (never what they voted)."""
    from course.live.summary import attendance_csv

    result = _summary(code)
    if fmt == "csv":
        click.echo(attendance_csv(result), nl=False)
        return
    table = Table(title=f"Attendance, session {result.session.code}, {result.session.opened_at:%Y-%m-%d}")
    table.add_column("name")
    table.add_column("staff number")
    for a in result.attendees:
        table.add_row(escape(a.name), escape(a.staff_number or ""))
    console.print(table)
