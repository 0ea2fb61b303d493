"""`course release`: nbgrader generate_assignment for every module, and release_assignment
to the exchange when one is configured (so JupyterLab learners can fetch and submit)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from course.content.model import load_course
from course.grading.coursedir import api as nbgrader_api
from course.grading.coursedir import grading_root, load_config


@dataclass
class ReleaseResult:
    module: str
    generated: bool
    released: bool | None  # None: no exchange configured
    message: str = ""


def release(root: Path | None = None, modules=None, to_exchange: bool | None = None) -> list[ReleaseResult]:
    api = nbgrader_api(root)
    exchange = to_exchange if to_exchange is not None else not api.exchange_missing
    results = []
    for module_id in modules or list(load_course().modules):
        generated = api.generate_assignment(module_id, force=True, create=True)
        result = ReleaseResult(module_id, generated["success"], None)
        if not generated["success"]:
            result.message = ((generated.get("error") or generated.get("log") or "").strip().splitlines() or [""])[-1]
        elif exchange:
            api.unrelease(module_id)  # a changed module replaces the released copy
            released = api.release_assignment(module_id)
            result.released = released["success"]
            if not released["success"]:
                result.message = (released.get("error") or released.get("log") or "").strip().splitlines()[-1]
        results.append(result)
    return results


def source_notebook(root: Path, module: str) -> Path:
    config = load_config(root)
    source = Path(config.CourseDirectory.get("source_directory") or "source")
    return (Path(root) / source / module / f"{module}.ipynb").resolve()


def stale_modules(root: Path | None = None, modules=None) -> list[str]:
    """Modules whose nbgrader release is missing or older than their source notebook.

    Cheap (file times only, no nbgrader import), so `course serve` can ask on every start.
    """
    from course.grading.submissions import release_notebook

    root = Path(root or grading_root()).resolve()
    stale = []
    for module_id in modules or list(load_course().modules):
        released, source = release_notebook(root, module_id), source_notebook(root, module_id)
        if not released.exists() or (source.exists() and source.stat().st_mtime > released.stat().st_mtime):
            stale.append(module_id)
    return stale
