"""Benchmark: `course grade` against plain `nbgrader autograde` on the same submissions.

    .venv/bin/python -m benchmarks.grading [--submissions 8] [--repeats 3] [--postgres | --db-url URL]

Prints seconds per submission (median and p95 of the repeats) for plain nbgrader autograde (one
command for all), plain autograde + generate_feedback, `course grade` with 1 and 2 jobs,
and the Finish-to-result time for one learner; ratios are against plain autograde. The
measures take turns, one of each per round in a rotating order (benchmarks.stats.interleaved),
so a change in the machine's load moves all of them, not one ratio.
Give --db-url a PostgreSQL URL to measure 2 jobs against a server database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stats import interleaved, median, p95  # noqa: E402

BIN = Path(sys.executable).parent


def build_fixture(base: Path, count: int) -> Path:
    """A course root with `count` submissions of the sharing module, ready to grade."""
    os.environ["COURSE_GRADING_DIR"] = str(base / "grading")
    os.environ["COURSE_DATA_DIR"] = str(base / "var")
    shutil.copytree(
        ROOT / "grading",
        base / "grading",
        ignore=shutil.ignore_patterns("gradebook.db*", "release", "submitted", "autograded", "feedback", "exchange"),
    )
    shutil.copytree(ROOT / "notebooks", base / "notebooks", ignore=shutil.ignore_patterns("app"))
    from course.grading.release import release
    from course.grading.submissions import write_submission
    from course.records.store import Store
    from course.widgets import open_module

    release(base / "grading", modules=["sharing"], to_exchange=False)
    store = Store(f"sqlite:///{base / 'fixture-records.db'}")
    for i in range(count):
        view = open_module("sharing", learner_id=f"learner{i:03d}", store=store, responses_dir=base)
        view.records.responses_path = None
        for j, scenario in enumerate(view.module.graded_scenarios):
            choice = sorted(scenario.choices, key=lambda c: c.score)[(i + j) % len(scenario.choices)]
            widget = view.show(scenario.id)
            widget.choose(choice.id)
            widget.check()
        write_submission(base / "grading", f"learner{i:03d}", "sharing", view.records.as_responses())
    return base


def fresh_copy(fixture: Path, db_url: str | None) -> Path:
    """A copy of the fixture with nothing graded yet (and, for a server database, an empty one)."""
    work = Path(tempfile.mkdtemp(prefix="grade-bench-"))
    shutil.copytree(fixture / "grading", work / "grading")
    shutil.copytree(fixture / "notebooks", work / "notebooks")
    if db_url:
        from sqlalchemy import create_engine, text

        engine = create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        os.environ["NBGRADER_DB_URL"] = db_url
        subprocess.run(
            [str(BIN / "nbgrader"), "generate_assignment", "sharing", "--force"],
            cwd=work / "grading",
            check=True,
            capture_output=True,
        )
    else:
        os.environ.pop("NBGRADER_DB_URL", None)
    os.environ["COURSE_GRADING_DIR"] = str(work / "grading")
    os.environ["COURSE_DB_URL"] = f"sqlite:///{work / 'records.db'}"
    return work


def time_plain(fixture: Path, count: int, db_url: str | None, feedback: bool) -> float:
    work = fresh_copy(fixture, db_url)
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "nbgrader"), "autograde", "sharing"], cwd=work / "grading", env=env, check=True, capture_output=True
    )
    if feedback:
        subprocess.run(
            [str(BIN / "nbgrader"), "generate_feedback", "sharing"],
            cwd=work / "grading",
            env=env,
            check=True,
            capture_output=True,
        )
    seconds = (time.perf_counter() - started) / count
    shutil.rmtree(work, ignore_errors=True)
    return seconds


def time_course(fixture: Path, count: int, db_url: str | None, jobs: int) -> float:
    work = fresh_copy(fixture, db_url)
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    started = time.perf_counter()
    result = subprocess.run([str(BIN / "course"), "grade", f"--jobs={jobs}"], env=env, capture_output=True, text=True)
    seconds = (time.perf_counter() - started) / count
    if result.returncode != 0 or f"Graded {count} submission" not in result.stdout:
        raise RuntimeError(f"course grade failed:\n{result.stdout}\n{result.stderr}")
    shutil.rmtree(work, ignore_errors=True)
    return seconds


def time_finish(fixture: Path, runs: int) -> list[float]:
    """Learners press Finish one after another while a grader idles, as under `course serve`."""
    from course.content.model import load_course  # noqa: F401 - warm the content cache like a running app
    from course.grading.finish import finish
    from course.grading.worker import run as run_worker
    from course.records.store import Store
    from course.widgets import open_module

    work = fresh_copy(fixture, None)
    store = Store(os.environ["COURSE_DB_URL"])
    root = work / "grading"
    threading.Thread(target=lambda: run_worker(root, store, stop_after=120), daemon=True).start()
    time.sleep(2)
    times = []
    for i in range(runs):
        view = open_module("sharing", learner_id=f"finisher{i}", store=store, responses_dir=work)
        view.records.responses_path = None
        for scenario in view.module.graded_scenarios:
            w = view.show(scenario.id)
            w.choose(scenario.choices[0].id)
            w.check()
        started = time.perf_counter()
        result = finish(view.records, root, wait=60)
        if result.status != "graded":
            raise RuntimeError(f"Finish did not grade: {result}")
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--finishes", type=int, default=5)
    parser.add_argument("--db-url", help="a PostgreSQL URL for the gradebook (server database)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start a private PostgreSQL server on 127.0.0.1 for the gradebook (Debian postgresql)",
    )
    args = parser.parse_args()
    if args.postgres and not args.db_url:
        from contextlib import ExitStack

        from tests.support.postgres import postgres_server

        with ExitStack() as stack:
            args.db_url = stack.enter_context(postgres_server())
            run(args)
        return
    run(args)


def run(args) -> None:
    console = Console()
    with tempfile.TemporaryDirectory(prefix="grade-fixture-") as tmp:
        console.print(f"Building {args.submissions} submissions…")
        fixture = build_fixture(Path(tmp), args.submissions)
        measures = {
            "plain nbgrader autograde": lambda: time_plain(fixture, args.submissions, args.db_url, False),
            "plain autograde + generate_feedback": lambda: time_plain(fixture, args.submissions, args.db_url, True),
            "course grade, 1 job": lambda: time_course(fixture, args.submissions, args.db_url, 1),
            "course grade, 2 jobs": lambda: time_course(fixture, args.submissions, args.db_url, 2),
        }
        samples = interleaved(
            measures, args.repeats, lambda name, r: console.print(f"  round {r + 1}/{args.repeats}: {name}")
        )
        results = {name: median(values) for name, values in samples.items()}
        finish_times = time_finish(fixture, args.finishes)
    base = results["plain nbgrader autograde"]
    table = Table(
        title=f"Grading: {args.submissions} submissions, median of {args.repeats} "
        f"({'server database' if args.db_url else 'SQLite gradebook'})"
    )
    for column in ("measure", "s / submission (median)", "p95", "ratio to plain autograde", "aim"):
        table.add_column(column)
    aims = {"course grade, 1 job": "≤ 1.1x", "course grade, 2 jobs": "throughput ≥ 1.4x of 1 job (server DB)"}
    for name, value in results.items():
        table.add_row(name, f"{value:.2f}", f"{p95(samples[name]):.2f}", f"{value / base:.2f}x", aims.get(name, ""))
    speedup = results["course grade, 1 job"] / results["course grade, 2 jobs"]
    table.add_row("2 jobs throughput vs 1 job", "", "", f"{speedup:.2f}x", "≥ 1.4x")
    table.add_row(
        f"Finish to result ({len(finish_times)} finishes)",
        f"{median(finish_times):.2f} s",
        f"{p95(finish_times):.2f} s",
        "",
        "< 10 s",
    )
    console.print(table)


if __name__ == "__main__":
    main()
