"""The learner app as learners get it: `course serve` (a real Voila on 127.0.0.1) driven by a real
headless Chromium. One server for the whole file; every test has its own learners.

Screenshots of the home, a module and the summary go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from course.assessment.layout import attempt_key, choice_order, shown_scenario
from course.content.model import load_course
from course.records.attempt import LearnerRecords
from course.records.store import Store

from .support.grading_helpers import copy_course_root
from .support.servers import (
    ARTIFACTS,
    AXE,
    CHROMIUM,
    axe_violations,
    course_server,
    http_get,
    kernel_alive,
    page_kernel_id,
    signed_in,
    tab_to,
    wait_until,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (scripts/test.sh installs it)"
    ),
]

CULL_IDLE = 8  # seconds: short, so the test can watch a closed page's kernel being culled
PAGE_TIMEOUT = 120_000  # generous: CI machines are small and busy


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("voila-app")
    grading = copy_course_root(data)  # `course serve` releases every module into it and runs the marker
    env = {
        "COURSE_DATA_DIR": str(data / "var"),
        "COURSE_DB_URL": "",
        "COURSE_LEARNER": "server-os-user",
        "COURSE_GRADING_DIR": str(grading),
        "NBGRADER_EXCHANGE": str(data / "exchange"),
    }
    log = data / "voila.log"
    with course_server(env, log, "--pool-size=2", f"--cull-idle={CULL_IDLE}") as base:
        yield {
            "base": base,
            "db": f"sqlite:///{data / 'var' / 'records.db'}",
            "log": log,
            "grading": grading,
            "var": data / "var",
        }


@pytest.fixture
def store(server):
    return Store(server["db"])


def module_url(server, module_id: str, token: str) -> str:
    return f"{server['base']}/voila/render/module.ipynb?module={module_id}&token={token}"


def open_page(browser, url: str, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(PAGE_TIMEOUT)
    page.goto(url, wait_until="domcontentloaded")
    return page


def button(text: str) -> str:
    return f"el.tagName === 'BUTTON' && el.textContent.trim() === {text!r} && !el.disabled"


def wait_enabled(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).last.wait_for(state="visible")
    page.wait_for_function(f"""() => [...document.querySelectorAll('button')].some(
        b => b.textContent.trim() === {name!r} && !b.disabled && b.offsetParent !== null)""")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# --- the whole journey, keyboard only -------------------------------------------------------


def test_sign_in_and_complete_a_module_with_the_keyboard_alone(server, browser, store):
    course = load_course()
    module = course.module("why")
    staff_number = "KB-1001"
    page = open_page(browser, server["base"] + "/")
    page.get_by_role("textbox", name="Your name").wait_for()
    tab_to(page, "the name box", "el.tagName === 'INPUT' && el.placeholder.includes('Sam Taylor')")
    page.keyboard.type("Kim Byrne")
    page.keyboard.press("Tab")
    page.keyboard.type(staff_number)
    tab_to(page, "Sign in", button("Sign in"))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Hello, Kim Byrne").wait_for()
    assert "token=" in page.url  # the address now carries the session: a reload keeps it
    tab_to(page, "the start link", "el.tagName === 'A' && el.textContent.includes('Start: Why it matters')")
    page.keyboard.press("Enter")

    page.get_by_role("heading", name=module.title, level=1).wait_for()
    wait_enabled(page, "Start")
    tab_to(page, "Start", button("Start"))
    page.keyboard.press("Enter")
    chosen: dict[str, str] = {}
    for _ in range(len(module.scenarios) + 1):
        heading = page.locator(".cm-card__title").first
        heading.wait_for()
        page.wait_for_function("document.activeElement && document.activeElement.classList.contains('cm-card__title')")
        scenario = next(s for s in module.scenarios if s.title == heading.text_content().strip())
        pick = len(chosen) % len(scenario.choices)
        page.keyboard.press("Tab")  # from the scenario's title to its first choice
        page.keyboard.press("Space")
        for _ in range(pick):
            page.keyboard.press("ArrowDown")
        wait_enabled(page, "Check my answer")
        tab_to(page, "Check my answer", button("Check my answer"))
        page.keyboard.press("Enter")
        page.wait_for_function("document.activeElement && document.activeElement.classList.contains('cm-focus-target')")
        # the pick is the place on screen: the attempt's shuffled order (course.assessment.layout)
        shown = shown_scenario(scenario, attempt_key(staff_number, "why", 1))
        chosen[scenario.id] = shown.choices[pick].id
        if len(chosen) == 1:
            shot(page, "module-feedback-1280")
        label = "See your result" if page.get_by_role("button", name="See your result").is_visible() else "Next"
        wait_enabled(page, label)
        tab_to(page, label, button(label))
        page.keyboard.press("Enter")
        if label == "See your result":
            break
    page.get_by_role("heading", name="Your result").wait_for()
    tab_to(page, "the reflection box", "el.tagName === 'TEXTAREA'")
    page.keyboard.type("I will ask the person first, and check who can see a post.")
    wait_enabled(page, "Finish")
    tab_to(page, "Finish", button("Finish"))
    page.keyboard.press("Enter")
    page.get_by_text("Your result is saved.").wait_for()
    shot(page, "module-summary-1280")
    # the marker (nbgrader, beside Voila) marks the submission: the mark of record shows here
    page.get_by_text(re.compile("Mark of record|Come back to this page")).wait_for()
    deadline = time.monotonic() + 240
    while not page.get_by_text("Mark of record").is_visible() and time.monotonic() < deadline:
        time.sleep(3)  # a busy machine: the page said the mark is on its way; coming back shows it
        page.reload(wait_until="domcontentloaded")
        page.get_by_role("heading", name="Your result").wait_for()
    page.get_by_text("Mark of record").wait_for(timeout=5_000)
    # the review of the marked attempt, in the page (tests/test_review_browser.py reads it closely);
    # nbgrader's own feedback page is the managers' (`course feedback`), never in a frame here
    page.locator(".cm-review").wait_for()
    assert "Your choice" in page.locator(".cm-review").inner_text()
    assert page.locator("iframe").count() == 0
    shot(page, "module-marked-1280")
    assert axe_violations(page) == []
    assert "Traceback" not in page.inner_text("body")
    page.close()

    # the answers are in the store, and the submission built from it holds every one
    graded = {s.id for s in module.graded_scenarios}
    assert graded <= set(chosen)
    saved = store.decisions(staff_number, "why", 1)
    assert {sid: d.choice_id for sid, d in saved.items()} == chosen
    records = LearnerRecords.open(staff_number, module, course.policy.version, store)
    submitted = records.as_responses()
    assert submitted["learner"] == staff_number and submitted["module"] == "why"
    assert {sid: d["choice"] for sid, d in submitted["decisions"].items()} == chosen
    assert submitted["reflections"]["module"].startswith("I will ask the person first")
    from course.app.status import module_status

    assert module_status(store, course, staff_number, module).state in ("passed", "failed")
    from course.grading.finish import result_for

    marked = result_for(store, staff_number, "why", module.pass_mark, Path(server["grading"]))
    expected = sum(module.scenario(sid).choice(cid).score for sid, cid in chosen.items() if sid in graded)
    assert marked.status == "graded" and marked.score == expected  # nbgrader agrees with the app


# --- coming back ------------------------------------------------------------------------------


def test_closing_the_page_mid_module_and_reopening_restores_the_answers(server, browser, store):
    module = load_course().module("sharing")
    token = signed_in(store, "RS-2002", "Rae Smith")
    page = open_page(browser, module_url(server, "sharing", token))
    page.get_by_role("button", name="Start").click()
    picks = []
    for scenario in module.graded_scenarios[:2]:
        page.get_by_role("heading", name=scenario.title).wait_for()
        choice = scenario.choices[-1]
        page.get_by_role("radio", name=choice.text).check()
        page.get_by_role("button", name="Check my answer").click()
        page.locator(".cm-feedback").wait_for()
        picks.append((scenario, choice))
        page.get_by_role("button", name="Next").click()
    page.close()  # no goodbye: as if the tab were closed

    page = open_page(browser, module_url(server, "sharing", token))
    third = module.graded_scenarios[2]
    page.get_by_role("heading", name=third.title).wait_for()  # carries on at the first unanswered one
    assert "2 of" in page.locator(".cm-progress").text_content()
    for scenario, choice in reversed(picks):
        page.get_by_role("button", name="Back").click()
        page.get_by_role("heading", name=scenario.title).wait_for()
        radio = page.get_by_role("radio", name=choice.text)
        assert radio.is_checked() and radio.is_disabled()
        assert choice.text in page.locator(".cm-feedback").text_content()
    page.close()


def test_a_module_page_letters_the_shuffled_choices_and_a_reload_keeps_the_order(server, browser, store):
    module = load_course().module("protect")
    first = module.graded_scenarios[0]
    # a learner whose order is not the YAML's (so the page cannot pass by showing the YAML's)
    learner = next(
        f"SH-{n}"
        for n in range(2003, 2100)
        if choice_order(first, attempt_key(f"SH-{n}", "protect", 1)) != tuple(c.id for c in first.choices)
    )
    token = signed_in(store, learner, "Sol Hart")
    expected = [first.choice(cid).text for cid in choice_order(first, attempt_key(learner, "protect", 1))]

    def radios_on_screen() -> list[str]:
        page = open_page(browser, module_url(server, "protect", token))
        page.get_by_role("button", name="Start").click()
        page.get_by_role("heading", name=first.title).wait_for()
        page.get_by_role("radio").first.wait_for()
        labels = [t.strip() for t in page.locator(".cm-decision .widget-radio-box label").all_inner_texts()]
        page.close()
        return labels

    shown = radios_on_screen()
    letters = "ABCDEFGH"[: len(expected)]
    assert shown == [f"{x}. {text}" for x, text in zip(letters, expected, strict=True)]
    assert radios_on_screen() == shown  # a reload: the same order, the same letters


# --- identity cannot be borrowed ----------------------------------------------------------------


def test_editing_the_token_does_not_show_another_learners_answers(server, browser, store):
    module = load_course().module("boundaries")
    first = module.graded_scenarios[0]
    victim = signed_in(store, "VA-3003", "Val Adams")
    attempt = store.current_attempt("VA-3003", "boundaries", "x")
    store.record_decision("VA-3003", "boundaries", attempt, first.id, first.choices[0].id, first.choices[0].score)
    mine = signed_in(store, "MB-3004", "Mo Bell")

    edited = mine[:-2] + ("AA" if not mine.endswith("AA") else "BB")
    for query in [
        f"module=boundaries&token={edited}",
        "module=boundaries&learner=VA-3003",
        "module=boundaries&token=VA-3003",
        f"module=boundaries&token={victim[:20]}",
    ]:
        page = open_page(browser, f"{server['base']}/voila/render/module.ipynb?{query}")
        page.get_by_role("heading", name="Please sign in").wait_for()
        text = page.locator("body").inner_text()
        assert "Val Adams" not in text and first.title not in text and first.choices[0].text not in text
        page.close()

    page = open_page(browser, module_url(server, "boundaries", mine))
    page.get_by_text("Signed in as Mo Bell").wait_for()
    page.get_by_role("button", name="Start").click()
    page.get_by_role("heading", name=first.title).wait_for()
    assert not page.get_by_role("radio", name=first.choices[0].text).is_checked()
    assert page.get_by_role("button", name="Check my answer").is_visible()
    page.close()


# --- accessibility and screenshots ------------------------------------------------------------------


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (scripts/test.sh runs npm ci in tests/js)")
@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_serious_problems_on_home_module_and_summary(server, browser, store, width):
    course = load_course()
    module = course.module("protect")
    learner = f"AX-{width}"
    token = signed_in(store, learner, "Ash Khan")
    attempt = store.current_attempt(learner, "protect", course.policy.version)
    for scenario in module.graded_scenarios[:-1]:  # all but the last: the test answers that one
        choice = max(scenario.choices, key=lambda c: c.score)
        store.record_decision(learner, "protect", attempt, scenario.id, choice.id, choice.score)
    problems = {}

    page = open_page(browser, f"{server['base']}/voila/render/home.ipynb?token={token}", width)
    page.get_by_role("heading", name="Your modules").wait_for()
    problems["home"] = axe_violations(page)
    shot(page, f"home-{width}")
    page.close()

    page = open_page(browser, module_url(server, "protect", token), width)
    last = module.graded_scenarios[-1]
    page.get_by_role("heading", name=last.title).wait_for()  # the first unanswered one
    page.get_by_role("radio", name=next(c for c in last.choices if not c.next).text).check()
    page.get_by_role("button", name="Check my answer").click()
    page.locator(".cm-feedback").wait_for()
    problems["module"] = axe_violations(page)
    shot(page, f"module-{width}")
    page.get_by_role("button", name="See your result").click()
    page.get_by_role("heading", name="Your result").wait_for()
    problems["summary"] = axe_violations(page)
    shot(page, f"summary-{width}")
    # 44 px targets: every button and button-like link a learner can use on this page
    small = page.evaluate("""() => [...document.querySelectorAll('button, a.cm-button, .cm-crumbs a')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el.textContent.trim(), el.getBoundingClientRect().height])
        .filter(([, h]) => h < 44)""")
    page.close()
    assert {k: v for k, v in problems.items() if v} == {}
    assert small == []


# --- the certificate ------------------------------------------------------------------------------


def test_a_learner_who_completed_opens_and_downloads_the_certificate_from_home(server, browser, store, monkeypatch):
    from datetime import date, timedelta

    from course.manager import certificates

    from .test_reports import add_attendance

    token = signed_in(store, "CT-7007", "Cal Tran")
    for module_id in load_course().modules:  # passed: shown on the home as passed ...
        attempt = store.current_attempt("CT-7007", module_id, load_course().policy.version)
        for scenario in load_course().module(module_id).graded_scenarios:
            best = max(scenario.choices, key=lambda c: c.score)
            store.record_decision("CT-7007", module_id, attempt, scenario.id, best.id, best.score)
        store.finish_attempt("CT-7007", module_id, attempt)
    add_attendance(store, [("CT-7007", "all", date.today() - timedelta(days=1))])  # ... and of record
    # the page never writes the register: a trainer-led completion is issued by `course certificate`
    # (or a report), with the server's key
    monkeypatch.setenv("COURSE_DATA_DIR", str(server["var"]))
    certificates.issue(store, load_course(), ["CT-7007"])

    page = open_page(browser, f"{server['base']}/voila/render/home.ipynb?token={token}")
    page.get_by_role("heading", name="You have passed every module").wait_for()
    page.get_by_role("link", name="Your certificate").click()
    page.get_by_role("heading", name="Your certificate", level=1).wait_for()
    text = page.inner_text("body")
    cert_id = re.search(r"SMC(-[A-Z2-7]{5}){4}", text).group(0)
    monkeypatch.setenv("COURSE_DATA_DIR", str(server["var"]))  # the server's key signed it
    assert certificates.verify(store, cert_id).ok and "Cal Tran" in text
    assert "Cal Tran" in page.locator(".cm-cert-preview").inner_text()
    with page.expect_download() as download:  # a real file from the server (course.server.downloads)
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    saved = download.value.path()
    assert download.value.suggested_filename == f"certificate-{cert_id}.pdf"
    assert Path(saved).read_bytes().startswith(b"%PDF")
    assert axe_violations(page) == []
    shot(page, "certificate-1280")
    page.close()


# --- served safely and leanly --------------------------------------------------------------------------


def test_everything_comes_from_this_server_with_safe_headers(server, browser, store):
    base = server["base"]
    token = signed_in(store, "OF-4004", "Olu Fry")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(PAGE_TIMEOUT)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{base}/", wait_until="domcontentloaded")
    page.get_by_role("textbox", name="Your name").wait_for()
    page.goto(
        f"{base}/voila/render/module.ipynb?module=why&token={token}&template=lab&theme=dark",
        wait_until="domcontentloaded",
    )
    page.get_by_role("button", name="Start").click()
    page.locator(".cm-card__title").wait_for()
    page.goto(f"{base}/voila/render/module.ipynb?module=no-such-module&token={token}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="We could not find that page").wait_for()  # friendly, no traceback
    assert "Traceback" not in page.content() and "Error" not in page.locator("body").inner_text()
    page.close()
    outside = [
        u for u in requests if urlparse(u).hostname not in ("127.0.0.1",) and not u.startswith(("data:", "blob:"))
    ]
    assert requests and outside == []

    status, headers, body = http_get(f"{base}/")
    assert status == 302 and headers["Location"].endswith("/voila/render/home.ipynb")
    status, headers, body = http_get(f"{base}/voila/render/home.ipynb?template=lab&theme=dark")
    assert status == 200 and "course/static/theme.css" in body and "cdn." not in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Content-Type-Options"] == "nosniff"
    xsrf = [c for c in headers.get_all("Set-Cookie") if c.startswith("_xsrf=")]
    assert xsrf and "SameSite=Strict" in xsrf[0]  # set, so that closing the page can free its kernel
    for path in [
        "/voila/tree",
        "/voila/api/contents",
        "/voila/render/missing.ipynb",
        "/nope",
        "/voila/files/module.ipynb",
        "/voila/templates/course/oops",
    ]:
        status, headers, body = http_get(base + path)
        assert status in (403, 404, 500), path
        assert "Traceback" not in body and "course/static/theme.css" in body, path


def test_a_closed_page_frees_its_kernel(server, browser, store):
    token = signed_in(store, "KC-5005", "Kai Cole")
    page = open_page(browser, module_url(server, "why", token))
    page.get_by_role("button", name="Start").wait_for()
    said_goodbye = page_kernel_id(page)
    page.goto("about:blank")  # leaving the page: Voila's script tells the server on the way out
    page.close()
    deadline = time.monotonic() + 4 * CULL_IDLE + 10
    while kernel_alive(server["base"], said_goodbye) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert not kernel_alive(server["base"], said_goodbye)
    assert f"({said_goodbye})" not in server["log"].read_text()  # shut down at once, not culled

    page = open_page(browser, module_url(server, "why", token))
    page.get_by_role("button", name="Start").wait_for()
    vanished = page_kernel_id(page)
    page.close()  # no goodbye (a phone dropping the tab): culling stops the idle kernel
    assert kernel_alive(server["base"], vanished)
    deadline = time.monotonic() + 4 * CULL_IDLE + 10
    while kernel_alive(server["base"], vanished) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not kernel_alive(server["base"], vanished)
    log = server["log"].read_text()
    assert "Culling 'idle' kernel 'python3' (<kernel>)" in log  # said, with the id kept out of the log
    assert vanished not in log


def test_session_tokens_stay_out_of_the_server_log(server, store):
    token = signed_in(store, "LG-6006", "Lee Gray")
    http_get(module_url(server, "why", token))
    # Tornado writes the request line after the response is sent: wait for it, as a reader of the log would
    log = wait_until(
        lambda: (
            (text := server["log"].read_text()) and re.search(r"200 GET /voila/render/module\.ipynb \d", text) and text
        ),
        timeout=30,
        every=0.1,
    )
    assert token not in log  # ...without its query string
