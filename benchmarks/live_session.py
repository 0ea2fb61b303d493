"""Benchmark: vote-to-tally latency of a live group session with 40 voters.

    .venv/bin/python -m benchmarks.live_session [--voters 40] [--spread 8] [--phones 2] [--rounds 3]

The course's Voila server (`python -m course.server.voila`, `course serve`'s flags, preheated
kernels) serves the trainer and join notebooks on 127.0.0.1. A real headless Chromium opens the
trainer's page, starts a session and shows a scenario. Then:

- vote to tally, arriving over time: --voters simulated voters (threads, each its own voter
  token) join through the records store and vote at random moments over --spread seconds,
  as a room does; each vote's time is taken when its write has committed, and the trainer's
  page records (in the page, with a MutationObserver) when its tally first shows each new
  total. The k-th vote committed is on screen once the total reads k or more.
- vote to tally, all at once: the same voters vote on the next scenario at the same instant.
- trainer to phones: --phones real join pages (375 px, each its own kernel) follow the trainer;
  the time from the trainer's click on Next or Show the answer (taken in the trainer's page)
  to the phone showing the new scenario or the answer, over --rounds scenarios.

Prints median and p95 of each, against the aim: p95 under 1 s. Never run in CI.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
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

from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for  # noqa: E402

AIM = 1.0  # seconds, p95

WATCH_TALLY = """() => {
    window.__tally = [];
    const read = () => {
        const el = document.querySelector('.cm-tally__total');
        const m = el && el.textContent.match(/(\\d+) votes?/);
        if (!m) return;
        const n = Number(m[1]);
        const last = window.__tally[window.__tally.length - 1];
        if (!last || last[1] !== n) window.__tally.push([Date.now(), n]);
    };
    new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
    read();
}"""

WATCH_CLICKS = """() => {
    window.__clicks = [];
    document.addEventListener('click', (e) => {
        const b = e.target.closest && e.target.closest('button');
        if (b) window.__clicks.push([Date.now(), b.textContent.trim()]);
    }, true);
}"""

WATCH_PHONE = """() => {
    window.__states = [];
    const read = () => {
        const title = document.querySelector('.cm-card__title');
        const state = (title ? title.textContent.trim() : '') + (document.querySelector('.cm-live-answer-heading') ? '|answer' : '');
        const last = window.__states[window.__states.length - 1];
        if (!last || last[1] !== state) window.__states.push([Date.now(), state]);
    };
    new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
    read();
}"""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def start_server(folder: Path, data: Path, log_path: Path):
    from course.server.supervisor import ServeOptions, server_env, voila_command

    port = free_port()
    command = voila_command(folder, ServeOptions(port=port, preheat=True, pool_size=2, cull_idle_timeout=900))
    env = server_env({**os.environ, "COURSE_DATA_DIR": str(data), "COURSE_DB_URL": ""})
    log = open(log_path, "w")  # noqa: SIM115 - the server's log stays open for the server's life
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for(f"http://127.0.0.1:{port}/voila/static/voila.js", timeout=120, process=process)
    return process, log, f"http://127.0.0.1:{port}"


def latencies(commits: list[float], shown: list[tuple[float, int]], start_total: int = 0) -> list[float]:
    """Seconds from each vote's commit to the trainer's screen first showing a total that includes it."""
    result = []
    for k, committed in enumerate(sorted(commits), start=start_total + 1):
        seen = next((t for t, n in shown if n >= k), None)
        if seen is None:
            raise RuntimeError(f"the trainer's page never showed {k} votes (last: {shown[-1:] or 'nothing'})")
        result.append(max(0.0, seen - committed))
    return result


def run_voters(store, session, scenario, voters: list, spread: float, at_once: bool) -> tuple[list[float], list[float]]:
    """Each voter votes once: at a random moment over `spread` s, or all at the same instant.
    Returns (commit times, write durations), in seconds."""
    from course.live import core

    ids = [c.id for c in scenario.choices]
    commits, writes, failures = [], [], []
    lock = threading.Lock()
    gate = threading.Barrier(len(voters))
    rng = random.Random(7)
    delays = [0.0 if at_once else rng.uniform(0, spread) for _ in voters]

    def vote(i: int, token: str) -> None:
        try:
            gate.wait(timeout=60)
            time.sleep(delays[i])
            began = time.time()
            core.cast_vote(store, session.id, token, scenario.id, ids[i % len(ids)], ids)
            done = time.time()
            with lock:
                commits.append(done)
                writes.append(done - began)
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=vote, args=(i, t)) for i, t in enumerate(voters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return commits, writes


def wait_total(page, total: int, timeout: float = 30) -> None:
    page.wait_for_function(
        f"() => window.__tally.length && window.__tally[window.__tally.length - 1][1] >= {total}",
        timeout=timeout * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=40)
    parser.add_argument("--spread", type=float, default=8.0, help="seconds over which the room's votes arrive")
    parser.add_argument("--phones", type=int, default=2, help="real join pages following the trainer")
    parser.add_argument("--rounds", type=int, default=3, help="scenarios the phones follow (Next and Show the answer)")
    args = parser.parse_args()
    console = Console(width=max(110, Console().width))
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="course-live-bench-"))
    shutil.copytree(ROOT / "notebooks" / "app", work / "apps")  # the pages `course serve` serves
    process, log, base = start_server(work / "apps", work / "var", work / "voila.log")
    os.environ["COURSE_DATA_DIR"] = str(work / "var")
    os.environ.pop("COURSE_DB_URL", None)
    from course.content.model import load_course
    from course.live import core
    from course.records.store import Store

    course = load_course()
    store = Store()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            trainer = browser.new_page(viewport={"width": 1366, "height": 900})
            trainer.set_default_timeout(120_000)
            trainer.goto(f"{base}/voila/render/trainer.ipynb", wait_until="domcontentloaded")
            trainer.get_by_role("button", name="Start the session").click()
            trainer.locator(".cm-live-join__code").wait_for()
            code = trainer.locator('.cm-live-join__code [aria-hidden="true"]').inner_text().replace(" ", "")
            trainer.evaluate(WATCH_CLICKS)

            phones = []
            for _ in range(args.phones):
                phone = browser.new_page(viewport={"width": 375, "height": 740})
                phone.set_default_timeout(120_000)
                phone.goto(f"{base}/voila/render/join.ipynb?code={code}", wait_until="domcontentloaded")
                phone.get_by_role("button", name="Join", exact=True).click()
                phone.get_by_role("heading", name="You are in").wait_for()
                phone.evaluate(WATCH_PHONE)
                phones.append(phone)

            trainer.get_by_role("button", name="Show the first scenario").click()
            trainer.locator(".cm-tally__total").wait_for()
            session = core.find_session(store, code)
            voters = [core.join(store, code).voter_token for _ in range(args.voters)]
            results = {}

            # 1. a room voting over some seconds
            trainer.evaluate(WATCH_TALLY)
            commits, writes = run_voters(
                store, session, course.scenario(session.scenario_id), voters, args.spread, at_once=False
            )
            wait_total(trainer, args.voters)
            shown = [(t / 1000, n) for t, n in trainer.evaluate("window.__tally")]
            results["spread"] = latencies(commits, shown)
            all_writes = list(writes)

            # the phones follow the trainer: Show the answer, then Next, for a few scenarios
            actions = []
            for _ in range(args.rounds):
                trainer.get_by_role("button", name="Show the answer").click()
                for phone in phones:
                    phone.get_by_role("heading", name="The answer").wait_for()
                actions.append("answer")
                trainer.get_by_role("button", name="Next scenario").click()
                title = trainer.locator(".cm-card__title").first
                trainer.wait_for_function("() => !document.querySelector('.cm-live-reveal')")
                expected = title.inner_text().strip()
                for phone in phones:
                    phone.wait_for_function(
                        "(t) => { const el = document.querySelector('.cm-card__title'); return el && el.textContent.trim() === t; }",
                        arg=expected,
                    )
                actions.append(expected)
            clicks = [
                (t / 1000, label)
                for t, label in trainer.evaluate("window.__clicks")
                if label in ("Show the answer", "Next scenario")
            ]
            follow = []
            for phone in phones:
                states = [(t / 1000, s) for t, s in phone.evaluate("window.__states")]
                for (clicked, _label), want in zip(clicks, actions):
                    seen = next(
                        t
                        for t, s in states
                        if t >= clicked and (s.endswith("|answer") if want == "answer" else s == want)
                    )
                    follow.append(seen - clicked)
            results["follow"] = follow

            # 2. the whole room at the same instant, on the scenario now showing
            session = core.find_session(store, code)
            trainer.evaluate(WATCH_TALLY)
            commits, writes = run_voters(store, session, course.scenario(session.scenario_id), voters, 0, at_once=True)
            wait_total(trainer, args.voters)
            shown = [(t / 1000, n) for t, n in trainer.evaluate("window.__tally")]
            results["burst"] = latencies(commits, shown)
            all_writes += writes
            browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

    table = Table(
        title=f"Live session: {args.voters} voters, trainer polls every 0.3 s, phones every 0.4 s "
        f"({os.cpu_count()} cores)"
    )
    for column in ("measure", "n", "median", "p95", "aim", "met"):
        table.add_column(column, justify="right" if column in ("n", "median", "p95") else "left")

    def row(label, values, aim=AIM, unit=1.0, fmt="{:.0f} ms"):
        med, top = statistics.median(values), p95(values)
        table.add_row(
            label,
            str(len(values)),
            fmt.format(med * 1000 / unit),
            fmt.format(top * 1000 / unit),
            f"p95 < {aim * 1000:.0f} ms" if aim else "-",
            ("yes" if top < aim else "NO") if aim else "-",
        )

    row(f"vote to trainer's tally, arriving over {args.spread:g} s", results["spread"])
    row("vote to trainer's tally, all at once", results["burst"])
    row(f"trainer's click to phone ({args.phones} pages, Next and Show the answer)", results["follow"])
    row("one vote's write to the store (cast_vote)", all_writes, aim=None)
    console.print(table)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
