"""The one Voila launch configuration: what `course serve`, the manager dashboard and the hub's
single-user servers give Voila.

`voila_config()` builds the settings as a traitlets config (a plain dict of class -> trait ->
value); the parameters are only what really differs between the three:
- `standalone`: `course serve` and the dashboard run the course's own Voila server
  (course.server.voila), which listens itself (ip, port, browser, `/` page, headers); the hub
  runs Voila as an extension inside `jupyterhub-singleuser`, whose server and headers are the hub's;
- `preheat` pools: only `course serve` keeps kernels ready (one pool per page);
- `cull_idle_timeout`: the dashboard is left open longer between looks than a learner's page;
- `error_instruction`: what a page says when a cell fails (managers have no answers to lose).
Page kernels are forked from the kernel zygote (course.server.fork_provisioner) unless
COURSE_FORK_KERNELS=0.

The config is written to a JSON file (`write_config`) that the server loads, rather than passed
as command-line flags: a dict (the kernel pools) on the command line is deprecated in
traitlets and warned about in every log, and one file is easier to read than thirty flags.
course.server.voila re-applies `ENFORCED` after loading whatever config it found, so a stray
config file cannot turn tracebacks or template overrides back on.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from course import settings
from course.app.pages import ERROR_INSTRUCTION  # a small module: nothing heavy before every server start

TEMPLATE = "course"
THEME = "light"
# only the widget manager: the other JupyterLab extensions in the environment (nbgrader,
# notebook) fail to load in Voila and cost the learner seconds of script
EXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8")
FORK_PROVISIONER = "course-fork-provisioner"  # pyproject.toml's jupyter_client.kernel_provisioners entry point
HOME = "voila/render/home.ipynb"
MODULE_PAGE = "voila/render/module.ipynb"  # beside the home; `?module=<id>` names the module
DASHBOARD = "dashboard/"  # the manager dashboard on the course server (course.server.voila), behind its password
DASHBOARD_ERROR_INSTRUCTION = (
    "Something went wrong on our side. Please reload the page; if it happens again, tell whoever runs the course."
)
CULL_IDLE_TIMEOUT = 900  # seconds a kernel with no page attached may stay idle (a phone that dropped the tab)
CULL_INTERVAL = 60
CONFIG_DIR = "server-config"  # under the data folder: the files `course serve` and the dashboard write

# What keeps learners safe, whatever else is configured: course.server.voila applies these again
# after every config file is loaded.
ENFORCED = {
    "template": TEMPLATE,
    "allow_template_override": "NO",
    "allow_theme_override": "NO",
    "show_tracebacks": False,
    "strip_sources": True,
    "file_allowlist": [],  # the app folder holds no files a learner needs
    "extension_allowlist": list(EXTENSIONS),
}


def voila_config(
    *,
    standalone: bool,
    pools: dict | None = None,
    cull_idle_timeout: int = CULL_IDLE_TIMEOUT,
    cull_interval: int = CULL_INTERVAL,
    error_instruction: str = ERROR_INSTRUCTION,
    ip: str = "127.0.0.1",
    port: int = 8866,
    open_browser: bool = False,
    home_page: str = HOME,
) -> dict:
    """The settings, as {"VoilaConfiguration": {...}, ...}; `pools` ({page: {"pool_size": n}}, with
    "default") turns preheating on. `ip`, `port`, `open_browser` and `home_page` are for a
    standalone server only (on the hub, the single-user server listens and `/` is the hub's)."""
    config: dict = {
        "VoilaConfiguration": {**ENFORCED, "theme": THEME, "preheat_kernel": False},
        "VoilaExecutor": {"cell_error_instruction": error_instruction},
        "MappingKernelManager": {
            "cull_idle_timeout": cull_idle_timeout,
            "cull_interval": min(cull_interval, max(1, cull_idle_timeout)),
            "cull_connected": False,  # an open page keeps its kernel
        },
    }
    if settings.fork_kernels():  # page kernels forked from the kernel zygote (course.server.fork_provisioner)
        config["KernelProvisionerFactory"] = {"default_provisioner_name": FORK_PROVISIONER}
    if pools:
        config["VoilaConfiguration"].update(preheat_kernel=True, default_pool_size=pools["default"]["pool_size"])
        config["VoilaKernelManager"] = {"kernel_pools_config": pools}
        if settings.fork_kernels():
            # Voila waits a second before refilling a pool, so that starting a Python does not slow the
            # page being shown; a fork costs milliseconds, and the next learner's page waits for it
            config["VoilaKernelManager"]["fill_delay"] = 0
    if standalone:
        config["Voila"] = {"ip": ip, "port": port, "port_retries": 0, "open_browser": open_browser}
        config["CourseVoila"] = {"home_page": home_page}
    return config


def render(config: dict) -> str:
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def write_config(config: dict, folder: Path, name: str = "voila") -> Path:
    """Write `config` as `<name>.json` in a folder of its own under `folder`, named by its content.

    Two servers with different settings (two ports, the app and the dashboard) never share a
    file, the same settings reuse one, and a running server's file is never rewritten under it.
    Returns the file; Voila is pointed at its folder, jupyterhub-singleuser at the file.
    """
    from course.atomic import write_atomic

    text = render(config)
    path = Path(folder) / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}" / f"{name}.json"
    if not (path.exists() and path.read_text(encoding="utf-8") == text):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    return path


def read_config(path: Path) -> dict:
    """For tests and for an operator: the settings a launcher wrote."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
