"""Benchmark: a live group session: the trainer's tally, and a room of phones, kernel join pages
against the light join page, measured in the same run.

    .venv/bin/python -m benchmarks.live_session [--phones 40] [--chromium 2] [--rounds 3]
                                                [--voters 40] [--spread 8] [--window 10] [--no-tally]

One course Voila server (`python -m course.server.voila`, `course serve`'s flags, preheated
kernels, the kernel caps lifted: every phone here comes from 127.0.0.1) serves the trainer page,
the kernel join page (`join.ipynb`, one kernel per phone) and the light join page (`/join`, no
kernel: course.server.join).

1. The trainer's tally (unless --no-tally): a real headless Chromium opens the trainer's page,
   starts a session and shows a scenario; --voters simulated voters vote through the records
   store, first at random moments over --spread seconds, then all at once; each vote's time is
   taken when its write has committed, and the trainer's page records (a MutationObserver) when
   its tally first shows each new total.

2. The room, old against new: --phones phones join one session, first as kernel join pages
   (benchmarks.light_client: the page over HTTP and its kernel websocket, as a browser does) plus
   --chromium real Chromium phones on the same page, then as light pages (plain HTTP: the page,
   Join, the long-poll and the vote, as join.js does) plus --chromium Chromium phones on /join.
   The order of the two rotates with each --repeats. For each: the time for every phone to
   open and join; --window seconds of the room waiting in the lobby (the server's and its kernels'
   CPU and memory, sampled each second); then --rounds scenarios, each: the trainer shows it
   (core.show, as the trainer's click does), every phone follows (commit to the phone having it),
   every phone votes (its request to the answer that it counted), the trainer shows the answer,
   every phone follows. The memory is the unique memory (USS) of the server and its kernels.

Prints medians and p95 (benchmarks.stats) with the load average before and after. Never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psutil
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.light_client import LightPage, button, newly_showing, radio, showing  # noqa: E402
from benchmarks.stats import median, p95, rotation  # noqa: E402
from tests.support.kernels import is_page_kernel  # noqa: E402
from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, free_port, stop, wait_for  # noqa: E402

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

WATCH_PHONE = """() => {
    window.__states = [];
    const read = () => {
        const title = document.querySelector('.cm-card__title');
        const state = (title ? title.textContent.trim() : '') + (document.querySelector('.cm-live-answer-heading') ? '|answer' : '');
        const last = window.__states[window.__states.length - 1];
        if (!last || last[1] !== state) window.__states.push([Date.now() / 1000, state]);
    };
    new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
    read();
}"""


def start_server(folder: Path, data: Path, log_path: Path):
    from course.server.supervisor import ServeOptions, server_env, voila_command

    port = free_port()
    command = voila_command(folder, ServeOptions(port=port, preheat=True, pool_size=2, cull_idle_timeout=900))
    env = server_env(
        {
            **os.environ,
            "COURSE_DATA_DIR": str(data),
            "COURSE_DB_URL": "",
            "COURSE_MAX_KERNELS": "1000",
            "COURSE_MAX_KERNELS_PER_CLIENT": "1000",
        }
    )
    log = open(log_path, "w")  # noqa: SIM115 - the server's log stays open for the server's life
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for(f"http://127.0.0.1:{port}/voila/static/voila.js", timeout=120, process=process)
    return process, log, f"http://127.0.0.1:{port}"


# --- 1. the trainer's tally --------------------------------------------------------------------------------


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


def trainer_tally(base: str, store, course, args) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    from course.live import core

    results: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        trainer = browser.new_page(viewport={"width": 1366, "height": 900})
        trainer.set_default_timeout(120_000)
        trainer.goto(f"{base}/voila/render/trainer.ipynb?token={trainer_token(store)}", wait_until="domcontentloaded")
        trainer.get_by_role("button", name="Start the session").click()
        trainer.locator(".cm-live-join__code").wait_for()
        code = trainer.locator('.cm-live-join__code [aria-hidden="true"]').inner_text().replace(" ", "")
        trainer.get_by_role("button", name="Show the first scenario").click()
        trainer.locator(".cm-tally__total").wait_for()
        session = core.find_session(store, code)
        voters = [core.join(store, code).voter_token for _ in range(args.voters)]
        for label, at_once in (("spread", False), ("burst", True)):
            session = core.find_session(store, code)
            trainer.evaluate(WATCH_TALLY)
            commits, writes = run_voters(
                store, session, course.scenario(session.scenario_id), voters, args.spread, at_once=at_once
            )
            trainer.wait_for_function(
                f"() => window.__tally.length && window.__tally[window.__tally.length - 1][1] >= {args.voters}",
                timeout=30_000,
            )
            shown = [(t / 1000, n) for t, n in trainer.evaluate("window.__tally")]
            results[label] = latencies(commits, shown)
            results.setdefault("writes", []).extend(writes)
            trainer.get_by_role("button", name="Next scenario").click()
            trainer.wait_for_function("() => /0 votes/.test(document.querySelector('.cm-tally__total').textContent)")
        browser.close()
    return results


def trainer_token(store) -> str:
    from course.records import signin_tokens, trainers

    store.ensure_learner("T-BENCH", name="Bench Trainer", staff_number="T-BENCH")
    trainers.grant(store, "T-BENCH")
    return signin_tokens.issue(store, "T-BENCH")


# --- 2. the room: kernel join pages against light ones -------------------------------------------------------


class Sampler:
    """CPU (per cent of one core, summed) and unique memory of the server and every process under it."""

    def __init__(self, server: subprocess.Popen):
        self.root = psutil.Process(server.pid)
        self.known: dict[int, psutil.Process] = {}
        self.cpu: list[float] = []
        self.mb: list[float] = []
        self.kernels: list[int] = []

    def tree(self) -> list[psutil.Process]:
        found = [self.root, *self.root.children(recursive=True)]
        for process in found:
            if process.pid not in self.known:
                self.known[process.pid] = process
                process.cpu_percent(None)  # the first call only starts the count
        return [self.known[p.pid] for p in found]

    def sample(self) -> None:
        cpu = mb = 0.0
        kernels = 0
        for process in self.tree():
            try:
                cpu += process.cpu_percent(None)
                mb += process.memory_full_info().uss / 2**20
                kernels += is_page_kernel(process)
            except psutil.Error:
                continue
        self.cpu.append(cpu)
        self.mb.append(mb)
        self.kernels.append(kernels)

    async def run(self, every: float = 1.0) -> None:
        self.tree()
        while True:
            await asyncio.sleep(every)
            await asyncio.to_thread(self.sample)  # reading 40 kernels' memory takes a while: not on the loop


class KernelPhone:
    """A kernel join page (join.ipynb) as a browser drives it: benchmarks.light_client."""

    kind = "kernel join page"

    def __init__(self, base: str, code: str):
        self.page = LightPage(base, timeout=180)
        self.code = code
        self.seen: list[tuple[float, str]] = []

    async def open(self) -> None:
        await self.page.open(f"/voila/render/join.ipynb?{urlencode({'code': self.code})}")
        join = await self.page.wait_for(button("Join"), "the Join button")
        await self.page.click(join)
        await self.page.wait_for(lambda p: next(iter(showing(p, "You are in")), None), "the lobby")

    def before_step(self) -> None:
        # the widgets of earlier scenarios may stay in the page's models: only new content counts
        self.before = {text: showing(self.page, text) for text in ("cm-live-answer-heading", "Your vote is in")}

    async def follow(self, title: str, answer: bool) -> float:
        if answer:
            find = newly_showing("cm-live-answer-heading", self.before["cm-live-answer-heading"])
        else:
            find = newly_showing(f">{html.escape(title, quote=False)}</h2>", set())
        await self.page.wait_for(find, f"'{title}'")
        return time.time()

    async def vote(self, index: int) -> float:
        choices = await self.page.wait_for(radio(), "the choices")
        voted = showing(self.page, "Your vote is in")
        began = time.time()
        await self.page.set_state(choices, {"index": index})
        send = await self.page.wait_for(button("Send my vote"), "the vote button")
        await self.page.click(send)
        await self.page.wait_for(newly_showing("Your vote is in", voted), "the vote's answer")
        return time.time() - began

    async def close(self) -> None:
        await self.page.close()


class LightPhone:
    """The light join page (/join) as join.js drives it: plain HTTP, the long-poll, the vote."""

    kind = "light join page"

    def __init__(self, base: str, code: str):
        self.base, self.code = base, code
        self.cookies: dict[str, str] = {}
        self.xsrf = ""
        self.session_id = ""
        self.key = ""
        self.html = ""
        self.changed = asyncio.Event()
        self.scenario = ""
        self.choices: list[str] = []
        self.poller: asyncio.Task | None = None

    async def fetch(self, path: str, body: dict | None = None, json_reply: bool = False, timeout: float = 60):
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest

        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept-Encoding": "gzip"}
        if json_reply:
            headers["Accept"] = "application/json"
        request = HTTPRequest(
            self.base + path,
            method="POST" if body is not None else "GET",
            body=urlencode(body) if body is not None else None,
            headers=headers,
            follow_redirects=False,
            request_timeout=timeout,
            decompress_response=True,
        )
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        for header in response.headers.get_list("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        text = response.body.decode("utf-8", "replace") if response.body else ""
        found = re.search(r'name="_xsrf" value="([^"]+)"', text)
        if found:
            self.xsrf = found.group(1)
        return response.code, text

    async def open(self) -> None:
        status, _text = await self.fetch(f"/join?{urlencode({'code': self.code})}")
        assert status == 200, status
        status, _text = await self.fetch("/join", {"code": self.code, "_xsrf": self.xsrf})
        assert status == 303, status
        status, text = await self.fetch(f"/join?{urlencode({'code': self.code})}")
        assert status == 200 and "You are in" in text, status
        self.session_id = re.search(r"session=([0-9a-f]{16})", text).group(1)
        self.key = re.search(r'data-cm-key="([^"]+)"', text).group(1)
        self.poller = asyncio.ensure_future(self._poll())

    async def _poll(self) -> None:
        while self.key != "ended":
            status, text = await self.fetch(
                f"/join/state?{urlencode({'session': self.session_id, 'since': self.key})}", json_reply=True
            )
            if status != 200:
                await asyncio.sleep(1)
                continue
            data = json.loads(text)
            if data["key"] != self.key:
                self.key, self.html = data["key"], data["html"]
                found = re.search(r'name="scenario" value="([^"]+)"', self.html)
                self.scenario = found.group(1) if found else ""
                self.choices = re.findall(r'name="choice" value="([^"]+)"', self.html)
                self.changed.set()

    def before_step(self) -> None:
        pass  # the stage's HTML is replaced whole: what it shows is what is new

    async def follow(self, title: str, answer: bool) -> float:
        text = "cm-live-answer-heading" if answer else f">{html.escape(title, quote=False)}</h2>"
        while text not in self.html:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 60)
        return time.time()

    async def vote(self, index: int) -> float:
        began = time.time()
        body = {"session": self.session_id, "scenario": self.scenario, "choice": self.choices[index]}
        status, text = await self.fetch("/join/vote", {**body, "_xsrf": self.xsrf}, json_reply=True)
        assert status == 200 and json.loads(text)["ok"], text
        return time.time() - began

    async def close(self) -> None:
        if self.poller is not None:
            self.poller.cancel()


async def chromium_phones(browser, base: str, code: str, kind: str, count: int) -> list:
    pages = []
    for _ in range(count):
        page = await browser.new_page(viewport={"width": 375, "height": 740})
        page.set_default_timeout(180_000)
        if kind == "light":
            await page.goto(f"{base}/join?{urlencode({'code': code})}")
        else:
            await page.goto(f"{base}/voila/render/join.ipynb?{urlencode({'code': code})}")
        await page.get_by_role("button", name="Join", exact=True).click()
        await page.get_by_role("heading", name="You are in").wait_for()
        await page.evaluate(WATCH_PHONE)
        pages.append(page)
    return pages


async def room(kind: str, base: str, server, store, course, browser, args) -> dict:
    """One room of phones on one kind of join page: open, wait, follow, vote; the figures."""
    from course.live import core, summary

    opened = await asyncio.to_thread(summary.start_session, store, course, "sharing")
    code, sid, key = opened.session.code, opened.session.id, opened.trainer_key
    sampler = Sampler(server)
    sampling = asyncio.ensure_future(sampler.run())
    await asyncio.sleep(3.5)
    before_mb = median(sampler.mb[-3:])  # the server and its pooled kernels, before any phone
    began = time.time()
    make = LightPhone if kind == "light" else KernelPhone
    phones = [make(base, code) for _ in range(args.phones)]
    opening = []

    async def open_one(phone):
        start = time.time()
        await phone.open()
        opening.append(time.time() - start)

    await asyncio.gather(*(open_one(p) for p in phones))
    browsers = await chromium_phones(browser, base, code, kind, args.chromium)
    all_open = time.time() - began
    # the phones took pooled kernels and the pool starts new ones: that start-up is the cost of
    # opening (above); the lobby window starts once the number of kernels has held for 3 s
    settle = time.time()
    while time.time() - settle < 90 and not (len(sampler.kernels) >= 3 and len(set(sampler.kernels[-3:])) == 1):
        await asyncio.sleep(1)
    mark = len(sampler.cpu)
    await asyncio.sleep(args.window)  # the room waits in the lobby: what the phones cost doing nothing
    idle_cpu, idle_mb = sampler.cpu[mark:], sampler.mb[mark:]
    follow, browser_follow, votes = [], [], []
    rng = random.Random(3)
    for index in range(args.rounds):
        for answer in (False, True):
            # a trainer clicks when the room is ready, not in step with the server's reads
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            for phone in phones:
                phone.before_step()
            clicked = time.time()
            if answer:
                session = await asyncio.to_thread(core.reveal, store, sid, key)
            else:
                session = await asyncio.to_thread(core.show, store, sid, key, index)
            title = summary.room_scenario(course, sid, session.scenario_id).title
            seen = await asyncio.gather(*(p.follow(title, answer) for p in phones))
            follow += [t - clicked for t in seen]
            want = (lambda s: s.endswith("|answer")) if answer else (lambda s, t=title: s == t)
            for page in browsers:
                await page.wait_for_function(
                    "(w) => window.__states.some(([t, s]) => w.answer ? s.endsWith('|answer') : s === w.title)",
                    arg={"answer": answer, "title": title},
                )
                states = await page.evaluate("window.__states")
                browser_follow.append(next(t for t, s in states if t >= clicked - 0.05 and want(s)) - clicked)
            if not answer:
                votes += await asyncio.gather(*(p.vote(rng.randrange(3)) for p in phones))
    busy_cpu = sampler.cpu[mark + len(idle_cpu) :]
    sampling.cancel()
    peak_mb = max(sampler.mb, default=float("nan"))
    kernels = max(sampler.kernels, default=0)
    await asyncio.to_thread(core.close, store, sid, key)
    for page in browsers:
        await page.close()
    await asyncio.gather(*(p.close() for p in phones))
    return {
        "kind": kind,
        "open": opening,
        "all_open": all_open,
        "idle_cpu": idle_cpu,
        "busy_cpu": busy_cpu,
        "idle_mb": median(idle_mb),
        "added_mb": median(idle_mb) - before_mb,
        "peak_mb": peak_mb,
        "kernels": kernels,
        "follow": follow,
        "browser_follow": browser_follow,
        "votes": votes,
    }


async def rooms(base: str, server, store, course, args) -> list[dict]:
    from playwright.async_api import async_playwright
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=4 * args.phones + 20)  # every phone's long-poll at once
    results = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for repeat in range(args.repeats):
            for kind in rotation(["kernel", "light"], repeat):
                console.print(f"room {repeat + 1}: {args.phones} phones on the {kind} join page")
                results.append(await room(kind, base, server, store, course, browser, args))
                await asyncio.sleep(5)  # the closed kernels go; the pool refills
        await browser.close()
    return results


# --- the report ----------------------------------------------------------------------------------------------

console = Console(width=max(120, Console().width))


def ms(values: list[float]) -> tuple[str, str]:
    return f"{median(values) * 1000:.0f} ms", f"{p95(values) * 1000:.0f} ms"


def report(tally: dict | None, results: list[dict], load: tuple, args) -> None:
    if tally:
        table = Table(title=f"Trainer's tally: {args.voters} voters, the trainer page polls every 0.3 s")
        for column in ("measure", "n", "median", "p95", "aim"):
            table.add_column(column, justify="right" if column in ("n", "median", "p95") else "left")
        for label, values, aim in (
            (f"vote to trainer's tally, arriving over {args.spread:g} s", tally["spread"], True),
            ("vote to trainer's tally, all at once", tally["burst"], True),
            ("one vote's write to the store (cast_vote)", tally["writes"], False),
        ):
            med, top = ms(values)
            met = ("yes" if p95(values) < AIM else "NO") if aim else "-"
            table.add_row(label, str(len(values)), med, top, f"p95 < 1000 ms: {met}" if aim else "-")
        console.print(table)
    table = Table(
        title=f"A room of {args.phones} phones (+{args.chromium} Chromium), kernel join pages vs light ones, "
        f"{args.rounds} scenarios; load average {load[0]:.2f} before, {load[1]:.2f} after ({os.cpu_count()} cores)"
    )
    for column in ("measure", "kernel join page", "light join page", "light / kernel"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    by = {kind: [r for r in results if r["kind"] == kind] for kind in ("kernel", "light")}

    def pooled(kind: str, name: str) -> list[float]:
        return [v for r in by[kind] for v in r[name]]

    def pair(label: str, name: str, fmt, stat=median) -> None:
        k, light = stat(pooled("kernel", name)), stat(pooled("light", name))
        table.add_row(label, fmt(k), fmt(light), f"{light / k:.2f}x" if k else "-")

    def each(label: str, name: str, fmt) -> None:
        k, light = median([r[name] for r in by["kernel"]]), median([r[name] for r in by["light"]])
        table.add_row(label, fmt(k), fmt(light), f"{light / k:.2f}x" if k else "-")

    def ms_of(v: float) -> str:
        return f"{v * 1000:.0f} ms"

    pair("open and join, per phone: median", "open", ms_of)
    pair("open and join, per phone: p95", "open", ms_of, p95)
    each("the whole room open (s)", "all_open", lambda v: f"{v:.1f} s")
    each("memory: server + kernels, room in the lobby (USS)", "idle_mb", lambda v: f"{v:.0f} MB")
    each("memory added by the room (lobby minus before the phones)", "added_mb", lambda v: f"{v:.0f} MB")
    each("memory: peak during the run", "peak_mb", lambda v: f"{v:.0f} MB")
    each("page kernels (most at once)", "kernels", lambda v: f"{v:.0f}")
    pair("CPU, room in the lobby: median (% of one core)", "idle_cpu", lambda v: f"{v:.0f}%")
    pair("CPU, room in the lobby: p95", "idle_cpu", lambda v: f"{v:.0f}%", p95)
    pair("CPU, following and voting: median", "busy_cpu", lambda v: f"{v:.0f}%")
    pair("CPU, following and voting: p95", "busy_cpu", lambda v: f"{v:.0f}%", p95)
    pair("trainer's step to phone (light client): median", "follow", ms_of)
    pair("trainer's step to phone (light client): p95", "follow", ms_of, p95)
    pair("trainer's step to phone (Chromium): median", "browser_follow", ms_of)
    pair("trainer's step to phone (Chromium): p95", "browser_follow", ms_of, p95)
    pair("vote to 'your vote is in': median", "votes", ms_of)
    pair("vote to 'your vote is in': p95", "votes", ms_of, p95)
    console.print(table)
    n = {kind: sum(len(r["follow"]) for r in by[kind]) for kind in by}
    console.print(
        f"samples: trainer's steps seen {n}, {args.window:g} s lobby window per room, {args.repeats} repeat(s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=40, help="phones in the room (light clients)")
    parser.add_argument("--chromium", type=int, default=2, help="real Chromium phones besides them")
    parser.add_argument("--rounds", type=int, default=3, help="scenarios the room follows and votes on")
    parser.add_argument("--window", type=float, default=10.0, help="seconds the room waits in the lobby, sampled")
    parser.add_argument("--repeats", type=int, default=1, help="rooms of each kind, the order rotating")
    parser.add_argument("--voters", type=int, default=40, help="simulated voters for the trainer's tally")
    parser.add_argument("--spread", type=float, default=8.0, help="seconds over which the room's votes arrive")
    parser.add_argument("--no-tally", action="store_true", help="leave out the trainer's tally")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="course-live-bench-"))
    shutil.copytree(ROOT / "notebooks" / "app", work / "apps")  # the pages `course serve` serves
    process, log, base = start_server(work / "apps", work / "var", work / "voila.log")
    os.environ["COURSE_DATA_DIR"] = str(work / "var")
    os.environ.pop("COURSE_DB_URL", None)
    from course.content.model import load_course
    from course.records.store import Store

    course = load_course()
    store = Store()
    load_before = os.getloadavg()[0]
    try:
        tally = None if args.no_tally else trainer_tally(base, store, course, args)
        results = asyncio.run(rooms(base, process, store, course, args))
    finally:
        stop(process, timeout=20)
        log.close()
    report(tally, results, (load_before, os.getloadavg()[0]), args)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
