"""One Voila launch configuration (course.server.launch_config) for `course serve`, the manager
dashboard and the hub: the three get the same settings but for the few that really differ, and
the servers really load them from the generated file (no server is started here)."""

from __future__ import annotations

import warnings
from pathlib import Path

from course.app.pages import ERROR_INSTRUCTION
from course.hub import start
from course.server import launch_config
from course.server.dashboard import dashboard_command, dashboard_settings
from course.server.launch_config import ENFORCED, read_config
from course.server.supervisor import ServeOptions, kernel_pools, voila_command, voila_settings

# what may differ, and between whom; everything else must be the same for all three
DIFFERS = {
    ("VoilaConfiguration", "preheat_kernel"),
    ("VoilaConfiguration", "default_pool_size"),
    ("VoilaKernelManager", "kernel_pools_config"),
    ("VoilaKernelManager", "fill_delay"),  # only the preheated pools of `course serve` refill
    ("MappingKernelManager", "cull_idle_timeout"),
    ("VoilaExecutor", "cell_error_instruction"),
    ("Voila", "port"),
    ("Voila", "ip"),
    ("Voila", "port_retries"),
    ("Voila", "open_browser"),
    ("CourseVoila", "home_page"),
}


def _flat(config: dict) -> dict:
    return {(section, key): value for section, values in config.items() for key, value in values.items()}


def test_the_three_launchers_get_the_same_settings():
    serve = _flat(voila_settings(ServeOptions()))
    dashboard = _flat(dashboard_settings(8867, Path("/srv/notebooks/manager/dashboard.ipynb")))
    hub = _flat(start.hub_settings())
    for key in set(serve) | set(dashboard) | set(hub):
        if key in DIFFERS:
            continue
        assert serve.get(key) == dashboard.get(key) == hub.get(key), key
    for flat in (serve, dashboard, hub):  # the safety settings, everywhere
        for name, value in ENFORCED.items():
            assert flat[("VoilaConfiguration", name)] == value, name
        assert flat[("VoilaConfiguration", "show_tracebacks")] is False
        assert flat[("MappingKernelManager", "cull_connected")] is False
    # and what differs, differs as meant
    assert serve[("VoilaConfiguration", "preheat_kernel")] is True
    assert serve[("KernelProvisionerFactory", "default_provisioner_name")] == "course-fork-provisioner"  # all three
    assert dashboard[("VoilaConfiguration", "preheat_kernel")] is hub[("VoilaConfiguration", "preheat_kernel")] is False
    assert (
        serve[("MappingKernelManager", "cull_idle_timeout")]
        == hub[("MappingKernelManager", "cull_idle_timeout")]
        == 900
    )
    assert dashboard[("MappingKernelManager", "cull_idle_timeout")] == 1800
    assert (
        serve[("VoilaExecutor", "cell_error_instruction")]
        == hub[("VoilaExecutor", "cell_error_instruction")]
        == ERROR_INSTRUCTION
    )
    assert "answers" not in dashboard[("VoilaExecutor", "cell_error_instruction")]
    assert dashboard[("CourseVoila", "home_page")] == "voila/render/dashboard.ipynb"
    assert not any(section in ("Voila", "CourseVoila") for section, _ in hub)  # the hub's server listens itself


def test_the_config_file_is_named_by_its_content(tmp_path):
    one = launch_config.write_config({"A": {"b": 1}}, tmp_path)
    again = launch_config.write_config({"A": {"b": 1}}, tmp_path)
    other = launch_config.write_config({"A": {"b": 2}}, tmp_path)
    assert one == again != other and one.name == "voila.json" and read_config(other) == {"A": {"b": 2}}


def _load_course_voila(command: list[str]):
    """What course.server.voila makes of a launcher's command line, without listening."""
    from course.server.voila import CourseVoila

    assert command[1:3] == ["-m", "course.server.voila"]
    app = CourseVoila()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # traitlets warned about a dict on the command line
        app.initialize(command[3:])
    return app


def test_course_serve_loads_its_settings_from_the_file(tmp_path):
    options = ServeOptions(port=9000, ip="0.0.0.0", pool_size=3, join_pool_size=8, cull_idle_timeout=600)
    command = voila_command(tmp_path / "app", options, config_dir=tmp_path / "config")
    (tmp_path / "app").mkdir()
    assert len(command) == 5 and not any("{" in arg for arg in command)  # no JSON on the command line
    app = _load_course_voila(command)
    conf = app.voila_configuration
    assert (app.ip, app.port, app.port_retries, app.open_browser) == ("0.0.0.0", 9000, 0, False)
    assert conf.preheat_kernel and conf.default_pool_size == 3 and conf.template == "course" and conf.theme == "light"
    assert (
        not conf.show_tracebacks
        and conf.allow_template_override == "NO"
        and conf.extension_allowlist == list(launch_config.EXTENSIONS)
    )
    assert app.config.VoilaKernelManager.kernel_pools_config == kernel_pools(options)
    assert app.config.MappingKernelManager.cull_idle_timeout == 600
    assert app.config.VoilaExecutor.cell_error_instruction == ERROR_INSTRUCTION


def test_the_dashboard_loads_its_settings_from_the_file(tmp_path):
    notebook = tmp_path / "manager" / "dashboard.ipynb"
    notebook.parent.mkdir()
    app = _load_course_voila(dashboard_command(9100, notebook, config_dir=tmp_path / "config"))
    assert (app.ip, app.port) == ("127.0.0.1", 9100) and app.home_page == "voila/render/dashboard.ipynb"
    assert not app.voila_configuration.preheat_kernel and not app.voila_configuration.show_tracebacks
    assert app.config.MappingKernelManager.cull_idle_timeout == 1800


def test_a_stray_config_cannot_turn_the_safety_settings_off(tmp_path):
    config = launch_config.voila_config(standalone=True, port=9200)
    config["VoilaConfiguration"].update(show_tracebacks=True, template="lab", allow_template_override="YES")
    path = launch_config.write_config(config, tmp_path)
    (tmp_path / "app").mkdir()
    app = _load_course_voila(
        ["python", "-m", "course.server.voila", str(tmp_path / "app"), f"--Voila.config_file_paths={path.parent}"]
    )
    conf = app.voila_configuration
    assert conf.show_tracebacks is False and conf.template == "course" and conf.allow_template_override == "NO"


def test_the_hub_server_loads_the_same_settings(tmp_path, monkeypatch):
    from jupyter_server.serverapp import ServerApp

    path = start.write_server_config(tmp_path)
    assert path.name == "jupyter_server_config.json" and path.is_relative_to(tmp_path / start.CONFIG_FOLDER)
    env = start.server_env(path, {"JUPYTER_CONFIG_PATH": "/etc/other"})
    assert env["JUPYTER_CONFIG_PATH"] == f"{path.parent}:/etc/other"
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", env["JUPYTER_CONFIG_PATH"])
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "no-user-config"))
    monkeypatch.chdir(tmp_path)
    app = ServerApp()
    app.load_config_file()
    assert app.config.VoilaConfiguration.show_tracebacks is False
    assert app.config.VoilaConfiguration.template == "course"
    assert app.config.VoilaConfiguration.extension_allowlist == list(launch_config.EXTENSIONS)
    assert app.config.MappingKernelManager.cull_idle_timeout == 900
    assert app.config.VoilaExecutor.cell_error_instruction == ERROR_INSTRUCTION
    args = start.command(staff=False, extra=["--port=1234"])
    assert args[0].endswith("jupyterhub-singleuser") and "--port=1234" in args
    assert "--ServerApp.terminals_enabled=False" in args
    assert "--ServerApp.terminals_enabled=False" not in start.command(staff=True, extra=[])
