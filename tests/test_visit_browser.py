"""One kernel per learner visit (issue 19) in a real browser: a real `course serve` and headless
Chromium. Home -> module -> home -> certificate -> Back -> Forward is one document on one kernel
(no page load, the server starts no kernel), a deep link and a reload open the right view, Tab
and Enter on a link navigate, axe finds nothing serious after a navigation, a reflection typed
just before leaving the module is saved, and an address forged over the websocket (junk, another
learner's sign-in) shows nothing of anyone else's.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest

from course.content.model import load_course
from course.manager import certificates
from course.records import attendance
from course.records.attempt import LearnerRecords
from course.records.store import Store

from .support.screens import PHONE, keep_screenshot
from .support.servers import (
    CHROMIUM,
    axe_violations,
    course_key,
    course_server,
    kernel_alive,
    page_kernel_id,
    signed_in,
    tab_to,
    wait_until,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]

KEY = "visit-browser-test-key-0123456789"
AMY, ZED = "VB-1001", "VB-2002"  # Amy has completed the course; Zed is the learner nobody else may see
TIMEOUT = 120_000
MODULE = "why"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("visit")
    env = {"COURSE_DATA_DIR": str(data / "var"), "COURSE_DB_URL": "", "COURSE_SECRET_KEY": KEY}
    # this process issues the certificate with the server's key
    with course_server(env, data / "voila.log", "--pool-size=1") as base, course_key(KEY):
        store = Store(f"sqlite:///{data / 'var' / 'records.db'}")
        tokens = {AMY: signed_in(store, AMY, "Amy Reid"), ZED: signed_in(store, ZED, "Zed Quinn")}
        attendance.record(store, [(AMY, "all", date.today() - timedelta(days=2))])
        certificates.issue(store, load_course(), [AMY])
        yield {"base": base, "tokens": tokens, "store": store, "log": data / "voila.log"}


def address(server, page: str, **query: str) -> str:
    from urllib.parse import urlencode

    return f"{server['base']}/voila/render/{page}.ipynb" + (f"?{urlencode(query)}" if query else "")


def open_view(browser, url: str, ready, viewport=None):
    page = browser.new_page(viewport=viewport or {"width": 1280, "height": 800})
    page.set_default_timeout(TIMEOUT)
    page.goto(url, wait_until="domcontentloaded")
    try:
        ready(page).wait_for(timeout=60_000)
    except Exception:  # noqa: BLE001 - nbclient's 4 s IOPub wait can drop a first render on a loaded machine
        page.goto(url, wait_until="domcontentloaded")  # what a learner does: reload
        ready(page).wait_for()
    page.locator(".cm-visit-route").wait_for(state="attached")
    page.evaluate("window.__sameDocument = 'yes'")  # gone if the browser loads a new page
    return page


def kernels_started(server) -> int:
    """How many kernels the server has started (its log says so for each, the id redacted)."""
    return server["log"].read_text(errors="replace").count("Kernel started")


def settled_kernels(server) -> int:
    """The server's kernel starts once the pool has refilled after a page took one (unchanged for a while)."""
    seen: list[int] = []

    def steady():
        seen.append(kernels_started(server))
        return len(seen) >= 4 and seen[-1] == seen[-2] == seen[-3] == seen[-4]

    wait_until(steady, timeout=120, every=1.5)
    return seen[-1]


def heading(page, name: str):
    return page.get_by_role("heading", name=name, level=1)


def arrived(page, name: str) -> None:
    """The view whose main heading is `name` is on screen, in the same document, focused on that heading."""
    heading(page, name).wait_for()
    page.wait_for_function(
        "name => document.activeElement && document.activeElement.tagName === 'H1' && "
        "document.activeElement.textContent.trim() === name",
        arg=name,
    )
    assert page.evaluate("window.__sameDocument") == "yes", "the browser loaded a new page"


def test_a_whole_visit_runs_on_one_kernel_and_starts_none(server, browser):
    course = load_course()
    page = open_view(
        browser, address(server, "home", token=server["tokens"][AMY]), lambda p: heading(p, "Hello, Amy Reid")
    )
    kernel = page_kernel_id(page)
    before = settled_kernels(server)

    page.get_by_role("link", name=course.module(MODULE).title, exact=True).click()
    arrived(page, course.module(MODULE).title)
    assert re.search(rf"/module\.ipynb\?module={MODULE}&token=", page.url)
    assert page.title() == f"{course.module(MODULE).title} - Social media course"
    page.wait_for_function("document.getElementById('cm-visit-live').textContent.includes('Page opened')")

    page.get_by_role("link", name="Course home").first.click()
    arrived(page, "Hello, Amy Reid")
    page.get_by_role("link", name="Your certificate").click()
    arrived(page, "Your certificate")
    page.locator(".cm-cert-preview .cm-cert-name").wait_for()
    assert "Amy Reid" in page.locator(".cm-cert-preview .cm-cert-name").text_content()
    assert page.url.split("/")[-1].startswith("certificate.ipynb?token=")
    assert page.evaluate("window.scrollY") == 0

    page.go_back()
    arrived(page, "Hello, Amy Reid")
    assert "/home.ipynb?token=" in page.url
    page.go_forward()
    arrived(page, "Your certificate")
    assert axe_violations(page) == []
    keep_screenshot(page, "visit-certificate-in-visit-projector")

    assert page_kernel_id(page) == kernel and kernel_alive(server["base"], kernel)
    assert kernels_started(server) == before, "a navigation started a kernel"
    page.close()


def test_a_deep_link_and_a_reload_open_their_own_view(server, browser):
    course = load_course()
    token = server["tokens"][AMY]
    page = open_view(browser, address(server, "help", token=token), lambda p: heading(p, "Where to get help"))
    page.get_by_role("link", name="Go to the course home").click()
    arrived(page, "Hello, Amy Reid")
    page.get_by_role("link", name=course.module(MODULE).title, exact=True).click()
    arrived(page, course.module(MODULE).title)
    first = page_kernel_id(page)

    page.reload(wait_until="domcontentloaded")  # a reload loads the address the visit is at
    heading(page, course.module(MODULE).title).wait_for()
    assert page.evaluate("window.__sameDocument") is None and page_kernel_id(page) != first
    page.close()

    deep = open_view(browser, address(server, "certificate", token=token), lambda p: heading(p, "Your certificate"))
    deep.get_by_role("link", name="Back to the course home").click()
    arrived(deep, "Hello, Amy Reid")
    deep.close()


def test_tab_and_enter_on_a_link_navigate_and_axe_is_clean(server, browser):
    course = load_course()
    title = course.module(MODULE).title
    page = open_view(
        browser, address(server, "home", token=server["tokens"][AMY]), lambda p: heading(p, "Hello, Amy Reid"), PHONE
    )
    tab_to(page, "the module's link", f"el.tagName === 'A' && el.textContent.trim() === {title!r}")
    page.keyboard.press("Enter")
    arrived(page, title)
    assert axe_violations(page) == []
    tab_to(page, "Course home", "el.tagName === 'A' && el.textContent.includes('Course home')")
    page.keyboard.press("Enter")
    arrived(page, "Hello, Amy Reid")
    assert axe_violations(page) == []
    keep_screenshot(page, "visit-home-after-keyboard-phone")
    page.close()


def test_a_reflection_typed_just_before_leaving_is_saved(server, browser):
    store, course = server["store"], load_course()
    learner = "VB-3003"
    token = signed_in(store, learner, "Rae Lowe")
    records = LearnerRecords.open(learner, course.module(MODULE), course.policy.version, store, policy=course.policy)
    for sid in records.shown_graded:  # every scenario answered: the module opens on its summary
        choice = max((c for c in records.module.scenario(sid).choices if not c.next), key=lambda c: c.score)
        store.record_decision(learner, MODULE, records.attempt, sid, choice.id, choice.score)
    page = open_view(
        browser,
        address(server, "module", module=MODULE, token=token),
        lambda p: p.get_by_role("heading", name="Your result"),
    )
    words = "I will check the privacy settings on my phone."
    box = page.get_by_role("textbox", name="Your reflection")
    box.click()
    box.press_sequentially(words, delay=10)
    page.get_by_role("link", name="Course home").first.click()  # well within the box's one-second timer
    arrived(page, "Hello, Rae Lowe")
    assert store.reflections(learner, MODULE, records.attempt) == {"module": words}
    page.close()


FORGE = """([number, address]) => {
    const box = document.querySelector('.cm-visit-route input');
    box.value = number + ' ' + address;
    box.dispatchEvent(new Event('input', { bubbles: true }));
}"""


def test_a_forged_address_shows_nobody_elses_data(server, browser):
    """What the script writes into the route box reaches the kernel over the websocket; here the
    page writes it itself, as anyone holding the page could."""
    zed = server["tokens"][ZED]
    page = open_view(
        browser, address(server, "home", token=server["tokens"][AMY]), lambda p: heading(p, "Hello, Amy Reid")
    )
    forged = [
        (101, f"home.ipynb?token={zed}", "Welcome to the course"),  # another learner's sign-in: not this visit's
        (102, f"certificate.ipynb?token={zed}", "Please sign in"),
        (103, f"module.ipynb?module={MODULE}&token={zed}", "Please sign in"),
        (104, "../../tree", "We could not find that page"),
        (105, "https://example.org/home.ipynb", "We could not find that page"),
        (106, f"module.ipynb?module=no-such&token={server['tokens'][AMY]}", "We could not find that page"),
        (107, f"home.ipynb?token={server['tokens'][AMY]}&x=<script>", "We could not find that page"),
        (108, "\x00" * 5000, "We could not find that page"),
    ]
    for number, forged_address, shown in forged:
        page.evaluate(FORGE, [number, forged_address])
        view = page.locator(f".cm-visit-view--{number}")
        view.get_by_role("heading", name=shown, level=1).wait_for()
        text = view.text_content()
        assert "Zed" not in text and "Quinn" not in text and ZED not in text, forged_address[:60]
    page.evaluate(FORGE, ["not-a-number", f"home.ipynb?token={zed}"])  # no number: ignored
    page.evaluate(FORGE, [109, f"home.ipynb?token={server['tokens'][AMY]}"])  # this visit's own sign-in still works
    page.locator(".cm-visit-view--109").get_by_role("heading", name="Hello, Amy Reid").wait_for()
    assert "Zed" not in page.locator("#cm-main").text_content()
    page.close()


def test_when_the_kernel_is_gone_a_link_loads_its_page_the_ordinary_way(server, browser):
    from .support.kernels import kernel_process

    course = load_course()
    page = open_view(
        browser, address(server, "home", token=server["tokens"][AMY]), lambda p: heading(p, "Hello, Amy Reid")
    )
    kernel = page_kernel_id(page)
    kernel_process(kernel).kill()  # the kernel dies under the page: no view will come
    page.get_by_role("link", name=course.module(MODULE).title, exact=True).click()
    heading(page, course.module(MODULE).title).wait_for(timeout=90_000)  # loaded anew, on a new kernel
    assert page.evaluate("window.__sameDocument") is None and page_kernel_id(page) != kernel
    page.close()
