"""Issue 17: "A reflection typed on a phone is lost when the tab closes or the phone locks before
the box loses focus (it saves on blur or Save only)."

The box now saves about a second after the last keystroke, on a timer on the kernel's event loop
(here: asyncio.run, the loop a kernel runs its widget messages on), at once when the page says the
tab is hidden or closing, and when the kernel process ends. tests/test_stale_tab_browser.py closes
a real Chromium tab 200 ms after typing and reads the store.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest

from course.app.module import SUMMARY, open_module_app
from course.records import signin_tokens
from course.widgets.reflection import DEBOUNCE_SECONDS

MODULE = "sharing"
LEARNER = "40001"


@pytest.fixture
def token(store):
    store.ensure_learner(LEARNER, name="Amy Reid", staff_number=LEARNER)
    return signin_tokens.issue(store, LEARNER)


def saved(store) -> dict:
    return store.reflections(LEARNER, MODULE, 1)


def test_a_reflection_saves_a_second_after_the_last_keystroke(course, store, token):
    async def typing():
        app = open_module_app(course, store, LEARNER, MODULE, token=token)
        app.go(SUMMARY)
        box = app.reflection
        for text in ["I", "I will", "I will ask first"]:  # each keystroke reaches the kernel
            box.text.value = text
            await asyncio.sleep(DEBOUNCE_SECONDS / 3)
        assert saved(store) == {}  # one write per pause, not one per key
        assert "Saving" in box.status.value and 'role="status"' in box.status.value
        await asyncio.sleep(DEBOUNCE_SECONDS + 0.3)
        assert saved(store) == {"module": "I will ask first"}
        assert "Saved." in box.status.value

        # the phone locks (the template's script: "hidden N"): what waits is saved at once
        box.text.value = "I will ask first. Then post."
        app.tab_signal.value = "hidden 1"
        assert saved(store) == {"module": "I will ask first. Then post."}

        # Back from the summary, and Finish, save what waits before they act
        box.text.value = "Leaving the summary."
        app.go_back()
        assert saved(store) == {"module": "Leaving the summary."}

    asyncio.run(typing())


def test_finish_saves_the_last_words_typed_first(course, store, token):
    async def finishing():
        app = open_module_app(course, store, LEARNER, MODULE, token=token)
        for scenario in map(app.module.scenario, app.records.shown_graded):
            app.go(scenario.id)
            app.stage.children[0].choose(max(scenario.choices, key=lambda c: c.score).id)
            app.stage.children[0].check_button.click()
        app.go(SUMMARY)
        app.reflection.text.value = "Typed just before Finish."
        app.finish_button.click()  # within the second: the timer has not fired
        assert store.finished_at(LEARNER, MODULE, 1) is not None
        assert saved(store) == {"module": "Typed just before Finish."}

    asyncio.run(finishing())


def test_words_waiting_when_the_kernel_ends_are_saved(tmp_path, db_url, token):
    """A closed tab: Voila asks the kernel to shut down, its event loop stops with the timer still
    waiting, and the interpreter exits normally (atexit)."""
    script = textwrap.dedent(
        f"""
        import asyncio
        from course.app.module import SUMMARY, open_module_app
        from course.content.model import load_course
        from course.records.store import Store

        async def page():
            app = open_module_app(load_course(), Store({db_url!r}), {LEARNER!r}, {MODULE!r}, token={token!r})
            app.go(SUMMARY)
            app.reflection.text.value = "Typed, then the tab closed."
            # the shutdown request comes now: the loop ends before the timer fires

        asyncio.run(page())
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ}, timeout=120)
    from course.records.store import Store

    assert Store(db_url).reflections(LEARNER, MODULE, 1) == {"module": "Typed, then the tab closed."}
