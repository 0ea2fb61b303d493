"""The trainer and join apps driven through their widgets, as clicks would, in one process: two
apps on one store stand for a trainer's kernel and a learner's kernel. Also: the join address,
the QR code, escaping, the notebooks, the CLI."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from html import escape
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from course.content.model import Choice, Scenario
from course.kernel.launch import Launcher
from course.live import address, core, views
from course.live.join_app import JoinApp
from course.live.summary import results_for, room_scenario
from course.live.trainer_app import CHOOSE, TrainerApp

ENV = {
    "SERVER_NAME": "10.0.0.5",
    "SERVER_PORT": "8866",
    "SCRIPT_NAME": "/voila/render/trainer/trainer.ipynb",
    "VOILA_BASE_URL": "/",
}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def trainer(course, store, **kwargs) -> TrainerApp:
    kwargs.setdefault("trainer", lambda: "T-0001")  # a trainer's credential (tests/test_live_trust.py: without)
    return TrainerApp(course, store, env=ENV, **kwargs)


def started_trainer(course, store, module_id="why") -> TrainerApp:
    app = trainer(course, store)
    app.module_picker.value = module_id
    assert app.start()
    return app


def joined_learner(course, store, code, name="") -> JoinApp:
    app = JoinApp(course, store, code=code)
    app.name.value = name
    assert app.submit()
    return app


def test_a_whole_session_through_the_apps(course, store):
    t = started_trainer(course, store)
    session = t.session
    assert "cm-projector" in t._dom_classes
    join = t.join_panel.value
    assert f"http://10.0.0.5:8866/join?code={session.code}" in join
    assert 'src="data:image/svg+xml;base64,' in join and 'alt="QR code: scan it' in join
    assert session.display_code in join
    assert t.key in t.key_panel.value and "do not show this to the room" in t.key_panel.value
    assert not t.first_button.layout.display and t.reveal_button.layout.display == "none"

    sam = joined_learner(course, store, session.code, name="Sam Taylor")
    anon = joined_learner(course, store, session.code.lower())
    assert "You are in" in sam.stage.children[0].value
    assert f"code={session.code}&amp;voter={sam.voter}" in sam.header.value  # a reload keeps the same voter

    assert t.go(0)
    # as the room sees it: the choices in the session's one order, lettered in that order
    scenario = room_scenario(course, session.id, session.scenario_ids[0])
    for learner in (sam, anon):
        learner.refresh()  # what the poller does every 0.4 s
        assert escape(scenario.title) in learner.stage.children[0].value
        assert learner.vote_button.disabled and learner.vote_button.description == "Send my vote"
    assert sam.vote(scenario.choices[0].id) and anon.vote(scenario.choices[0].id)
    assert "Your vote is in: <strong>A</strong>" in sam.vote_status.value
    t.refresh()
    assert "2 votes so far" in t.tally.value
    assert text_of(t.tally.value).count("2 votes (100%)") == 1
    assert "2 people have voted" in t.progress.value

    anon.choices.value = scenario.choices[1].id
    assert "Press <strong>Change my vote</strong>" in anon.vote_status.value
    assert anon.vote()
    t.refresh()
    assert text_of(t.tally.value).count("1 vote (50%)") == 2

    t.hide_split.value = True
    assert "hidden until you show the answer" in t.tally.value and "votes (" not in t.tally.value
    assert escape(scenario.choices[0].text) in t.tally.value  # the choices stay on screen
    t.hide_split.value = False

    assert t.reveal()
    assert t.reveal_button.disabled and 'data-cm-focus="1"' in t.reveal_panel.value
    best = max(scenario.choices, key=lambda c: c.score)
    assert escape(best.feedback) in t.reveal_panel.value and "Talk about it" in t.reveal_panel.value
    assert all(escape(note) in t.reveal_panel.value for note in scenario.trainer_notes)
    assert "✓</span> Best answer" in t.tally.value
    sam.refresh()
    revealed = sam.stage.children[1].value
    assert "The answer" in revealed and "You chose:" in revealed and "How the room voted" in revealed
    assert escape(scenario.choices[0].feedback) in revealed
    assert not sam.vote()  # the old ballot is gone from the page; a stale click is refused, not counted
    assert core.tally(store, session.id, scenario.id) == {scenario.choices[0].id: 1, scenario.choices[1].id: 1}

    assert t.next()
    sam.refresh()
    second = course.scenario(session.scenario_ids[1])
    assert escape(second.title) in sam.stage.children[0].value and 'data-cm-focus="1"' in sam.stage.children[0].value
    t.ask_to_end()
    assert t.confirm_box.layout.display == "flex"
    t.cancel_end()
    assert t.confirm_box.layout.display == "none"
    t.ask_to_end()
    assert t.end()
    page = t.body.children[0].value
    assert "Session summary" in page and "Sam Taylor" in page and "1 person gave their name" in page
    assert "Download the results (CSV)" in page and 'download="session-' in page
    payload = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', page).group(1)
    import base64

    rows = list(csv.DictReader(io.StringIO(base64.b64decode(payload).decode())))
    assert {r["scenario_id"] for r in rows} == set(session.scenario_ids)
    assert "Sam" not in base64.b64decode(payload).decode()  # the results file has no names
    sam.refresh()
    assert "The session has ended" in sam.stage.children[0].value


def test_a_learner_who_did_not_vote_sees_the_best_answer(course, store):
    t = started_trainer(course, store)
    late = joined_learner(course, store, t.session.code)
    t.go(0)
    t.reveal()
    late.refresh()
    html = late.stage.children[1].value
    assert "You did not vote on this one" in html and "Best answer" in html
    assert 'aria-label="Talk about it"' not in html  # the trainer's prompts are for the trainer's screen


def test_a_vote_refused_after_the_reveal_says_so(course, store):
    t = started_trainer(course, store)
    slow = joined_learner(course, store, t.session.code)
    t.go(0)
    slow.refresh()
    scenario = slow.ballot_scenario
    t.reveal()  # the learner's page has not polled yet: the ballot is still on screen
    assert not slow.vote(scenario.choices[2].id)
    assert core.tally(store, t.session.id, scenario.id) == {}
    assert "Your vote was not counted. The answer has been shown" in slow.flash.value  # above the answer now shown
    assert "The answer" in slow.stage.children[1].value


def test_a_reloaded_join_page_keeps_the_same_vote(course, store):
    t = started_trainer(course, store)
    first = joined_learner(course, store, t.session.code)
    t.go(0)
    first.refresh()
    scenario = first.ballot_scenario
    first.vote(scenario.choices[3].id)
    again = JoinApp(course, store, code=t.session.code, voter=first.voter)  # the page's address after a reload
    assert again.choices.value == scenario.choices[3].id and again.vote_button.description == "Change my vote"
    again.vote(scenario.choices[1].id)
    assert core.tally(store, t.session.id, scenario.id) == {scenario.choices[1].id: 1}


def test_join_page_refuses_bad_codes_and_details_kindly(course, store):
    app = JoinApp(course, store, code="XYZ234")
    assert "No session is running with the code XYZ234" in app.body.children[0].children[0].value
    app = JoinApp(course, store)
    app.code.value = "12"
    assert not app.submit()
    assert "not a session code" in app.join_message.value
    t = started_trainer(course, store)
    app.code.value = t.session.code
    app.staff_number.value = "40123"
    assert not app.submit()
    assert "add your name too" in app.join_message.value
    app.name.value = "Ann Lee"
    assert app.submit() and core.attendance(store, t.session.id)[0].name == "Ann Lee"
    ended = JoinApp(course, store, code=t.session.code, voter=app.voter)
    core.close(store, t.session.id, t.key)
    ended.refresh()
    assert "The session has ended" in ended.stage.children[0].value


def test_trainer_start_form_hand_picked_and_carry_on(course, store):
    t = trainer(course, store)
    t.module_picker.value = CHOOSE
    assert t.picker.layout.display == "flex"
    assert not t.start()
    assert "Tick at least one scenario" in t.start_message.value
    picked = [course.module("final").scenarios[0].id, course.module("why").scenarios[1].id]
    for scenario_id in picked:
        t.scenario_boxes[scenario_id].value = True
    assert t.start()
    assert list(t.session.scenario_ids) == sorted(picked, key=list(t.scenario_boxes).index)
    code, key = t.session.code, t.key

    other = trainer(course, store)
    assert not other.carry_on(code, "guess")
    assert "does not match" in other.resume_message.value
    assert not other.carry_on("ZZZZZZ", key)
    assert other.carry_on(code.lower(), key)
    assert other.key_panel.value == ""  # the key is not shown again on carrying on
    other.go(0)
    t.refresh()  # the first window follows
    assert t.session.index == 0 and "Scenario 1 of 2" in t.progress.value


def test_trainer_sees_a_session_ended_elsewhere(course, store):
    t = started_trainer(course, store)
    core.close(store, t.session.id, t.key)
    assert not t.go(0)
    assert "Session summary" in t.body.children[0].value


def test_a_store_failure_is_a_friendly_message_not_a_traceback(course, store, monkeypatch):
    t = started_trainer(course, store)

    def broken(*_a, **_k):
        from course.records.store import StoreError

        raise StoreError("could not save to the records store (sqlite:///x): disk I/O error")

    monkeypatch.setattr(core, "show", broken)
    assert not t.go(0)
    assert "records store is not answering" in t.message.value and "disk I/O" not in t.message.value
    monkeypatch.setattr(core, "show", lambda *a: 1 / 0)
    t.first_button.click()  # through the guard, as a click in the page
    assert "Something went wrong" in t.error.value and "ZeroDivision" not in t.error.value


def test_poller_applies_only_changes_and_survives_failures():
    import asyncio

    from course.kernel.runtime import Poller

    seen, trouble = [], []
    reads = iter([1, 1, RuntimeError("db down"), 2, 2, 3])

    def read():
        value = next(reads)
        if isinstance(value, Exception):
            raise value
        return value

    async def main():
        poller = Poller(read, seen.append, interval=0.01, on_trouble=trouble.append)
        assert poller.start()
        for _ in range(400):
            await asyncio.sleep(0.01)
            if seen == [1, 2, 3]:
                break
        poller.stop()

    asyncio.run(main())
    assert seen == [1, 2, 3] and trouble == [True, False]
    assert not Poller(read, seen.append).start()  # no running loop (plain Python): nothing starts


def test_join_address_from_the_request_or_the_public_url():
    """The room's address is the course server's light join page (course.server.join), below its base URL."""
    assert address.join_address(ENV).with_code("ABC234") == "http://10.0.0.5:8866/join?code=ABC234"
    local = address.join_address({**ENV, "SERVER_NAME": "127.0.0.1"})
    assert local.local_only and local.page.startswith("http://127.0.0.1:8866/")
    below = address.join_address(
        {**ENV, "SCRIPT_NAME": "/course/voila/render/trainer.ipynb", "VOILA_BASE_URL": "/course/"}
    )
    assert below.page == "http://10.0.0.5:8866/course/join"
    https = address.join_address({**ENV, "SERVER_PORT": "443", "VOILA_REQUEST_URL": "https://x/"})
    assert https.page == "https://10.0.0.5/join"
    public = address.join_address(
        {**ENV, "SERVER_NAME": "127.0.0.1", "COURSE_PUBLIC_URL": "https://training.example.org/course"}
    )
    assert public.page == "https://training.example.org/course/join"
    assert address.join_address({"SERVER_NAME": "10.0.0.5", "SERVER_PORT": "8866"}).page == "http://10.0.0.5:8866/join"
    assert not public.local_only
    assert address.join_address({**ENV, "SERVER_NAME": "::1"}).page.startswith("http://[::1]:8866/")


def test_qr_code_is_an_svg_image():
    svg = address.qr_svg("http://10.0.0.5:8866/voila/render/join/join.ipynb?code=ABC234")
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg") and b"<path" in svg
    assert address.qr_data_uri("x").startswith("data:image/svg+xml;base64,")


def test_everything_shown_is_escaped(course):
    scenario = course.module("why").scenarios[0]
    nasty = "<script>alert(1)</script>"
    evil = replace(
        scenario,
        title=nasty,
        question=nasty,
        trainer_notes=(nasty,),
        choices=tuple(replace(c, text=nasty, feedback=nasty) for c in scenario.choices),
    )
    pages = [
        views.tally_html(evil, {"a": 1}, revealed=True),
        views.tally_html(evil, {}, hidden=True),
        views.reveal_html(evil, course.policy),
        views.other_choices_html(evil),
        views.choices_list_html(evil),
        views.joining_html("ABC234", "ABC 234", "http://x/?a=<b>", "data:x"),
        views.trainer_key_html(nasty, nasty),
    ]
    for html in pages:
        assert "<script>" not in html
    assert "&lt;script&gt;" in pages[0]


def test_tally_never_relies_on_colour_alone():
    choices = (Choice("a", "One", 1.0, "f", ("x",)), Choice("b", "Two", 0.0, "f", ("x",)))
    scenario = Scenario("s", "m", "T", "care home", "post", "n", "q?", choices)
    html = views.tally_html(scenario, {"a": 3, "b": 1}, revealed=True)
    assert "3 votes</strong> (75%)" in html and "1 vote</strong> (25%)" in html
    assert "Best answer" in html and 'role="status"' in html and 'aria-hidden="true"><div class="cm-tally__bar"' in html
    assert [r.votes for r in results_for(scenario, {"a": 3, "b": 1, "zz": 9})] == [3, 1]  # unknown ids ignored


def test_launcher_shows_the_pages_outside_voila_and_never_a_traceback(course, store, monkeypatch, capsys):
    join = Launcher("join")
    join.run(query={"code": "ABC234"})
    assert isinstance(join.widget, JoinApp)
    trainer_launcher = Launcher("trainer")
    trainer_launcher.run(query={}, env=ENV)
    assert isinstance(trainer_launcher.widget, TrainerApp)
    broken = Launcher("join")
    broken.failed = True
    broken.run(query={})
    out = capsys.readouterr().out
    assert "Traceback" not in out
    with pytest.raises(ValueError):
        Launcher("nope")


def test_cli_session_list_summary_attendance(course, store, db_url, monkeypatch):
    monkeypatch.setenv("COURSE_DB_URL", db_url)
    from course.cli import main

    t = started_trainer(course, store)
    joined_learner(course, store, t.session.code, name="=cmd|' /C calc'!A0")
    learner = joined_learner(course, store, t.session.code)
    t.go(0)
    learner.refresh()
    learner.vote(learner.ballot_scenario.choices[0].id)
    runner = CliRunner()
    listed = runner.invoke(main, ["session", "list"])
    assert listed.exit_code == 0 and t.session.code in listed.output
    table = runner.invoke(main, ["session", "summary", t.session.code.lower()])
    assert table.exit_code == 0 and "birthday" in table.output and "shown" in table.output
    as_csv = runner.invoke(main, ["session", "summary", t.session.code, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert as_csv.exit_code == 0 and rows[0]["votes"] == "1"
    people = runner.invoke(main, ["session", "attendance", t.session.code, "--format", "csv"])
    assert "'=cmd|" in people.output
    missing = runner.invoke(main, ["session", "summary", "ZZZZZZ"])
    assert missing.exit_code == 2 and "No session has the code" in missing.output and "Traceback" not in missing.output
