"""One kernel per learner visit (issue 19), in the kernel: the route parser refuses every address
but a learner page with its own keys; a visit re-runs the launcher's identity rule for each view,
uses no sign-in it never had, saves a module's waiting reflection before leaving it, and closes
every widget a view made."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ipywidgets.widgets.widget import _instances

from course.app.visit import NOT_THIS_VISIT, VIEWS, VIEWS_CLASS, Route, RouteError, VisitApp, parse_route
from course.kernel.launch import PAGES, Launcher
from course.records import signin_tokens as sessions
from course.widgets.reflection import text_mark

MODULES = {"why", "sharing"}
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("address", "route"),
    [
        ("home.ipynb", Route("home", {})),
        ("/voila/render/home.ipynb?token=abc_-1", Route("home", {"token": "abc_-1"})),
        ("module.ipynb?module=why&token=t0", Route("module", {"module": "why", "token": "t0"})),
        ("/user/x/voila/render/certificate.ipynb?token=t0", Route("certificate", {"token": "t0"})),
        ("help.ipynb?module=sharing", Route("help", {"module": "sharing"})),
        ("home.ipynb?staff=40123&code=ABCD-EFGH", Route("home", {"staff": "40123", "code": "ABCD-EFGH"})),
        ("home.ipynb?token=", Route("home", {})),  # an empty value is no value, as on a fresh load
    ],
)
def test_a_learner_page_with_its_own_keys_is_read(address, route):
    assert parse_route(address, MODULES) == route


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("", "empty"),
        ("x" * 2001, "2001 characters"),
        ("home.ipynb?token=a\x00b", "control character"),
        ("..\\home.ipynb", "backslash"),
        ("https://example.org/home.ipynb", "scheme or host"),
        ("//example.org/home.ipynb", "scheme or host"),
        ("javascript:alert(1)", "scheme or host"),
        ("home.ipynb#top", "fragment"),
        ("/voila/render/../home.ipynb", "'..'"),
        ("trainer.ipynb", "not a learner page"),
        ("join.ipynb?code=ABC234", "not a learner page"),
        ("home.ipynb.bak", "not a learner page"),
        ("/voila/render/", "not a learner page"),
        ("home.ipynb?token=a&token=b", "twice"),
        ("home.ipynb?module=why", "takes no query key 'module'"),
        ("certificate.ipynb?token=t&learner=VB-2002", "takes no query key 'learner'"),
        ("home.ipynb?token=<script>", "sign-in alphabet"),
        ("home.ipynb?token=" + "a" * 201, "sign-in alphabet"),
        ("module.ipynb?module=nope&token=t", "module this course does not have"),
        ("module.ipynb?token=t", "without a module"),
        ("help.ipynb?module=nope", "module this course does not have"),
        ("home.ipynb?staff=" + "1" * 61, "staff value"),
        ("home.ipynb?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9", "unreadable query"),
        ("home.ipynb?justakey", "unreadable query"),
    ],
)
def test_every_other_address_is_refused_saying_what_is_wrong(address, why):
    with pytest.raises(RouteError, match=re.escape(why)) as refused:
        parse_route(address, MODULES)
    assert "<script>" not in str(refused.value) and "VB-2002" not in str(refused.value)


def test_the_script_hands_over_only_the_views_the_kernel_shows():
    """static/visit.js reads the list from the route box's classes: one list, the launcher's."""
    assert (
        set(VIEWS) == {kind for kind, page in PAGES.items() if page.visit} == {"home", "module", "certificate", "help"}
    )
    script = (ROOT / "assets/voila/templates/course/static/visit.js").read_text()
    assert VIEWS_CLASS in script and "cm-visit-route" in script and "cm-visit-view--" in script
    assert "trainer" not in script and "join" not in script


def test_the_mark_of_a_text_is_the_scripts():
    """The same djb2 over UTF-16 code units as visit.js textMark (values worked out in JavaScript)."""
    assert text_mark("") == "1505"
    assert text_mark("abc") == "b885c8b"
    assert text_mark("Care 🙂") == "13e57adf" and text_mark("é" * 300) == "425c9d1"  # beyond ASCII, and wrapping


# --- a visit in the kernel ------------------------------------------------------------------


@pytest.fixture
def launcher(course, store):
    launcher = Launcher.__new__(Launcher)
    launcher.kind, launcher.course, launcher.store, launcher.failed = "home", course, store, False
    launcher.widget, launcher.visit, launcher._built = None, None, False
    return launcher


def text(widget) -> str:
    """Every HTML the view shows (nested boxes included)."""
    out = [getattr(widget, "value", "") if isinstance(getattr(widget, "value", ""), str) else ""]
    for child in getattr(widget, "children", ()):
        out.append(text(child))
    return " ".join(out)


def test_a_visit_shows_each_view_with_the_launchers_rule(launcher, store):
    store.ensure_learner("VB-1", name="Amy Reid", staff_number="VB-1")
    token = sessions.issue(store, "VB-1")
    visit = VisitApp(launcher, "home", {"token": token}, {})
    assert "Hello, Amy Reid" in text(visit.current) and "cm-visit-view--0" in visit.current._dom_classes
    visit.route.value = f"1 module.ipynb?module=why&token={token}"
    assert visit.shown == 1 and visit.current.module.id == "why" and launcher.widget is visit.current
    visit.route.value = f"2 help.ipynb?module=why&token={token}"
    assert "Back to the module" in text(visit.current)
    visit.route.value = "3 ../../tree"
    assert "We could not find that page" in text(visit.current) and launcher.widget is None
    visit.route.value = f"4 certificate.ipynb?token={token}"
    assert "Your certificate is not ready yet" in text(visit.current)
    sessions.revoke(store, token)  # signed out elsewhere: the same rule as a fresh load says so
    visit.route.value = f"5 module.ipynb?module=why&token={token}"
    assert "Please sign in" in text(visit.current)


def test_a_sign_in_this_visit_never_had_is_not_used(launcher, store):
    store.ensure_learner("VB-1", name="Amy Reid", staff_number="VB-1")
    store.ensure_learner("VB-2", name="Zed Quinn", staff_number="VB-2")
    amy, zed = sessions.issue(store, "VB-1"), sessions.issue(store, "VB-2")
    visit = VisitApp(launcher, "home", {"token": amy}, {})
    for number, address in enumerate(
        [f"home.ipynb?token={zed}", f"certificate.ipynb?token={zed}", f"module.ipynb?module=why&token={zed}"], 1
    ):
        visit.route.value = f"{number} {address}"
        assert "Zed" not in text(visit.current) and visit.shown == number
    assert visit.current.value.count("Please sign in")
    visit.route.value = "junk without a number"  # ignored
    assert visit.shown == 3
    visit.route.value = f"9 home.ipynb?token={amy}"
    assert "Hello, Amy Reid" in text(visit.current)
    assert NOT_THIS_VISIT not in text(visit.current)


def test_a_sign_in_in_this_kernel_is_the_visits(launcher, store):
    visit = VisitApp(launcher, "home", {}, {})
    home = visit.current
    assert home.submit("Sam Taylor", "40123")
    visit.route.value = f"1 module.ipynb?module=why&token={home.token}"
    assert visit.current.module.id == "why" and visit.current.learner_name == "Sam Taylor"


def test_a_long_visit_closes_every_widget_each_view_made(launcher, store, course):
    """(Saving a reflection's waiting words on leaving needs the kernel's event loop and its
    timer: tests/test_visit_browser.py proves it in a real page.)"""
    store.ensure_learner("VB-3", name="Rae Lowe", staff_number="VB-3")
    token = sessions.issue(store, "VB-3")
    visit = VisitApp(launcher, "module", {"module": "why", "token": token}, {})
    module = visit.current
    for sid in module.records.shown_graded:
        choice = max((c for c in course.module("why").scenario(sid).choices if not c.next), key=lambda c: c.score)
        store.record_decision("VB-3", "why", module.records.attempt, sid, choice.id, choice.score)
    module.records.reload()
    module.go("summary")
    first_reflection = module.reflection
    settled = len(_instances)
    for number in range(1, 21):  # a long visit: the kernel's widgets do not grow
        page = ("home", "module")[number % 2]
        visit.route.value = f"{number} {page}.ipynb?" + (
            f"module=why&token={token}" if page == "module" else f"token={token}"
        )
        if page == "module":
            visit.current.go("summary")
            visit.current.reflection.text.value = f"words {number}"  # typed; the timer has not fired
    assert store.reflections("VB-3", "why", module.records.attempt) == {"module": "words 19"}
    assert len(_instances) < settled  # on the home now: fewer than the module's summary had
    assert module.comm is None and first_reflection.comm is None  # the first module page is closed, all of it
    assert visit.comm is not None and visit.route.comm is not None  # the visit's own stay
    assert all(w.comm is not None for w in _instances.values())
