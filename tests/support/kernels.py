"""Which processes are page kernels, and which one is a given kernel: for the tests and benchmarks.

A page kernel is either an ordinary `python -m ipykernel_launcher` or a child of the kernel
zygote (course.kernel.zygote), whose command line is the zygote's but whose process name is
"course-kernel". A kernel's own process is the one listening on the ports its connection file
names (the same for both kinds).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import psutil

from course.kernel.zygote import KERNEL_NAME


def is_page_kernel(process: psutil.Process) -> bool:
    try:
        return process.name() == KERNEL_NAME or "ipykernel" in " ".join(process.cmdline())
    except psutil.Error:
        return False


def page_kernels(pid: int) -> list[psutil.Process]:
    """Every page kernel under the process `pid` (a server, however deep)."""
    try:
        below = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    return [p for p in below if is_page_kernel(p)]


def runtime_dir(server: psutil.Process) -> Path:
    env = server.environ()
    if env.get("JUPYTER_RUNTIME_DIR"):
        return Path(env["JUPYTER_RUNTIME_DIR"])
    data = env.get("JUPYTER_DATA_DIR") or os.path.join(env.get("HOME", str(Path.home())), ".local/share/jupyter")
    return Path(data) / "runtime"


def kernel_process(kernel_id: str, pid: int | None = None) -> psutil.Process:
    """The process of kernel `kernel_id` (under the server `pid`, or anywhere on this machine for
    a server started with this process's Jupyter folders): the one listening on its shell port."""
    import tempfile

    from jupyter_core.paths import jupyter_runtime_dir

    # Voila keeps its kernels' connection files in a folder of its own in the temp folder
    # (Voila.connection_dir_root); jupyter-server (the hub's single-user server) in the runtime folder
    folders = [*Path(tempfile.gettempdir()).glob("voila_*"), Path(jupyter_runtime_dir())]
    if pid is not None:
        server = psutil.Process(pid)
        for process in (server, *server.children(recursive=True)):
            try:
                folders.append(runtime_dir(process))
            except psutil.Error:
                continue
    found = next((f / f"kernel-{kernel_id}.json" for f in folders if (f / f"kernel-{kernel_id}.json").exists()), None)
    if found is None:
        raise LookupError(f"no connection file for kernel {kernel_id}")
    shell_port = json.loads(found.read_text())["shell_port"]
    candidates = page_kernels(pid) if pid is not None else [p for p in psutil.process_iter() if is_page_kernel(p)]
    for process in candidates:
        try:
            if any(
                c.laddr.port == shell_port and c.status == psutil.CONN_LISTEN for c in process.net_connections("tcp")
            ):
                return process
        except psutil.Error:
            continue
    raise LookupError(f"no process listens on kernel {kernel_id}'s shell port {shell_port}")
