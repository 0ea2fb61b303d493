"""Page kernels forked from the kernel zygote (course.kernel.zygote) instead of started afresh.

`ForkProvisioner` is jupyter_client's LocalProvisioner with one change: where LocalProvisioner
runs `python -m ipykernel_launcher -f <connection file>` as a new process, this asks the
server's zygote to fork a child that does the same. Everything else (the connection file, the
ports, the environment Voila gives each kernel, shutdown over the control channel) is
LocalProvisioner's own. The zygote passes back a pidfd: waiting, signalling and killing go
through it, so a pid reused after the kernel ended can never be signalled by mistake.

The course's launch configuration selects it (`KernelProvisionerFactory.default_provisioner_name`,
course.server.launch_config) unless COURSE_FORK_KERNELS=0. It is registered under
`jupyter_client.kernel_provisioners` in pyproject.toml. When the zygote cannot be used (not
started yet and failing to start, a kernel command other than this Python's ipykernel, an
error from it) the kernel starts the ordinary way, and the log says why once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

log = logging.getLogger("course.fork_kernels")
START_TIMEOUT = 120.0  # the zygote's imports, on a busy 2-core machine


class ForkedKernel:
    """What LocalProvisioner expects of a subprocess.Popen, for a child of the zygote, through its pidfd."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int):
        self.pid = pid
        self._pidfd: int | None = pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self._pidfd is not None:
            ready, _, _ = select.select([self._pidfd], [], [], 0)
            if ready:  # it has ended (its exit status is the zygote's to collect, not ours)
                self.returncode = 0
                os.close(self._pidfd)
                self._pidfd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self._pidfd is not None:
            ready, _, _ = select.select([self._pidfd], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired(["kernel"], timeout or 0)
        return self.poll() or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None and self._pidfd is not None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """The server's one zygote process: started on the first kernel, restarted if it dies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._socket: str | None = None
        self._folder: tempfile.TemporaryDirectory | None = None
        self.refused = ""  # why the zygote is not used, once it has failed to start

    def address(self) -> str | None:
        """The zygote's socket, starting it (and waiting for it) if need be; None when it cannot run."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return self._socket
            if self.refused:
                return None
            try:
                self._start()
            except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
                self.refused = str(exc)
                log.warning("kernel zygote: not used, kernels start the ordinary way (%s)", exc)
                return None
            return self._socket

    def _start(self) -> None:
        if self._folder is not None:  # a zygote that died: its socket's folder goes with it
            self._folder.cleanup()
        self._folder = tempfile.TemporaryDirectory(prefix="course-zygote-")  # 0700: only this user
        self._socket = str(Path(self._folder.name) / "zygote.sock")
        self._process = subprocess.Popen(  # this Python, the course's own module
            [sys.executable, "-m", "course.kernel.zygote", self._socket],
            stdout=subprocess.PIPE,
            stderr=None,  # its messages (and its kernels' tracebacks) go to the server's log
            text=True,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT)
        line = self._process.stdout.readline().strip() if ready else ""
        if line != "ready":
            self._process.kill()
            raise RuntimeError(f"the zygote did not start within {START_TIMEOUT:.0f} s ({line or 'no answer'})")
        log.info("kernel zygote: ready; page kernels are forked from it")

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedKernel:
        """A new kernel: the zygote's child running `ipykernel_launcher ARGV` in `env` and `cwd`."""
        address = self.address()
        if address is None:
            raise OSError(f"no zygote: {self.refused}")
        request = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode("utf-8") + b"\n"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(30)
            conn.connect(address)
            conn.sendall(request)
            data, fds, _flags, _addr = socket.recv_fds(conn, 4096, 1)
        answer = json.loads(data.decode("utf-8") or "{}")
        if "pid" not in answer or not fds:
            for fd in fds:
                os.close(fd)
            raise OSError(f"the zygote did not fork a kernel: {answer.get('error', 'no answer')}")
        return ForkedKernel(int(answer["pid"]), fds[0])

    def stop(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()
            if self._folder is not None:
                self._folder.cleanup()


ZYGOTE = Zygote()


def forkable(cmd: list[str]) -> list[str] | None:
    """The ipykernel_launcher arguments of `cmd` when it is this Python's ipykernel (what the zygote
    runs); None for any other kernel command, which starts the ordinary way."""
    ours = len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]
    return cmd[3:] if ours and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable) else None


class ForkProvisioner(LocalProvisioner):
    """LocalProvisioner, with the kernel process forked from the zygote."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        argv = forkable(cmd)
        if argv is not None and os.name == "posix":
            env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
            cwd = str(kwargs.get("cwd") or Path.cwd())
            try:
                forked = await asyncio.to_thread(ZYGOTE.fork, argv, env, cwd)
            except (OSError, ValueError) as exc:
                log.warning("kernel zygote: this kernel starts the ordinary way (%s)", exc)
            else:
                # LocalProvisioner types `process` as a Popen: a ForkedKernel does what it uses of one
                self.process = forked  # type: ignore[assignment]
                self.pid = self.pgid = forked.pid  # the child made its own session (course.kernel.zygote)
                self.cwd = cwd
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)

    async def send_signal(self, signum: int) -> None:
        if isinstance(self.process, ForkedKernel):
            # to the kernel itself through its pidfd (not its process group by id: never a reused pid)
            self.process.send_signal(signum)
            return
        await super().send_signal(signum)
