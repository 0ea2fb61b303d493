"""A learner's own record of this training, for their professional learning.

Registered social service workers in Scotland make a yearly declaration of continuous
professional learning (CPL) to the SSSC; there is no fixed number of hours. A record that
says what was learned and how it will change practice, with the worker's own reflections,
is what helps them there. This module builds that record: the modules done and when, the
time actually spent (course.learning_time), what each module set out to teach (its objectives), and the learner's
reflections, as a printable HTML page, Markdown, JSON or CSV (the learner downloads the page
and the CSV from their certificate page: course.app.downloads).
"""

from __future__ import annotations

import html
import json
from datetime import date

from course.progress import COMPLETED, DUE_SOON, OVERDUE
from course.records.store import Store

ABOUT = (
    "Registered workers in Scotland declare their continuous professional learning (CPL) to the SSSC each "
    "year. The SSSC does not set a number of hours: what counts is what you learned and how it changes your "
    "practice. Keep this record with your CPL notes. Times are the time you spent in the course, from its records (a pause "
    "of more than 10 minutes counts as 10 minutes)."
)


def _reflections(store: Store, learner_id: str) -> dict[str, list[dict]]:
    """module -> the latest text of each prompt (from the latest attempt that has one)."""
    rows = store.learner_reflections(learner_id)
    out: dict[str, dict[str, dict]] = {}
    for r in rows:
        if not (r.text or "").strip():
            continue
        out.setdefault(r.module_id, {}).setdefault(
            r.prompt_id, {"text": r.text, "saved_on": r.saved_at.date().isoformat()}
        )
    return {m: list(v.values()) for m, v in out.items()}


def learning_record(store: Store, learner_id: str, course=None, result=None) -> dict:
    """The record as a dict. `result` is an Evaluation of the progress rule (course.progress) that
    includes this learner; without one, the rule is run for this learner alone."""
    from course.content.model import load_course
    from course.manager import certificates

    course = course or load_course()
    if result is None:
        from course.progress import learner_evaluation

        result = learner_evaluation(store, course, learner_id)
    person = result.people[result.people["learner_id"] == learner_id]
    known = store.learner(learner_id)
    if person.empty and not known:
        raise KeyError(f"no learner '{learner_id}' in the records or on the roster")
    row = person.iloc[0] if not person.empty else None
    name = (row["name"] if row is not None and row["name"] else (known["name"] if known else "")) or learner_id
    mods = result.modules[result.modules["learner_id"] == learner_id].set_index("module_id")
    texts = _reflections(store, learner_id)
    import pandas as pd

    from course.learning_time import minutes_spent

    passes = {}
    for module_id in mods.index:
        when = mods.loc[module_id, "passed_on"]
        if str(mods.loc[module_id, "status"]) == "passed" and when is not None and when == when:
            stamp = pd.Timestamp(when)
            passes[(learner_id, module_id)] = (stamp if stamp.tzinfo else stamp.tz_localize("UTC")).to_pydatetime()
    # the time spent (course.learning_time): a passed module's up to its pass, as on the certificate
    spent = minutes_spent(store, [learner_id], passes)
    modules, minutes = [], 0
    for module in course.modules.values():
        state = str(mods.loc[module.id, "status"]) if module.id in mods.index else "not started"
        if state == "not started" and module.id not in texts:
            continue
        passed_on = mods.loc[module.id, "passed_on"] if module.id in mods.index else None
        done = state == "passed"
        module_minutes = spent.get((learner_id, module.id), 0)
        minutes += module_minutes
        modules.append(
            {
                "id": module.id,
                "title": module.title,
                "status": state,
                "passed_on": passed_on.date().isoformat()
                if done and passed_on is not None and passed_on == passed_on
                else None,
                "minutes": module_minutes,
                "objectives": list(module.objectives),
                "key_points": list(module.key_points),
                "reflection_prompt": module.reflection,
                "reflections": texts.get(module.id, []),
            }
        )
    certs = [
        {
            "certificate_id": c["certificate_id"],
            "completed_on": c["completed_on"],
            "policy_version": c["policy_version"],
        }
        for c in certificates.for_learner(store, learner_id)
    ]
    return {
        "learner_id": learner_id,
        "name": name,
        "staff_number": (row["staff_number"] if row is not None and row["staff_number"] else learner_id),
        "generated_on": date.today().isoformat(),
        "course": "Social media, confidentiality and boundaries",
        "policy": f"{course.policy.title}, version {course.policy.version}",
        "status": str(row["status"]) if row is not None else "not started",
        "completed_on": (
            row["completed_on"].date().isoformat()  # the completion the status rests on
            if row is not None
            and str(row["status"]) in (COMPLETED, DUE_SOON, OVERDUE)
            and row["completed_on"] == row["completed_on"]
            else None
        ),
        "learning_minutes": minutes,
        "learning_hours": round(minutes / 60, 1),
        "about": ABOUT,
        "modules": modules,
        "certificates": certs,
    }


def to_json(record: dict) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = (
    "module",
    "status",
    "passed on",
    "time spent (minutes)",
    "what I learned to do",
    "reflection prompt",
    "my reflection",
)


def to_csv(record: dict) -> str:
    """One row per module, for a CPL log kept in a spreadsheet; the person and the course in the
    first rows, so the file says whose it is on its own."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Learning record", record["course"]])
    for label, value in (
        ("Name", record["name"]),
        ("Staff number", record["staff_number"]),
        ("Based on", record["policy"]),
        ("Status", record["status"] + (f" (completed {record['completed_on']})" if record["completed_on"] else "")),
        ("Learning time (minutes, from the course records)", record["learning_minutes"]),
        ("Record made on", record["generated_on"]),
        *(("Certificate", f"{c['certificate_id']} (completed {c['completed_on']})") for c in record["certificates"]),
    ):
        writer.writerow([label, _cell(value)])
    writer.writerow([])
    writer.writerow(CSV_COLUMNS)
    for m in record["modules"]:
        writer.writerow(
            _cell(v)
            for v in (
                m["title"],
                m["status"],
                m["passed_on"] or "",
                m["minutes"],
                "; ".join(m["objectives"]),
                m["reflection_prompt"],
                "\n\n".join(r["text"] for r in m["reflections"]),
            )
        )
    return out.getvalue()


def _cell(value) -> str | int:
    # a reflection that starts with = + - @ would run as a formula in a spreadsheet (CSV injection)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_markdown(record: dict) -> str:
    from course.manager.certificates import hours_text

    lines = [
        f"# Learning record: {record['course']}",
        "",
        f"- Name: {record['name']}",
        f"- Staff number: {record['staff_number']}",
        f"- Based on: {record['policy']}",
        f"- Status: {record['status']}" + (f" (completed {record['completed_on']})" if record["completed_on"] else ""),
        f"- Learning time (time spent, from the course records): {hours_text(record['learning_minutes'])}",
        f"- Record made on: {record['generated_on']}",
        "",
        record["about"],
        "",
    ]
    for m in record["modules"]:
        lines += [
            f"## {m['title']}",
            "",
            f"Status: {m['status']}"
            + (f", passed on {m['passed_on']}" if m["passed_on"] else "")
            + f". Time spent: {hours_text(m['minutes'])}.",
            "",
            "What I learned to do:",
            "",
        ]
        lines += [f"- {o}" for o in m["objectives"]] + ["", f"Reflection: *{m['reflection_prompt']}*", ""]
        lines += [f"> {r['text']}" for r in m["reflections"]] or ["> (no reflection saved)"]
        lines.append("")
    if record["certificates"]:
        lines += (
            ["## Certificates", ""]
            + [
                f"- {c['certificate_id']} (completed {c['completed_on']}, policy {c['policy_version']})"
                for c in record["certificates"]
            ]
            + [""]
        )
    lines += ["## How this will change my practice", "", "(Add your own notes here.)", ""]
    return "\n".join(lines)


def to_html(record: dict) -> str:
    from course.manager.certificates import hours_text

    e = html.escape
    parts = [
        f"<h1>Learning record</h1><p class='sub'>{e(record['course'])}</p>",
        "<dl>",
        f"<dt>Name</dt><dd>{e(record['name'])}</dd>",
        f"<dt>Staff number</dt><dd>{e(record['staff_number'])}</dd>",
        f"<dt>Based on</dt><dd>{e(record['policy'])}</dd>",
        f"<dt>Status</dt><dd>{e(record['status'])}"
        + (f" (completed {e(record['completed_on'])})" if record["completed_on"] else "")
        + "</dd>",
        f"<dt>Learning time</dt><dd>{e(hours_text(record['learning_minutes']))} (time spent, from the course records)</dd>",
        f"<dt>Record made on</dt><dd>{e(record['generated_on'])}</dd>",
        "</dl>",
        f"<p class='about'>{e(record['about'])}</p>",
    ]
    for m in record["modules"]:
        parts.append(
            f"<section><h2>{e(m['title'])}</h2><p>Status: {e(m['status'])}"
            + (f", passed on {e(m['passed_on'])}" if m["passed_on"] else "")
            + f". Time spent: {e(hours_text(m['minutes']))}.</p><h3>What I learned to do</h3><ul>"
            + "".join(f"<li>{e(o)}</li>" for o in m["objectives"])
            + "</ul>"
            + f"<h3>My reflection</h3><p class='prompt'>{e(m['reflection_prompt'])}</p>"
            + (
                "".join(f"<blockquote>{e(r['text'])}</blockquote>" for r in m["reflections"])
                or "<p class='none'>(no reflection saved)</p>"
            )
            + "</section>"
        )
    if record["certificates"]:
        parts.append(
            "<h2>Certificates</h2><ul>"
            + "".join(
                f"<li><code>{e(c['certificate_id'])}</code>, completed {e(c['completed_on'])}, policy {e(c['policy_version'])}</li>"
                for c in record["certificates"]
            )
            + "</ul>"
        )
    parts.append(
        "<h2>How this will change my practice</h2><div class='notes' aria-label='Space for your own notes'></div>"
    )
    style = (
        "body{font-family:system-ui,Arial,sans-serif;color:#1a1a1a;max-width:48rem;margin:2rem auto;line-height:1.5;"
        "padding:0 1rem}h1{margin-bottom:0}.sub{margin-top:0;color:#333}dl{display:grid;grid-template-columns:"
        "max-content 1fr;gap:.2rem 1rem}dt{font-weight:700}dd{margin:0}.about{background:#eef3f8;padding:.75rem;"
        "border-left:4px solid #2b4c6f}blockquote{border-left:4px solid #999;margin:.5rem 0;padding:.25rem .75rem;"
        "white-space:pre-wrap}.prompt{font-style:italic}.notes{border:1px solid #999;min-height:8rem}"
        "@media print{section{page-break-inside:avoid}}"
    )
    return (
        f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><meta name='viewport' "
        f"content='width=device-width, initial-scale=1'><title>Learning record: {e(record['name'])}</title>"
        f"<style>{style}</style></head><body><main>{''.join(parts)}</main></body></html>\n"
    )
