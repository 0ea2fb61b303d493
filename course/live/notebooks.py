"""The trainer and join notebooks Voila serves (`notebooks/trainer/`, `notebooks/join/`), generated
so they stay in step. They hold no content and no outputs: two cells each."""

from __future__ import annotations

import json
from pathlib import Path

from nbformat.v4 import new_code_cell, new_notebook

KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
APPS = {"trainer": "Run a group session", "join": "Join a group session"}


def live_notebook(kind: str):
    prepare = new_code_cell(
        "# Runs while the kernel waits: imports, content, records store.\n"
        f'from course.live.launch import prepare\n\napp = prepare("{kind}")',
        metadata={"jupyter": {"source_hidden": True}})
    prepare["id"] = "prepare"
    run = new_code_cell("# Waits for the page's address, then shows the page.\napp.run()",
                        metadata={"jupyter": {"source_hidden": True}})
    run["id"] = "run"
    nb = new_notebook(cells=[prepare, run], metadata={
        "kernelspec": KERNEL, "language_info": {"name": "python"}, "title": APPS[kind],
        "course": {"generated_by": "course.live.notebooks"},
    })
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def render(nb) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def notebook_path(folder: Path, kind: str) -> Path:
    return Path(folder) / kind / f"{kind}.ipynb"


def write_live_notebooks(folder: Path, check: bool = False) -> list[Path]:
    """Write (or with check, only compare) `<folder>/trainer/trainer.ipynb` and `<folder>/join/join.ipynb`."""
    from ..atomic import write_atomic

    changed = []
    for kind in APPS:
        path = notebook_path(folder, kind)
        text = render(live_notebook(kind))
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        changed.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
    return changed
