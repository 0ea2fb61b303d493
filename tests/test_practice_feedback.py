"""Feedback in the practice modules: after a choice short of the best it says which choice was
best (its letter and text), why, and the policy point it rests on; a follow-up (branch) scenario
says it is practice and does not count towards the mark, wherever it says "Partly right"."""

from __future__ import annotations

from html import escape

import pytest

from course.records import signin_tokens
from course.records.attempt import LearnerRecords
from course.widgets.cards import PRACTICE_NOTE, citation_label, feedback_html, scenario_card_html, shown_letter_of
from course.widgets.decision import DecisionWidget

PRACTICE = ("why", "sharing", "boundaries", "protect", "safety")


def records_for(course, store, module_id, learner="PF-1"):
    store.ensure_learner(learner, name="Pat Ford", staff_number=learner)
    token = signin_tokens.issue(store, learner)
    module = course.modules[module_id]
    return LearnerRecords.open(
        learner, module, course.policy.version, store, None, policy=course.policy, signin_token=token
    )


def best_of(scenario):
    return max(scenario.choices, key=lambda c: c.score)


@pytest.mark.parametrize("module_id", PRACTICE)
def test_a_wrong_answer_names_the_best_choice_why_and_its_policy_point(course, store, module_id):
    records = records_for(course, store, module_id)
    assert course.modules[module_id].feedback == "immediate"
    for sid in records.shown_graded:
        scenario = records.shown(sid)
        wrong = min(scenario.choices, key=lambda c: c.score)
        widget = DecisionWidget(scenario, records, course.policy, feedback="immediate")
        widget.choose(wrong.id)
        assert widget.check() is not None
        html = widget.feedback.value
        top = best_of(scenario)
        assert f"The best choice was {shown_letter_of(scenario, top)}:" in html, sid
        assert escape(top.text) in html and "<em>Why:</em>" in html
        best_part = html.split('class="cm-feedback__best"', 1)[1].split("</p>", 1)[0]
        for pid in top.cites:
            assert escape(citation_label(pid, course.policy)) in best_part, (sid, pid)
            assert escape(course.policy.points[pid].plain) in best_part


def test_the_best_answer_does_not_repeat_itself(course):
    scenario = course.modules["why"].graded_scenarios[0]
    assert "The best choice was" not in feedback_html(scenario, best_of(scenario), course.policy, show_best=True)


@pytest.mark.parametrize("module_id", PRACTICE)
def test_a_follow_up_says_it_does_not_count(course, module_id):
    branches = [s for s in course.modules[module_id].scenarios if s.branch]
    assert branches, module_id
    for scenario in branches:
        assert PRACTICE_NOTE in scenario_card_html(scenario)
        for choice in scenario.choices:
            html = feedback_html(scenario, choice, course.policy, show_best=True)
            verdict = html.split('class="cm-feedback__verdict"', 1)[1].split("</p>", 1)[0]
            assert PRACTICE_NOTE in verdict, (scenario.id, choice.id)  # never "Partly right" alone


def test_a_graded_scenario_says_nothing_about_practice(course):
    scenario = course.modules["why"].graded_scenarios[0]
    for choice in scenario.choices:
        assert PRACTICE_NOTE not in feedback_html(scenario, choice, course.policy, show_best=True)
    assert PRACTICE_NOTE not in scenario_card_html(scenario, 1, 10)
