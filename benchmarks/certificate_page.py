"""Benchmark: how long the learner's certificate page takes to appear in a real browser (issue 17).

    .venv/bin/python -m benchmarks.certificate_page [--runs 5] [--staff 2000] [--port 9240] [--code DIR]

Starts the course's Voila server (the same command and flags as `course serve`, preheated
kernels, no marker) on 127.0.0.1 over a records store like a care provider's: `--staff` people
on the roster, half of them completed by trainer-led attendance, marks for some, and one
learner's certificate in the register. A real headless Chromium opens that learner's
certificate page `--runs` times (fresh page loads, each on a preheated kernel, the pool given
time to refill between loads) and times navigation to the certificate on screen (its heading
and its download links). Also times a certificate PDF download from the server.

`--kernel` times the page's build instead, as its kernel does it, without a server or browser:
each run a fresh process (one kernel per visit) runs the page's `prepare("certificate")` (what
a preheated kernel does before anyone asks) and then the timed `run()` for the learner. Useful
when the machine is too busy for the browser's figure to mean much (`--code` works here too).

In the same run, taking turns with the direct load (benchmarks.stats.interleaved), the in-visit
figure (issue 19: one kernel per visit): the learner's home is open, and the time is from the
click on its "Your certificate" link to the certificate's heading and download links on screen,
in the same page and kernel. After the runs, one visit goes home <-> certificate `--navigations`
times and the kernel's memory (RSS) is read before and after, to show a long visit does not grow.

Prints each load, and the median and p95 of each measure; the aim is under 1.5 s on a quiet
machine. Never run in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stats import interleaved, median, p95  # noqa: E402
from benchmarks.voila_app import kernel_rss_mb  # noqa: E402
from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, page_kernel_id, stop, wait_for  # noqa: E402

AIM_SECONDS = 1.5
LEARNER = "CERT-BENCH"


def make_world(staff: int) -> None:
    """The records store: `staff` on the roster, half completed, some marked, LEARNER's certificate."""
    import random

    from course.content.model import load_course
    from course.manager import certificates
    from course.records import attendance, grading_log
    from course.records.roster import import_rows
    from course.records.store import Store

    course = load_course()
    store = Store()
    rng = random.Random(17)
    numbers = [f"S{i:05d}" for i in range(staff)] + [LEARNER]
    people = [
        {
            "staff_number": n,
            "learner_id": n,
            "name": f"Person {n}",
            "team": f"Team {k % 20}",
            "role": "Carer",
            "start_date": None,
        }
        for k, n in enumerate(numbers)
    ]
    import_rows(store, people)
    today = date.today()
    attendance.record(
        store,
        [(f"S{i:05d}", "all", today - timedelta(days=rng.randint(1, 300))) for i in range(0, staff, 2)]
        + [(LEARNER, "all", today - timedelta(days=3))],
    )
    for i in range(1, staff, 7):
        for module_id in course.modules:
            grading_log.record(store, f"S{i:05d}", module_id, "bench", "graded", score=50, max_score=60)
    certificates.issue(store, course, [LEARNER])


KERNEL_RUN = """
import json, os, sys, time
from course.kernel.launch import prepare
from course.records import signin_tokens
from course.records.store import Store
app = prepare("certificate")
token = signin_tokens.issue(Store(), sys.argv[1])
started = time.perf_counter()
widget = app.build({"token": token}, os.environ)
print(json.dumps({"seconds": time.perf_counter() - started, "chars": len(widget.value), "failed": app.failed}))
"""


def kernel_times(runs: int, code: Path | None) -> list[float]:
    """The page's build in `runs` fresh kernel-like processes (after prepare, as a preheated kernel)."""
    env = {**os.environ, **({"PYTHONPATH": str(code.resolve())} if code else {})}
    times = []
    for run in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", KERNEL_RUN, LEARNER],
            env=env,
            cwd=tempfile.gettempdir(),  # `-c` puts the working folder first on sys.path: not this checkout
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert not result["failed"], out.stderr[-2000:]
        print(f"kernel {run}: the page built in {result['seconds']:.3f} s ({result['chars']:,} characters of HTML)")
        times.append(result["seconds"])
    return times


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh page loads (default 5)")
    parser.add_argument("--staff", type=int, default=2000, help="people on the roster (default 2000)")
    parser.add_argument("--pool-size", type=int, default=2, help="preheated kernels per page (default 2)")
    parser.add_argument("--refill", type=float, default=8.0, help="seconds between loads for the pool to refill")
    parser.add_argument("--port", type=int, default=9240, help="the server's port (default 9240)")
    parser.add_argument(
        "--code",
        type=Path,
        help="run the server from another checkout's code (e.g. main's, to measure before a change)",
    )
    parser.add_argument("--navigations", type=int, default=20, help="round trips in the long visit (default 20)")
    parser.add_argument("--kernel", action="store_true", help="time the page's build in fresh kernel-like processes")
    parser.add_argument("--json", type=Path, help="also write the raw numbers to this file")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from course.records import signin_tokens as sessions
    from course.records.store import Store

    work = Path(tempfile.mkdtemp(prefix="certificate-bench-"))
    os.environ.update(
        {"COURSE_DATA_DIR": str(work / "var"), "COURSE_SECRET_KEY": "certificate-benchmark-key-0123456789"}
    )
    os.environ.pop("COURSE_DB_URL", None)
    make_world(args.staff)
    if args.kernel:
        times = kernel_times(args.runs, args.code)
        mid = median(times)
        print(f"certificate page build (kernel): median {mid:.3f} s, p95 {p95(times):.3f} s of {len(times)}")
        return {"kernel_times": times, "median": mid, "p95": p95(times), "staff": args.staff}
    store = Store()
    log = open(work / "serve.log", "w")  # noqa: SIM115 - the server writes to it until it stops
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("course")),
            "serve",
            f"--port={args.port}",
            "--no-grading",
            f"--pool-size={args.pool_size}",
        ],
        env={
            **os.environ,
            "COURSE_MAX_KERNELS_PER_CLIENT": "1000",
            **({"PYTHONPATH": str(args.code.resolve())} if args.code else {}),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{args.port}"
    href = ""
    memory: dict[str, float] = {}

    def certificate_on_screen(page) -> None:
        page.get_by_role("heading", name="Your certificate", level=1).wait_for(timeout=120_000)
        # the download links (before issue 17: the page's data: links, rendered with it)
        page.locator(".cm-downloads a, .cm-actions a").first.wait_for(state="visible", timeout=120_000)

    def leave(page) -> None:
        page.goto("about:blank")  # leaving the page frees its kernel
        page.close()
        time.sleep(args.refill)

    try:
        wait_for(f"{base}/verify", timeout=240, process=server)
        time.sleep(args.refill * 2)  # every pool filled and its first cell run
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

            def direct() -> float:
                nonlocal href
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                url = f"{base}/voila/render/certificate.ipynb?token={sessions.issue(store, LEARNER)}"
                started = time.perf_counter()
                page.goto(url, wait_until="commit")
                certificate_on_screen(page)
                took = time.perf_counter() - started
                href = urljoin(
                    page.url, page.locator(".cm-downloads a, .cm-actions a").first.get_attribute("href") or ""
                )
                leave(page)
                return took

            def open_home():
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{base}/voila/render/home.ipynb?token={sessions.issue(store, LEARNER)}")
                page.get_by_role("link", name="Your certificate").wait_for(timeout=120_000)
                page.locator(".cm-visit-route").wait_for(state="attached", timeout=120_000)
                return page

            def in_visit() -> float:
                page = open_home()
                page.evaluate("window.__sameDocument = 'yes'")
                started = time.perf_counter()
                page.get_by_role("link", name="Your certificate").click()
                certificate_on_screen(page)
                took = time.perf_counter() - started
                assert page.evaluate("window.__sameDocument") == "yes", "the certificate was a new page load"
                leave(page)
                return took

            direct()  # warms the browser's cache: not counted
            samples = interleaved(
                {"direct load": direct, "in the visit": in_visit},
                args.runs,
                lambda name, number: None,
            )
            for name, values in samples.items():
                print(f"{name}: " + ", ".join(f"{t:.2f}" for t in values))

            # a long visit: the kernel's memory before and after many navigations
            page = open_home()
            kernel = page_kernel_id(page)
            memory["before"] = kernel_rss_mb(server, kernel)
            for _ in range(args.navigations):
                page.get_by_role("link", name="Your certificate").click()
                certificate_on_screen(page)
                page.get_by_role("link", name="Back to the course home").click()
                page.get_by_role("link", name="Your certificate").wait_for(timeout=120_000)
            memory["after"] = kernel_rss_mb(server, kernel)
            page.close()
            browser.close()
        pdf_seconds = None
        if "download/" in href:
            started = time.perf_counter()
            with urllib.request.urlopen(href, timeout=60) as response:
                response.read()
            pdf_seconds = time.perf_counter() - started
    finally:
        stop(server)
        log.close()
    result: dict = {"staff": args.staff, "pdf_seconds": pdf_seconds, "kernel_rss_mb": memory}
    for name, values in samples.items():
        mid = median(values)
        met = "met" if mid < AIM_SECONDS else "NOT met"
        print(
            f"certificate, {name}: median {mid:.2f} s, p95 {p95(values):.2f} s of {len(values)}; aim under {AIM_SECONDS} s: {met}"
        )
        result[name] = {"times": values, "median": mid, "p95": p95(values)}
    print(
        f"kernel memory: {memory['before']:.0f} MB on the home, {memory['after']:.0f} MB after "
        f"{args.navigations} round trips home <-> certificate in one visit"
    )
    if pdf_seconds is not None:
        print(f"certificate PDF download: {pdf_seconds:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
