"""Benchmark: N learners answering a module at the same time through the course's JupyterHub.

    .venv/bin/python -m benchmarks.hub [--sizes 10,25,50] [--answers 5] [--think 2:6]

Starts what tests/test_hub.py starts (PostgreSQL from Debian's package, JupyterHub with
deploy/jupyterhub_config.py, configurable-http-proxy from npm, SimpleLocalProcessSpawner)
on 127.0.0.1, then for each N:

1. N learners get a server (the hub's REST API, as many at once as the hub allows) and log
   in through the hub's login form, each in their own browser context of one headless
   Chromium; each opens the module app (a fresh Voila kernel), a few at a time;
2. all N answer --answers scenarios at once, each pausing --think seconds (a person reading
   the scenario) before pressing Check; click to feedback is timed inside each page, from
   the click to the feedback on screen, through the proxy, the hub's user server and its kernel;
3. memory per learner: the resident memory (RSS) of the learner's Jupyter server and its
   kernels (psutil), after answering;
4. their servers are stopped before the next N.

`--mode shared` runs the hub's shared mode instead (COURSE_HUB_MODE=shared, docs/DEPLOY.md):
no servers to start (step 1 only logs in, to the course service at /services/course/),
memory per learner is the course service and all its kernels (ready ones included) over N,
and nothing is stopped between sizes but the pages.

The baseline, measured in the same run, is one learner alone (N = 1) on the same hub:
the ratio column is p95 at N over p95 alone. Prints a table and the largest N whose p95
stays under --aim ms (300). Never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stats import p95  # noqa: E402
from tests.support.hub import database_url, hub_server, service_memory, unavailable_reason  # noqa: E402
from tests.support.postgres import postgres_server  # noqa: E402
from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, http_get, wait_until  # noqa: E402

MODULE = "why"
TOKEN = "bench-" + os.urandom(16).hex()
# the benchmark's own hub service: creates users, starts and stops their servers
SITE_CONFIG = f"""c = get_config()  # noqa: F821
c.JupyterHub.services.append({{"name": "bench", "api_token": {TOKEN!r}}})
c.JupyterHub.load_roles.append({{"name": "bench", "services": ["bench"],
                                "scopes": ["admin:users", "admin:servers", "list:users"]}})
c.JupyterHub.concurrent_spawn_limit = 200
c.JupyterHub.active_server_limit = 0
"""

# from the click on Check to the feedback on screen, timed by the page itself
TIME_CLICK = """() => new Promise((resolve) => {
    const button = [...document.querySelectorAll('button.cm-check')].find(b => b.offsetParent !== null && !b.disabled);
    const before = document.querySelectorAll('.cm-feedback').length;
    const start = performance.now();
    const observer = new MutationObserver(() => {
        if (document.querySelectorAll('.cm-feedback').length > before) {
            observer.disconnect(); resolve(performance.now() - start); }
    });
    observer.observe(document.body, {childList: true, subtree: true});
    button.click();
})"""


def api(hub_url: str, method: str, path: str, body=None):
    request = urllib.request.Request(
        f"{hub_url}/hub/api{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def spawn_all(hub_url: str, users: list[str], timeout: float = 1800) -> float:
    """Create the users and start their servers; seconds until every one is ready."""
    started = time.monotonic()
    api(hub_url, "POST", "/users", {"usernames": users})
    for user in users:
        try:
            api(hub_url, "POST", f"/users/{user}/server")
        except urllib.error.HTTPError as exc:
            if exc.code not in (201, 202, 400):
                raise
    pending = set(users)
    while pending and time.monotonic() - started < timeout:
        for user in list(pending):
            model = api(hub_url, "GET", f"/users/{user}")
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                pending.discard(user)
        time.sleep(1)
    if pending:
        raise TimeoutError(f"servers never became ready: {sorted(pending)[:5]}...")
    return time.monotonic() - started


def stop_all(hub_url: str, users: list[str]) -> None:
    for user in users:
        try:
            api(hub_url, "DELETE", f"/users/{user}/server")
        except urllib.error.HTTPError:
            pass
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if all(not api(hub_url, "GET", f"/users/{u}").get("servers") for u in users):
            return
        time.sleep(1)


def memory_per_learner(users: list[str]) -> dict[str, tuple[float, float]]:
    """MB of resident memory per user: (their Jupyter server, the kernels under it)."""
    import psutil

    found: dict[str, float] = {}
    for process in psutil.process_iter(["cmdline"]):
        try:
            if not any("jupyterhub-singleuser" in part for part in process.info["cmdline"] or []):
                continue
            user = process.environ().get("JUPYTERHUB_USER")
            if user not in users:
                continue
            kernels = sum(c.memory_info().rss for c in process.children(recursive=True))
            found[user] = (process.memory_info().rss / 2**20, kernels / 2**20)
        except psutil.Error:
            continue
    return found


def app_prefix(mode: str, user: str) -> str:
    """Where a learner's pages are: their own server, or the shared course service."""
    return "/services/course" if mode == "shared" else f"/user/{user}"


async def open_module(browser, hub_url: str, user: str, mode: str = "per-user"):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(600_000)
    await page.goto(f"{hub_url}/hub/login", wait_until="domcontentloaded")
    await page.fill("input[name=username]", user)
    await page.click("input[type=submit], button[type=submit]")
    prefix = app_prefix(mode, user)
    await page.wait_for_url(f"**{prefix}/voila/render/home.ipynb*")
    await page.goto(f"{hub_url}{prefix}/voila/render/module.ipynb?module={MODULE}", wait_until="commit")
    start = page.locator("button.cm-btn:not([disabled]) >> text=Start")
    await start.wait_for(state="visible")
    await start.click()
    await page.locator(".cm-card__title").first.wait_for()
    return page


async def answer(page, answers: int, think: tuple[float, float], rng: random.Random) -> list[float]:
    times = []
    for i in range(answers):
        await page.locator(".cm-decision input[type=radio]").nth(rng.randrange(3)).check()
        await page.locator("button.cm-check:not([disabled])").wait_for()
        await asyncio.sleep(rng.uniform(*think))  # reading the scenario and the choices
        times.append(await page.evaluate(TIME_CLICK))
        if i + 1 < answers:
            title = (await page.locator(".cm-card__title").first.text_content()).strip()
            await page.locator("button:not([disabled]) >> text=Next").click()
            await page.wait_for_function(
                """t => { const h = document.querySelector('.cm-card__title');
                return h && h.textContent.trim() !== t; }""",
                arg=title,
            )
    return times


async def run_size(hub, n: int, args, console: Console) -> dict:
    from playwright.async_api import async_playwright

    hub_url, shared = hub.url, args.mode == "shared"
    users = [f"bench{n}-{i:03d}" for i in range(n)]
    spawn_s = 0.0 if shared else spawn_all(hub_url, users)  # shared mode: nothing to start
    console.print(f"N={n}: {n} servers ready in {spawn_s:.0f} s", highlight=False)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        gate = asyncio.Semaphore(args.open_at_once)

        async def opened(user):
            async with gate:
                return await open_module(browser, hub_url, user, args.mode)

        started = time.monotonic()
        pages = await asyncio.gather(*(opened(u) for u in users))
        open_s = time.monotonic() - started
        console.print(f"N={n}: {n} module pages open in {open_s:.0f} s; answering", highlight=False)
        rng = random.Random(n)
        results = await asyncio.gather(
            *(answer(pg, args.answers, args.think, random.Random(rng.random())) for pg in pages)
        )
        if shared:  # the one service and all its kernels, shared out over the N learners
            server_mb, _kernels, kernels_mb = service_memory(hub)
            memory = {"service": (server_mb / n, kernels_mb / n)}
        else:
            memory = memory_per_learner(users)
        await browser.close()
    if not shared:
        stop_all(hub_url, users)
    clicks = [t for r in results for t in r]
    return {"n": n, "clicks": clicks, "memory": memory, "spawn_s": spawn_s, "open_s": open_s}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,25,50", help="learner counts, comma-separated (default 10,25,50)")
    parser.add_argument("--answers", type=int, default=5, help="scenarios each learner answers (default 5)")
    parser.add_argument("--think", default="2:6", help="seconds before each Check, min:max (default 2:6)")
    parser.add_argument("--open-at-once", type=int, default=4, help="module pages opened at once (default 4)")
    parser.add_argument("--aim", type=float, default=300.0, help="p95 click to feedback to stay under, ms")
    parser.add_argument("--json", type=Path, help="also write the raw numbers to this file")
    parser.add_argument("--mode", choices=["per-user", "shared"], default="per-user", help="COURSE_HUB_MODE")
    parser.add_argument("--pool-size", default="2", help="shared mode: ready kernels per page type (default 2)")
    args = parser.parse_args(argv)
    args.think = tuple(float(x) for x in args.think.split(":"))
    sizes = [1] + [int(s) for s in args.sizes.split(",") if s.strip() and int(s) != 1]
    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"cannot run: {reason}")

    sys.stdout.reconfigure(line_buffering=True)  # progress lines show up at once in a log file
    console = Console(width=180)
    work = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    (work / "site.py").write_text(SITE_CONFIG)
    results = []
    with postgres_server() as server:
        records, gradebook = database_url(server, "bench_records"), database_url(server, "bench_gradebook")
        with hub_server(
            work / "hub",
            records,
            gradebook,
            modules=[MODULE],
            mode=args.mode,
            extra_env={"COURSE_HUB_SITE_CONFIG": str(work / "site.py"), "COURSE_HUB_POOL_SIZE": args.pool_size},
        ) as hub:
            # the hub answers /hub/health before its proxy routes: in shared mode it first waits for the service
            wait_until(lambda: http_get(f"{hub.url}/hub/login")[0] == 200, timeout=300)
            console.print(f"hub at {hub.url} ({args.mode}; log {hub.log})", highlight=False)
            for n in sizes:
                try:
                    results.append(asyncio.run(run_size(hub, n, args, console)))
                except Exception as exc:  # noqa: BLE001 - report how far it got
                    console.print(f"N={n}: did not complete ({type(exc).__name__}: {exc})", highlight=False)
                    break

    alone = p95(results[0]["clicks"]) if results else float("nan")
    table = Table(
        title=f"Learners through the hub at once ({args.mode} mode, {os.cpu_count()} cores, {args.answers} answers each, "
        f"think {args.think[0]:g}-{args.think[1]:g} s)"
    )
    for column in (
        "learners",
        "clicks",
        "median ms",
        "p95 ms",
        "p95 / alone",
        "MB per learner",
        "server MB",
        "kernels MB",
        "servers ready s",
        "pages open s",
        f"p95 < {args.aim:g} ms",
    ):
        table.add_column(column)
    held = None
    for r in results:
        mems = list(r["memory"].values())
        server = statistics.median(m[0] for m in mems) if mems else float("nan")
        kernels = statistics.median(m[1] for m in mems) if mems else float("nan")
        total = statistics.median(m[0] + m[1] for m in mems) if mems else float("nan")
        ok = p95(r["clicks"]) < args.aim
        if ok:
            held = r["n"]
        table.add_row(
            str(r["n"]),
            str(len(r["clicks"])),
            f"{statistics.median(r['clicks']):.0f}",
            f"{p95(r['clicks']):.0f}",
            f"{p95(r['clicks']) / alone:.2f}x",
            f"{total:.0f}",
            f"{server:.0f}",
            f"{kernels:.0f}",
            f"{r['spawn_s']:.0f}",
            f"{r['open_s']:.0f}",
            "yes" if ok else "NO",
        )
    console.print(table)
    console.print(
        f"Largest N with p95 click to feedback under {args.aim:g} ms on this machine: "
        f"{held if held is not None else 'none'}",
        highlight=False,
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return {"results": results, "largest": held}


if __name__ == "__main__":
    main()
