"""The `course` command: thin wrappers over the package's Python API."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
errors = Console(stderr=True)


class CourseGroup(click.Group):
    """Turns the errors a user can cause into one clear line, never a traceback."""

    def invoke(self, ctx):
        from course.content.model import ContentErrors
        from course.records.responses import ResponsesError
        from course.records.store import StoreError
        from course.content.loader import ContentError

        try:
            return super().invoke(ctx)
        except ContentErrors as exc:
            for problem in exc.problems:
                errors.print(f"[red]error[/red] {escape(str(problem))}", highlight=False)
            sys.exit(1)
        except (ContentError, StoreError, ResponsesError, KeyError, OSError) as exc:
            errors.print(f"[red]error[/red] {escape(str(exc).strip(chr(39)))}", highlight=False)
            sys.exit(2)


@click.group(cls=CourseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="course")
def main():
    """Social media, confidentiality and boundaries: the course's own tools."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--content", type=click.Path(file_okay=False, exists=True), help="Content folder (default: the package's).")
@click.option("--module", "module_id", help="Only report problems in this module's file.")
def validate(as_json: bool, content: str | None, module_id: str | None):
    """Load every content file and check it against the course's rules."""
    from course.content.validate import validate as run

    report = run(content)
    if module_id:
        report.problems = [p for p in report.problems if p.path.endswith(f"/modules/{module_id}.yaml")]
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        summary = report.as_dict()
        if summary["modules"]:
            table = Table(title=f"Course content (policy version {summary['policy_version']})")
            for column in ("module", "title", "scenarios", "branches", "minutes", "feedback"):
                table.add_column(column)
            for m in summary["modules"]:
                table.add_row(m["id"], m["title"], str(m["scenarios"]), str(m["branch_scenarios"]), str(m["minutes"]), m["feedback"])
            console.print(table)
            console.print(f"{summary['scenarios']} graded scenarios in {len(summary['modules'])} modules.")
        for problem in report.problems:
            errors.print(f"[red]error[/red] {escape(str(problem))}", highlight=False, soft_wrap=True)
        if report.ok:
            console.print("[green]All content is valid.[/green]")
        else:
            errors.print(f"[red]{len(report.problems)} problem(s) found.[/red]")
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--check", is_flag=True, help="Only report notebooks that are out of date (exit 1 if any).")
@click.option("--out", type=click.Path(file_okay=False), help="Notebooks folder (default: the project's notebooks/).")
def build(check: bool, out: str | None):
    """Generate each module's notebook from its YAML."""
    from pathlib import Path

    from course.content.model import ContentErrors, load_course
    from course.content.build import build_all
    from course.settings import notebooks_dir

    try:
        course = load_course()
    except ContentErrors as exc:
        for problem in exc.problems:
            errors.print(f"[red]error[/red] {escape(str(problem))}", highlight=False)
        errors.print("Fix the content first (see `course validate`).")
        sys.exit(1)
    changed = build_all(course, Path(out) if out else notebooks_dir(), check=check)
    for path in changed:
        console.print(f"{'out of date' if check else 'wrote'}: {escape(str(path))}")
    if check and changed:
        errors.print("[red]Notebooks are out of date: run `course build` and commit them.[/red]")
        sys.exit(1)
    if not changed:
        console.print("All notebooks are up to date.")


@main.command()
@click.option("--check", is_flag=True, help="Only report whether docs/CURRICULUM.md is up to date.")
def curriculum(check: bool):
    """Write docs/CURRICULUM.md: the map of policy points to scenarios."""
    from course.records.atomic import write_atomic
    from course.content.model import load_course
    from course.content.curriculum import curriculum_markdown
    from course.settings import project_root

    path = project_root() / "docs" / "CURRICULUM.md"
    text = curriculum_markdown(load_course())
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if check:
        if current != text:
            errors.print("docs/CURRICULUM.md is out of date: run `course curriculum` and commit it.")
            sys.exit(1)
        console.print("docs/CURRICULUM.md is up to date.")
        return
    write_atomic(path, text)
    console.print(f"wrote: {escape(str(path))}")


@main.command()
@click.option("--port", default=8866, show_default=True, help="Port to listen on.")
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="Address to listen on: 0.0.0.0 lets phones on this network join a group session.")
@click.option("--public-url", default="", envvar="COURSE_PUBLIC_URL",
              help="The address learners use for the course, when it is not http://IP:PORT/ (a proxy, a hostname); "
                   "the join address and QR code of a group session use it.")
@click.option("--preheat/--no-preheat", default=True, show_default=True,
              help="Keep kernels started and ready, so pages open fast.")
@click.option("--pool-size", default=2, show_default=True, type=click.IntRange(1, 32),
              help="Ready kernels for the home and the module app.")
@click.option("--join-pool-size", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Ready kernels for phones joining a group session (raise it before a big room).")
@click.option("--cull-idle", default=900, show_default=True, type=click.IntRange(1, 86400),
              help="Seconds before the kernel of a closed page is stopped.")
@click.option("--grading/--no-grading", default=True, show_default=True,
              help="Mark each Finish at once with nbgrader (runs `course grade --watch` beside Voila).")
@click.option("--open-browser", is_flag=True, help="Also open the course home in a web browser.")
def serve(port: int, ip: str, public_url: str, preheat: bool, pool_size: int, join_pool_size: int, cull_idle: int,
          grading: bool, open_browser: bool):
    """Start the course in Voila on http://IP:PORT (records in a SQLite file) with its marker."""
    from course.content.model import ContentErrors, load_course
    from course.server.supervisor import ServeOptions
    from course.server.supervisor import serve as run

    try:
        course = load_course()
    except ContentErrors as exc:
        for problem in exc.problems:
            errors.print(f"[red]error[/red] {escape(str(problem))}", highlight=False)
        sys.exit(1)
    shown = "127.0.0.1" if ip in ("0.0.0.0", "") else ip
    console.print(f"The course is at [bold]{escape(public_url or f'http://{shown}:{port}/')}[/bold] (Ctrl+C stops it).")
    if ip in ("0.0.0.0", "") and not public_url:
        console.print("Other devices on this network reach it at this machine's address, port "
                      f"{port}; a group session's QR code shows that address when the trainer opens the trainer "
                      "page with it.")
    options = ServeOptions(port=port, ip=ip, public_url=public_url, preheat=preheat, pool_size=pool_size,
                           join_pool_size=join_pool_size, cull_idle_timeout=cull_idle, cull_interval=min(60, cull_idle), open_browser=open_browser,
                           grading=grading)
    sys.exit(run(course, options, say=lambda text: console.print(escape(text))))


@main.command()
@click.option("--module", "modules", multiple=True, help="Only this module (repeatable).")
@click.option("--exchange/--no-exchange", default=None, help="Release to the nbgrader exchange (default: when one is configured).")
def release(modules, exchange):
    """Generate the release version of every module (nbgrader generate_assignment) and release it."""
    from course.grading.release import release as run

    results = run(modules=list(modules) or None, to_exchange=exchange)
    table = Table(title="Release")
    for column in ("module", "generated", "released to exchange", "message"):
        table.add_column(column)
    for r in results:
        table.add_row(r.module, "yes" if r.generated else "NO", {None: "-", True: "yes", False: "NO"}[r.released], escape(r.message))
    console.print(table)
    sys.exit(0 if all(r.generated and r.released is not False for r in results) else 1)


@main.command()
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 32), help="Grade in this many processes.")
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
    from course.records.store import Store

    if watch:
        import logging

        from course.grading.worker import run as watch_queue

        logging.basicConfig(level=logging.WARNING, format="[course-grader %(levelname)s %(asctime)s] %(message)s",
                            datefmt="%H:%M:%S")
        logging.getLogger("course.grader").setLevel(logging.INFO)  # one line per Finish; nbgrader's chatter off
        console.print("Grading each Finish as it arrives (Ctrl+C stops).")
        watch_queue()
        return
    store = Store()
    from course.grading.queue import waiting

    if waiting(store):  # learners' Finishes no marker has taken yet (one ran with --no-grading, or none runs)
        from course.grading.worker import run as mark_queue

        marked = mark_queue(store=store, stop_after=0)
        console.print(f"Marked {marked} Finish request(s) waiting in the queue.")
    todo, unchanged = pending(grading_root(), store, modules=modules or None, learners=learners or None, force=force)
    with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=errors, transient=True) as bar:
        task = bar.add_task("grade", total=len(todo))
        results = run(jobs=jobs, modules=modules or None, learners=learners or None, force=force, store=store,
                      progress=lambda _r: bar.advance(task))
    table = Table(title=f"Graded {len(results)} submission(s); {len(unchanged)} unchanged")
    for column in ("learner", "module", "status", "score", "passed", "note"):
        table.add_column(column)
    for r in results:
        score = f"{r.score:g} / {r.max_score:g}" if r.score is not None else "-"
        passed = {None: "-", True: "yes", False: "no"}[r.passed]
        table.add_row(escape(r.learner), r.module, r.status, score, passed, escape(r.message))
    console.print(table)
    for r in results:  # each problem once more, whole, on its own line: easy to grep and to act on
        if r.status != "graded":
            errors.print(f"{r.status}: submitted/{escape(r.learner)}/{r.module}: {escape(r.message)}", highlight=False, soft_wrap=True)
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


from course.cli.manager import register as _register_manager_commands; _register_manager_commands(main)  # noqa: E402,E702

from course.cli.live import register as _register_live_commands; _register_live_commands(main)  # noqa: E402,E702

from course.cli.db import register as _register_db_commands; _register_db_commands(main)  # noqa: E402,E702


if __name__ == "__main__":
    main()
