"""The kernel zygote: one process that has imported what every page kernel needs, and forks
each new kernel from itself (`python -m course.kernel.zygote SOCKET`).

Why: a page kernel started the ordinary way is a new Python that imports ipykernel, ipywidgets,
pandas, SQLAlchemy and the course (about 2 s of CPU and 100 MB each). Forked from here, a kernel
starts in a few milliseconds with all of that already in memory, and shares those pages with the
zygote and every other kernel until it writes to them (copy-on-write): a room arriving together
no longer waits for Python to start thirty times, and each kernel adds only what it changes.

The protocol, on a Unix socket in a private folder (course.server.fork_provisioner is the client):
one JSON line per connection, {"argv": [...], "env": {...}, "cwd": "..."} (the arguments
`python -m ipykernel_launcher` would get, the kernel's environment and folder); the answer is one
JSON line {"pid": n} with a pidfd for that child passed beside it (SCM_RIGHTS), so the server can
wait for it and signal it without the risk of a reused pid. An answer {"error": "..."} says why not.

What the fork must not copy: the zygote makes no ZeroMQ context, database engine, thread or event
loop (the child makes its own once it is a kernel), and only imports. It reaps its children after
each request (one thread, no signal handler: a child is never reaped before its pidfd is open),
and exits when the server that started it is gone.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import random
import select
import signal
import socket
import sys
from typing import NoReturn

# imported once here, shared by every kernel; each page's own list is course.kernel.launch.PAGES
BASE_IMPORTS = ("ipykernel.kernelapp", "ipywidgets", "pandas", "sqlalchemy", "course.kernel.launch")
REQUEST_MAX = 1 << 20  # a kernel's environment is a few KB; anything this long is not a request
READY = "ready"  # the line printed on stdout once the socket is listening
ZYGOTE_NAME, KERNEL_NAME = "course-zygote", "course-kernel"  # process names (prctl), for ps and top


def name_process(name: str) -> None:
    """The name `ps -o comm`, `top` and psutil's name() show (its command line stays the zygote's)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def preimport() -> list[str]:
    """Import what the pages need; returns what could not be imported (their kernels import it later)."""
    missing = []
    names = list(BASE_IMPORTS)
    try:
        from course.kernel.launch import PAGES

        names += sorted({name for page in PAGES.values() for name in page.imports})
    except Exception:  # noqa: BLE001 - without the course's list the kernels import it themselves
        missing.append("course.kernel.launch")
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a kernel that needs it imports it (and says why) itself
            missing.append(name)
    gc.collect()
    gc.freeze()  # the collector leaves these objects alone in every child: fewer pages copied
    return missing


def read_request(conn: socket.socket) -> dict:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > REQUEST_MAX:
            raise ValueError("request too long")
    request = json.loads(data.decode("utf-8"))
    if not (
        isinstance(request, dict)
        and isinstance(request.get("argv"), list)
        and all(isinstance(a, str) for a in request["argv"])
        and isinstance(request.get("env"), dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in request["env"].items())
        and isinstance(request.get("cwd"), str)
    ):
        raise ValueError("a request is {argv: [str], env: {str: str}, cwd: str}")
    return request


def become_kernel(request: dict, listener: socket.socket, conn: socket.socket) -> NoReturn:
    """In the child: drop the zygote's socket, take the kernel's session, environment and folder,
    and run ipykernel as `python -m ipykernel_launcher ARGV` would. Never returns.

    It ends as that Python would: SystemExit unwinds the zygote's frames (which only close
    sockets) and the interpreter exits normally, so the kernel's atexit hooks run (the reflection
    box's last words are saved by one: course.widgets.reflection) and its threads are joined."""
    try:
        listener.close()
        conn.close()
        os.setsid()  # its own process group, as the ordinary launcher gives a kernel
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(request["env"])
        # ipykernel's parent poller: the kernel ends when its parent (this zygote) does, as an
        # ordinarily started kernel ends with its server; the zygote ends with the server
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        os.chdir(request["cwd"])
        name_process(KERNEL_NAME)
        random.seed()  # not the zygote's random state, shared by every child
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
    except SystemExit:
        raise
    except BaseException:  # noqa: BLE001 - said on stderr (the server's log), then the child ends
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    sys.exit(0)


def serve_one(listener: socket.socket) -> None:
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(10)
        try:
            request = read_request(conn)
        except (OSError, ValueError) as exc:
            conn.sendall(json.dumps({"error": f"bad request: {exc}"}).encode() + b"\n")
            return
        pid = os.fork()
        if pid == 0:
            become_kernel(request, listener, conn)
        pidfd = os.pidfd_open(pid)  # before any reaping below: the pid is still this child's
        try:
            socket.send_fds(conn, [json.dumps({"pid": pid}).encode() + b"\n"], [pidfd])
        finally:
            os.close(pidfd)


def reap() -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    path = argv[0]
    parent = os.getppid()
    name_process(ZYGOTE_NAME)
    missing = preimport()
    if missing:
        print(f"kernel zygote: not imported ahead: {', '.join(missing)}", file=sys.stderr, flush=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    print(READY, flush=True)
    while os.getppid() == parent:  # the server is gone: so is the zygote (its kernels are the server's)
        ready, _, _ = select.select([listener], [], [], 1.0)
        if ready:
            try:
                serve_one(listener)
            except OSError as exc:  # a client that went away: the next request is unaffected
                print(f"kernel zygote: a request failed: {exc}", file=sys.stderr, flush=True)
        reap()
    listener.close()


if __name__ == "__main__":
    main()
