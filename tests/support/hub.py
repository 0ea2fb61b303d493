"""Start the course's JupyterHub (deploy/jupyterhub_config.py) on 127.0.0.1 for tests and benchmarks.

PostgreSQL (tests/postgres.py, Debian's package) holds the records store and nbgrader's
gradebook, each in its own database; configurable-http-proxy comes from npm
(tests/js/node_modules/.bin, installed by scripts/test.sh's `npm ci`); the hub's own
database is SQLite in the work folder. Users log in with JupyterHub's DummyAuthenticator
and run as this system user (SimpleLocalProcessSpawner), each in their own home.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .servers import free_port, http_get, wait_for, wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = ROOT / "deploy" / "jupyterhub_config.py"
CHP = ROOT / "tests" / "js" / "node_modules" / ".bin" / "configurable-http-proxy"


def proxy_command() -> str | None:
    if CHP.exists():
        return str(CHP)
    return shutil.which("configurable-http-proxy")


def unavailable_reason() -> str | None:
    """Why the hub cannot start here, or None."""
    from .postgres import unavailable_reason as postgres_missing

    if not (BIN / "jupyterhub").exists():
        return "jupyterhub is not installed in this environment"
    if proxy_command() is None:
        return "configurable-http-proxy is not installed (scripts/test.sh runs `npm ci` in tests/js)"
    if shutil.which("node") is None:
        return "node is not installed (configurable-http-proxy needs it)"
    return postgres_missing()


def hub_databases(request, prefix: str) -> tuple[str, str]:
    """For a module's hub fixture: skip the module when the hub or Chromium cannot run here, else two
    new databases (the records store and nbgrader's gradebook) on the test PostgreSQL server."""
    import pytest

    from .servers import CHROMIUM

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (scripts/test.sh installs it)")
    try:
        server = request.getfixturevalue("postgres_url")
        return database_url(server, f"{prefix}_records"), database_url(server, f"{prefix}_gradebook")
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"PostgreSQL could not start: {exc}")


def database_url(server_url: str, name: str) -> str:
    """A new, empty database on the PostgreSQL server behind `server_url`; its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


@dataclass
class Hub:
    url: str
    work: Path
    log: Path
    env: dict[str, str]
    staff_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def home(self, user: str) -> Path:
        return self.work / "state" / "homes" / user

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextmanager
def hub_server(
    work: Path,
    db_url: str,
    gradebook_url: str,
    *,
    managers=(),
    trainers=(),
    modules=("why",),
    grader: bool = False,
    mode: str = "per-user",
    extra_env: dict | None = None,
    start_timeout: float = 180,
):
    """The course's hub on a free port of 127.0.0.1; yields a Hub and stops everything after.
    `mode`: COURSE_HUB_MODE ("per-user", a server per learner, or "shared", the course service)."""
    from course.hub.shared import layout
    from course.hub.spawn import environment

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    shared = work / "shared"
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(BIN), str(CHP.parent), os.environ.get("PATH", "")]),
        "COURSE_HUB_STATE": str(work / "state"),
        "COURSE_HUB_SHARED": str(shared),
        "COURSE_HUB_IP": "127.0.0.1",
        "COURSE_HUB_PORT": str(port),
        "COURSE_HUB_API_PORT": str(free_port()),
        "COURSE_HUB_PROXY_API_PORT": str(free_port()),
        "COURSE_HUB_PROXY": proxy_command() or "",
        "COURSE_HUB_AUTHENTICATOR": "dummy",
        "COURSE_HUB_MANAGERS": ",".join(managers),
        "COURSE_HUB_TRAINERS": ",".join(trainers),
        "COURSE_HUB_MODULES": ",".join(modules),
        "COURSE_HUB_GRADER": "1" if grader else "0",
        "COURSE_DB_URL": db_url,
        "NBGRADER_DB_URL": gradebook_url,
        # "shared": one course service for every learner (course.hub.service), on a port of its own
        "COURSE_HUB_MODE": mode,
        "COURSE_HUB_SERVICE_PORT": str(free_port()),
        **(extra_env or {}),
    }
    for name in ("JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN", "COURSE_LEARNER", "COURSE_DATA_DIR", "COURSE_GRADING_DIR"):
        env.pop(name, None)  # nothing from the test process's own identity leaks into the hub
    staff_env = {
        **env,
        **environment(None, shared, db_url, gradebook_url, "managers", ["managers"]),
        "COURSE_DATA_DIR": str(layout(shared)["var"]),
    }
    log = work / "jupyterhub.log"
    hub = Hub(f"http://127.0.0.1:{port}", work, log, env, staff_env)
    with open(log, "w") as out:
        # its own process group: the proxy and the users' servers go with it at the end
        hub.process = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(CONFIG)],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(f"{hub.url}/hub/health", timeout=start_timeout, process=hub.process)
            # the proxy answers (404) before the hub has added its own route: wait for the hub's 200
            wait_until(lambda: _answers(f"{hub.url}/hub/health"), timeout=start_timeout)
            yield hub
        finally:
            stop(hub.process)


def _answers(url: str) -> bool:
    try:
        return http_get(url)[0] == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the hub (it stops its servers and proxy), then anything left in its group, then any
    process it started in a session of its own (the proxy, a service and its kernels) that a hub
    stopped mid-start left behind."""
    import psutil

    try:
        started = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        started = []
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the group this hub started, nothing else
        time.sleep(1)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for child in started:  # only this hub's own descendants, each by its id
        try:
            child.terminate()
        except psutil.Error:
            pass
    psutil.wait_procs(started, timeout=10)
    for child in started:
        try:
            child.kill()
        except psutil.Error:
            pass


def log_in(context, hub_url: str, user: str, timeout: float = 180_000):
    """Log `user` in through the hub's own login form; returns the page, on the course home."""
    page = context.new_page()
    page.set_default_timeout(timeout)
    page.goto(f"{hub_url}/hub/login", wait_until="domcontentloaded")
    page.fill("input[name=username]", user)
    page.click("input[type=submit], button[type=submit]")
    return page


def service_memory(hub: Hub) -> tuple[float, int, float]:
    """Shared mode: MB of resident memory of this hub's course service (its Voila server), how many
    kernels run under it, and their MB (tests/test_hub_shared.py, benchmarks/hub.py)."""
    import psutil

    for process in psutil.process_iter(["cmdline"]):
        try:
            if "course.server.voila" not in " ".join(process.info["cmdline"] or []):
                continue
            if process.environ().get("JUPYTERHUB_SERVICE_NAME") != "course":
                continue
            if not Path(process.cwd()).is_relative_to(hub.work.resolve()):  # another hub's (another test run's)
                continue
            kernels = process.children(recursive=True)
            return process.memory_info().rss / 2**20, len(kernels), sum(k.memory_info().rss for k in kernels) / 2**20
        except psutil.Error:
            continue
    raise AssertionError("no course service process found")
