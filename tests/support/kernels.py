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


def kernel_process(pid: int, kernel_id: str) -> psutil.Process:
    """The process of kernel `kernel_id` under the server `pid`: the one listening on its shell port."""
    server = psutil.Process(pid)
    voilas = [server, *server.children(recursive=True)]
    for candidate in voilas:
        try:
            found = runtime_dir(candidate) / f"kernel-{kernel_id}.json"
        except psutil.Error:
            continue
        if found.exists():
            shell_port = json.loads(found.read_text())["shell_port"]
            break
    else:
        raise LookupError(f"no connection file for kernel {kernel_id}")
    for process in page_kernels(pid):
        try:
            if any(
                c.laddr.port == shell_port and c.status == psutil.CONN_LISTEN for c in process.net_connections("tcp")
            ):
                return process
        except psutil.Error:
            continue
    raise LookupError(f"no process listens on kernel {kernel_id}'s shell port {shell_port}")
