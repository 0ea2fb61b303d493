"""environment.yml and pyproject.toml name the same packages at the same versions."""

from __future__ import annotations

import functools
import operator
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins_from_pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"] + functools.reduce(
        operator.iadd, project["optional-dependencies"].values(), []
    ):
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)", requirement).groups()
        pins[name.lower()] = version
    return pins


def pins_from_environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            entries = [(re.split("==", p)) for p in dep.get("pip", [])]
        else:
            entries = [dep.split("=", 1)] if "=" in dep else [[dep, ""]]
        for name, *version in entries:
            pins[name.lower()] = version[0] if version else ""
    return pins


def test_every_pyproject_pin_is_in_environment_yml():
    env = pins_from_environment()
    for name, version in pins_from_pyproject().items():
        assert env.get(name) == version, f"{name}: pyproject.toml pins {version}, environment.yml has {env.get(name)!r}"


def test_environment_yml_has_nothing_extra():
    extra = set(pins_from_environment()) - set(pins_from_pyproject()) - {"python", "pip"}
    assert extra == set()
    assert pins_from_environment()["python"] == "3.11"


def test_all_dependencies_are_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + functools.reduce(
        operator.iadd, project["optional-dependencies"].values(), []
    ):
        assert "==" in requirement, f"{requirement} is not pinned"
