"""Alembic's entry point for the records store's migrations (run by course.records.migrate).

Configured in code, not by an alembic.ini: `course.records.migrate` opens the connection,
takes the migration lock and passes the connection here in `config.attributes`, so the
migrations run the same from an installed package and from any working directory.
"""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only course.records.migrate runs these migrations
    raise RuntimeError("run the records store's migrations with `course db upgrade`, not with alembic itself")

# render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead
context.configure(connection=connection, target_metadata=None, render_as_batch=True, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
