"""Where to get help (issue 16): the help page, the links to it, and the module notebooks' help section.

No server here: the page is built through the one launcher as a Voila kernel builds it, and
read as HTML. tests/test_help_browser.py opens it in Chromium from a real `course serve`.
"""

from __future__ import annotations

from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from course.app.help import help_href, help_html
from course.app.home import HomeApp
from course.app.module import OVERVIEW, open_module_app
from course.content.build import HELP_CELL, build_notebook, notebook_path
from course.content.help import Contact, EmployerContact, HelpItem, HelpPage, HelpSection, load_help, tel_href
from course.kernel.launch import Launcher
from course.records import signin_tokens as sessions
from course.records.attempt import LearnerRecords
from course.widgets.cards import HELP_TITLE, IN_NOTEBOOK, feedback_html, needs_help
from course.widgets.module_view import ModuleView

from .support.gate import pass_prerequisites

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "course" / "data"


class Outline(HTMLParser):
    """The page's headings and links, as a screen reader lists them."""

    def __init__(self):
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.links: list[tuple[str, str]] = []
        self._open: list[list] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2", "h3") or tag == "a":
            self._open.append([tag, dict(attrs).get("href", ""), ""])

    def handle_data(self, data):
        for entry in self._open:
            entry[2] += data

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            kind, href, text = self._open.pop()
            (self.links.append((href, text.strip())) if kind == "a" else self.headings.append((kind, text.strip())))


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def page_of(launcher: Launcher, query: dict, monkeypatch) -> str:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    launcher.run(query=query)
    assert launcher.widget is not None, shown and getattr(shown[0], "data", shown[0])
    return launcher.widget.value


# --- the page ------------------------------------------------------------------------------------


def test_the_help_page_shows_every_entry_of_help_yaml_and_the_employers_contacts():
    page = load_help(DATA)
    html = help_html(page)
    found = outline(html)
    assert found.headings[0] == ("h1", HELP_TITLE) and escape(page.intro) in html
    assert [t for k, t in found.headings if k == "h2"] == [s.title for s in page.sections]
    assert [t for k, t in found.headings if k == "h3"] == [i.name for s in page.sections for i in s.items]
    links = dict(found.links)
    employer_keys = set()
    for section in page.sections:
        for item in section.items:
            assert escape(item.what) in html, item.name
            for contact in item.contacts:
                if contact.kind == "phone":
                    assert links[tel_href(contact.value)] == f"Call {contact.value}, {item.name}"
                elif contact.kind == "web":
                    assert links[contact.value] == contact.label and contact.value.startswith("https://")
                else:
                    employer_keys.add(contact.value)
    # the employer's own contacts (organisation.yaml), every one that help.yaml asks for
    assert employer_keys == set(page.employer)
    for who in page.employer.values():
        assert escape(who.title) in html and escape(who.how) in html
    for body in ("SSSC", "Care Inspectorate", "ICO", "Protect", "Samaritans", "Breathing Space", "NHS 24"):
        assert any(name.startswith(body) for _, name in found.headings), body
    # every link says where it goes: no "click here", no bare address as its only text
    assert all(text and text.lower() not in ("here", "click here", "link") for _, text in found.links)


def test_the_help_page_escapes_what_it_is_given():
    nasty = '<script>alert("x")</script>'
    page = HelpPage(
        title=f"Help {nasty}",
        intro=nasty,
        employer_name=f"Care & Co {nasty}",
        employer={"manager_on_call": EmployerContact("manager_on_call", nasty, f"Ring {nasty}")},
        sections=(
            HelpSection(
                "now",
                nasty,
                (
                    HelpItem(
                        nasty,
                        nasty,
                        (
                            Contact("web", 'https://ico.org.uk/"onmouseover="x', nasty),
                            Contact("phone", "999"),
                            Contact("employer", "manager_on_call"),
                        ),
                    ),
                ),
            ),
        ),
    )
    html = help_html(page, home_href='home.ipynb?token="><script>', back=('module.ipynb?x="><b>', nasty))
    assert "<script>" not in html and 'onmouseover="x' not in html and '"><b>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html and "Care &amp; Co" in html


def test_anyone_can_open_the_help_page_and_a_live_session_keeps_its_back_links(course, store, monkeypatch, db_url):
    monkeypatch.setenv("COURSE_DB_URL", db_url)
    launcher = Launcher("help")
    assert not launcher.failed
    signed_out = page_of(launcher, {}, monkeypatch)
    assert "Please sign in" not in signed_out and f">{HELP_TITLE}</h1>" in signed_out
    assert "Samaritans" in signed_out and "Data protection lead" in signed_out
    assert 'href="home.ipynb"' in signed_out and "token" not in signed_out

    token = sessions.issue(store, "40123")
    came_from = page_of(Launcher("help"), {"token": token, "module": "safety"}, monkeypatch)
    links = dict(outline(came_from).links)
    assert links[f"home.ipynb?token={token}"] == "Go to the course home"
    assert links[f"module.ipynb?module=safety&token={token}"] == f"Back to the module: {course.module('safety').title}"

    # a made-up or ended session is not carried on, and an unknown module gets no back link
    sessions.revoke(store, token)
    for query in ({"token": token}, {"token": "made-up"}, {"module": "no-such-module"}):
        html = page_of(Launcher("help"), query, monkeypatch)
        assert "token=" not in html and "Back to the module" not in html


# --- reaching it ---------------------------------------------------------------------------------


def test_every_module_header_and_the_home_link_to_help(course, store):
    store.ensure_learner("amy", name="Amy Reid", staff_number="amy")
    pass_prerequisites(store, course, "amy")  # the final opens once the others are passed
    for module_id in course.modules:
        app = open_module_app(course, store, "amy", module_id, token="tok")
        assert dict(outline(app.header.value).links)[help_href("tok", module_id)] == HELP_TITLE
    signed_out = HomeApp(course, store)
    assert (help_href(None), HELP_TITLE) in outline(signed_out.body.children[0].children[0].value).links
    signed_in = HomeApp(course, store, learner_id="amy", token="tok")
    assert (help_href("tok"), HELP_TITLE) in outline(signed_in.course_html.value).links


def test_feedback_points_to_help_on_safety_breach_and_speak_up_scenarios_only(course):
    flagged = [s for m in course.modules.values() for s in m.scenarios if needs_help(s)]
    assert {m.id for m in course.modules.values() if any(s in flagged for s in m.scenarios)} >= {"safety", "final"}
    for module in course.modules.values():
        for scenario in module.scenarios:
            rests_on_help = any({"safe-first", "breach-tell", "speak-up"} & set(c.cites) for c in scenario.choices)
            for choice in scenario.choices:
                app = feedback_html(scenario, choice, course.policy, help_at=help_href("tok", module.id))
                notebook = feedback_html(scenario, choice, course.policy, help_at=IN_NOTEBOOK)
                plain = feedback_html(scenario, choice, course.policy)
                link = f'<a href="{escape(help_href("tok", module.id))}">{HELP_TITLE}</a>'
                assert (link in app) is rests_on_help, scenario.id
                assert (f"<strong>{HELP_TITLE}</strong> at the end of this notebook" in notebook) is rests_on_help
                assert "<a " not in notebook and HELP_TITLE not in plain


def test_the_module_app_shows_the_help_link_after_a_safety_answer(course, store):
    from course.records import signin_tokens

    store.ensure_learner("amy", name="Amy Reid", staff_number="amy")
    token = signin_tokens.issue(store, "amy")  # a real sign-in: every write checks it
    app = open_module_app(course, store, "amy", "safety", token=token)
    app.go_next()
    widget = app.stage.children[0]
    assert needs_help(widget.scenario)
    widget.choose(widget.scenario.choices[0].id)
    widget.check()
    assert f'href="{escape(help_href(token, "safety"))}">{HELP_TITLE}</a>' in widget.feedback.value


# --- "More about this module" -----------------------------------------------------------------------


def test_the_overview_shows_the_short_text_and_keeps_the_rest_under_more_about_this_module(course, store):
    store.ensure_learner("amy", name="Amy Reid", staff_number="amy")
    pass_prerequisites(store, course, "amy")
    for module in course.modules.values():
        app = open_module_app(course, store, "amy", module.id, token="tok")
        assert app.position == OVERVIEW
        html = app.stage.children[0].value
        before, more = html.split('<details class="cm-more"><summary>More about this module</summary>')
        assert module.overview and escape(module.overview) in before
        for text in (*module.intro, *module.questions, *module.objectives, *module.key_points):
            assert escape(text) not in before and escape(text) in more, (module.id, text)
        assert more.endswith("</details></section>")


# --- the notebooks' help section --------------------------------------------------------------------


def test_every_module_notebook_ends_with_the_help_section(course):
    page = load_help(DATA)
    for module in course.modules.values():
        nb = nbformat.read(notebook_path(ROOT / "notebooks", module.id), as_version=4)
        last = nb.cells[-1]
        assert last.cell_type == "markdown" and last.id == HELP_CELL
        assert last.source == build_notebook(module, course).cells[-1].source
        # the section the notebook feedback names ("Where to get help at the end of this notebook")
        assert last.source.startswith(f"## {HELP_TITLE}\n")
        for section in page.sections:
            assert f"### {section.title}" in last.source
            for item in section.items:
                assert f"- **{item.name}**:" in last.source
                for contact in item.contacts:
                    if contact.kind == "web":
                        assert f"]({contact.value})" in last.source
                    elif contact.kind == "phone":
                        assert f"Phone: {contact.value}" in last.source
                    else:
                        assert page.employer[contact.value].how in last.source


def test_the_notebook_help_section_is_literal_markdown(content_copy):
    from course.content.model import load_course

    help_yaml = content_copy / "help.yaml"
    help_yaml.write_text(help_yaml.read_text().replace("Someone may be at risk now", "Someone *may* be at <b>risk</b>"))
    copied = load_course(content_copy)
    source = build_notebook(copied.module("why"), copied).cells[-1].source
    assert r"### Someone \*may\* be at \<b\>risk\</b\>" in source


def test_notebook_feedback_names_the_help_section(course, store):
    module = course.module("safety")
    records = LearnerRecords.open("amy", module, course.policy.version, store, None)
    view = ModuleView(course, module, records)
    scenario = next(s for s in module.graded_scenarios if needs_help(s))
    widget = view.show(scenario.id)
    widget.choose(scenario.choices[0].id)
    widget.check()
    assert f"<strong>{HELP_TITLE}</strong> at the end of this notebook" in widget.feedback.value
    assert unescape(widget.feedback.value).count("<a ") == 0
