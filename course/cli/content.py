"""`course validate`, `course build`, `course curriculum`: the content and what is generated from it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from course.cli import console, errors, main


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option(
    "--content", type=click.Path(file_okay=False, exists=True), help="Content folder (default: the package's)."
)
@click.option("--module", "module_id", help="Only report problems in this module's file.")
@click.option(
    "--testwise",
    is_flag=True,
    help="Also show the share of points content-blind strategies earn per module "
    "(longest, shortest, cue words, each fixed letter, a random guess); any that reaches the pass mark is an error.",
)
def validate(as_json: bool, content: str | None, module_id: str | None, testwise: bool):
    """Load every content file and check it against the course's rules.

    \b
    Every choice is scored by one rule:
      1   = what the policy and the SSSC expect;
      0.5 = defensible but late, incomplete or over-cautious (its feedback says what it lacks);
      0   = breaks the policy, the Code or the law, posts about a person, hides a breach
            or a mistake, or leaves someone at risk.
    """
    from course.content.validate import validate as run

    report = run(Path(content) if content else None)
    if module_id:
        report.problems = [p for p in report.problems if p.path.endswith(f"/modules/{module_id}.yaml")]
    if as_json:
        click.echo(json.dumps(report.as_dict(testwise=testwise), indent=2))
    else:
        summary = report.as_dict()
        if summary["modules"]:
            table = Table(title=f"Course content (policy version {summary['policy_version']})")
            for column in ("module", "title", "scenarios", "branches", "minutes", "feedback"):
                table.add_column(column)
            for m in summary["modules"]:
                table.add_row(
                    m["id"],
                    m["title"],
                    str(m["scenarios"]),
                    str(m["branch_scenarios"]),
                    str(m["minutes"]),
                    m["feedback"],
                )
            console.print(table)
            console.print(f"{summary['scenarios']} graded scenarios in {len(summary['modules'])} modules.")
        if testwise and report.course:
            _print_testwise(report.as_dict(testwise=True)["testwise"])
        for problem in report.problems:
            errors.print(f"[red]error[/red] {escape(str(problem))}", highlight=False, soft_wrap=True)
        if report.ok:
            console.print("[green]All content is valid.[/green]")
        else:
            errors.print(f"[red]{len(report.problems)} problem(s) found.[/red]")
    sys.exit(0 if report.ok else 1)


def _print_testwise(rows: dict[str, dict]) -> None:
    table = Table(title="Share of points a learner earns without reading (pass mark in brackets)")
    strategies = list(next(iter(rows.values()))["strategies"]) if rows else []
    table.add_column("module")
    for name in strategies:
        table.add_column(name, justify="right")
    for module_id, row in rows.items():
        cells = []
        for name in strategies:
            share = row["strategies"][name]
            text = f"{share:.0%}"
            cells.append(f"[red]{text}[/red]" if share >= row["pass_mark"] else text)
        table.add_row(f"{module_id} ({row['pass_mark']:.0%})", *cells)
    console.print(table)


@main.command()
@click.option("--check", is_flag=True, help="Only report notebooks that are out of date (exit 1 if any).")
@click.option("--out", type=click.Path(file_okay=False), help="Notebooks folder (default: the project's notebooks/).")
def build(check: bool, out: str | None):
    """Generate each module's notebook from its YAML."""
    from pathlib import Path

    from course.content.build import build_all
    from course.content.model import ContentErrors, load_course
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
    from course.atomic import write_atomic
    from course.content.curriculum import curriculum_markdown
    from course.content.model import load_course
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
