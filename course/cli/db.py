"""`course db upgrade` and `course db current`: the records store's schema (Alembic migrations)."""

from __future__ import annotations

from course.cli import main


@main.group()
def db():
    """The records store's schema: see its revision, upgrade it to this release's."""


@db.command()
def upgrade():
    """Apply every migration the records store lacks (safe to run twice, and on a running course)."""
    from course.cli import console
    from course.records import migrate
    from course.records.store import _redact, default_url

    url = default_url()  # COURSE_DB_URL, or var/records.db
    before, after = migrate.upgrade(url)
    where = _redact(url)
    if before == after:
        console.print(
            f"The records store at {where} is up to date (revision {after}).", highlight=False, soft_wrap=True
        )
    else:
        console.print(
            f"Upgraded the records store at {where} from {before or 'no revision'} to {after}.",
            highlight=False,
            soft_wrap=True,
        )


@db.command()
def current():
    """Print the records store's revision, and whether it is this release's."""
    from course.cli import console
    from course.records import migrate
    from course.records.store import default_url

    found = migrate.current(default_url())
    state = (
        "up to date" if found == migrate.HEAD else f"needs `{migrate.UPGRADE_COMMAND}` (this release: {migrate.HEAD})"
    )
    console.print(f"{found or 'no revision'}: {state}", highlight=False, soft_wrap=True)
