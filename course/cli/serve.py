"""`course serve`: the course in Voila on this machine, with its marker (course.server.supervisor)."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from course import settings
from course.cli import console, errors, main


@main.command()
@click.option("--port", default=8866, show_default=True, help="Port to listen on.")
@click.option(
    "--ip",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on: 0.0.0.0 lets phones on this network join a group session.",
)
@click.option(
    "--public-url",
    default=lambda: settings.public_url(),  # COURSE_PUBLIC_URL when not given
    help="The address learners use for the course, when it is not http://IP:PORT/ (a proxy, a hostname); "
    "the join address and QR code of a group session use it.",
)
@click.option(
    "--preheat/--no-preheat",
    default=True,
    show_default=True,
    help="Keep kernels started and ready, so pages open fast.",
)
@click.option(
    "--pool-size",
    default=2,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Ready kernels for the home and the module app.",
)
@click.option(
    "--join-pool-size",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Ready kernels for learners joining a group session signed in from the course home "
    "(phones joining by the room's code use /join, which needs none).",
)
@click.option(
    "--cull-idle",
    default=900,
    show_default=True,
    type=click.IntRange(1, 86400),
    help="Seconds before the kernel of a closed page is stopped.",
)
@click.option(
    "--grading/--no-grading",
    default=True,
    show_default=True,
    help="Mark each Finish at once with nbgrader (runs `course grade --watch` beside Voila).",
)
@click.option("--open-browser", is_flag=True, help="Also open the course home in a web browser.")
def serve(
    port: int,
    ip: str,
    public_url: str,
    preheat: bool,
    pool_size: int,
    join_pool_size: int,
    cull_idle: int,
    grading: bool,
    open_browser: bool,
):
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
    shown = "127.0.0.1" if ip in ("0.0.0.0", "") else ip  # noqa: S104 - reading the option, not binding
    address = public_url or f"http://{shown}:{port}/"
    console.print(f"The course is at [bold]{escape(address)}[/bold] (Ctrl+C stops it).")
    _say_dashboard(address)
    if ip in ("0.0.0.0", "") and not public_url:  # noqa: S104 - reading the option, not binding
        console.print(
            "Other devices on this network reach it at this machine's address, port "
            f"{port}; a group session's QR code shows that address when the trainer opens the trainer "
            "page with it."
        )
    options = ServeOptions(
        port=port,
        ip=ip,
        public_url=public_url,
        preheat=preheat,
        pool_size=pool_size,
        join_pool_size=join_pool_size,
        cull_idle_timeout=cull_idle,
        cull_interval=min(60, cull_idle),
        open_browser=open_browser,
        grading=grading,
    )
    sys.exit(run(course, options, say=lambda text: console.print(escape(text))))


def _say_dashboard(address: str) -> None:
    """Where managers go: the dashboard on this same server (course.server.voila), behind its password."""
    from course.manager.auth import password_is_set
    from course.server.launch_config import DASHBOARD

    url = address.rstrip("/") + "/" + DASHBOARD
    if password_is_set():
        console.print(f"Managers: the dashboard is at [bold]{escape(url)}[/bold] (the manager password).")
    else:
        console.print(f"Managers: the dashboard at {escape(url)} opens once `course manager set-password` is run.")
