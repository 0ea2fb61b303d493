"""`course serve`: the course on this machine: the learner app in Voila, and its marker.

Voila serves the app notebooks (`notebooks/app/`): the course home, one module app that
shows any module (`?module=<id>`), the certificate page, the help page, and the group-session pages
(trainer and join). Each page has its own pool of preheated kernels. The server is Voila
with the course's routes, headers and error pages (`course.server.voila`), the course
template from `assets/voila/templates/course/`, overrides from the address off, no
tracebacks, and idle kernels culled (closing a page does not free its kernel: voila
issue 1458): the settings the dashboard and the hub share (course.server.launch_config),
written to a config file Voila loads.

Beside Voila runs the marker, `course grade --watch`: when a learner presses Finish, the
module app records the attempt as finished and queues it in the records store; the marker
builds nbgrader's submission from the store and grades it at once.
Modules whose notebooks changed since their nbgrader release are released first. The two
processes start and stop together.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from course.app.marking import GRADE_ON_FINISH  # set for the app's kernels when the marker runs
from course.content.model import Course
from course.server.launch_config import CONFIG_DIR, voila_config, write_config
from course.settings import assets_dir, data_dir, notebooks_dir


@dataclass(frozen=True)
class ServeOptions:
    port: int = 8866
    ip: str = "127.0.0.1"  # 0.0.0.0 lets phones in the room reach a group session
    public_url: str = ""  # the address learners use, when it is not this machine's (a proxy)
    preheat: bool = True
    pool_size: int = 2  # ready kernels for the home and module pages
    join_pool_size: int = 1  # ready kernels for signed-in learners joining from the home (phones use /join)
    cull_idle_timeout: int = 900  # seconds a kernel with no page attached may stay idle
    cull_interval: int = 60
    open_browser: bool = False
    grading: bool = True  # run the marker beside Voila (Finish is graded at once)


# The trainer page is opened once a session; the certificate and the help page now and then:
# one ready kernel each is enough, and saves the memory of the others.
ONE_KERNEL_PAGES = ("trainer.ipynb", "certificate.ipynb", "help.ipynb")


def app_dir() -> Path:
    """The app notebooks: the committed ones, or fresh copies in the data folder if they drifted."""
    from course.app.notebooks import write_app_notebooks

    committed = Path(notebooks_dir()) / "app"
    if committed.is_dir() and not write_app_notebooks(committed, check=True):
        return committed
    target = data_dir() / "app"
    write_app_notebooks(target)
    return target


def kernel_pools(options: ServeOptions) -> dict:
    pools = {"default": {"pool_size": options.pool_size}, "join.ipynb": {"pool_size": options.join_pool_size}}
    for page in ONE_KERNEL_PAGES:
        pools[page] = {"pool_size": min(1, options.pool_size)}
    return pools


def voila_settings(options: ServeOptions) -> dict:
    """The shared launch configuration (course.server.launch_config), with this server's pools and address."""
    return voila_config(
        standalone=True,
        pools=kernel_pools(options) if options.preheat else None,
        cull_idle_timeout=options.cull_idle_timeout,
        cull_interval=options.cull_interval,
        ip=options.ip,
        port=options.port,
        open_browser=options.open_browser,
    )


def voila_command(folder: Path, options: ServeOptions, config_dir: Path | None = None) -> list[str]:
    """The Voila server's command line: the folder, and the config file written for it (in the data folder)."""
    config = write_config(voila_settings(options), config_dir or data_dir() / CONFIG_DIR)
    return [sys.executable, "-m", "course.server.voila", str(folder), f"--Voila.config_file_paths={config.parent}"]


def grader_command() -> list[str]:
    return [sys.executable, "-m", "course.cli", "grade", "--watch"]


def server_env(base: dict | None = None, options: ServeOptions | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    env.setdefault("COURSE_DATA_DIR", str(data_dir()))
    # the course template lives in assets/voila/templates/course
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(assets_dir()), env.get("JUPYTER_PATH", "")) if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no debugger warnings in the log
    if options is not None:
        if options.public_url:
            env["COURSE_PUBLIC_URL"] = options.public_url  # the join address and QR code use it
        if options.grading:
            env[GRADE_ON_FINISH] = "1"
        else:
            env.pop(GRADE_ON_FINISH, None)
    return env


def prepare(course: Course) -> Path:
    """Everything the kernels will read, made ready before the first one starts."""
    from course.kernel.runtime import write_snapshot
    from course.records import migrate, rate_limit
    from course.records.signin_tokens import purge_expired
    from course.records.store import Store, default_url

    write_snapshot(course)  # content checked once here; kernels load it in milliseconds
    migrate.upgrade(default_url())  # `course db upgrade`: before any kernel opens the store
    store = Store()
    purge_expired(store)
    rate_limit.purge_old(store)  # failed-attempt counters untouched for a day
    return app_dir()


def prepare_grading(say=print) -> None:
    """Release the modules nbgrader has no current release of (the first start, or after an edit)."""
    from course.grading.release import release, stale_modules

    stale = stale_modules()
    if not stale:
        return
    say(f"Preparing marking for: {', '.join(stale)} (nbgrader generate_assignment)...")
    for result in release(modules=stale):
        if not result.generated:
            raise RuntimeError(f"nbgrader could not release module '{result.module}': {result.message}")


def serve(course: Course, options: ServeOptions, say=print) -> int:
    from course.private import make_private
    from course.settings import grading_dir

    make_private(data_dir(), grading_dir())  # umask 077 for Voila, the kernels and the marker too
    folder = prepare(course)
    if options.grading:
        try:
            prepare_grading(say)
        except Exception as exc:  # noqa: BLE001 - learners can still learn; say what to fix
            say(f"Marking is off: {exc}. Fix it and run `course release`, then restart.")
            options = replace(options, grading=False)
    env = server_env(options=options)
    return Supervisor(voila_command(folder, options), grader_command() if options.grading else None, env).run()


class Supervisor:
    """Runs Voila and the marker; stops both when either is told to stop or Voila exits.

    A marker that dies is started again (after a pause, so a broken one cannot spin): the
    learners' Finish requests wait in the queue meanwhile and nothing is lost.
    """

    RESTART_PAUSE = 5.0

    def __init__(self, voila: list[str], grader: list[str] | None, env: dict):
        self.voila_args, self.grader_args, self.env = voila, grader, env
        self.voila: subprocess.Popen | None = None
        self.grader: subprocess.Popen | None = None
        self.stopping = False

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)
        self.voila = subprocess.Popen(self.voila_args, env=self.env)
        self._start_grader()
        try:
            while not self.stopping:
                code = self.voila.poll()
                if code is not None:
                    return code
                if self.grader is not None and self.grader.poll() is not None:
                    print(
                        f"course serve: the marker stopped (exit {self.grader.returncode}); starting it again",
                        file=sys.stderr,
                    )
                    time.sleep(self.RESTART_PAUSE)
                    self._start_grader()
                time.sleep(0.5)
            return 0
        finally:
            self._terminate()

    def _start_grader(self) -> None:
        if self.grader_args and not self.stopping:
            self.grader = subprocess.Popen(self.grader_args, env=self.env, stdin=subprocess.DEVNULL)

    def _stop(self, _signum, _frame) -> None:
        self.stopping = True

    def _terminate(self) -> None:
        children = [p for p in (self.voila, self.grader) if p is not None and p.poll() is None]
        for process in children:
            process.terminate()
        for process in children:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
