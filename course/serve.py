"""`course serve`: the learner app in Voila on this machine, with a SQLite records store.

Voila serves two app notebooks (`notebooks/app/`): the course home and one module app
that shows any module (`?module=<id>`), so one pool of preheated kernels serves every
module. The server is Voila with the course's routes, headers and error pages
(`course.app.server`), the course template from `assets/voila/templates/course/`, overrides
from the address off, no tracebacks, and idle kernels culled (closing a page does not
free its kernel: voila issue 1458).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .content import Course
from .paths import assets_dir, data_dir, notebooks_dir

ERROR_INSTRUCTION = ("Something went wrong on our side. Your answers so far are saved. Please reload the page; "
                     "if it happens again, tell your trainer.")


@dataclass(frozen=True)
class ServeOptions:
    port: int = 8866
    preheat: bool = True
    pool_size: int = 2           # ready kernels per app notebook (home and module)
    cull_idle_timeout: int = 900  # seconds a kernel with no page attached may stay idle
    cull_interval: int = 60
    open_browser: bool = False


def app_dir() -> Path:
    """The app notebooks: the committed ones, or fresh copies in the data folder if they drifted."""
    from .app.notebooks import write_app_notebooks

    committed = Path(notebooks_dir()) / "app"
    if committed.is_dir() and not write_app_notebooks(committed, check=True):
        return committed
    target = data_dir() / "app"
    write_app_notebooks(target)
    return target


def voila_command(folder: Path, options: ServeOptions) -> list[str]:
    args = [
        sys.executable, "-m", "course.app.server", str(folder),
        f"--port={options.port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
        "--template=course", "--theme=light",
        # course.app.server enforces these too; here they are visible in `ps` and the log
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaExecutor.cell_error_instruction={ERROR_INSTRUCTION}",
        f"--MappingKernelManager.cull_idle_timeout={options.cull_idle_timeout}",
        f"--MappingKernelManager.cull_interval={min(options.cull_interval, max(1, options.cull_idle_timeout))}",
        "--MappingKernelManager.cull_connected=False",  # an open page keeps its kernel
    ]
    if not options.open_browser:
        args.append("--no-browser")
    if options.preheat:
        args += ["--preheat_kernel=True", f"--pool_size={options.pool_size}"]
    return args


def server_env(base: dict | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    env.setdefault("COURSE_DATA_DIR", str(data_dir()))
    # the course template lives in assets/voila/templates/course
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(assets_dir()), env.get("JUPYTER_PATH", "")) if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no debugger warnings in the log
    return env


def prepare(course: Course) -> Path:
    """Everything the kernels will read, made ready before the first one starts."""
    from .app.runtime import write_snapshot
    from .sessions import purge_expired
    from .store import Store

    write_snapshot(course)  # content checked once here; kernels load it in milliseconds
    purge_expired(Store())
    return app_dir()


def serve(course: Course, options: ServeOptions) -> None:
    folder = prepare(course)
    env = server_env()
    command = voila_command(folder, options)
    os.execve(command[0], command, env)
