"""`course lti ...`: the marks waiting for, sent to, or refused by a learning system (LTI 1.3).

    course lti send      send every mark whose time has come now (the marker does it on its own)
    course lti status    the outbox by row: module, attempt, status, tries, next try, the LMS's last answer
    course lti jwks      the tool's public key set, for an LMS that wants it pasted rather than fetched

The rows name no person (learner ids stay in the store): see docs/LTI.md.
"""

from __future__ import annotations

import json

import click
from rich.markup import escape
from rich.table import Table

from course.cli import console, main


@main.group()
def lti():
    """Launches from a learning system (LTI 1.3) and the marks sent back to it."""


@lti.command()
def send():
    """Send the marks waiting for an LMS (those whose retry time has come)."""
    from course.lti.outbox import send_due
    from course.records.store import Store

    done = send_due(Store())
    console.print(
        f"Sent {len(done.sent)}, will retry {len(done.retrying)}, refused {len(done.failed)}.", highlight=False
    )


@lti.command()
def status():
    """The outbox, one row per mark (no names)."""
    from course.records import lti as records
    from course.records.store import Store

    rows = records.rows(Store())
    table = Table(title=f"Marks for a learning system ({len(rows)})")
    for column in ("row", "module", "attempt", "status", "tries", "next try", "last answer"):
        table.add_column(column)
    for r in rows:
        next_try = f"{r.next_try_at:%Y-%m-%d %H:%M}" if r.status == "pending" else ""
        table.add_row(str(r.id), r.module_id, str(r.attempt), r.status, str(r.tries), next_try, escape(r.message or ""))
    console.print(table)


@lti.command()
def jwks():
    """Print the tool's public key set (JSON)."""
    from course.lti.keys import tool_key

    click.echo(json.dumps(tool_key().jwks(), indent=2))
