"""Names, staff numbers, reflections and session tokens never reach the server's log.

The log checked is everything `course serve` prints (stdout and stderr of the server process,
which includes what its kernels write to stderr), read after the server has stopped. A learner
signs in in a real headless Chromium with a name, staff number and reflection no log line could
contain by chance, answers a module, writes the reflection and presses Finish (which submits in
nbgrader's layout for the marker `course serve` runs beside Voila, into the same log). The records
store and the submission must hold all of it (so the journey really happened) and the log none of it.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from urllib.parse import parse_qs, urlparse

import pytest

from course.content.model import load_course
from course.records.store import Store

from .support.grading_helpers import copy_course_root
from .support.servers import CHROMIUM, chromium, course_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (scripts/test.sh installs it)"
    ),
]

PAGE_TIMEOUT = 120_000
NAME = "Zebedee Quartermaine-Oyelaran"
STAFF_NUMBER = "ZQ918273"
REFLECTION = "Marmalade lighthouse: I will ask Priyanka Vostrikova before I post a photo from the Thistledown unit."


def wait_enabled(page, name: str) -> None:
    page.wait_for_function(f"""() => [...document.querySelectorAll('button')].some(
        b => b.textContent.trim() === {name!r} && !b.disabled && b.offsetParent !== null)""")


def personal_data_in(text: str, token: str) -> list[str]:
    """Which of the learner's details appear in `text` (whole, in part, or in another case)."""
    lowered = text.lower()
    needles = [
        NAME,
        *NAME.replace("-", " ").split(),
        STAFF_NUMBER,
        REFLECTION,
        "Marmalade lighthouse",
        "Priyanka",
        "Vostrikova",
        "Thistledown",
        token,
    ]
    return [n for n in needles if n.lower() in lowered]


def test_a_whole_learner_journey_leaves_no_personal_data_in_the_log(tmp_path):
    data = tmp_path / "data"
    log_path = tmp_path / "course-serve.log"
    grading = copy_course_root(data)  # `course serve` releases the modules into it and runs the marker
    env = {
        "COURSE_DATA_DIR": str(data / "var"),
        "COURSE_DB_URL": "",
        "COURSE_LEARNER": "server-os-user",
        "COURSE_GRADING_DIR": str(grading),
        "NBGRADER_EXCHANGE": str(data / "exchange"),
    }
    module = load_course().module("why")
    with course_server(env, log_path, "--pool-size=1") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(PAGE_TIMEOUT)
        page.goto(base + "/", wait_until="domcontentloaded")
        page.get_by_role("textbox", name="Your name").fill(NAME)
        page.get_by_role("textbox", name="Staff number").fill(STAFF_NUMBER)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name=f"Hello, {NAME}").wait_for()
        page.wait_for_url(re.compile(r"token="))
        token = parse_qs(urlparse(page.url).query)["token"][0]

        page.get_by_role("link", name=f"Start: {module.title}").click()
        page.get_by_role("heading", name=module.title, level=1).wait_for()
        wait_enabled(page, "Start")
        page.get_by_role("button", name="Start").click()
        answered: list[str] = []
        for _ in range(len(module.scenarios) + 1):
            page.wait_for_function(
                """answered => {
                const el = document.querySelector('.cm-card__title');
                return !!el && !answered.includes(el.textContent.trim()); }""",
                arg=answered,
            )
            title = page.locator(".cm-card__title").first.text_content().strip()
            scenario = next(s for s in module.scenarios if s.title == title)
            answered.append(title)
            page.get_by_role("radio", name=scenario.choices[0].text).check()
            wait_enabled(page, "Check my answer")
            page.get_by_role("button", name="Check my answer").click()
            page.locator(".cm-feedback").wait_for()
            label = "See your result" if page.get_by_role("button", name="See your result").is_visible() else "Next"
            wait_enabled(page, label)
            page.get_by_role("button", name=label).click()
            if label == "See your result":
                break
        page.get_by_role("heading", name="Your result").wait_for()
        page.locator("textarea").first.fill(REFLECTION)
        page.locator("textarea").first.blur()
        wait_enabled(page, "Finish")
        page.get_by_role("button", name="Finish").click()
        page.get_by_text("Your result is saved.").wait_for()
        submitted = grading / "submitted" / STAFF_NUMBER / "why" / "responses.json"
        deadline = time.monotonic() + 120  # waiting for an outcome (the submission), not timing it
        while not submitted.exists() and time.monotonic() < deadline:
            time.sleep(0.25)
        store = Store(f"sqlite:///{data / 'var' / 'records.db'}")
        from course.grading.finish import result_for

        deadline = time.monotonic() + 180  # the marker grades it with nbgrader, into the same log
        while (marked := result_for(store, STAFF_NUMBER, "why", module.pass_mark, grading)) is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        page.goto("about:blank")
        page.close()

        # the journey happened: the store has the name, the answers and the reflection; nbgrader graded it
        assert store.learner(STAFF_NUMBER)["name"] == NAME
        assert store.decisions(STAFF_NUMBER, "why", 1)
        assert REFLECTION in store.reflections(STAFF_NUMBER, "why", 1).values()
        assert submitted.exists(), "Finish never completed its submission in nbgrader's layout"
        assert REFLECTION in submitted.read_text()
        assert marked is not None and marked.status == "graded", "the marker did not grade the Finish"
    log = log_path.read_text(errors="replace")
    # the log is the real one (the module opened in the home's kernel: one kernel per visit, issue 19)
    assert "200 GET /voila/render/home.ipynb" in log and "learner signed in" in log
    assert personal_data_in(log, token) == []


def test_a_failed_write_logs_no_personal_data(tmp_path):
    """When the store refuses a write, the error logged must not carry what was being written."""
    data = tmp_path / "data"
    log_path = tmp_path / "course-serve.log"
    env = {"COURSE_DATA_DIR": str(data / "var"), "COURSE_DB_URL": "", "COURSE_LEARNER": "server-os-user"}
    with course_server(env, log_path, "--pool-size=1") as base, chromium() as browser:
        with sqlite3.connect(data / "var" / "records.db") as db:  # every new learner is refused, as by a constraint
            db.execute(
                "CREATE TRIGGER refuse_learners BEFORE INSERT ON learners "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        page = browser.new_page()
        page.set_default_timeout(PAGE_TIMEOUT)
        page.goto(base + "/", wait_until="domcontentloaded")
        page.get_by_role("textbox", name="Your name").fill(NAME)
        page.get_by_role("textbox", name="Staff number").fill(STAFF_NUMBER)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("alert").wait_for()
        shown = page.locator("body").inner_text()
        page.close()
        assert "Traceback" not in shown and "INSERT" not in shown and "refused by the test" not in shown
    log = log_path.read_text(errors="replace")
    assert "refused by the test" in log  # the failure was logged...
    assert personal_data_in(log, "no-token") == []  # ...without the learner's details
