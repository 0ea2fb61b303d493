"""Build each module's notebook from its YAML: the nbgrader source assignment.

The notebook is generated, not hand-edited, so content stays data and a trainer changes
YAML only. Output is deterministic (stable cell ids, no outputs), so `course build --check`
can tell when a committed notebook has drifted from its YAML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course.content.help import HelpPage, load_help
from course.content.model import Course, Module

KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _nbgrader(grade_id: str, *, points: float | None = None) -> dict:
    meta = {
        "grade": points is not None,
        "grade_id": grade_id,
        "locked": True,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _markdown(grade_id: str, text: str):
    cell = new_markdown_cell(text, metadata=_nbgrader(grade_id))
    cell["id"] = grade_id
    return cell


def _code(grade_id: str, source: str, *, points: float | None = None, hidden: bool = False, tags=()):
    meta = _nbgrader(grade_id, points=points)
    if hidden:
        meta["jupyter"] = {"source_hidden": True}
    if tags:
        meta["tags"] = list(tags)
    cell = new_code_cell(source, metadata=meta)
    cell["id"] = grade_id
    return cell


def _bullets(values) -> str:
    return "\n".join(f"- {v}" for v in values)


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
HELP_CELL = "where-to-get-help"  # the feedback of safety, breach and speak-up scenarios names this section


def _md(text: str) -> str:
    """YAML text as literal Markdown: no stray emphasis, link or HTML from a `*`, `[` or `<`."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def help_markdown(page: HelpPage) -> str:
    """The help page (course/data/help.yaml and organisation.yaml) as the notebook's last section.

    The same entries as the app's help page (course.app.help); numbers are written out, since
    JupyterLab does not make a phone number something to call."""
    lines = [f"## {_md(page.title)}", "", _md(page.intro)]
    for section in page.sections:
        lines += ["", f"### {_md(section.title)}", ""]
        for item in section.items:
            lines.append(f"- **{_md(item.name)}**: {_md(item.what)}")
            for contact in item.contacts:
                if contact.kind == "phone":
                    lines.append(f"  - Phone: {_md(contact.value)}")
                elif contact.kind == "web":
                    lines.append(f"  - [{_md(contact.label or item.name + ' website')}]({contact.value})")
                else:
                    who = page.employer[contact.value]
                    lines.append(f"  - **{_md(who.title)}** ({_md(page.employer_name)}): {_md(who.how)}")
    return "\n".join(lines) + "\n"


def slot_grade_id(module: Module, k: int) -> str:
    """The grade id of a bank's k-th slot: stable while `draw` stays the same, whatever the bank holds."""
    return f"{module.id}-item-{k:02d}"


def slot_cells(module: Module) -> list:
    """A bank module's items: for each of its `draw` slots, a cell showing the k-th item the attempt
    drew (course.widgets.module_view.ModuleView.show_item) and a test cell, one point, scoring it
    (course.grading.cells.slot_points). The notebook never lists the bank: undrawn items are not in it.
    Nothing for any other module."""
    if not module.is_bank:
        return []
    n = module.draw or 0
    cells = []
    for k in range(1, n + 1):
        cells.append(_code(f"item-{k:02d}", f"module.show_item({k})", hidden=True))
        cells.append(
            _code(
                slot_grade_id(module, k),
                f"# Autograded: item {k} of {n} drawn for this attempt (1 point)\n"
                f"from course.grading import slot_points\n\n"
                f'slot_points("{module.id}", {k})',
                points=1,
                hidden=True,
                tags=["autograded"],
            )
        )
    return cells


def _count(module: Module) -> str:
    if module.is_bank:
        return f"**Items:** {module.draw}, drawn from a bank of {len(module.graded_scenarios)}"
    return f"**Scenarios:** {len(module.graded_scenarios)}"


def build_notebook(module: Module, course: Course) -> nbformat.NotebookNode:
    header = (
        f"# {module.title}\n\n"
        f"**Time:** about {module.minutes} minutes · {_count(module)} · "
        f"**Pass mark:** {round(module.pass_mark * 100)}%\n\n"
        f"## Questions\n{_bullets(module.questions)}\n\n## Objectives\n{_bullets(module.objectives)}\n"
    )
    cells = [_markdown("overview", header)]
    if module.intro:
        cells.append(_markdown("intro", "\n\n".join(module.intro)))
    how = (
        "Read each scenario, choose what you would do, then press **Check my answer**. "
        if module.feedback == "immediate"
        else "Read each scenario and choose what you would do. You will see how you did at the end. "
    )
    cells.append(
        _markdown("how-to", how + "Your answers are saved as you go; once checked, an answer cannot be changed.")
    )
    cells.append(
        _code(
            "setup",
            f'from course.widgets import open_module\n\nmodule = open_module("{module.id}")\nmodule.header()',
            hidden=True,
        )
    )
    for scenario in () if module.is_bank else module.scenarios:
        cells.append(
            _code(
                f"scenario-{scenario.id}",
                f'module.show("{scenario.id}")',
                hidden=True,
                tags=["branch"] if scenario.branch else (),
            )
        )
        if scenario.graded and not module.is_bank:
            cells.append(
                _code(
                    f"test-{scenario.id}",
                    f"# Autograded: {scenario.title} (1 point)\n"
                    f"from course.grading import scenario_points\n\n"
                    f'scenario_points("{module.id}", "{scenario.id}")',
                    points=1,
                    hidden=True,
                    tags=["autograded"],
                )
            )
    cells += slot_cells(module)
    cells.append(_markdown("reflection-intro", "## Reflection"))
    cells.append(_code("reflection", "module.reflection()", hidden=True))
    cells.append(_markdown("key-points", f"## Key points\n{_bullets(module.key_points)}"))
    cells.append(_code("summary", "module.summary()", hidden=True))
    cells.append(_markdown(HELP_CELL, help_markdown(load_help(Path(course.policy.path).parent))))
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": KERNEL,
            "language_info": {"name": "python"},
            "course": {
                "module": module.id,
                "policy_version": course.policy.version,
                "generated_from": f"course/data/modules/{module.id}.yaml",
            },
        },
    )
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def render(nb) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def notebook_path(root: Path, module_id: str) -> Path:
    return Path(root) / module_id / f"{module_id}.ipynb"


def build_all(course: Course, root: Path, check: bool = False) -> list[Path]:
    """Write (or, with check, only compare) every module notebook; return those that changed."""
    from course.atomic import write_atomic

    changed = []
    for module in course.modules.values():
        path = notebook_path(root, module.id)
        text = render(build_notebook(module, course))
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        changed.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
    return changed
