"""One place reads the course's settings: course/settings.py reads every COURSE_* and NBGRADER_*
variable and documents it; nothing else in course/ reads one (building a child's environment is fine)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from course import settings

PACKAGE = Path(settings.__file__).resolve().parent
OURS = re.compile(r"^(COURSE|NBGRADER)_[A-Z0-9_]+$")


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "COURSE_..." assignments, so `environ.get(NAME)` is seen too."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def stray_reads(source: str, where: str = "<source>") -> list[str]:
    """Every read of a COURSE_*/NBGRADER_* variable in `source`: `X.get(name)`, `getenv(name)`,
    `X[name]` (not as an assignment target), `name in X`, and click's `envvar=name`."""
    tree = ast.parse(source)
    constants = _constants(tree)

    def ours(node) -> str | None:
        value = (
            node.value
            if isinstance(node, ast.Constant)
            else constants.get(node.id)
            if isinstance(node, ast.Name)
            else None
        )
        return value if isinstance(value, str) and OURS.match(value) else None

    found = []
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Call):
            func = node.func
            attr = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if attr in ("get", "getenv", "environ_get") and node.args:
                name = ours(node.args[0])
            for keyword in node.keywords:
                if keyword.arg == "envvar":
                    name = name or ours(keyword.value)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            name = ours(node.slice)
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            name = ours(node.left)
        if name:
            found.append(f"{where}:{node.lineno}: reads {name}")
    return found


def test_the_scanner_sees_every_way_of_reading_a_variable():
    """The guard itself: each form of read is caught, and building a child's environment is not."""
    reads = {
        'os.environ.get("COURSE_DB_URL")',
        'os.getenv("NBGRADER_DB_URL", "x")',
        'os.environ["COURSE_HUB_SHARED"]',
        'env.get("COURSE_PUBLIC_URL")',
        '"COURSE_LEARNER" in os.environ',
        'NAME = "COURSE_GRADE_ON_FINISH"\nos.environ.get(NAME) == "1"',
        'click.option("--public-url", envvar="COURSE_PUBLIC_URL")',
    }
    for source in reads:
        assert stray_reads(source), source
    for source in (
        'env["COURSE_DATA_DIR"] = "/x"',
        'env.setdefault("COURSE_DATA_DIR", "/x")',
        'env.pop("COURSE_GRADE_ON_FINISH", None)',
        '{"COURSE_DB_URL": url}',
        'os.environ.get("HOME")',
    ):
        assert not stray_reads(source), source


def test_nothing_but_settings_reads_a_course_or_nbgrader_variable():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "settings.py":
            continue
        found += stray_reads(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    assert found == [], "read these through course.settings:\n" + "\n".join(found)


def test_every_variable_the_package_names_is_documented():
    named = set()
    for path in PACKAGE.rglob("*.py"):
        named |= set(re.findall(r"\b((?:COURSE|NBGRADER)_[A-Z][A-Z0-9_]*)\b", path.read_text(encoding="utf-8")))
    named.discard("COURSE_TITLE")  # constants, not variables
    named.discard("COURSE_TYPE")
    config = (settings.project_root() / "grading" / "nbgrader_config.py").read_text()
    named |= set(re.findall(r'environ\.get\(\s*"([A-Z_]+)"', config))
    assert named <= set(settings.VARIABLES), sorted(named - set(settings.VARIABLES))
    assert all(len(text) > 20 for text in settings.VARIABLES.values())


def test_an_empty_variable_counts_as_unset(monkeypatch, tmp_path):
    for name in (
        "COURSE_DB_URL",
        "COURSE_PUBLIC_URL",
        "COURSE_GRADE_ON_FINISH",
        "COURSE_APP_SNAPSHOT",
        "COURSE_LEARNER",
    ):
        monkeypatch.setenv(name, "")
    assert settings.records_db_url() is None and settings.public_url() == "" and not settings.grade_on_finish()
    assert settings.app_snapshot() is None and settings.learner() is None
    monkeypatch.setenv("COURSE_CONTENT_DIR", "")
    assert settings.content_dir() == settings.CONTENT_DIR
    monkeypatch.setenv("COURSE_GRADE_ON_FINISH", "1")
    monkeypatch.setenv("COURSE_PUBLIC_URL", " https://training.example.org/ ")
    assert settings.grade_on_finish() and settings.public_url() == "https://training.example.org/"
    assert settings.public_url({"COURSE_PUBLIC_URL": "https://room.example/"}) == "https://room.example/"


def test_hub_without_its_shared_folder_says_so(monkeypatch):
    monkeypatch.delenv("COURSE_HUB_SHARED", raising=False)
    with pytest.raises(RuntimeError, match="COURSE_HUB_SHARED is not set"):
        settings.hub_shared()


def test_one_gradebook_url(monkeypatch, tmp_path):
    """nbgrader's API and the course's own reads agree on the gradebook, whichever way it is given."""
    from course.grading.coursedir import gradebook_url, load_config

    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    bare = tmp_path / "bare"
    bare.mkdir()
    assert gradebook_url(bare) == f"sqlite:///{bare.resolve() / 'gradebook.db'}"
    configured = tmp_path / "configured"
    configured.mkdir()
    (configured / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'sqlite:////srv/gb.db'\n"
    )
    assert gradebook_url(configured) == "sqlite:////srv/gb.db"
    monkeypatch.setenv("NBGRADER_DB_URL", "postgresql://grader@db/gradebook")
    for root in (bare, configured):
        assert gradebook_url(root) == "postgresql://grader@db/gradebook"
        assert load_config(root).CourseDirectory.db_url == gradebook_url(root)
