"""The records store: the only code that reads or writes the course's database.

tables (every table, one MetaData) and migrations/ (Alembic; `course db upgrade`, migrate.py)
are the schema. store.py opens it (SQLite WAL or any SQLAlchemy URL) and owns the private
read/write path; every other module here is one table's small verbs, each stating the race
guarantee it enforces: attempt (one learner's answers), signin_tokens, roster, grading_log
(the mark of record), finish_queue, certificate_register, live, attendance, retention.
identity holds the rules for who a learner is (learner id, staff number, name); responses
writes responses.json for JupyterLab (atomically, with course.atomic). Nothing outside this package touches a table.
"""
