"""Benchmark: many learners at once, against a bare one-button Voila notebook served the same way.

    .venv/bin/python -m benchmarks.load [--steady 1,10,40,100] [--bursts 10,30] [--answers 4]
                                        [--pool-size 2] [--browsers 5] [--json FILE]

Both servers are the course's Voila server (`python -m course.server.voila`, the same flags as
`course serve`: course template, preheated kernels, the same pool) on 127.0.0.1. Learners are
light clients (benchmarks.light_client: HTTP and the kernel websocket, as a page does, no
browser), all from this one process:

- steady arrivals at N: N learners arrive one every --gap seconds and each works through
  --answers scenarios (choose, think --think seconds, Check, read, Next) while the others do;
- bursts of N: N learners open the course in the same second.

A course learner opens the home, then a module (two pages, as today's navigation does); a bare
learner opens the one-button page. For each run: time to interactive (from asking for the page
to its first usable button: Start, or "Click me") p50/p95, click to feedback (from the click on
Check to the feedback arriving; bare: the label's update) p50/p95, errors, and, once all are at
work, the server process's CPU and memory, and the page kernels' memory per learner. Idle memory
(server + pooled kernels, nobody on) is taken before the first run. The order of the two servers
rotates per run (benchmarks.stats).

`--browsers K` ends with a burst of K real Chromium pages on each server, whose time to the first
usable button is set beside the light client's burst of the same size: the light client's
figures should be in the same range (a browser adds its own script loading and parsing).
Not run in CI: it needs the machine to itself for minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.light_client import LightPage, PageError, button, label_equal, newly_showing, radio  # noqa: E402
from benchmarks.stats import median, p95, rotation  # noqa: E402
from benchmarks.voila_app import bare_notebook, start_server  # noqa: E402
from course.kernel.zygote import ZYGOTE_NAME  # noqa: E402
from tests.support.kernels import page_kernels  # noqa: E402
from tests.support.servers import free_port, stop, wait_for  # noqa: E402

console = Console(width=180)  # the table has twelve columns


class Learner:
    """One learner's visit: its timings and whether it went wrong."""

    def __init__(self):
        self.tti: list[float] = []
        self.clicks: list[float] = []
        self.error: str | None = None


async def course_visit(base: str, token: str, module: str, answers: int, think: float, rng: random.Random) -> Learner:
    learner = Learner()
    pages = []
    try:
        home = LightPage(base)
        pages.append(home)
        started = time.perf_counter()
        await home.open(f"/voila/render/home.ipynb?token={token}")
        await home.wait_for(button("Sign out"), "the signed-in home")
        learner.tti.append(time.perf_counter() - started)
        await home.close()
        page = LightPage(base)
        pages.append(page)
        started = time.perf_counter()
        await page.open(f"/voila/render/module.ipynb?module={module}&token={token}")
        start = await page.wait_for(button("Start"), "a Start button")
        learner.tti.append(time.perf_counter() - started)
        mark = len(page.created)  # widgets made from here on are the next scenario's
        await page.click(start)
        for _ in range(answers):
            choices = await page.wait_for(radio(mark), "a scenario's choices")
            options = page.models[choices]["_options_labels"]
            await page.set_state(choices, {"index": rng.randrange(len(options))})
            # Check is enabled by the kernel once a choice is made
            check = await page.wait_for(button("Check my answer", mark), "Check my answer")
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            before = {i for i in page.models if "cm-feedback" in str(page.models[i].get("value", ""))}
            clicked = time.perf_counter()
            await page.click(check)
            await page.wait_for(newly_showing("cm-feedback", before), "the feedback")
            learner.clicks.append(1000 * (time.perf_counter() - clicked))
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))  # reading the feedback
            nxt = await page.wait_for(button("Next"), "Next")  # one Next for the whole module
            mark = len(page.created)
            await page.click(nxt)
    except (PageError, OSError, TimeoutError) as exc:
        learner.error = str(exc)
    finally:
        for page in pages:
            try:
                await page.close()
            except Exception:  # noqa: BLE001 - a page that failed to open may not close cleanly
                pass
    return learner


async def bare_visit(base: str, answers: int, think: float, rng: random.Random) -> Learner:
    learner = Learner()
    page = LightPage(base)
    try:
        started = time.perf_counter()
        await page.open("/voila/render/bare.ipynb")
        target = await page.wait_for(button("Click me"), "the button")
        learner.tti.append(time.perf_counter() - started)
        for i in range(answers):
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            clicked = time.perf_counter()
            await page.click(target)
            await page.wait_for(label_equal(f"clicked {i + 1}"), "the label")
            learner.clicks.append(1000 * (time.perf_counter() - clicked))
    except (PageError, OSError, TimeoutError) as exc:
        learner.error = str(exc)
    finally:
        try:
            await page.close()
        except Exception:  # noqa: BLE001
            pass
    return learner


def kernels_of(server: subprocess.Popen) -> list[psutil.Process]:
    return page_kernels(server.pid)


def server_processes(server: subprocess.Popen) -> list[psutil.Process]:
    """The server and its kernel zygote (course.kernel.zygote), which holds what its kernels share."""
    root = psutil.Process(server.pid)
    zygotes = [c for c in root.children(recursive=True) if c.name() == ZYGOTE_NAME]
    return [root, *zygotes]


def memory_mb(processes: list[psutil.Process]) -> float:
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().uss  # unique memory: shared libraries counted once
        except psutil.Error:
            continue
    return total / 2**20


class Sampler:
    """The server process's CPU share and memory, and its kernels', sampled while learners work."""

    def __init__(self, server: subprocess.Popen):
        self.server = psutil.Process(server.pid)
        self.popen = server
        self.cpu: list[float] = []
        self.server_mb: list[float] = []
        self.kernels_mb: list[float] = []
        self.kernels: list[int] = []

    async def run(self, every: float = 1.0) -> None:
        self.server.cpu_percent(None)
        while True:
            await asyncio.sleep(every)
            self.cpu.append(self.server.cpu_percent(None))
            self.server_mb.append(memory_mb(server_processes(self.popen)))
            kernels = kernels_of(self.popen)
            self.kernels.append(len(kernels))
            self.kernels_mb.append(memory_mb(kernels))


async def one_run(name, base, server, store, module, size, burst, args, rng) -> dict:
    from course.records import signin_tokens as sessions

    sampler = Sampler(server)
    sampling = asyncio.ensure_future(sampler.run())
    visits = []
    for _ in range(size):
        if name == "course":
            learner_id = f"load-{secrets.token_hex(4)}"
            store.ensure_learner(learner_id, name="Load Learner", staff_number=learner_id)
            coro = course_visit(
                base, sessions.issue(store, learner_id), module, args.answers, args.think, random.Random(rng.random())
            )
        else:
            coro = bare_visit(base, args.answers, args.think, random.Random(rng.random()))
        visits.append(asyncio.ensure_future(coro))
        if not burst:
            await asyncio.sleep(args.gap)
    learners = await asyncio.gather(*visits)
    sampling.cancel()
    busiest = max(range(len(sampler.kernels)), key=lambda k: sampler.kernels[k], default=None)
    per_learner = (
        sampler.kernels_mb[busiest] / max(1, sampler.kernels[busiest]) if busiest is not None else float("nan")
    )
    return {
        "server": name,
        "run": f"{'burst' if burst else 'steady'} {size}",
        "tti": [t for learner in learners for t in learner.tti],
        "clicks": [c for learner in learners for c in learner.clicks],
        "errors": [learner.error for learner in learners if learner.error],
        "server_cpu_p95": p95(sampler.cpu),
        "server_mb": max(sampler.server_mb, default=float("nan")),
        "kernel_mb_per_learner": per_learner,
    }


def browser_burst(base: str, name: str, store, module: str, count: int) -> list[float]:
    """`count` real Chromium pages opened together: seconds to the first usable button."""
    from playwright.sync_api import sync_playwright

    from course.records import signin_tokens as sessions
    from tests.support.servers import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        pages, urls = [], []
        for _ in range(count):
            context = browser.new_context(viewport={"width": 375, "height": 740})
            pages.append(context.new_page())
            if name == "course":
                learner_id = f"load-{secrets.token_hex(4)}"
                store.ensure_learner(learner_id, name="Load Learner", staff_number=learner_id)
                urls.append(
                    f"{base}/voila/render/module.ipynb?module={module}&token={sessions.issue(store, learner_id)}"
                )
            else:
                urls.append(f"{base}/voila/render/bare.ipynb")
        ready = (
            "button:not([disabled]) >> text=Start" if name == "course" else "button:not([disabled]) >> text=Click me"
        )
        started = time.perf_counter()
        for page, url in zip(pages, urls, strict=True):
            page.goto(url, wait_until="commit")
        times = []
        for page in pages:
            page.locator(ready).first.wait_for(state="visible", timeout=180_000)
            times.append(time.perf_counter() - started)
        browser.close()
    return times


def idle_memory(server: subprocess.Popen) -> float:
    return memory_mb([*server_processes(server), *kernels_of(server)])


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steady", default="1,10,40,100", help="learner counts arriving one after another")
    parser.add_argument("--bursts", default="10,30", help="learner counts arriving in the same second")
    parser.add_argument("--answers", type=int, default=4, help="scenarios each learner answers (default 4)")
    parser.add_argument("--think", type=float, default=3.0, help="seconds a learner thinks and reads (default 3)")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between steady arrivals (default 0.5)")
    parser.add_argument(
        "--pool-size", type=int, default=2, help="preheated kernels per page (default 2, as course serve)"
    )
    parser.add_argument("--settle", type=float, default=20.0, help="seconds between runs for pools to refill")
    parser.add_argument(
        "--browsers", type=int, default=5, help="real Chromium pages in the closing burst check (0: none)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw numbers to this file")
    args = parser.parse_args(argv)

    from course.content.model import load_course
    from course.records.store import Store
    from course.server.supervisor import prepare, server_env

    work = Path(tempfile.mkdtemp(prefix="load-bench-"))
    caps = {"COURSE_MAX_KERNELS": "10000", "COURSE_MAX_KERNELS_PER_CLIENT": "10000"}  # all learners are 127.0.0.1
    env = server_env({**os.environ, "COURSE_DATA_DIR": str(work / "var"), "COURSE_DB_URL": "", **caps})
    os.environ.update({"COURSE_DATA_DIR": env["COURSE_DATA_DIR"]})
    os.environ.pop("COURSE_DB_URL", None)
    course = load_course()
    module = next(iter(course.modules))
    app_folder = prepare(course)
    store = Store()
    ports = {"course": free_port(), "bare": free_port()}
    servers = {
        "course": start_server(app_folder, ports["course"], args.pool_size, env, work / "course.log"),
        "bare": start_server(bare_notebook(work / "bare"), ports["bare"], args.pool_size, env, work / "bare.log"),
    }
    bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    runs = [(int(n), False) for n in args.steady.split(",") if n] + [
        (int(n), True) for n in args.bursts.split(",") if n
    ]
    results: list[dict] = []
    idle: dict[str, float] = {}
    browsers: dict[str, list[float]] = {}
    rng = random.Random(1)
    try:
        for name in servers:
            wait_for(bases[name] + "/", timeout=180, process=servers[name])
        time.sleep(args.settle)
        idle = {name: idle_memory(server) for name, server in servers.items()}
        for number, (size, burst) in enumerate(runs):
            for name in rotation(list(servers), number):
                console.print(f"{'burst' if burst else 'steady'} {size}: {name}…", highlight=False)
                result = asyncio.run(one_run(name, bases[name], servers[name], store, module, size, burst, args, rng))
                results.append(result)
                console.print(
                    f"  page p95 {p95(result['tti']):.2f} s, click p95 {p95(result['clicks']):.0f} ms, "
                    f"{len(result['errors'])} errors",
                    highlight=False,
                )
                time.sleep(args.settle)
        if args.browsers:
            for name in servers:
                console.print(f"browser check: {args.browsers} Chromium pages at once on {name}…", highlight=False)
                browsers[name] = browser_burst(bases[name], name, store, module, args.browsers)
                time.sleep(args.settle)
    finally:
        for server in servers.values():
            stop(server, timeout=30)
    report(results, idle, browsers, args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"runs": results, "idle_mb": idle, "browsers": browsers}, indent=2))
    return results


def report(results: list[dict], idle: dict[str, float], browsers: dict[str, list[float]], args) -> None:
    table = Table(
        title=f"Learners at once: course vs bare Voila notebook ({os.cpu_count()} cores, pool {args.pool_size}, "
        f"{args.answers} answers each)"
    )
    for column in (
        "run",
        "server",
        "page p50 s",
        "page p95 s",
        "click p50 ms",
        "click p95 ms",
        "errors",
        "server CPU p95 %",
        "server MB",
        "kernel MB / learner",
        "page p95 ratio",
        "click p95 ratio",
    ):
        table.add_column(column, justify="right" if column not in ("run", "server") else "left")
    bare = {r["run"]: r for r in results if r["server"] == "bare"}
    for r in results:
        base = bare.get(r["run"], r)
        table.add_row(
            r["run"],
            r["server"],
            f"{median(r['tti']):.2f}",
            f"{p95(r['tti']):.2f}",
            f"{median(r['clicks']):.0f}",
            f"{p95(r['clicks']):.0f}",
            str(len(r["errors"])),
            f"{r['server_cpu_p95']:.0f}",
            f"{r['server_mb']:.0f}",
            f"{r['kernel_mb_per_learner']:.0f}",
            f"{p95(r['tti']) / p95(base['tti']):.2f}x" if base["tti"] else "",
            f"{p95(r['clicks']) / p95(base['clicks']):.2f}x" if base["clicks"] else "",
        )
    console.print(table)
    console.print(
        "idle (nobody on): " + ", ".join(f"{name} {mb:.0f} MB (server + pooled kernels)" for name, mb in idle.items())
    )
    for name, times in browsers.items():
        console.print(
            f"browser check, {len(times)} Chromium pages at once on {name}: first usable button "
            f"p50 {median(times):.2f} s, p95 {p95(times):.2f} s",
            highlight=False,
        )
    errors = [e for r in results for e in r["errors"]]
    if errors:
        console.print(f"first errors: {errors[:5]}")


if __name__ == "__main__":
    main()
