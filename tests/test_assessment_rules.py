"""The assessment rules (course/content/assessment_rules.py) on crafted good and bad content.

Each rule is called directly on a one-module course in a temporary content folder (the real
policy, pseudonyms and cast; `blueprint:` made small so a bank of a few items can meet it):
length balance (share and median), cue balance, test-wise strategies, critical items, and a
bank's size, blueprint and item tags. Every error names the module file and the line of the
scenario (or of `draw:`) it is about. Last, the shape of `course validate --testwise --json`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.content import assessment_rules as rules
from course.content.model import load_course_collecting

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "course" / "data"
COURSE_CMD = [str(Path(sys.executable).parent / "course")]

HEAD = """\
id: mini
title: A mini module
order: 1
section: sharing
minutes: 5
feedback: immediate
pass_mark: 0.8
overview: A short module to test the assessment rules.
questions:
  - What do you do?
objectives: [Choose well.]
key_points: [Think first.]
reflection: What will you do differently?
"""

BLUEPRINT = (
    "blueprint:\n  sections:\n    sharing: 1\n    boundaries: 1\n  kinds:\n    grey-area: 1\n  retake_overlap: 0.34\n"
)
FILLER = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
]


def text_of(n: int, *cues: str) -> str:
    """A choice of exactly `n` words, none of them a cue word unless named in `cues`."""
    extra = " ".join(cues)
    count = n - len(extra.split()) if extra else n
    return " ".join([*(FILLER[i % len(FILLER)] for i in range(max(count, 1))), *([extra] if extra else [])]) + "."


def scenario(
    sid: str,
    choices: list[tuple[str, float]],
    *,
    critical: bool = False,
    section: str | None = None,
    kind: str | None = None,
    points: tuple[str, ...] = ("share-confidential",),
    branch: bool = False,
) -> str:
    lines = [
        f"  - id: {sid}",
        f"    title: Scenario {sid}",
        "    setting: care home",
        "    channel: group chat",
        "    role: support worker",
    ]
    if branch:
        lines.append("    branch: true")
    if critical:
        lines.append("    critical: true")
    if section:
        lines.append(f"    section: {section}")
    if kind:
        lines.append(f"    kind: {kind}")
    if points:
        lines.append(f"    points: [{', '.join(points)}]")
    lines += [
        "    narrative: >-",
        "      It is late and the staff group chat is busy.",
        "    question: What do you do now?",
    ]
    lines.append("    choices:")
    for letter, (text, score) in zip("abcd", choices):
        lines += [
            f"      - id: {letter}",
            f"        text: {text}",
            f"        score: {score:g}",
            "        feedback: >-",
            "          This is what happens next, and why.",
            "        cites: [share-confidential]",
        ]
    return "\n".join(lines) + "\n"


def module(scenarios: list[str], draw: int | None = None) -> str:
    return HEAD + (f"draw: {draw}\n" if draw else "") + "scenarios:\n" + "".join(scenarios)


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "rules-content"
    (root / "modules").mkdir(parents=True)
    for name in ("pseudonyms.yaml", "cast.yaml", "help.yaml", "organisation.yaml"):
        shutil.copy(CONTENT / name, root)
    policy = (CONTENT / "policy.yaml").read_text()
    policy = re.sub(r"modules: \[[^\]]*\]", "modules: [mini]", policy, count=1)
    policy = re.sub(r"^blueprint:\n(?:[ \t]+.*\n?)*", BLUEPRINT, policy, flags=re.M)
    (root / "policy.yaml").write_text(policy)
    return root


def course_of(folder: Path, text: str):
    (folder / "modules" / "mini.yaml").write_text(text)
    course, problems = load_course_collecting(folder)  # not load_course: it caches per folder
    assert problems == [], problems  # the crafted module is well formed: only the rule under test can object
    return course


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def messages(problems) -> list[str]:
    return [p.message for p in problems]


# well-balanced scenarios: the best choice is not the longest, cues appear in wrong choices too,
# and the best sits at a different letter each time
def balanced(i: int) -> str:
    best_at = i % 3
    choices = []
    for k in range(3):
        if k == best_at:
            choices.append((text_of(8, "tell your manager"), 1))
        elif k == (best_at + 1) % 3:
            choices.append((text_of(10, "tell your manager"), 0.5 if i % 2 else 0))
        else:
            choices.append((text_of(7), 0))
    return scenario(f"mini-{i}", choices)


GOOD = module([balanced(i) for i in range(6)])


def test_balanced_content_breaks_no_rule(folder):
    course = course_of(folder, GOOD)
    for check in rules.ASSESSMENT_RULES:
        assert check(course) == [], check.__name__


# --- length ---------------------------------------------------------------------------------


def test_best_longest_too_often_is_an_error_naming_the_scenarios(folder):
    # best 11 words, others 10: longest every time, though only 1.1 times the words (median fine)
    text = module([scenario(f"mini-{i}", [(text_of(11), 1), (text_of(10), 0), (text_of(10), 0.5)]) for i in range(3)])
    problems = rules.check_length_balance(course_of(folder, text))
    assert len(problems) == 1
    assert "the best choice is the longest in 3 of 3 scenarios" in problems[0].message
    assert f"'mini-0' (line {line_of(text, '- id: mini-0')})" in problems[0].message
    # a module-wide problem points at the module's scenario list (which starts at its first item)
    assert problems[0].path.endswith("modules/mini.yaml") and problems[0].line == line_of(text, "- id: mini-0")


def test_best_wordier_than_the_rest_is_an_error(folder):
    # best 15 words beside 2 and 20: never the longest, but 1.36 times the others' mean
    text = module([scenario(f"mini-{i}", [(text_of(2), 0), (text_of(15), 1), (text_of(20), 0)]) for i in range(3)])
    problems = rules.check_length_balance(course_of(folder, text))
    assert messages(problems) and all("times the words" in m for m in messages(problems))
    assert "1.36 times" in problems[0].message and "'mini-0'" in problems[0].message


def test_length_within_the_limits_passes(folder):
    text = module([scenario(f"mini-{i}", [(text_of(12), 1), (text_of(11), 0), (text_of(13), 0)]) for i in range(3)])
    assert rules.check_length_balance(course_of(folder, text)) == []


# --- cues -------------------------------------------------------------------------------------


def test_a_cue_only_in_the_best_choice_is_an_error(folder):
    text = module(
        [
            scenario(f"mini-{i}", [(text_of(8), 0), (text_of(8, "tell your manager"), 1), (text_of(8), 0.5)])
            for i in range(4)
        ]
    )
    problems = rules.check_cue_balance(course_of(folder, text))
    assert len(problems) == 1 and "only 0% of the scenarios" in problems[0].message
    assert f"'mini-3' (line {line_of(text, '- id: mini-3')})" in problems[0].message


def test_a_cue_shared_with_a_wrong_choice_in_half_the_scenarios_passes(folder):
    shared = [(text_of(8, "report it"), 0), (text_of(8, "tell your manager"), 1), (text_of(8, "tell a friend"), 0)]
    alone = [(text_of(8), 0), (text_of(8, "tell your manager"), 1), (text_of(8), 0)]
    text = module([scenario("mini-0", shared), scenario("mini-1", alone)])
    assert rules.check_cue_balance(course_of(folder, text)) == []
    text = module([scenario("mini-0", shared), scenario("mini-1", alone), scenario("mini-2", alone)])
    assert "only 33%" in rules.check_cue_balance(course_of(folder, text))[0].message


# --- test-wise ----------------------------------------------------------------------------------


def test_a_module_where_always_longest_passes_is_an_error(folder):
    text = module(
        [
            scenario(f"mini-{i}", [(text_of(6), 0), (text_of(9), 0.5), (text_of(14), 1)][:: (1 if i % 2 else -1)])
            for i in range(5)
        ]
    )
    problems = rules.check_testwise(course_of(folder, text))
    assert any("picking 'longest' (100%, pass mark 80%)" in m for m in messages(problems))
    assert all(p.path.endswith("modules/mini.yaml") for p in problems)


def test_a_module_where_always_a_passes_is_an_error(folder):
    text = module(
        [scenario(f"mini-{i}", [(text_of(8 + i % 3), 1), (text_of(9), 0), (text_of(10 - i % 3), 0)]) for i in range(5)]
    )
    assert any("'always a'" in m for m in messages(rules.check_testwise(course_of(folder, text))))


def test_a_balanced_module_has_no_passing_strategy(folder):
    course = course_of(folder, GOOD)
    assert rules.check_testwise(course) == []
    from course.content import balance

    shares = balance.testwise(course.module("mini"), course.policy.cues)
    assert set(shares) >= {"longest", "shortest", "cue words", "always a", "always d", "random guess"}
    assert max(shares.values()) < 0.8


# --- critical items -------------------------------------------------------------------------------


def test_a_critical_item_needs_a_choice_scoring_zero(folder):
    bad = scenario("mini-risk", [(text_of(8), 1), (text_of(8), 0.5), (text_of(8), 0.5)], critical=True)
    text = module([balanced(0), bad])
    problems = rules.check_critical(course_of(folder, text))
    assert messages(problems) == ["critical scenario 'mini-risk' has no choice scoring 0"]
    assert problems[0].line == line_of(text, "- id: mini-risk")
    good = scenario("mini-risk", [(text_of(8), 1), (text_of(8), 0.5), (text_of(8), 0)], critical=True)
    assert rules.check_critical(course_of(folder, module([balanced(0), good]))) == []


def test_a_follow_up_cannot_be_critical(folder):
    follow = scenario("mini-after", [(text_of(8), 1), (text_of(8), 0), (text_of(8), 0.5)], critical=True, branch=True)
    text = module([balanced(0), follow])
    problems = rules.check_critical(course_of(folder, text))
    assert len(problems) == 1 and "follow-up" in problems[0].message
    assert problems[0].line == line_of(text, "- id: mini-after")


# --- banks and item tags ---------------------------------------------------------------------------


def bank_item(i: int, section: str, kind: str | None = None, points=("share-confidential",)) -> str:
    best_at = i % 3
    choices = [(text_of(9), 0), (text_of(8, "tell your manager"), 0.5), (text_of(7, "tell a friend"), 0)]
    choices[best_at] = (text_of(8, "tell your manager"), 1)
    return scenario(f"mini-{i}", choices, section=section, kind=kind, points=points)


def good_bank() -> list[str]:
    """Six items, drawing 3: two of each blueprint section and kind, as a retake needs."""
    return [
        bank_item(0, "sharing", "grey-area"),
        bank_item(1, "sharing"),
        bank_item(2, "boundaries", "grey-area"),
        bank_item(3, "boundaries"),
        bank_item(4, "sharing"),
        bank_item(5, "boundaries"),
    ]


def test_a_good_bank_passes(folder):
    assert rules.check_bank(course_of(folder, module(good_bank(), draw=3))) == []


def test_a_bank_too_small_is_an_error_at_draw(folder):
    text = module(good_bank()[:5], draw=3)
    problems = rules.check_bank(course_of(folder, text))
    found = [p for p in problems if "draws 3 items from a bank of 5" in p.message]
    assert found and found[0].line == line_of(text, "draw: 3")


def test_a_bank_missing_a_section_or_a_kind_is_an_error(folder):
    items = [bank_item(i, "sharing", "grey-area" if i < 2 else None) for i in range(6)]  # no boundaries at all
    problems = rules.check_bank(course_of(folder, module(items, draw=3)))
    assert any("section 'boundaries' per attempt; the bank has 0" in m for m in messages(problems))
    items = [bank_item(i, "sharing" if i % 2 else "boundaries", "grey-area" if i == 0 else None) for i in range(6)]
    problems = rules.check_bank(course_of(folder, module(items, draw=3)))
    assert messages(problems) == [
        "module 'mini': the blueprint asks for 1 item(s) of kind 'grey-area' per attempt; the bank has 1 "
        "(at least 2 so a retake can differ)"
    ]


def test_a_bank_item_without_points_is_an_error(folder):
    items = good_bank()
    items[1] = bank_item(1, "sharing", points=())
    problems = rules.check_bank(course_of(folder, module(items, draw=3)))
    assert any("every item needs `points:`" in m and "'mini-1'" in m for m in messages(problems))


def test_unknown_kind_section_and_point_are_errors_at_the_scenario(folder):
    items = good_bank()
    items[0] = bank_item(0, "gossip")
    items[1] = scenario(
        "mini-1",
        [(text_of(8), 1), (text_of(8), 0), (text_of(9), 0.5)],
        section="sharing",
        kind="trick-question",
        points=("share-nope",),
    )
    text = module(items, draw=3)
    problems = {p.message: p.line for p in rules.check_bank(course_of(folder, text))}
    assert problems["'mini-0': section 'gossip' is not in policy.yaml"] == line_of(text, "- id: mini-0")
    assert problems["'mini-1': kind 'trick-question' is not a blueprint kind (grey-area)"] == line_of(
        text, "- id: mini-1"
    )
    assert problems["'mini-1': tests unknown policy point 'share-nope'"] == line_of(text, "- id: mini-1")


# --- the command -------------------------------------------------------------------------------------


def test_validate_testwise_json_shape(folder):
    (folder / "modules" / "mini.yaml").write_text(GOOD)
    result = subprocess.run(
        [*COURSE_CMD, "validate", "--testwise", "--json", "--content", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = json.loads(result.stdout)
    assert {"ok", "policy_version", "modules", "scenarios", "problems", "testwise"} <= set(summary)
    row = summary["testwise"]["mini"]
    assert set(row) == {"pass_mark", "strategies", "best_is_longest", "median_length_ratio"}
    assert row["pass_mark"] == 0.8
    assert set(row["strategies"]) == {
        "longest",
        "shortest",
        "cue words",
        "always a",
        "always b",
        "always c",
        "always d",
        "random guess",
        "never the longest",
        "never the shortest",
    }
    assert all(0 <= v <= 1 for v in row["strategies"].values())
    assert all({"file", "line", "message"} == set(p) for p in summary["problems"])
    # without --testwise there is no such key
    plain = subprocess.run(
        [*COURSE_CMD, "validate", "--json", "--content", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert "testwise" not in json.loads(plain.stdout)
