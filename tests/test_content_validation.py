"""`course validate`: the real content passes, and each rule catches what it should, with file and line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.content.validate import validate

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "course" / "data"
COURSE_CMD = [str(Path(sys.executable).parent / "course")]

MINI = """\
id: mini
title: A mini module
order: 1
section: sharing
minutes: 5
feedback: immediate
overview: A short module to test the validator.
questions:
  - What do you do?
objectives: [Choose well.]
key_points: [Think first.]
reflection: What will you do differently?
scenarios:
  - id: mini-one
    title: A photo in the chat
    setting: care home
    channel: group chat
    role: support worker
    narrative: >-
      It is late. Priya opens the staff group chat. There is a photo of Agnes in the lounge.
    post:
      kind: group chat
      author: Tomasz
      text: Look who won the bingo!
      image: An older woman laughing at a table.
    question: What do you do now?
    choices:
      - id: a
        text: Ask Tomasz to take it down, then tell your manager.
        score: 1
        feedback: >-
          Tomasz takes it down. Your manager can check who saw it. This keeps Agnes safe.
        cites: [share-confidential]
        next: mini-after
      - id: b
        text: Say nothing, because the chat is closed and only for staff.
        score: 0
        feedback: >-
          The photo stays up. More people see it. Speak up next time.
        cites: [share-confidential]
      - id: c
        text: Delete your own copy and tell your manager next week.
        score: 0.5
        feedback: >-
          That is a start. But the photo is still in the chat. Tell Tomasz and your manager too.
        cites: [share-think]
  - id: mini-after
    title: What happened next
    setting: care home
    channel: group chat
    branch: true
    narrative: >-
      Tomasz is cross with you. He says it was only a joke.
    question: What do you do now?
    choices:
      - id: a
        text: Stay calm and explain why.
        score: 1
        feedback: >-
          Tomasz listens. You keep the team on side. You did the right thing.
        cites: [code-communicate]
      - id: b
        text: Post about it.
        score: 0
        feedback: >-
          Now it is worse. Talk to Tomasz or your manager, not online.
        cites: [share-reputation]
      - id: c
        text: Say sorry and put the photo back.
        score: 0
        feedback: >-
          Agnes loses out again. Keep the photo down and talk it through.
        cites: [share-confidential]
  - id: mini-two
    title: A friend request from a relative
    setting: care home
    channel: friend request
    role: support worker
    narrative: >-
      Jean visits her mum Agnes most weeks. Tonight she sends you a friend request on your own account.
    question: What do you do?
    choices:
      - id: a
        text: Accept it, as being friendly online helps Jean trust the home.
        score: 0
        feedback: >-
          Now Jean can see your own life, and you can see hers. Keep work and home apart, and tell your manager.
        cites: [bound-friend-requests]
      - id: b
        text: Decline it, and tell your manager it came.
        score: 1
        feedback: >-
          You keep a clear line. Your manager knows, so the home can help Jean stay in touch the proper way.
        cites: [bound-friend-requests]
      - id: c
        text: Leave it unanswered and say nothing about it to anyone.
        score: 0.5
        feedback: >-
          Jean is not on your account, which is right. But nobody knows she asked. Tell your manager so they can help.
        cites: [bound-risk]
  - id: mini-three
    title: A comment about the home
    setting: care home
    channel: comment
    role: support worker
    narrative: >-
      A public post says the care home is short of staff. Your friend asks in a comment if it is true.
    question: What do you do?
    choices:
      - id: a
        text: Reply that the rota is fine and nobody should worry.
        score: 0
        feedback: >-
          You speak for the home in public, and you may be wrong. Leave it to the people whose job that is.
        cites: [share-reputation]
      - id: b
        text: Report the post to your manager and also reply that you cannot say.
        score: 0.5
        feedback: >-
          Telling your manager is right. But any reply from you draws you in. Say nothing online.
        cites: [share-reputation]
      - id: c
        text: Do not reply, and tell your manager about the post.
        score: 1
        feedback: >-
          You stay out of it in public, and your manager can answer it the proper way.
        cites: [share-reputation]
  - id: mini-four
    title: A photo for the newsletter
    setting: care home
    channel: photo
    role: support worker
    narrative: >-
      Walter won a prize for his garden. Priya wants to put his photo in the home's newsletter.
    question: What should Priya do first?
    choices:
      - id: a
        text: Ask Walter if he agrees, and check the home's consent form.
        score: 1
        feedback: >-
          Walter decides about his own photo. The form shows he said yes, and how it will be used.
        cites: [consent-own]
      - id: b
        text: Use it, since the newsletter only goes to families of people in the home.
        score: 0
        feedback: >-
          Walter did not say yes. A newsletter can be passed on. Ask him first.
        cites: [consent-own]
      - id: c
        text: Ask the manager to decide for Walter.
        score: 0
        feedback: >-
          It is Walter's photo and his choice. Ask him. The manager can help if he needs support to decide.
        cites: [consent-own]
"""


@pytest.fixture
def mini(tmp_path) -> Path:
    """A one-module course built on the real policy and pseudonyms, with coverage off."""
    root = tmp_path / "mini-content"
    (root / "modules").mkdir(parents=True)
    for name in ("pseudonyms.yaml", "cast.yaml", "help.yaml", "organisation.yaml"):
        shutil.copy(CONTENT / name, root)
    policy = (CONTENT / "policy.yaml").read_text()
    policy = policy.replace("min_scenarios_per_point: 2", "min_scenarios_per_point: 0")
    policy = policy.replace("modules: [why, sharing, boundaries, protect, safety, final]", "modules: [mini]")
    policy = policy.replace("  prerequisites:\n    final: [why, sharing, boundaries, protect, safety]\n", "")
    (root / "policy.yaml").write_text(policy)
    (root / "modules" / "mini.yaml").write_text(MINI)
    return root


def problems_for(root: Path, text: str | None = None) -> list:
    if text is not None:
        (root / "modules" / "mini.yaml").write_text(text)
    return validate(root).problems


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text[:index].count("\n") + 1


def only(problems, fragment: str):
    matching = [p for p in problems if fragment in p.message]
    assert matching, f"no problem mentions {fragment!r}; got {[str(p) for p in problems]}"
    return matching[0]


# --- the real content ------------------------------------------------------------------


def test_real_content_is_valid():
    report = validate()
    assert report.problems == []
    summary = report.as_dict()
    assert [m["id"] for m in summary["modules"]] == ["why", "sharing", "boundaries", "protect", "safety", "final"]
    assert summary["scenarios"] >= 56  # 36 before issue 16, which added 20
    assert next(m for m in summary["modules"] if m["id"] == "sharing")["scenarios"] >= 6


def test_mini_course_is_valid(mini):
    assert problems_for(mini) == []


def test_cli_json_summary():
    result = subprocess.run(COURSE_CMD + ["validate", "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["problems"] == []
    assert {m["id"]: m["scenarios"] for m in data["modules"]}["sharing"] >= 6


# --- broken files -----------------------------------------------------------------------


def test_broken_yaml_names_file_and_line_without_traceback(mini):
    broken = MINI.replace("    question: What do you do now?\n", "    question: [What do you do now?\n", 1)
    (mini / "modules" / "mini.yaml").write_text(broken)
    result = subprocess.run(COURSE_CMD + ["validate", "--content", str(mini)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "mini.yaml:" in result.stderr and "invalid YAML" in result.stderr


def test_broken_yaml_line_number(mini):
    broken = MINI.replace("title: A mini module", "title: A mini module\n  bad: indent")
    problem = only(problems_for(mini, broken), "invalid YAML")
    assert problem.path.endswith("mini.yaml") and problem.line in (2, 3)


def test_empty_and_binary_files(mini):
    only(problems_for(mini, ""), "empty")
    (mini / "modules" / "mini.yaml").write_bytes(b"\xff\xfe\x00bad")
    only(validate(mini).problems, "not UTF-8")


def test_duplicate_key(mini):
    text = MINI.replace("minutes: 5\n", "minutes: 5\nminutes: 6\n")
    problem = only(problems_for(mini, text), "appears twice")
    assert problem.line == line_of(text, "minutes: 6")


def test_missing_feedback(mini):
    text = MINI.replace(
        """        feedback: >-
          The photo stays up. More people see it. Speak up next time.
""",
        "",
    )
    problem = only(problems_for(mini, text), "'feedback' is a required property")
    assert problem.line == line_of(text, "- id: b")


def test_choice_without_citation(mini):
    text = MINI.replace("        cites: [share-think]\n", "")
    only(problems_for(mini, text), "'cites' is a required property")
    text = MINI.replace("cites: [share-think]", "cites: []")
    only(problems_for(mini, text), "should be non-empty")


def test_unknown_citation(mini):
    text = MINI.replace("cites: [share-think]", "cites: [share-thinking]")
    problem = only(problems_for(mini, text), "unknown policy id 'share-thinking'")
    assert problem.line == line_of(text, "cites: [share-thinking]")


def test_no_best_choice(mini):
    text = MINI.replace("        score: 1\n", "        score: 0.5\n", 1)
    problem = only(problems_for(mini, text), "no best choice")
    assert problem.line == line_of(text, "- id: mini-one")


def test_bad_score_and_setting(mini):
    only(problems_for(mini, MINI.replace("score: 0.5", "score: 0.7")), "score")
    only(problems_for(mini, MINI.replace("setting: care home", "setting: hospital", 1)), "'hospital' is not one of")


def test_duplicate_ids(mini):
    text = MINI.replace("- id: mini-after", "- id: mini-one").replace("next: mini-after", "next: mini-one")
    only(problems_for(mini, text), "scenario id 'mini-one' is also used")
    text = MINI.replace(
        "      - id: c\n        text: Delete your own copy", "      - id: a\n        text: Delete your own copy", 1
    )
    only(problems_for(mini, text), "choice id 'a' 2 times")


def test_name_not_on_pseudonym_list(mini):
    text = MINI.replace("There is a photo of Agnes", "There is a photo of Kevin")
    problem = only(problems_for(mini, text), "'Kevin' looks like a name")
    assert problem.line == line_of(text, "narrative: >-")
    text = MINI.replace("author: Tomasz", "author: Kevin")
    only(problems_for(mini, text), "post author 'Kevin'")


@pytest.mark.parametrize(
    "bad, what",
    [
        ("Email her at priya.k@example.com today.", "an email address"),
        ("Ring 07700 900123 now.", "a phone number"),
        ("See www.example.org for more.", "a web address"),
        ("It was posted by @carer_kev last night.", "an @handle"),
    ],
)
def test_personal_data_shapes(mini, bad, what):
    text = MINI.replace("Look who won the bingo!", bad)
    problem = only(problems_for(mini, text), what)
    assert problem.line == line_of(text, bad)


def test_forbidden_place(mini):
    text = MINI.replace("It is late.", "It is late in Glasgow.")
    only(problems_for(mini, text), "'Glasgow' is a real place")


def test_hard_to_read_feedback(mini):
    hard = (
        "Notwithstanding organisational considerations, confidentiality obligations necessitate "
        "immediate communication with management regarding unauthorised photographic dissemination."
    )
    text = MINI.replace("The photo stays up. More people see it. Speak up next time.", hard)
    problem = only(problems_for(mini, text), "hard to read")
    assert problem.line == line_of(text, hard) - 1


def test_branching_rules(mini):
    text = MINI.replace("next: mini-after", "next: mini-nowhere")
    only(problems_for(mini, text), "leads to 'mini-nowhere'")
    text = MINI.replace("    branch: true\n", "")
    only(problems_for(mini, text), "must set `branch: true`")
    text = MINI.replace("        next: mini-after\n", "")
    only(problems_for(mini, text), "not reached by any choice")


def test_coverage_rule(mini):
    policy = (mini / "policy.yaml").read_text().replace("min_scenarios_per_point: 0", "min_scenarios_per_point: 2")
    (mini / "policy.yaml").write_text(policy)
    problem = only(validate(mini).problems, "point 'uncrc-16' is cited by 0 scenario(s)")
    assert problem.path.endswith("policy.yaml") and problem.line == line_of(policy, "- id: uncrc-16")


def test_module_id_must_match_file(mini):
    only(problems_for(mini, MINI.replace("id: mini\n", "id: other\n", 1)), "must match the file name")


def test_policy_errors_are_located(mini):
    policy = (mini / "policy.yaml").read_text().replace("review_months: 12", "review_months: twelve")
    (mini / "policy.yaml").write_text(policy)
    problem = only(validate(mini).problems, "review_months")
    assert problem.path.endswith("policy.yaml") and problem.line == line_of(policy, "review_months: twelve")
