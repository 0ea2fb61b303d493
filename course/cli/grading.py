"""`course release`, `course grade`, `course gradebook`: marking with nbgrader."""

from __future__ import annotations

import sys

import click
from rich.markup import escape
from rich.table import Table

from course.cli import console, errors, main


@main.command()
@click.option("--module", "modules", multiple=True, help="Only this module (repeatable).")
@click.option(
    "--exchange/--no-exchange", default=None, help="Release to the nbgrader exchange (default: when one is configured)."
)
def release(modules, exchange):
    """Generate the release version of every module (nbgrader generate_assignment) and release it."""
    from course.grading.release import release as run

    results = run(modules=list(modules) or None, to_exchange=exchange)
    table = Table(title="Release")
    for column in ("module", "generated", "released to exchange", "message"):
        table.add_column(column)
    for r in results:
        table.add_row(
            r.module,
            "yes" if r.generated else "NO",
            {None: "-", True: "yes", False: "NO"}[r.released],
            escape(r.message),
        )
    console.print(table)
    sys.exit(0 if all(r.generated and r.released is not False for r in results) else 1)


@main.command()
@click.option(
    "--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 32), help="Grade in this many processes."
)
@click.option("--module", "modules", multiple=True, help="Only this module (repeatable).")
@click.option("--learner", "learners", multiple=True, help="Only this learner (repeatable).")
@click.option("--force", is_flag=True, help="Grade again even when a submission has not changed.")
@click.option("--watch", is_flag=True, help="Keep running and grade each learner's Finish at once.")
def grade(jobs, modules, learners, force, watch):
    """Autograde every new or changed submission with nbgrader and generate feedback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from course.grading.autograde import grade as run
    from course.grading.autograde import pending
    from course.grading.coursedir import grading_root
    from course.private import make_private
    from course.records.store import Store
    from course.settings import data_dir

    make_private(data_dir(), grading_root())  # records, gradebook, submissions: the course's user only
    if watch:
        import logging

        from course.grading.worker import run as watch_queue

        logging.basicConfig(
            level=logging.WARNING, format="[course-grader %(levelname)s %(asctime)s] %(message)s", datefmt="%H:%M:%S"
        )
        logging.getLogger("course.grader").setLevel(logging.INFO)  # one line per Finish; nbgrader's chatter off
        logging.getLogger("course.lti").setLevel(logging.INFO)  # one line per mark sent to an LMS (row ids only)
        console.print("Grading each Finish as it arrives (Ctrl+C stops).")
        watch_queue()
        return
    store = Store()
    from course.records.finish_queue import waiting

    if waiting(store):  # learners' Finishes no marker has taken yet (one ran with --no-grading, or none runs)
        from course.grading.worker import run as mark_queue

        marked = mark_queue(store=store, stop_after=0)
        console.print(f"Marked {marked} Finish request(s) waiting in the queue.")
    todo, unchanged = pending(grading_root(), store, modules=modules or None, learners=learners or None, force=force)
    with Progress(
        TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=errors, transient=True
    ) as bar:
        task = bar.add_task("grade", total=len(todo))
        results = run(
            jobs=jobs,
            modules=modules or None,
            learners=learners or None,
            force=force,
            store=store,
            progress=lambda _r: bar.advance(task),
        )
    table = Table(title=f"Graded {len(results)} submission(s); {len(unchanged)} unchanged")
    for column in ("learner", "module", "status", "score", "passed", "note"):
        table.add_column(column)
    for r in results:
        score = f"{r.score:g} / {r.max_score:g}" if r.score is not None else "-"
        passed = {None: "-", True: "yes", False: "no"}[r.passed]
        note = r.message
        if r.critical_missed:  # why an otherwise passing score is a fail
            note = (note + "; " if note else "") + "critical item(s) scored 0: " + ", ".join(r.critical_missed)
        table.add_row(escape(r.learner), r.module, r.status, score, passed, escape(note))
    console.print(table)
    for r in results:  # each problem once more, whole, on its own line: easy to grep and to act on
        if r.status != "graded":
            errors.print(
                f"{r.status}: submitted/{escape(r.learner)}/{r.module}: {escape(r.message)}",
                highlight=False,
                soft_wrap=True,
            )
    sys.exit(1 if any(r.status == "not graded" for r in results) else 0)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def gradebook(fmt):
    """Show the gradebook: one row per learner and module."""
    from course.grading.gradebook import gradebook_frame

    frame = gradebook_frame()
    if fmt == "csv":
        from course.manager.reports.writers import to_csv  # formula-like cells neutralised for spreadsheets

        click.echo(to_csv(frame), nl=False)
        return
    table = Table(title="Gradebook")
    for column in frame.columns:
        table.add_column(column)
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    console.print(table)
