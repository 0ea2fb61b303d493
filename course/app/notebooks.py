"""The app notebooks Voila serves (`notebooks/app/`), generated so they stay in step.

One folder holds every page a learner or trainer opens: the course home, the module app
(`?module=<id>`), the certificate, the help page, and the group-session pages (trainer and join). Each has
two cells and no content, so editing YAML never changes them and one preheated pool of
kernels per page serves every module.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbformat.v4 import new_code_cell, new_notebook

KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# page -> its title; every page's first cell is course.kernel.launch.prepare(page)
APPS = {
    "home": "Course home",
    "module": "Course module",
    "certificate": "Your certificate",
    "help": "Where to get help",
    "trainer": "Run a group session",
    "join": "Join a group session",
}
LAUNCHER = "course.kernel.launch"


def app_notebook(kind: str):
    title = APPS[kind]
    prepare = new_code_cell(
        f"# Runs while the kernel waits in the pool: imports, content, records store.\n"
        f'from {LAUNCHER} import prepare\n\napp = prepare("{kind}")',
        metadata={"jupyter": {"source_hidden": True}},
    )
    prepare["id"] = "prepare"
    run = new_code_cell(
        "# Waits for the page's address, then shows the page.\napp.run()", metadata={"jupyter": {"source_hidden": True}}
    )
    run["id"] = "run"
    nb = new_notebook(
        cells=[prepare, run],
        metadata={
            "kernelspec": KERNEL,
            "language_info": {"name": "python"},
            "title": title,
            "course": {"generated_by": "course.app.notebooks"},
        },
    )
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def render(nb) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_app_notebooks(folder: Path, check: bool = False) -> list[Path]:
    """Write (or with check, only compare) the app notebooks; return those that changed."""
    from course.atomic import write_atomic

    folder = Path(folder)
    changed = []
    for kind in APPS:
        path = folder / f"{kind}.ipynb"
        text = render(app_notebook(kind))
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        changed.append(path)
        if not check:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
    return changed
