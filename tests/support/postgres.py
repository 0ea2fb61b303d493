"""A throw-away PostgreSQL server on 127.0.0.1 for tests (Debian's postgresql package)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager

from .servers import free_port


def pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: run its tools as the postgres system user
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def unavailable_reason() -> str | None:
    if pg_bin() is None:
        return "PostgreSQL server is not installed (scripts/test.sh installs Debian's postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


@contextmanager
def postgres_server():
    """Yields a SQLAlchemy URL of an empty database on a private server; stops it after."""
    bindir = pg_bin()
    base = tempfile.mkdtemp(prefix="course-pg-")
    data = os.path.join(base, "data")
    os.chmod(base, 0o777)
    port = free_port()
    subprocess.run(
        _as_postgres([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} -c fsync=off -c max_connections=200"
    subprocess.run(
        _as_postgres([f"{bindir}/pg_ctl", "-D", data, "-o", options, "-l", os.path.join(base, "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        for _ in range(50):
            ready = subprocess.run([f"{bindir}/pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True)
            if ready.returncode == 0:
                break
            time.sleep(0.2)
        subprocess.run(
            [f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "course"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/course"
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
