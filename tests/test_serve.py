"""`course serve` as a process: Voila and the marker start and stop together, a marker that
dies is started again, and the options for a room (--ip, --public-url, pools) reach Voila."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from course.server.launch_config import read_config
from course.server.supervisor import ServeOptions, kernel_pools, server_env, voila_command

from .support.grading_helpers import copy_course_root
from .support.servers import BIN, free_port, wait_for, wait_until


def children(pid: int) -> dict[int, str]:
    """Every live descendant of `pid`: {pid: command line} (from /proc, no extra package)."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if ") Z " in stat:
            continue  # a zombie is already gone
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = {}, [pid]
    while todo:
        current = todo.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found[child] = commands.get(child, "")
                todo.append(child)
    return found


def test_room_options_reach_voila_and_the_kernels(tmp_path):
    options = ServeOptions(
        port=9000, ip="0.0.0.0", public_url="https://training.example.org/course/", pool_size=3, join_pool_size=8
    )
    args = voila_command(Path("/srv/app"), options, config_dir=tmp_path)
    config = read_config(
        Path(next(a for a in args if a.startswith("--Voila.config_file_paths=")).split("=", 1)[1]) / "voila.json"
    )
    assert config["Voila"]["ip"] == "0.0.0.0" and config["Voila"]["port"] == 9000
    pools = config["VoilaKernelManager"]["kernel_pools_config"]
    assert pools == kernel_pools(options)
    assert pools["default"]["pool_size"] == 3 and pools["join.ipynb"]["pool_size"] == 8
    assert pools["trainer.ipynb"]["pool_size"] == 1 and pools["certificate.ipynb"]["pool_size"] == 1
    assert pools["help.ipynb"]["pool_size"] == 1  # opened now and then: one ready kernel
    env = server_env({}, options)
    assert env["COURSE_PUBLIC_URL"] == "https://training.example.org/course/"
    assert env["COURSE_GRADE_ON_FINISH"] == "1"
    assert "COURSE_GRADE_ON_FINISH" not in server_env({"COURSE_GRADE_ON_FINISH": "1"}, ServeOptions(grading=False))


def test_serve_releases_runs_the_marker_restarts_it_and_stops_everything(tmp_path):
    grading = copy_course_root(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "COURSE_DATA_DIR": str(tmp_path / "var"),
        "COURSE_DB_URL": "",
        "COURSE_GRADING_DIR": str(grading),
        "NBGRADER_EXCHANGE": str(tmp_path / "exchange"),
    }
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        serve = subprocess.Popen(
            [str(BIN / "course"), "serve", f"--port={port}", "--pool-size=1", "--join-pool-size=1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/", timeout=240, process=serve)
        # every module was released with nbgrader before Voila listened
        for module in ("why", "sharing", "boundaries", "protect", "safety", "final"):
            assert (grading / "release" / module / f"{module}.ipynb").exists()
        kids = children(serve.pid)
        markers = [pid for pid, cmd in kids.items() if "course.cli grade --watch" in cmd]
        voilas = [pid for pid, cmd in kids.items() if "course.server.voila" in cmd]
        assert len(markers) == 1 and len(voilas) == 1, kids
        # a marker that dies is started again; learners' Finish requests wait in the queue meanwhile
        os.kill(markers[0], signal.SIGKILL)
        again = wait_until(
            lambda: [
                pid
                for pid, cmd in children(serve.pid).items()
                if "course.cli grade --watch" in cmd and pid != markers[0]
            ],
            timeout=60,
        )
        assert len(again) == 1
        assert "the marker stopped" in log_path.read_text()
        everyone = set(children(serve.pid))
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=60)
    assert code == 0
    # nothing left behind: Voila, its kernels and the marker all stopped with `course serve`
    wait_until(
        lambda: (
            not any(
                Path(f"/proc/{pid}").exists() and ") Z " not in Path(f"/proc/{pid}/stat").read_text()
                for pid in everyone
            )
        ),
        timeout=60,
    )
    text = log_path.read_text()
    assert "Preparing marking for: why, sharing, boundaries, protect, safety, final" in text
    assert "Traceback" not in text.split("the marker stopped")[0]
