"""Issue 17, the trainer's projector view, through the apps' widgets (one process, a real store):
the trainer key is shown once and gone when the scenario changes, the module picker is a select,
"Scenarios I choose" shows one module's scenarios at a time, the session view has its three
parts in their columns, and the phone's ballot card keeps the choices near the top.
What a projector and a phone actually show is tests/test_projector_browser.py."""

from __future__ import annotations

import re
from html import escape

import ipywidgets as widgets

from course.live import views
from course.live.join_app import JoinApp
from course.live.summary import room_scenario
from course.live.trainer_app import CHOOSE, TrainerApp


def trainer(course, store) -> TrainerApp:
    return TrainerApp(course, store, trainer=lambda: "T-0001")


def started(course, store, module_id="why") -> TrainerApp:
    app = trainer(course, store)
    app.module_picker.value = module_id
    assert app.start()
    return app


def test_the_trainer_key_is_shown_at_the_start_and_gone_once_a_scenario_is_on(course, store):
    t = started(course, store)
    assert t.key in t.key_panel.value
    assert "<details" in t.key_panel.value and "<details open" not in t.key_panel.value  # folded by default
    assert t.go(0)
    assert t.key_panel.value == "" and t.key not in repr(t.body.children)
    assert t.next() and t.back()  # and it never comes back
    assert t.key_panel.value == ""
    t.refresh()
    assert t.key_panel.value == ""


def test_the_key_survives_polls_in_the_lobby(course, store):
    """Only a change of scenario hides it: a vote count arriving in the lobby does not."""
    t = started(course, store)
    JoinApp(course, store, code=t.session.code).submit()
    t.refresh()
    assert t.key in t.key_panel.value


def test_the_session_view_has_the_scenario_the_tally_and_then_the_answer_in_columns(course, store):
    t = started(course, store)
    assert "cm-projector--live" in t._dom_classes and "cm-live-head--lobby" in t.head._dom_classes
    assert "cm-live-join--large" in t.join_panel.value
    t.go(0)
    assert "cm-live-join--compact" in t.join_panel.value and "cm-live-head--lobby" not in t.head._dom_classes
    left, right, answer = t.columns.children
    assert t.card in left.children and t.tally in right.children and t.reveal_panel in answer.children
    assert answer.layout.display == "none" and "cm-live-columns--revealed" not in t.columns._dom_classes
    scenario = room_scenario(course, t.session.id, t.session.scenario_id)
    assert all(escape(c.text) in t.tally.value for c in scenario.choices)  # the choices, lettered, in the tally
    t.reveal()
    assert answer.layout.display == "" and "cm-live-columns--revealed" in t.columns._dom_classes
    assert escape(scenario.title) in t.card.value  # the scenario stays where it was
    t.next()
    assert answer.layout.display == "none" and t.reveal_panel.value == ""
    t.ask_to_end()
    t.end()
    assert "cm-projector--live" not in t._dom_classes  # the summary is a normal page


def test_the_module_picker_is_a_select_and_the_chooser_shows_one_module_at_a_time(course, store):
    t = trainer(course, store)
    assert isinstance(t.module_picker, widgets.Dropdown)  # a <select> in the page
    t.module_picker.value = CHOOSE
    assert isinstance(t.choose_module, widgets.Dropdown)
    for module in course.modules.values():
        t.choose_module.value = module.id
        shown = [box.description for box in t.choose_list.children]
        assert len(shown) == len(module.scenarios) and len(set(shown)) == len(shown)
        assert escape(module.title) in t.choose_heading.value
        others = {s.title for m in course.modules.values() if m.id != module.id for s in m.scenarios}
        assert all(box in t.module_boxes[module.id] for box in t.choose_list.children), others


def test_ticks_in_two_modules_are_kept_and_counted(course, store):
    t = trainer(course, store)
    t.module_picker.value = CHOOSE
    why, final = course.module("why"), course.module("final")
    t.choose_module.value = "why"
    t.scenario_boxes[why.scenarios[1].id].value = True
    t.choose_module.value = "final"
    t.scenario_boxes[final.scenarios[0].id].value = True
    t.scenario_boxes[final.scenarios[2].id].value = True
    note = re.sub(r"<[^>]+>", "", t.chosen_note.value)
    assert note == f"3 scenarios chosen ({why.title}: 1; {final.title}: 2)."
    t.choose_module.value = "why"
    assert t.scenario_boxes[final.scenarios[0].id].value  # not lost when another module is shown
    assert t.start()
    assert set(t.session.scenario_ids) == {why.scenarios[1].id, final.scenarios[0].id, final.scenarios[2].id}


def test_the_phone_ballot_card_puts_the_situation_in_one_tap_and_the_question_before_the_choices(course, store):
    t = started(course, store)
    phone = JoinApp(course, store, code=t.session.code)
    assert phone.submit()
    assert "You have joined" in phone.welcome.value
    t.go(0)
    phone.refresh()
    scenario = room_scenario(course, t.session.id, t.session.scenario_id)
    card = phone.stage.children[0].value
    assert phone.welcome.value == ""  # the lobby's notice goes when the first scenario comes
    assert card.count('class="cm-card__title"') == 1 and escape(scenario.title) in card
    assert '<details class="cm-live-situation"><summary>Read the situation</summary>' in card
    first_paragraph = scenario.narrative.split("\n\n")[0].strip()
    assert escape(first_paragraph) in card  # every word of the situation is still there
    assert card.index("</details>") < card.index(escape(scenario.question))  # the question sits over the choices
    assert phone.stage.children[1] is not None and phone.choices.options[0][0].startswith("A. ")


def test_the_ballot_card_escapes_what_it_shows(course):
    from dataclasses import replace

    nasty = "<script>alert(1)</script>"
    scenario = replace(course.module("why").scenarios[0], title=nasty, question=nasty, narrative=nasty)
    html = views.ballot_card_html(scenario, 1, 2)
    assert "<script>" not in html and "&lt;script&gt;" in html
