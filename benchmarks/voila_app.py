"""Benchmark: the course's module app against a bare one-button Voila notebook, served the same way.

    .venv/bin/python -m benchmarks.voila_app [--runs 10] [--clicks 3] [--pool-size 2]

Both run under the course's Voila server (`python -m course.server.voila`, the same flags as
`course serve`: course template, preheated kernels, the same pool size) on 127.0.0.1, and a
real headless Chromium drives both in the same run, taking turns so both see the same load
(the order rotates each round: neither is always first):

- time to interactive: from navigation to the first usable widget (the module's Start
  button; the bare notebook's button), median and p95 of --runs page loads with a cold
  browser cache (a new browser context each time: a first visit) and --runs with a warm one
  (one context per server, kept: a returning learner), each on a preheated kernel (the pool is
  given time to refill between rounds);
- click to feedback: from the click on "Check my answer" to the feedback on screen (bare:
  from the click to the label it updates), median and p95, timed inside the page;
- memory: the resident memory (RSS) of the kernel behind one learner's page, once it has
  answered --clicks times.

Prints a table with ratios (course / bare) and the aims: time to interactive at most 1.0x,
click-to-feedback p95 under 150 ms, kernel memory at most 1.3x. Never run in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stats import median, p95, rotation  # noqa: E402
from tests.support.kernels import kernel_process  # noqa: E402
from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, free_port, page_kernel_id, stop, wait_for  # noqa: E402

BARE_SOURCE = """import ipywidgets as widgets
from IPython.display import display

button = widgets.Button(description="Click me")
label = widgets.Label("")
clicks = [0]


def clicked(_button):
    clicks[0] += 1
    label.value = f"clicked {clicks[0]}"


button.on_click(clicked)
display(widgets.VBox([button, label]))"""

# time from the click to the change on screen, measured by the page itself
TIME_CLICK = """([buttonSelector, doneSelector, doneText]) => new Promise((resolve) => {
    const button = [...document.querySelectorAll(buttonSelector)].find(b => b.offsetParent !== null && !b.disabled);
    const start = performance.now();
    const done = () => [...document.querySelectorAll(doneSelector)].some(
        el => el.offsetParent !== null && (!doneText || el.textContent.includes(doneText)));
    const observer = new MutationObserver(() => {
        if (done()) { observer.disconnect(); resolve(performance.now() - start); }
    });
    observer.observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
    button.click();
})"""


def bare_notebook(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    folder.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(
        cells=[new_code_cell(BARE_SOURCE)],
        metadata={"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
    )
    nbformat.write(nb, folder / "bare.ipynb")
    return folder


def start_server(folder: Path, port: int, pool_size: int, env: dict, log: Path) -> subprocess.Popen:
    from course.server.supervisor import ServeOptions, voila_command

    command = voila_command(folder, ServeOptions(port=port, pool_size=pool_size))
    return subprocess.Popen(command, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def kernel_uss_mb(server: subprocess.Popen, kernel_id: str) -> float:
    """The kernel's own memory (USS): a kernel forked from the zygote shares the rest with it."""
    return kernel_process(kernel_id, server.pid).memory_full_info().uss / 2**20


def load_and_click(page, name, ports, module, store, sessions, clicks_wanted: int, run: int):
    """One page load (time to interactive, s) and its timed clicks (ms)."""
    if name == "course":
        learner = f"bench-{run}-{secrets.token_hex(3)}"
        store.ensure_learner(learner, name="Bench Learner")
        url = (
            f"http://127.0.0.1:{ports['course']}/voila/render/module.ipynb"
            f"?module={module.id}&token={sessions.issue(store, learner)}"
        )
        ready = "button.cm-btn:not([disabled]) >> text=Start"
    else:
        url = f"http://127.0.0.1:{ports['bare']}/voila/render/bare.ipynb"
        ready = "button.jupyter-button:not([disabled]) >> text=Click me"
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.locator(ready).wait_for(state="visible", timeout=120_000)
    tti = time.perf_counter() - started
    clicks = []
    if name == "course":
        page.locator(ready).click()
        for i in range(clicks_wanted):
            page.locator(".cm-feedback").first.wait_for(state="detached")  # the last page's
            page.locator(".cm-card__title").wait_for()
            page.locator(".cm-decision input[type=radio]").nth(i % 3).check()
            page.locator("button.cm-check:not([disabled])").wait_for()
            time.sleep(0.3)  # a person reads their choice before pressing Check
            clicks.append(page.evaluate(TIME_CLICK, ["button.cm-check", ".cm-feedback", ""]))
            page.locator("button:not([disabled]) >> text=Next").click()
    else:
        for i in range(clicks_wanted):
            time.sleep(0.3)
            clicks.append(page.evaluate(TIME_CLICK, ["button.jupyter-button", ".widget-label", f"clicked {i + 1}"]))
    return tti, clicks


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh page loads of each (default 10)")
    parser.add_argument("--clicks", type=int, default=3, help="answers / clicks timed per page load (default 3)")
    parser.add_argument("--pool-size", type=int, default=2, help="preheated kernels per notebook (default 2)")
    parser.add_argument("--refill", type=float, default=6.0, help="seconds between loads for the pool to refill")
    parser.add_argument("--json", type=Path, help="also write the raw numbers to this file")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from course.content.model import load_course
    from course.records import signin_tokens as sessions
    from course.records.store import Store
    from course.server.supervisor import prepare, server_env

    work = Path(tempfile.mkdtemp(prefix="voila-bench-"))
    env = server_env({**os.environ, "COURSE_DATA_DIR": str(work / "var"), "COURSE_DB_URL": ""})
    os.environ.update({"COURSE_DATA_DIR": env["COURSE_DATA_DIR"]})
    os.environ.pop("COURSE_DB_URL", None)
    course = load_course()
    module = course.module("why")
    app_folder = prepare(course)
    store = Store()
    ports = {"course": free_port(), "bare": free_port()}
    servers = {
        "course": start_server(app_folder, ports["course"], args.pool_size, env, work / "course.log"),
        "bare": start_server(bare_notebook(work / "bare"), ports["bare"], args.pool_size, env, work / "bare.log"),
    }
    console = Console()
    results: dict[str, dict[str, list[float]]] = {
        name: {"tti_cold": [], "tti_warm": [], "click": [], "rss": []} for name in servers
    }
    try:
        for name, port in ports.items():
            wait_for(f"http://127.0.0.1:{port}/", timeout=120, process=servers[name])
        time.sleep(args.refill)  # both pools filled and their first cells run
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            # one context per server keeps its cache between loads (a returning learner); a cold load
            # gets a new context each time (a first visit); round 0 warms the warm ones and is not counted
            warm = {name: browser.new_context(viewport={"width": 1280, "height": 900}) for name in servers}
            for run in range(args.runs + 1):
                # the order rotates each round, so neither server is always measured first
                for name in rotation(list(servers), run):
                    for cache in rotation(["cold", "warm"], run // 2):
                        context = (
                            warm[name]
                            if cache == "warm"
                            else browser.new_context(viewport={"width": 1280, "height": 900})
                        )
                        page = context.new_page()
                        tti, clicks = load_and_click(page, name, ports, module, store, sessions, args.clicks, run)
                        rss = kernel_uss_mb(servers[name], page_kernel_id(page))
                        page.goto("about:blank")  # leaving the page frees its kernel
                        page.close()
                        if cache == "cold":
                            context.close()
                        if run:
                            results[name][f"tti_{cache}"].append(tti)
                            results[name]["click"].extend(clicks)
                            results[name]["rss"].append(rss)
                        console.print(
                            f"run {run} {name} ({cache} cache): interactive in {tti:.2f} s, clicks "
                            f"{', '.join(f'{c:.0f}' for c in clicks)} ms, kernel {rss:.0f} MB",
                            highlight=False,
                        )
                    time.sleep(args.refill)
            browser.close()
    finally:
        for server in servers.values():
            stop(server, timeout=20)

    table = Table(
        title=f"Learner app vs bare one-button notebook (Voila, preheated, pool {args.pool_size}, "
        f"{args.runs} loads, {os.cpu_count()} cores)"
    )
    for column in ("measure", "course module", "bare notebook", "ratio", "aim", "met"):
        table.add_column(column)
    c, b = results["course"], results["bare"]
    rows = [
        ("time to interactive, cold cache, median (s)", median(c["tti_cold"]), median(b["tti_cold"]), "<= 1.0x", None),
        ("time to interactive, cold cache, p95 (s)", p95(c["tti_cold"]), p95(b["tti_cold"]), "", None),
        ("time to interactive, warm cache, median (s)", median(c["tti_warm"]), median(b["tti_warm"]), "<= 1.0x", None),
        ("time to interactive, warm cache, p95 (s)", p95(c["tti_warm"]), p95(b["tti_warm"]), "", None),
        ("click to feedback, median (ms)", median(c["click"]), median(b["click"]), "", None),
        ("click to feedback, p95 (ms)", p95(c["click"]), p95(b["click"]), "< 150 ms", 150.0),
        ("kernel memory, median USS (MB)", median(c["rss"]), median(b["rss"]), "<= 1.3x", None),
    ]
    summary = {}
    for label, ours, bare, aim, absolute in rows:
        ratio = ours / bare if bare else float("nan")
        if absolute is not None:
            met = ours < absolute
        elif aim.startswith("<= "):
            met = ratio <= float(aim[3:-1])
        else:
            met = None
        summary[label] = {"course": ours, "bare": bare, "ratio": ratio, "aim": aim, "met": met}
        fmt = "{:.2f}" if "(s)" in label else "{:.0f}"
        table.add_row(
            label,
            fmt.format(ours),
            fmt.format(bare),
            f"{ratio:.2f}x",
            aim,
            "" if met is None else ("yes" if met else "NO"),
        )
    console.print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "raw": results}, indent=2))
    return summary


if __name__ == "__main__":
    main()
