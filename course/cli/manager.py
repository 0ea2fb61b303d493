"""Managers' commands: thin wrappers over course.records.roster, completion, reports, certificates,
learning_record, xapi, privacy and manager, added to the `course` group like every other area's.

    course roster import staff.csv          course report completions|due|scenarios --format ...
    course roster grant-trainer 40123       course roster revoke-trainer 40123
    course roster invite --team Riverside   (one-time sign-in codes, as printable letters)
    course certificate 40123                course verify SMC-XXXXX-XXXXX-XXXXX-XXXXX
    course learning-record 40123            course xapi --out statements.json
    course export-learner 40123             course purge --before 2023-01-01
    course manager set-password             course manager dashboard
    course feedback 40123 why               (nbgrader's own feedback page on the last marked submission)
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click
from rich.markup import escape

from course import settings
from course.cli import console, errors, main


class Steps:
    """A rich progress bar on stderr for work in named steps (hidden when stderr is not a terminal)."""

    def __init__(self, total: int):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<32}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
            disable=not errors.is_terminal,
        )
        self.total = total

    def __enter__(self):
        self.progress.__enter__()
        self.task = self.progress.add_task("loading the course", total=self.total)
        self.started = False
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def __call__(self, label: str) -> None:
        """Start the next step (the one before it is then done)."""
        self.progress.update(self.task, description=label, advance=1 if self.started else 0)
        self.started = True

    def rows(self, label: str, total: int):
        """A second bar for row-by-row work; returns an advance(n) function."""
        task = self.progress.add_task(label, total=max(total, 1))
        return lambda n: self.progress.advance(task, n)


def _as_of(value: str | None):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--as-of '{value}' is not a date (use YYYY-MM-DD)") from None


def _evaluate(step=None, as_of=None, roster_only=False, record=True):
    """Read everything, work out statuses, and (for today) add new completions to the register."""
    from course.content.model import load_course
    from course.manager import certificates
    from course.manager.reports import evaluate_inputs, load_inputs
    from course.records.store import Store

    step = step or (lambda _label: None)
    store, course = Store(), load_course()
    inputs = load_inputs(store, course=course, step=step)
    step("working out statuses")
    result = evaluate_inputs(inputs, as_of, roster_only=roster_only)
    if record and as_of is None:
        step("updating the completion register")
        certificates.record(store, certificates.facts_from(result, store=store))
    return store, course, result


def _resolve(result, text: str) -> str:
    from course.records import identity

    people = result.people
    if (people["learner_id"] == text).any():
        return text
    try:
        number = identity.staff_number(text)
    except identity.DetailsError:
        number = None  # not a staff number, so no one's: the same "not found" as any other
    match = people[(people["staff_number"] == number) | (people["learner_id"] == number)] if number else people[:0]
    if len(match):
        return str(match.iloc[0]["learner_id"])
    raise KeyError(f"no learner or staff number '{text}' in the records or on the roster")


def _write(report, fmt: str, out: str | None, kind: str, steps: Steps | None = None) -> None:
    from course.atomic import write_atomic
    from course.manager.reports.writers import print_report, to_csv, to_html, write_xlsx

    if fmt == "table":
        if out:
            raise ValueError("--out needs --format csv, xlsx or html")
        print_report(report, console)
        return
    if fmt == "csv":
        section = report.detail_section  # the detailed table (people, due, scenarios, items)
        text = to_csv(section.frame)
        if out:
            write_atomic(Path(out), text)
        else:
            click.echo(text, nl=False)
    elif fmt == "html":
        text = to_html(report)
        if out:
            write_atomic(Path(out), text)
        else:
            click.echo(text, nl=False)
    elif fmt == "xlsx":
        path = Path(out or f"{kind}-{date.today().isoformat()}.xlsx")
        if path.parent and not path.parent.exists():
            raise OSError(f"folder {path.parent} does not exist")
        total = sum(len(s.frame) for s in report.sections)
        advance = steps.rows("writing XLSX rows", total) if steps else None
        tmp = path.with_name(f".{path.name}.tmp")
        write_xlsx(report, tmp, advance)
        os.replace(tmp, path)
        out = str(path)
    if out:
        errors.print(f"wrote {escape(str(out))}", highlight=False)


# --- reports -----------------------------------------------------------------------
@main.command()
@click.argument("kind", type=click.Choice(["completions", "due", "scenarios", "items"]))
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "html"]), default="table", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (xlsx default: KIND-DATE.xlsx).")
@click.option("--as-of", help="Work out statuses on this day (YYYY-MM-DD; default today).")
@click.option("--team", help="completions: only this team or service.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["completed", "due soon", "overdue", "failed", "in progress", "not started"]),
    help="completions: only people with this status (repeatable).",
)
@click.option("--within", type=click.IntRange(0, 3650), help="due: days ahead (default: completion.due_soon_days).")
@click.option("--roster-only", is_flag=True, help="Leave out learners who are not on the roster.")
@click.option(
    "--min-learners",
    default=None,
    type=click.IntRange(1),
    help="scenarios: rank only scenarios answered by at least this many learners (default 5: fewer "
    "answers swing the share and could point at one person).",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(0), help="scenarios: how many (0: all).")
def report(kind, fmt, out, as_of, team, statuses, within, roster_only, min_learners, limit):
    """Completions per person and team, who is due again, the hardest scenarios, or item statistics.

    \b
    items: per scenario, facility (share choosing the best answer), discrimination (point-biserial
    against the rest of the attempt), each choice's pick rate and flags (nearly everyone right, a
    distractor beating the key, negative discrimination); XLSX adds a sheet per choice.
    """
    from course.manager.reports import completions_report, due_report, items_report, scenarios_report

    day = _as_of(as_of)
    with Steps(6) as steps:
        if kind == "scenarios":
            steps("reading decisions")
            result = scenarios_report(min_learners=min_learners, limit=limit or None)
        elif kind == "items":
            steps("reading first attempts")
            result = items_report()
        else:
            _store, _course, evaluation = _evaluate(steps, day, roster_only)
            steps("building the report")
            result = (
                completions_report(evaluation, team=team, statuses=statuses)
                if kind == "completions"
                else due_report(evaluation, within)
            )
        steps("writing")
        _write(result, fmt, out, kind, steps)


# --- roster ------------------------------------------------------------------------
@main.group()
def roster():
    """The staff list: who should do the training."""


@roster.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--merge", is_flag=True, help="Add and update these staff, keep the others (default: replace the list).")
def roster_import(csv_file, merge):
    """Import the staff list from CSV: staff number, name, team/service, role, start date.

    Other columns are ignored. Every row is checked first: a file with any bad row
    changes nothing, and each problem is shown with its line number."""
    from course.records.roster import import_csv
    from course.records.store import Store

    result = import_csv(Store(), Path(csv_file), replace=not merge)
    console.print(
        f"Imported {result.rows} staff: {result.added} new, {result.updated} updated"
        + (f", {result.removed} no longer on the list removed" if not merge else "")
        + "."
    )
    if result.ignored_columns:
        console.print("Ignored columns: " + escape(", ".join(result.ignored_columns)))


@roster.command("grant-trainer")
@click.argument("staff")
def roster_grant_trainer(staff):
    """Let this person start trainer-led sessions (STAFF: a staff number, or a learner id)."""
    from course.records import trainers
    from course.records.store import Store

    store = Store()
    learner_id = trainers.learner_of(store, staff)
    added = trainers.grant(store, learner_id)
    console.print(f"{escape(learner_id)} {'is now' if added else 'was already'} a trainer.")


@roster.command("revoke-trainer")
@click.argument("staff")
def roster_revoke_trainer(staff):
    """Stop this person starting trainer-led sessions (a session they run keeps its trainer key)."""
    from course.records import trainers
    from course.records.store import Store

    store = Store()
    learner_id = trainers.learner_of(store, staff)
    removed = trainers.revoke(store, learner_id)
    console.print(f"{escape(learner_id)} {'is no longer' if removed else 'was not'} a trainer.")


@roster.command("invite")
@click.option("--team", help="Only this team or service.")
@click.option("--staff", "staff_numbers", multiple=True, help="Only this staff number (repeat for more).")
@click.option("--out", type=click.Path(dir_okay=False), help="The PDF to write (default: sign-in-letters-DATE.pdf).")
@click.option("--url", help="The course address learners open (default: COURSE_PUBLIC_URL).")
def roster_invite(team, staff_numbers, out, url):
    """Issue one-time sign-in codes and write them as printable letters (PDF), by team.

    Everyone on the staff list, one --team, or the given --staff numbers. A new code voids the
    person's old one; using it replaces a forgotten PIN or passphrase. Codes expire after
    COURSE_INVITE_DAYS (default 14) days. The PDF holds the codes: print it, then delete it."""
    from datetime import date

    from course.manager.invitations import choose, invite
    from course.records.store import Store

    store = Store()
    people = choose(store, team=team, staff=staff_numbers)
    path = Path(out or f"sign-in-letters-{date.today().isoformat()}.pdf")
    expires = invite(store, people, path, url=url)
    teams = sorted({p["team"] for p in people})
    console.print(
        f"Issued {len(people)} sign-in code{'s' if len(people) != 1 else ''} ({', '.join(escape(t) for t in teams)}); "
        f"any earlier code of theirs no longer works. They expire on {expires:%d %B %Y}."
    )
    console.print(f"Letters: {escape(str(path))} (private: print them, then delete the file).")


# --- certificates -------------------------------------------------------------------
@main.command()
@click.argument("learner", required=False)
@click.option("--all", "everyone", is_flag=True, help="Every current completion.")
@click.option("--out", default=".", show_default=True, type=click.Path(file_okay=False), help="Folder to write to.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "both"]), default="both", show_default=True)
def certificate(learner, everyone, out, fmt):
    """Certificate of completion (printable HTML page and PDF) for LEARNER (learner id or staff number)."""
    from course.manager import certificates

    if bool(learner) == everyone:
        raise ValueError("give a learner id or staff number, or --all")
    with Steps(6) as steps:
        store, course, result = _evaluate(steps, record=False)
        ids = None if everyone else [_resolve(result, learner)]
        facts = certificates.facts_from(result, ids, store=store)
        if not facts and not everyone:
            row = result.people[result.people["learner_id"] == ids[0]].iloc[0]
            raise ValueError(
                f"learner {ids[0]} has not completed the course (status: {row['status']}, "
                f"{row['modules_passed']}/{row['modules_required']} modules passed)"
            )
        records = certificates.record(store, facts)
        formats = ("html", "pdf") if fmt == "both" else (fmt,)
        advance = steps.rows("writing certificates", len(records))
        for rec in records:
            for path in certificates.write_files(
                certificates.get(store, rec["certificate_id"]), course, Path(out), formats
            ):
                errors.print(f"wrote {escape(str(path))}", highlight=False)
            advance(1)
    for rec in records:
        console.print(f"{rec['certificate_id']}  {escape(rec['learner_id'])}  completed {rec['completed_on']}")
    if everyone and not records:
        console.print("Nobody has a current completion.")


@main.command()
@click.argument("certificate_id")
def verify(certificate_id):
    """Check a certificate id: valid only if this course issued it and its record is unchanged."""
    from course.manager.certificates import verify as check
    from course.records.store import Store

    result = check(Store(), certificate_id)
    (console if result.ok else errors).print(escape(result.message()), highlight=False, soft_wrap=True)
    sys.exit(0 if result.ok else 1)


# --- learner's records ---------------------------------------------------------------
@main.command("learning-record")
@click.argument("learner")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (default: print).")
def learning_record_cmd(learner, fmt, out):
    """A learner's record for their professional learning (SSSC CPL): time, what was learned, reflections."""
    from course.atomic import write_atomic
    from course.manager.learning_record import learning_record, to_html, to_json, to_markdown

    with Steps(5) as steps:
        store, course, result = _evaluate(steps)
        learner_id = _resolve(result, learner)
        text = {"html": to_html, "md": to_markdown, "json": to_json}[fmt](
            learning_record(store, learner_id, course, result)
        )
    if out:
        write_atomic(Path(out), text)
        errors.print(f"wrote {escape(out)}", highlight=False)
    else:
        click.echo(text, nl=False)


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write the JSON here (default: print).")
@click.option("--learner", help="Only this learner (learner id or staff number).")
@click.option("--since", help="Only completions on or after this day (YYYY-MM-DD).")
@click.option("--homepage", help="Your staff system's address, for the actor's account (or COURSE_XAPI_HOMEPAGE).")
@click.option("--with-names", is_flag=True, help="Put each learner's name in the statements.")
def xapi(out, learner, since, homepage, with_names):
    """xAPI statements (JSON) for every completion in the register, for an LMS or learning record store."""
    from course.atomic import write_atomic
    from course.manager import certificates
    from course.manager.xapi import statements, to_json

    with Steps(5) as steps:
        store, course, result = _evaluate(steps)
        records = []
        learner_id = _resolve(result, learner) if learner else None
        day = _as_of(since)
        frame = certificates.register_frame(store)
        for cert_id in frame["certificate_id"]:
            rec = certificates.get(store, cert_id)
            if learner_id and rec["learner_id"] != learner_id:
                continue
            if day and date.fromisoformat(rec["completed_on"]) < day:
                continue
            records.append(rec)
        records.sort(key=lambda r: (r["completed_on"], r["certificate_id"]))
        text = to_json(statements(records, course, homepage=homepage, with_names=with_names))
    if out:
        write_atomic(Path(out), text)
        errors.print(f"wrote {len(records)} completion(s) as xAPI statements to {escape(out)}", highlight=False)
    else:
        click.echo(text, nl=False)


@main.command("review-attempts")
@click.argument("learner")
@click.option("--module", "module_id", help="Only this module's attempts.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True)
def review_attempts(learner, module_id, fmt):
    """What each attempt of a learner showed: the items in order, each one's choices in the order
    shown (the letters the learner saw), and the choice picked."""
    from course.content.model import load_course
    from course.manager.attempt_review import as_html, as_json, as_text, review
    from course.records.store import Store

    course = load_course()
    if module_id is not None and module_id not in course.modules:
        raise click.UsageError(f"no module '{module_id}' (modules: {', '.join(course.modules)})")
    found = review(Store(), course, learner.strip(), module_id)
    if not found:
        raise click.ClickException(
            f"no attempts of learner '{learner.strip()}'" + (f" at '{module_id}'" if module_id else "")
        )
    click.echo({"table": as_text, "json": as_json, "html": as_html}[fmt](found), nl=False)


@main.command("export-learner")
@click.argument("learner")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: learner-ID.zip or .json).")
@click.option("--format", "fmt", type=click.Choice(["zip", "json"]), default="zip", show_default=True)
def export_learner(learner, out, fmt):
    """Subject access: every record about one learner, as a zip (or JSON)."""
    from course.atomic import write_atomic
    from course.manager.privacy import export_learner as export
    from course.manager.privacy import write_export_zip
    from course.records.store import Store

    store = Store()
    learner_id = learner.strip()
    if fmt == "zip":
        path = write_export_zip(store, learner_id, Path(out or f"learner-{learner_id}.zip"))
    else:
        import json

        path = Path(out or f"learner-{learner_id}.json")
        write_atomic(path, json.dumps(export(store, learner_id), indent=2, ensure_ascii=False, default=str) + "\n")
    console.print(f"wrote {escape(str(path))}")


@main.command()
@click.option("--before", required=True, help="Delete records older than this day (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-gradebook", is_flag=True, help="Leave nbgrader's gradebook and submission folders alone.")
def purge(before, dry_run, yes, no_gradebook):
    """Retention: delete records older than a date, and print how many of each kind went."""
    from rich.table import Table

    from course.manager.privacy import purge as run
    from course.records.store import Store

    day = _as_of(before)
    if day is None:
        raise ValueError("--before needs a date (YYYY-MM-DD)")
    if day > date.today():
        raise ValueError(f"--before {day} is in the future")
    store = Store()
    preview = run(store, day, dry_run=True, include_gradebook=not no_gradebook)
    if not dry_run and preview.total and not yes:
        if not sys.stdin.isatty():
            raise ValueError("purge deletes records: add --yes to confirm (or --dry-run to preview)")
        click.confirm(f"Delete {preview.total} record(s) older than {day}?", abort=True)
    result = preview if dry_run else run(store, day, include_gradebook=not no_gradebook)
    table = Table(title=f"{'Would delete' if dry_run else 'Deleted'}: records older than {day}")
    table.add_column("kind")
    table.add_column("records", justify="right")
    for kind, n in result.removed.items():
        table.add_row(kind, str(n))
    console.print(table)
    console.print(
        f"{result.total} record(s) about {result.learners_affected} learner(s)"
        + (" would be deleted (dry run: nothing changed)." if dry_run else " deleted.")
    )
    if result.not_covered:
        errors.print("not purged (unknown tables with learner records): " + escape(", ".join(result.not_covered)))


# --- manager access ------------------------------------------------------------------
@main.group()
def manager():
    """The manager dashboard: its password, and serving it."""


@manager.command("set-password")
def set_password():
    """Set the manager dashboard password (asked twice; or COURSE_MANAGER_PASSWORD)."""
    from course.manager.auth import set_password as save

    password = settings.manager_password()
    if not password:
        if not sys.stdin.isatty():
            raise ValueError("no terminal to ask for the password: set COURSE_MANAGER_PASSWORD")
        password = click.prompt("New manager password", hide_input=True, confirmation_prompt="Again, to check")
    path = save(password)
    console.print(f"Manager password set (its hash is in {escape(str(path))}).")


@manager.command("dashboard")
@click.option("--port", default=8867, show_default=True, help="Port on 127.0.0.1.")
def dashboard(port):
    """Serve the manager dashboard with Voila on http://127.0.0.1:PORT (password protected)."""
    from course.manager.auth import password_is_set
    from course.server.dashboard import serve_dashboard

    if not password_is_set():
        errors.print("No manager password yet: run `course manager set-password` first.")
        sys.exit(1)
    console.print(f"The manager dashboard is at [bold]http://127.0.0.1:{port}/[/bold] (Ctrl+C stops it).")
    serve_dashboard(port)


@main.command("feedback")
@click.argument("learner")
@click.argument("module_id", metavar="MODULE")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (default: print).")
def feedback_cmd(learner, module_id, out):
    """nbgrader's own feedback page on a learner's last marked submission of a module (for managers:
    learners read the course's review of their marked attempt instead)."""
    from course.atomic import write_atomic
    from course.content.model import load_course
    from course.grading.feedback_view import manager_copy
    from course.records.identity import valid_learner_id

    learner = learner.strip()
    if not valid_learner_id(learner):
        raise click.UsageError("not a valid learner id")
    if module_id not in load_course().modules:
        raise click.UsageError(f"no module '{module_id}'")
    text = manager_copy(learner, module_id)
    if text is None:
        raise click.ClickException(f"no marker's feedback for learner '{learner}' at '{module_id}' (not marked yet?)")
    if out:
        write_atomic(Path(out), text)
        errors.print(f"wrote {escape(out)}", highlight=False)
    else:
        click.echo(text, nl=False)
