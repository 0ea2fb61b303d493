"""Property-based: malformed YAML and scenario shapes always end in a clear error naming
file and line, never a traceback."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.content.validate import validate

CONTENT = Path(__file__).resolve().parents[1] / "course" / "data"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, width=16)
    | st.text(string.printable, max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def mini_root(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    if root.exists():
        shutil.rmtree(root)
    (root / "modules").mkdir(parents=True)
    for name in ("pseudonyms.yaml", "cast.yaml", "help.yaml", "organisation.yaml"):
        shutil.copy(CONTENT / name, root)
    policy = (CONTENT / "policy.yaml").read_text().replace("min_scenarios_per_point: 2", "min_scenarios_per_point: 0")
    (root / "policy.yaml").write_text(
        policy.replace("modules: [why, sharing, boundaries, protect, safety, final]", "modules: [m]")
    )
    return root


def assert_clear(report, root: Path) -> None:
    assert not report.ok
    for problem in report.problems:
        assert problem.path.startswith(str(root)), problem
        assert (problem.line is None and problem.path.endswith("/modules")) or isinstance(problem.line, int), problem
        assert problem.message and "Traceback" not in problem.message


@SETTINGS
@given(text=st.text(alphabet=string.printable + "äé“”–\t", max_size=400))
def test_any_text_as_a_module_file(tmp_path, text):
    root = mini_root(tmp_path)
    (root / "modules" / "m.yaml").write_text(text)
    report = validate(root, assets=tmp_path / "no-assets")
    assert_clear(report, root) if not report.ok else None


def real_module() -> dict:
    return yaml.safe_load((CONTENT / "modules" / "sharing.yaml").read_text())


@SETTINGS
@given(data=st.data())
def test_mutated_scenario_shapes(tmp_path, data):
    module = real_module()
    module["id"] = "m"
    scenario = data.draw(st.sampled_from(module["scenarios"]))
    target = data.draw(st.sampled_from(["scenario", "choice", "post", "module"]))
    node = {
        "scenario": scenario,
        "choice": scenario["choices"][0],
        "post": scenario.get("post") or scenario,
        "module": module,
    }[target]
    key = data.draw(st.sampled_from(sorted(node)))
    if data.draw(st.booleans()):
        del node[key]
    else:
        node[key] = data.draw(json_values)
    root = mini_root(tmp_path)
    (root / "modules" / "m.yaml").write_text(yaml.safe_dump(module, allow_unicode=True, sort_keys=False))
    report = validate(root, assets=tmp_path / "no-assets")
    if not report.ok:
        assert_clear(report, root)


@SETTINGS
@given(cut=st.integers(min_value=1, max_value=20_000))
def test_truncated_module_file(tmp_path, cut):
    """A half-written file (a crash mid-save) is an error with a line, or still valid."""
    text = (CONTENT / "modules" / "sharing.yaml").read_text().replace("id: sharing\n", "id: m\n", 1)
    root = mini_root(tmp_path)
    (root / "modules" / "m.yaml").write_text(text[: cut % len(text)])
    report = validate(root, assets=tmp_path / "no-assets")
    if not report.ok:
        assert_clear(report, root)
