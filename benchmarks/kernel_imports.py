"""Benchmark: what a page kernel imports and how much memory it holds (issue 19).

    .venv/bin/python -m benchmarks.kernel_imports [--runs 3] [--pages home,module,...]

For each page kind in course.kernel.launch.PAGES, a fresh Python does what a page kernel does:
imports ipykernel and ipywidgets, runs the page's `prepare(kind)` (what a preheated kernel does
while it waits in the pool), then builds the page for a signed-in learner (a group-session page
for a trainer or a joining phone). Against it, a bare baseline: `import ipykernel, ipywidgets`.

The records store is a temporary SQLite file, upgraded to head beforehand and with a small
roster, and the content snapshot is written as `course serve` writes it, so a kernel measures
what it does in service (no migrations, no YAML checks).

Prints, per page: modules in sys.modules, the time from start to the end of prepare (imports
included), RSS (VmRSS) after prepare and after the page build,
each a median and p95 over `--runs` fresh processes (plain runs, so import-time logging does not
inflate them), and the ten slowest imports by cumulative time from one `python -X importtime`
run. Never run in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stats import median, p95  # noqa: E402

BASELINE = "baseline"

# run in the child: one kernel's life, reported as one JSON line on stdout
CHILD = r"""
import json, sys, time

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

kind, query = sys.argv[1], json.loads(sys.argv[2])
started = time.perf_counter()
import ipykernel, ipywidgets  # noqa: E401,F401 - what every kernel has
out = {"bare_modules": len(sys.modules), "bare_rss": rss_mb(), "bare_ms": (time.perf_counter() - started) * 1000}
if kind != "baseline":
    from course.kernel.launch import prepare
    app = prepare(kind)
    out.update(prepared_modules=len(sys.modules), prepared_rss=rss_mb(), failed=app.failed)
    out["prepare_ms"] = (time.perf_counter() - started) * 1000
    app.build(query)
    out.update(built_modules=len(sys.modules), built_rss=rss_mb())
    out["heavy"] = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
print(json.dumps(out))
"""

# top-level packages a learner page should not need (shown when a page loads them)
HEAVY = ("pandas", "numpy", "openpyxl", "jsonschema", "reportlab", "qrcode", "nbformat", "nbgrader", "alembic")


def make_store(folder: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A store at head with a small roster, the content snapshot, and each page's query."""
    env = {
        **os.environ,
        "COURSE_DATA_DIR": str(folder),
        "COURSE_DB_URL": f"sqlite:///{folder / 'records.db'}",
        "COURSE_APP_SNAPSHOT": str(folder / "course-content.pickle"),
    }
    for key in ("COURSE_DATA_DIR", "COURSE_DB_URL", "COURSE_APP_SNAPSHOT"):
        os.environ[key] = env[key]
    from course.content.model import load_course
    from course.kernel.runtime import write_snapshot
    from course.records import migrate, roster, signin_tokens
    from course.records.store import Store

    migrate.upgrade(env["COURSE_DB_URL"])
    course = load_course()
    write_snapshot(course)
    store = Store()
    people = [
        {
            "staff_number": f"S{n:04d}",
            "learner_id": f"s{n:04d}",
            "name": f"Learner {n}",
            "team": f"Team {n % 4}",
            "role": "",
            "start_date": date(2020, 1, 1),
        }
        for n in range(40)
    ]
    roster.import_rows(store, people)
    store.ensure_learner("s0001", name="Learner 1", staff_number="S0001")
    token = signin_tokens.issue(store, "s0001")
    module = next(iter(course.modules))
    learner = {"token": token}
    queries = {
        "home": learner,
        "module": {**learner, "module": module},
        "certificate": learner,
        "help": learner,
        "trainer": {},
        "join": {"code": "", "voter": ""},
    }
    return env, queries


def run_child(kind: str, query: dict, env: dict, importtime: bool = False) -> tuple[dict, str]:
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", f"HEAVY = {HEAVY!r}\n{CHILD}"]
    done = subprocess.run(
        [*command, kind, json.dumps(query)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise SystemExit(f"the {kind} kernel failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def slowest_imports(stderr: str, top: int = 10) -> list[tuple[str, float]]:
    """The `top` imports by cumulative time (ms) from `-X importtime` output, outermost first."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        _self, cumulative, name = line[len("import time:") :].split("|")
        rows.append((name.strip(), int(cumulative) / 1000))
    return sorted(rows, key=lambda row: -row[1])[:top]


def main(argv: list[str] | None = None) -> None:
    from course.kernel.launch import PAGES

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args(argv)
    kinds = [BASELINE, *args.pages.split(",")]
    with tempfile.TemporaryDirectory(prefix="kernel-imports-") as tmp:
        env, queries = make_store(Path(tmp))
        samples: dict[str, list[dict]] = {kind: [] for kind in kinds}
        for number in range(args.runs):  # in turns, so a change in load hits every page alike
            for kind in kinds[number % len(kinds) :] + kinds[: number % len(kinds)]:
                samples[kind].append(run_child(kind, queries.get(kind, {}), env)[0])
        timings = {kind: run_child(kind, queries.get(kind, {}), env, importtime=True) for kind in kinds}
    report(kinds, samples, timings)


def _figure(rows: list[dict], key: str) -> str:
    values = [row[key] for row in rows if key in row]
    if not values:
        return "-"
    return f"{median(values):.0f} / {p95(values):.0f}"


def report(kinds: list[str], samples: dict[str, list[dict]], timings: dict[str, tuple[dict, str]]) -> None:
    print("median / p95 of each figure; modules after prepare -> after the page build")
    print(
        f"{'page':<12} {'modules':>24} {'imports+prepare ms':>20} {'RSS MB after prepare':>22} {'RSS MB after build':>20}"
    )
    for kind in kinds:
        rows = samples[kind]
        if kind == BASELINE:
            modules, prepared, built = _figure(rows, "bare_modules"), _figure(rows, "bare_rss"), "-"
            took = _figure(rows, "bare_ms")
        else:
            modules = f"{_figure(rows, 'prepared_modules')} -> {_figure(rows, 'built_modules')}"
            prepared, built = _figure(rows, "prepared_rss"), _figure(rows, "built_rss")
            took = _figure(rows, "prepare_ms")
        print(f"{kind:<12} {modules:>24} {took:>20} {prepared:>22} {built:>20}")
    for kind in kinds:
        result, stderr = timings[kind]
        heavy = sorted({name.split(".")[0] for name in result.get("heavy", [])})
        print(f"\n{kind}: heavy packages loaded: {', '.join(heavy) or 'none'}; slowest imports (cumulative ms):")
        for name, ms in slowest_imports(stderr):
            print(f"    {ms:8.1f}  {name}")


if __name__ == "__main__":
    main()
