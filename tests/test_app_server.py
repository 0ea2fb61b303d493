"""How `course serve` starts Voila, without starting it: notebooks, options, content snapshot, pages."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import nbformat

from course.app.notebooks import APPS, app_notebook, render, write_app_notebooks
from course.app.pages import error_page
from course.kernel import runtime
from course.kernel.launch import Launcher
from course.server.supervisor import ServeOptions, server_env, voila_command

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "assets" / "voila" / "templates" / "course"


def test_app_notebooks_are_committed_in_step_and_clean():
    assert write_app_notebooks(ROOT / "notebooks" / "app", check=True) == []
    for kind in APPS:
        nb = nbformat.read(ROOT / "notebooks" / "app" / f"{kind}.ipynb", as_version=4)
        assert [c.outputs for c in nb.cells] == [[], []]
        assert f'prepare("{kind}")' in nb.cells[0].source and nb.cells[1].source.endswith("app.run()")
    assert render(app_notebook("module")) == (ROOT / "notebooks" / "app" / "module.ipynb").read_text()


def _config_of(args: list[str]) -> dict:
    from course.server.launch_config import read_config

    folder = next(a for a in args if a.startswith("--Voila.config_file_paths=")).split("=", 1)[1]
    return read_config(Path(folder) / "voila.json")


def test_voila_command_is_safe_and_lean(tmp_path):
    args = voila_command(
        Path("/srv/app"), ServeOptions(port=9000, pool_size=3, cull_idle_timeout=600), config_dir=tmp_path
    )
    config = _config_of(args)
    joined = " ".join(args) + json.dumps(config)
    assert args[1:3] == ["-m", "course.server.voila"] and "/srv/app" in args
    for section, name, value in [
        ("Voila", "ip", "127.0.0.1"),
        ("Voila", "port", 9000),
        ("VoilaConfiguration", "template", "course"),
        ("Voila", "open_browser", False),
        ("VoilaConfiguration", "allow_template_override", "NO"),
        ("VoilaConfiguration", "allow_theme_override", "NO"),
        ("VoilaConfiguration", "show_tracebacks", False),
        ("VoilaConfiguration", "preheat_kernel", True),
        ("VoilaConfiguration", "default_pool_size", 3),
        ("MappingKernelManager", "cull_idle_timeout", 600),
        ("MappingKernelManager", "cull_connected", False),
    ]:
        assert config[section][name] == value, (section, name)
    assert "Traceback" not in joined
    env = server_env({"PATH": "/usr/bin"})
    assert env["JUPYTER_PATH"].split(":")[0].endswith("assets")


def test_template_links_nothing_outside_the_server():
    for path in TEMPLATE.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not re.search(r"https?://", text.replace("http://www.w3.org", "")), path
    assert json.loads((TEMPLATE / "conf.json").read_text()) == {"base_template": "lab"}
    index = (TEMPLATE / "index.html.j2").read_text()
    assert "extends 'lab/index.html.j2'" in index and 'role="banner"' in index and "<main" in index


def test_content_snapshot_round_trip_and_stale_snapshot_falls_back(course, tmp_path, monkeypatch):
    path = tmp_path / "snap.pickle"
    monkeypatch.setenv("COURSE_APP_SNAPSHOT", str(path))
    runtime.write_snapshot(course, path)
    loaded = runtime.app_course()
    assert list(loaded.modules) == list(course.modules) and loaded.policy.version == course.policy.version
    data = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps({**data, "key": "stale"}))
    assert list(runtime.app_course().modules) == list(course.modules)  # read from the YAML instead


def test_error_page_is_friendly_and_local():
    page = error_page(500, "/course/")
    assert "Something went wrong" in page and "Traceback" not in page
    assert 'href="/course/voila/templates/course/static/theme.css"' in page and 'role="banner"' in page
    assert "We could not find that page" in error_page(404)


def test_a_failing_app_shows_a_friendly_message_and_logs(monkeypatch, capsys):
    launcher = Launcher.__new__(Launcher)
    launcher.kind, launcher.failed = "module", True
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    launcher.run(query={})
    assert "Something went wrong" in shown[0].data and "Traceback" not in shown[0].data


def test_query_string_is_read_as_voila_reads_it(monkeypatch):
    """course.kernel.query stands in for voila.utils.get_query_string (without its 48 MB import)."""
    from voila.utils import get_query_string as voilas

    from course.kernel.query import _query_url, get_query_string

    monkeypatch.setenv("VOILA_PREHEAT", "False")  # a kernel started for its request
    monkeypatch.setenv("QUERY_STRING", "module=why&token=abc")
    assert get_query_string() == voilas() == "module=why&token=abc"
    monkeypatch.setenv("VOILA_APP_PORT", "9999")
    monkeypatch.setenv("VOILA_SERVER_URL", "/course/")
    monkeypatch.setenv("VOILA_KERNEL_ID", "k-1")
    assert _query_url() == "ws://127.0.0.1:9999/course/voila/query/k-1"
    monkeypatch.setenv("VOILA_PREHEAT", "True")  # preheated, but the server is gone: no request, no wait
    monkeypatch.delenv("QUERY_STRING")
    monkeypatch.setenv("VOILA_APP_PORT", str(_closed_port()))
    assert get_query_string() is None


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the kernel guard and the routes (no server started) ---------------------------------------------


def _message(msg_type: str, channel: str = "shell") -> dict:
    return {
        "header": {"msg_id": "1", "msg_type": msg_type, "session": "s", "username": "u", "version": "5.3", "date": ""},
        "parent_header": {},
        "metadata": {},
        "content": {"code": "import os"},
        "channel": channel,
        "buffers": [],
    }


def test_kernel_guard_reads_every_wire_form_and_lets_only_widget_messages_through():
    from jupyter_server.services.kernels.connection.base import serialize_binary_message, serialize_msg_to_ws_v1

    from course.server.kernel_guard import V1, allowed, message_kind

    def v1(msg: dict) -> bytes:
        parts = [json.dumps(msg[k]).encode() for k in ("header", "parent_header", "metadata", "content")]
        return serialize_msg_to_ws_v1(parts, msg["channel"])

    for msg_type in ("kernel_info_request", "comm_info_request", "comm_open", "comm_msg", "comm_close"):
        msg = _message(msg_type)
        assert message_kind(json.dumps(msg), None) == ("shell", msg_type)
        assert message_kind(v1(msg), V1) == ("shell", msg_type)
        assert message_kind(serialize_binary_message(dict(msg)), None) == ("shell", msg_type)
        assert allowed("shell", msg_type) and allowed("control", msg_type) and not allowed("stdin", msg_type)
    for msg_type in (
        "execute_request",
        "inspect_request",
        "complete_request",
        "history_request",
        "debug_request",
        "input_reply",
        "shutdown_request",
        "interrupt_request",
        "is_complete_request",
        "usage_request",
    ):
        for wire, protocol in ((json.dumps(_message(msg_type)), None), (v1(_message(msg_type)), V1)):
            assert not allowed(*message_kind(wire, protocol)), msg_type
    # unreadable, or disguised, messages are refused
    for wire, protocol in [
        ("not json", None),
        (b"\x00" * 5, V1),
        (b"\x00" * 9, None),
        (json.dumps({"channel": "shell"}), None),
        (json.dumps({**_message("comm_msg"), "channel": None}), None),
        (json.dumps({**_message("comm_msg"), "header": "comm_msg"}), None),
        (json.dumps(_message("comm_msg")), V1),
        (v1(_message("comm_msg")), None),
    ]:
        assert not allowed(*message_kind(wire, protocol)), wire


def test_manager_dashboard_runs_on_the_course_server(tmp_path):
    from course.server.dashboard import dashboard_command, dashboard_env

    args = dashboard_command(9100, Path("/srv/notebooks/manager/dashboard.ipynb"), config_dir=tmp_path)
    assert args[1:4] == ["-m", "course.server.voila", "/srv/notebooks/manager"]
    config = _config_of(args)
    for section, name, value in [
        ("Voila", "port", 9100),
        ("Voila", "ip", "127.0.0.1"),
        ("Voila", "open_browser", False),
        ("VoilaConfiguration", "template", "course"),
        ("CourseVoila", "home_page", "voila/render/dashboard.ipynb"),
        ("VoilaConfiguration", "show_tracebacks", False),
    ]:
        assert config[section][name] == value, (section, name)
    env = dashboard_env({"PATH": "/usr/bin"})
    assert env["JUPYTER_PATH"].split(":")[0].endswith("assets") and env["MPLBACKEND"] == "Agg"
