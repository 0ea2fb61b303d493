"""What an attempt shows (course.assessment.layout): stable shuffles, blueprint-balanced draws, fresh retakes.

| fixture            | what it is                                                    | proves                                  |
|--------------------|---------------------------------------------------------------|-----------------------------------------|
| real `sharing`     | a formative module                                            | every scenario, YAML order; shuffles    |
| `bank` (synthetic) | 32 items cycling over 4 sections and 3 kinds, draw 15         | draws meet the blueprint; retake <= 1/3 |
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import pytest

from course.assessment import layout
from course.content.model import load_course

SECTIONS = ("sharing", "boundaries", "protect", "safety")
KINDS = ("grey-area", "good-use", "own-mistake", "", "", "")


@pytest.fixture(scope="module")
def course():
    return load_course()


@pytest.fixture(scope="module")
def bank(course):
    """A 32-item bank made from real scenarios, with sections and kinds assigned in turn."""
    source = [s for m in course.modules.values() for s in m.graded_scenarios][:32]
    items = tuple(
        dataclasses.replace(s, section=SECTIONS[i % 4], kind=KINDS[i % len(KINDS)], branch=False)
        for i, s in enumerate(source)
    )
    return dataclasses.replace(course.module("final"), scenarios=items, draw=15)


def test_choice_order_is_stable_per_key_and_differs_across_learners_and_attempts(course):
    scenarios = course.module("sharing").graded_scenarios
    key = layout.attempt_key("A100", "sharing", 1)
    first = [layout.choice_order(s, key) for s in scenarios]
    assert first == [layout.choice_order(s, key) for s in scenarios]  # a reload
    for s, order in zip(scenarios, first):
        assert sorted(order) == sorted(c.id for c in s.choices)
    other = [layout.choice_order(s, layout.attempt_key("A101", "sharing", 1)) for s in scenarios]
    retake = [layout.choice_order(s, layout.attempt_key("A100", "sharing", 2)) for s in scenarios]
    assert other != first and retake != first


def test_the_best_choice_lands_in_every_position_across_learners(course):
    """Spread: over 400 learners the best choice of a scenario is shown in each place about as often."""
    scenario = course.module("sharing").graded_scenarios[0]
    best = max(scenario.choices, key=lambda c: c.score).id
    places = Counter(
        layout.choice_order(scenario, layout.attempt_key(f"L{n}", "sharing", 1)).index(best) for n in range(400)
    )
    expected = 400 / len(scenario.choices)
    assert set(places) == set(range(len(scenario.choices)))
    assert all(abs(count - expected) < expected * 0.35 for count in places.values()), places


def test_a_formative_module_shows_every_scenario_in_yaml_order(course):
    module = course.module("sharing")
    assert layout.drawn_items(module, course.policy, "A100", 3) == tuple(s.id for s in module.scenarios)


def test_a_bank_draw_meets_the_blueprint_and_is_stable(course, bank):
    policy = course.policy
    for learner in ("A1", "A2", "A3", "B7"):
        items = layout.drawn_items(bank, policy, learner, 1)
        assert len(items) == len(set(items)) == 15
        drawn = [bank.scenario(i) for i in items]
        sections = Counter(s.section for s in drawn)
        kinds = Counter(s.kind for s in drawn)
        for section, wanted in policy.blueprint["sections"].items():
            assert sections[section] >= wanted, (learner, sections)
        for kind, wanted in policy.blueprint["kinds"].items():
            assert kinds[kind] >= wanted, (learner, kinds)
        assert items == layout.drawn_items(bank, policy, learner, 1)
    assert layout.drawn_items(bank, policy, "A1", 1) != layout.drawn_items(bank, policy, "A2", 1)


def test_a_retake_shares_at_most_a_third_with_the_attempt_before(course, bank):
    for learner in ("A1", "A2", "C3"):
        draws = [set(layout.drawn_items(bank, course.policy, learner, n)) for n in range(1, 6)]
        for before, after in itertools.pairwise(draws):
            assert len(before & after) <= 5, (learner, len(before & after))


def test_a_bank_too_small_for_the_blueprint_is_refused(course, bank):
    tiny = dataclasses.replace(bank, scenarios=bank.scenarios[:8], draw=15)
    with pytest.raises(layout.BlueprintError):
        layout.drawn_items(tiny, course.policy, "A1", 1)


def test_the_attempt_layout_round_trips_and_letters_follow_the_shown_order(course, bank):
    shown = layout.attempt_layout(bank, course.policy, "A1", 2)
    assert layout.Layout.from_json(shown.as_json()) == shown
    first = bank.scenario(shown.items[0])
    order = shown.choices[first.id]
    assert layout.shown_letter(first, shown.key, order[0]) == "A"
    assert layout.shown_letter(first, shown.key, order[-1]) == "ABCD"[len(order) - 1]
