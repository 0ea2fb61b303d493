"""Page kernels forked from the kernel zygote (course.kernel.zygote, course.server.fork_provisioner).

Real kernels through jupyter_client's own AsyncKernelManager with the course's provisioner, as
Voila starts them; a real `course serve` page in tests/test_voila_app.py and the rest of the
browser tests runs on forked kernels too (the launch configuration selects them by default).

| case                                          | proves                                                  |
|-----------------------------------------------|---------------------------------------------------------|
| a kernel shut down as a closed page's is      | its atexit hooks ran (the reflection's last save)        |
| a kernel started through the provisioner      | the zygote's child ("course-kernel"), the course already |
|                                               | imported, the kernel's own environment and folder; it   |
|                                               | runs code, and shutting it down ends its process        |
| the zygote killed between two kernels         | the next kernel starts (a new zygote)                   |
| a kernel killed (a culled or stuck one)       | through its pidfd: that process ends, no other          |
| a forged or broken request on the socket      | a clear error answer; the zygote serves the next one    |
| a kernel command that is not this ipykernel   | starts the ordinary way                                 |
| COURSE_FORK_KERNELS=0                         | the launch configuration leaves the provisioner out     |

Checked with the defence off: with `forkable()` answering None for every command, the first
case fails (the kernel is an ordinary `ipykernel_launcher`, pandas not yet imported).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys

import psutil
import pytest
from jupyter_client import AsyncKernelManager
from jupyter_client.provisioning.factory import KernelProvisionerFactory

from course.kernel.zygote import KERNEL_NAME, ZYGOTE_NAME
from course.server import fork_provisioner
from course.server.launch_config import FORK_PROVISIONER, voila_config

pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")


def manager(tmp_path) -> AsyncKernelManager:
    km = AsyncKernelManager(kernel_name="python3")
    km.connection_file = str(tmp_path / f"kernel-{os.urandom(4).hex()}.json")
    return km


async def run_code(km: AsyncKernelManager, code: str) -> str:
    """What `code` prints, run in the kernel."""
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=120)
        printed: list[str] = []
        reply = await client.execute_interactive(
            code, timeout=60, output_hook=lambda m: printed.append(m["content"].get("text", ""))
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed)
    finally:
        client.stop_channels()


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def zygote(monkeypatch):
    """A fresh zygote for this test (the module's one is the server's, started on first use), and the
    course's provisioner chosen as Voila's launch configuration chooses it."""
    monkeypatch.setattr(KernelProvisionerFactory.instance(), "default_provisioner_name", FORK_PROVISIONER)
    fresh = fork_provisioner.Zygote()
    kept, fork_provisioner.ZYGOTE = fork_provisioner.ZYGOTE, fresh
    yield fresh
    fresh.stop()
    fork_provisioner.ZYGOTE = kept


def test_a_kernel_is_the_zygotes_child_with_the_course_imported_and_its_own_environment(tmp_path, zygote):
    async def scenario():
        km = manager(tmp_path)
        folder = tmp_path / "work"
        folder.mkdir()
        await km.start_kernel(env={**os.environ, "COURSE_TEST_MARK": "kernel-one"}, cwd=str(folder))
        try:
            assert isinstance(km.provisioner.process, fork_provisioner.ForkedKernel)
            kernel = psutil.Process(km.provisioner.pid)
            assert kernel.name() == KERNEL_NAME and kernel.parent().name() == ZYGOTE_NAME
            printed = await run_code(
                km,
                "import os, sys; print('pandas' in sys.modules, 'course.app.module' in sys.modules,"
                " os.environ['COURSE_TEST_MARK'], os.getcwd(), os.getppid(), 6 * 7)",
            )
            assert printed.split() == ["True", "True", "kernel-one", str(folder), str(kernel.parent().pid), "42"]
        finally:
            await km.shutdown_kernel(now=False)
        assert not psutil.pid_exists(kernel.pid) or kernel.status() == psutil.STATUS_ZOMBIE

    run(scenario())


def test_a_kernel_shut_down_runs_its_atexit_hooks_as_an_ordinary_python_does(tmp_path, zygote):
    """The reflection box saves its last words in one (course.widgets.reflection)."""
    said = tmp_path / "said-at-exit.txt"

    async def scenario():
        km = manager(tmp_path)
        await km.start_kernel()
        try:
            code = f"import atexit, pathlib; atexit.register(pathlib.Path({str(said)!r}).write_text, 'kept')"
            await run_code(km, code + "; print('registered')")
        finally:
            await km.shutdown_kernel(now=False)  # what Voila does when a page closes

    run(scenario())
    assert said.read_text() == "kept"


def test_the_next_kernel_starts_after_the_zygote_was_killed_and_a_kill_ends_only_its_kernel(tmp_path, zygote):
    async def scenario():
        first, second = manager(tmp_path), manager(tmp_path)
        await first.start_kernel()
        await second.start_kernel()
        old_zygote = psutil.Process(first.provisioner.pid).parent()
        assert old_zygote.name() == ZYGOTE_NAME  # (never kill an ordinary kernel's parent: this test)
        try:
            await first.provisioner.kill()  # through its pidfd (a culled or stuck kernel)
            await first.provisioner.wait()
            assert not psutil.pid_exists(first.provisioner.pid or -1) or first.provisioner.process is None
            assert "42" in await run_code(second, "print(6 * 7)")  # the other kernel is untouched
            await second.shutdown_kernel(now=True)
            os.kill(old_zygote.pid, signal.SIGKILL)
            old_zygote.wait(timeout=30)
            third = manager(tmp_path)
            await third.start_kernel()
            assert isinstance(third.provisioner.process, fork_provisioner.ForkedKernel)
            assert psutil.Process(third.provisioner.pid).parent().pid != old_zygote.pid
            assert "42" in await run_code(third, "print(6 * 7)")
            await third.shutdown_kernel(now=True)
        finally:
            for km in (first, second):
                if km.has_kernel:
                    await km.shutdown_kernel(now=True)

    run(scenario())


@pytest.mark.parametrize(
    "request_line",
    [b"not json\n", b'{"argv": "-f x", "env": {}, "cwd": "/"}\n', b'{"argv": [], "env": {"A": 1}, "cwd": "/"}\n'],
)
def ask(address: str, line: bytes) -> tuple[dict, list[int]]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(30)
        conn.connect(address)
        conn.sendall(line)
        data, fds, _flags, _addr = socket.recv_fds(conn, 4096, 1)
    return json.loads(data), fds


@pytest.mark.parametrize(
    "request_line",
    [b"not json\n", b'{"argv": "-f x", "env": {}, "cwd": "/"}\n', b'{"argv": [], "env": {"A": 1}, "cwd": "/"}\n'],
)
def test_a_broken_request_gets_a_clear_answer_and_the_zygote_serves_the_next(request_line, zygote):
    address = zygote.address()
    assert address and oct(os.stat(address).st_mode & 0o777) == "0o600"
    answer, fds = ask(address, request_line)
    assert fds == [] and answer["error"].startswith("bad request:")
    assert zygote.address() == address  # the same zygote, still there
    again, fds = ask(address, b"[]\n")
    assert fds == [] and again["error"].startswith("bad request:")


def test_other_kernel_commands_start_the_ordinary_way():
    assert fork_provisioner.forkable([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]) == ["-f", "k.json"]
    assert fork_provisioner.forkable(["/usr/bin/python3-other", "-m", "ipykernel_launcher", "-f", "k.json"]) is None
    assert fork_provisioner.forkable([sys.executable, "-m", "other_kernel", "-f", "k.json"]) is None


def test_course_fork_kernels_0_leaves_the_provisioner_out(monkeypatch):
    pools = {"default": {"pool_size": 1}}
    assert voila_config(standalone=True, pools=pools)["KernelProvisionerFactory"] == {
        "default_provisioner_name": FORK_PROVISIONER
    }
    assert voila_config(standalone=True, pools=pools)["VoilaKernelManager"]["fill_delay"] == 0
    monkeypatch.setenv("COURSE_FORK_KERNELS", "0")
    config = voila_config(standalone=True, pools=pools)
    assert "KernelProvisionerFactory" not in config and "fill_delay" not in config["VoilaKernelManager"]
