"""Delivering an attempt as its layout says (course.assessment.layout), through the real widgets and
pages: shuffled choices with letters that follow the shown order, a bank's drawn items, the layout
recorded with the attempt, the live room's one order, the best choice after a wrong Check.

| fixture              | what it is                                                          |
|----------------------|---------------------------------------------------------------------|
| real `sharing`       | a formative module (feedback after each Check), every scenario      |
| `bank_course` (made) | the course with `final` replaced by a 32-item bank drawing 15       |
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from course.app.module import OVERVIEW, SUMMARY, ModuleApp, open_module_app
from course.assessment import layout
from course.records.attempt import LearnerRecords
from course.records.store import Store
from course.widgets.decision import DecisionWidget
from course.widgets.module_view import ModuleView

from .support.gate import pass_prerequisites

SECTIONS = ("sharing", "boundaries", "protect", "safety")
KINDS = ("grey-area", "good-use", "own-mistake", "", "", "")


@pytest.fixture
def bank_course(course):
    """The course whose final is a 32-item bank (real scenarios, sections and kinds in turn) drawing 15."""
    source = [s for m in course.modules.values() for s in m.graded_scenarios][:32]
    items = tuple(
        dataclasses.replace(
            s,
            section=SECTIONS[i % 4],
            kind=KINDS[i % len(KINDS)],
            branch=False,
            choices=tuple(dataclasses.replace(c, next=None) for c in s.choices),
        )
        for i, s in enumerate(source)
    )
    bank = dataclasses.replace(course.module("final"), scenarios=items, draw=15)
    return dataclasses.replace(course, modules={**course.modules, "final": bank})


def records_of(course, store, learner, module_id="sharing"):
    store.ensure_learner(learner)
    return LearnerRecords.open(learner, course.module(module_id), course.policy.version, store, policy=course.policy)


def shown_ids(widget: DecisionWidget) -> list[str]:
    return [value for _label, value in widget.choices.options]


def labels(widget: DecisionWidget) -> list[str]:
    return [label for label, _value in widget.choices.options]


def best(scenario):
    return max(scenario.choices, key=lambda c: c.score)


# --- 1. choices in the layout's order, lettered, everywhere a learner sees them -------------------------
def test_the_module_page_shows_choices_in_the_attempts_order_with_letters(course, store):
    app = open_module_app(course, store, "amy", "sharing")
    app.go_next()
    widget = app.stage.children[0]
    scenario = course.module("sharing").scenario(app.position)
    key = layout.attempt_key("amy", "sharing", 1)
    assert shown_ids(widget) == list(layout.choice_order(scenario, key))
    assert [label[:3] for label in labels(widget)] == [f"{x}. " for x in "ABCD"[: len(scenario.choices)]]
    # the letter shown is the place in the shown order, not the YAML's
    for label, choice_id in widget.choices.options:
        assert label == f"{layout.shown_letter(scenario, key, choice_id)}. {scenario.choice(choice_id).text}"


def test_a_reload_shows_the_same_order_another_learner_and_a_retake_other_orders(course, store):
    module = course.module("sharing")

    def orders(records):
        view = ModuleView(course, module, records)
        return [shown_ids(view.show(s.id)) for s in module.graded_scenarios]

    first = orders(records_of(course, store, "amy"))
    assert orders(records_of(course, store, "amy")) == first  # a reload
    assert orders(records_of(course, store, "ben")) != first  # another learner
    store.start_new_attempt("amy", "sharing", course.policy.version)
    assert orders(records_of(course, store, "amy")) != first  # a retake


def test_the_answer_saved_is_the_choice_id_and_the_feedback_names_the_shown_letter(course, store):
    records = records_of(course, store, "amy")
    scenario = records.shown(course.module("sharing").graded_scenarios[0].id)
    widget = DecisionWidget(scenario, records, course.policy)
    picked = scenario.choices[2]  # the third shown: C, whatever its place in the YAML
    widget.choose(picked.id)
    widget.check()
    assert store.decisions("amy", "sharing", 1)[scenario.id].choice_id == picked.id
    assert f"<strong>You chose:</strong> C. {picked.text}" in widget.feedback.value.replace("&#x27;", "'")


def test_the_finals_end_review_letters_follow_the_shown_order(course, store):
    store.ensure_learner("amy")
    pass_prerequisites(store, course, "amy")  # the final opens once the others are passed
    app = open_module_app(course, store, "amy", "final")
    for sid in app.records.shown_graded:
        scenario = app.records.shown(sid)
        app.records.record_decision(sid, scenario.choices[-1].id)
    app.go(SUMMARY)
    assert "You chose:" not in app.result.value  # the review shows the best answers: only after Finish
    app.finish()
    review = app.result.value
    for sid in app.records.shown_graded:
        scenario = app.records.shown(sid)
        last = layout.letter(len(scenario.choices) - 1)
        assert f"<strong>You chose:</strong> {last}. " in review
    assert "The best choice was " not in review  # a bank's best choices wait for a pass (course.app.review)


# --- 2. a bank attempt shows its drawn items -----------------------------------------------------------
def test_a_bank_attempt_in_the_real_module_app_shows_exactly_the_drawn_items(bank_course, store):
    bank = bank_course.module("final")
    records = records_of(bank_course, store, "amy", "final")
    app = ModuleApp(bank_course, bank, records)
    drawn = layout.drawn_items(bank, bank_course.policy, "amy", 1)
    assert app.sequence() == [OVERVIEW, *drawn, SUMMARY]
    assert "15 scenarios" in app._overview_html()
    seen = []
    app.go_next()
    while app.position != SUMMARY:
        widget = app.stage.children[0]
        seen.append(widget.scenario.id)
        assert f"Scenario {len(seen)} of 15" in widget.card.value
        assert not app.finish_button.disabled if hasattr(app, "finish_button") else True
        widget.choose(widget.scenario.choices[0].id)
        widget.check()
        assert f"{len(seen)} of 15 scenarios answered" in app.progress.value
        app.go_next()
    assert seen == list(drawn)
    assert not app.finish_button.disabled  # every drawn item answered: Finish is open
    # an item the bank did not draw cannot be answered through the records
    undrawn = next(s.id for s in bank.graded_scenarios if s.id not in drawn)
    with pytest.raises(KeyError, match="not shown in this attempt"):
        records.record_decision(undrawn, bank.scenario(undrawn).choices[0].id)


def test_finish_needs_every_drawn_item(bank_course, store):
    bank = bank_course.module("final")
    records = records_of(bank_course, store, "amy", "final")
    app = ModuleApp(bank_course, bank, records)
    for sid in records.shown_graded[:-1]:
        records.record_decision(sid, bank.scenario(sid).choices[0].id)
    app.go(SUMMARY)
    assert app.finish_button.disabled and "14 of 15" in app.result.value
    assert app.finish() is None and store.finished_at("amy", "final", 1) is None


def test_a_retake_of_a_bank_draws_a_fresh_set_and_records_it(bank_course, store):
    bank = bank_course.module("final")
    records = records_of(bank_course, store, "amy", "final")
    app = ModuleApp(bank_course, bank, records)
    first = set(records.shown_graded)
    for sid in records.shown_graded:
        records.record_decision(sid, bank.scenario(sid).choices[0].id)
    store.finish_attempt("amy", "final", 1)
    from tests.support.grading_helpers import mark

    mark(store, "amy", "final", 0.0, bank.max_score)  # a failed mark: the rule allows a retake
    app.finished_at = app._finished_at()
    assert app.start_again()
    second = set(app.records.shown_graded)
    assert app.records.attempt == 2 and len(first & second) <= 5
    assert store.layout("amy", "final", 2) == layout.attempt_layout(bank, bank_course.policy, "amy", 2).as_json()
    assert app.sequence()[1:-1] == list(layout.drawn_items(bank, bank_course.policy, "amy", 2))


def test_branch_follow_ups_still_follow_in_a_formative_module(course, store):
    app = open_module_app(course, store, "amy", "sharing")
    parent = next(s for s in app.module.graded_scenarios if any(c.next for c in s.choices))
    leading = next(c for c in parent.choices if c.next)
    app.go(parent.id)
    widget = app.stage.children[0]
    widget.choose(leading.id)
    widget.check()
    pages = app.sequence()
    assert pages[pages.index(parent.id) + 1] == leading.next
    app.go_next()
    follow_up = app.stage.children[0]
    assert shown_ids(follow_up) == list(
        layout.choice_order(app.module.scenario(leading.next), layout.attempt_key("amy", "sharing", 1))
    )


# --- 3. the layout is recorded with the attempt --------------------------------------------------------
def test_the_layout_stored_equals_attempt_layout_and_the_first_stands(bank_course, store):
    bank = bank_course.module("final")
    records = records_of(bank_course, store, "amy", "final")
    expected = layout.attempt_layout(bank, bank_course.policy, "amy", 1)
    assert records.layout == expected
    assert store.layout("amy", "final", 1) == expected.as_json()
    # a second tab (or a later content change) does not replace what the attempt showed
    assert store.record_layout("amy", "final", 1, "v", {"key": "x", "items": [], "choices": {}}) == expected.as_json()


def test_jupyterlab_writes_the_layout_into_responses_json(course, store, tmp_path):
    store.ensure_learner("amy")
    path = tmp_path / "responses.json"
    module = course.module("sharing")
    records = LearnerRecords.open("amy", module, course.policy.version, store, path, policy=course.policy)
    first = module.graded_scenarios[0]
    records.record_decision(first.id, first.choices[0].id)
    data = json.loads(path.read_text())
    assert data["layout"] == layout.attempt_layout(module, course.policy, "amy", 1).as_json()
    assert data["decisions"][first.id]["choice"] == first.choices[0].id  # by id, never by place


def test_nbgrader_grading_recomputes_the_layout_not_trusting_the_file(course, tmp_path):
    """While grading (no store) the layout comes from the key: an edited file's layout is ignored."""
    path = tmp_path / "responses.json"
    module = course.module("sharing")
    forged = {"key": "learner:amy|sharing|1", "items": [], "choices": {}}
    path.write_text(
        json.dumps({"learner": "amy", "module": "sharing", "attempt": 1, "decisions": {}, "layout": forged})
    )
    records = LearnerRecords.open("amy", module, course.policy.version, None, path, policy=course.policy)
    assert records.layout == layout.attempt_layout(module, course.policy, "amy", 1)


def test_the_layout_is_exported_and_purged_with_its_attempt(course, store):
    from datetime import UTC, datetime, timedelta

    from course.records import retention

    records = records_of(course, store, "amy")
    assert records.layout is not None
    rows = retention.rows_about(store, "amy")["attempt_layouts"]
    assert len(rows) == 1 and json.loads(rows[0]["layout"])["key"] == layout.attempt_key("amy", "sharing", 1)
    removed, _ = retention.purge_before(store, datetime.now(UTC) + timedelta(days=1))
    assert removed["attempt layouts"] == 1 and store.layout("amy", "sharing", 1) is None


# --- 4. the live room: one order, tally by id ---------------------------------------------------------------
def test_the_live_room_sees_one_order_and_the_tally_is_by_choice_id(course, store):
    from course.live import core
    from course.live.join_app import JoinApp
    from course.live.trainer_app import TrainerApp

    trainer = TrainerApp(
        course, store, env={"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "9450"}, trainer=lambda: "T-0001"
    )
    trainer.module_picker.value = "why"
    assert trainer.start() and trainer.go(0)
    session = trainer.session

    def room_order(sid: str) -> tuple[str, ...]:
        return layout.choice_order(course.scenario(sid), layout.session_key(session.id))

    # a scenario this session shows shuffled (any one order can come out as the YAML's, 1 in 24)
    index = next(
        i
        for i, sid in enumerate(session.scenario_ids)
        if room_order(sid) != tuple(c.id for c in course.scenario(sid).choices)
    )
    assert trainer.go(index)
    scenario = course.scenario(session.scenario_ids[index])
    room = room_order(scenario.id)
    phones = []
    for _n in range(2):
        app = JoinApp(course, store, code=session.code)
        assert app.submit()
        app.refresh()
        phones.append(app)
    for app in phones:
        assert [v for _l, v in app.choices.options] == list(room)
        assert [label[:2] for label, _v in app.choices.options] == [f"{x}." for x in "ABCD"[: len(room)]]
    assert phones[0].vote(room[1]) and phones[1].vote(room[1])
    assert "Your vote is in: <strong>B</strong>" in phones[0].vote_status.value
    assert core.tally(store, session.id, scenario.id) == {room[1]: 2}  # by choice id
    trainer.refresh()
    rows = re.findall(
        r'data-choice="([^"]+)"><p class="cm-tally__label"><span class="cm-tally__letter">(\w)\.', trainer.tally.value
    )
    assert rows == [(cid, layout.letter(i)) for i, cid in enumerate(room)]  # the tally lists the room's letters
    assert trainer.reveal()
    best_letter = layout.letter(room.index(best(scenario).id))
    assert f"Best answer: {best_letter}</p>" in trainer.reveal_panel.value


# --- 5. the best choice after a wrong Check -------------------------------------------------------------------
def test_a_formative_module_names_the_best_choice_after_a_wrong_check(course, store):
    records = records_of(course, store, "amy")
    scenario = records.shown(course.module("sharing").graded_scenarios[0].id)
    top = best(scenario)
    wrong = min(scenario.choices, key=lambda c: c.score)
    widget = DecisionWidget(scenario, records, course.policy, feedback="immediate")
    widget.choose(wrong.id)
    widget.check()
    letter = layout.letter(scenario.choices.index(top))
    reason = re.split(r"(?<=[.!?])\s+", top.feedback.strip(), maxsplit=1)[0]
    html = widget.feedback.value.replace("&#x27;", "'").replace("&quot;", '"')
    assert f"The best choice was {letter}:</strong> {top.text}" in html
    assert reason in html
    # a best answer gets no such line
    other = records.shown(course.module("sharing").graded_scenarios[1].id)
    right = DecisionWidget(other, records, course.policy, feedback="immediate")
    right.choose(best(other).id)
    right.check()
    assert "The best choice was" not in right.feedback.value


def test_the_final_says_nothing_about_the_best_choice_until_its_end_review(course, store):
    records = records_of(course, store, "amy", "final")
    scenario = records.shown(records.shown_graded[0])
    widget = DecisionWidget(scenario, records, course.policy, feedback="end")
    widget.choose(min(scenario.choices, key=lambda c: c.score).id)
    widget.check()
    assert widget.feedback.value == "" and "The best choice" not in widget.status.value


# --- 7. the manager's review ----------------------------------------------------------------------------------
def test_the_managers_review_lists_the_items_in_order_with_choice_orders_and_picks(bank_course, store):
    from course.manager.attempt_review import as_json, as_text, review

    bank = bank_course.module("final")
    records = records_of(bank_course, store, "amy", "final")
    first = records.shown(records.shown_graded[0])
    records.record_decision(first.id, first.choices[1].id)
    [attempt] = review(store, bank_course, "amy", "final")
    assert attempt.recorded and [i.scenario_id for i in attempt.items] == list(records.layout.items)
    top = attempt.items[0]
    assert [c[1] for c in top.choices] == list(records.layout.choices[first.id])
    assert (top.picked, top.picked_letter) == (first.choices[1].id, "B")
    assert f"1. {first.id}: " in as_text([attempt]) and "picked B" in as_text([attempt])
    assert json.loads(as_json([attempt]))[0]["items"][0]["picked_letter"] == "B"
    assert len(attempt.items) == 15 and bank.draw == 15


def test_course_review_attempts_prints_the_layout_and_picks(course, store, monkeypatch, db_url):
    from click.testing import CliRunner

    from course.cli import main

    monkeypatch.setenv("COURSE_DB_URL", db_url)
    records = records_of(course, store, "amy")
    first = records.shown(records.shown_graded[0])
    records.record_decision(first.id, first.choices[2].id)
    out = CliRunner().invoke(main, ["review-attempts", "amy", "--module", "sharing"])
    assert out.exit_code == 0, out.output
    order = " ".join(f"{layout.letter(i)}={c.id}" for i, c in enumerate(first.choices))
    assert f"1. {first.id}: {order}; picked C ({first.choices[2].id}" in out.output
    missing = CliRunner().invoke(main, ["review-attempts", "nobody"])
    assert missing.exit_code != 0 and "no attempts of learner 'nobody'" in missing.output


def test_the_first_layout_recorded_stands_on_sqlite_and_postgresql(any_db_url, course):
    store = Store(any_db_url)
    store.ensure_learner("amy")
    records = LearnerRecords.open("amy", course.module("sharing"), course.policy.version, store, policy=course.policy)
    expected = layout.attempt_layout(course.module("sharing"), course.policy, "amy", 1).as_json()
    assert records.layout.as_json() == expected
    assert (
        store.record_layout("amy", "sharing", records.attempt, "v", {"key": "k", "items": [], "choices": {}})
        == expected
    )
    assert store.layouts("amy") == {("sharing", records.attempt): expected}
    assert ("amy", "sharing") in {(r[0], r[1]) for r in store.activity_moments(["amy"])}
