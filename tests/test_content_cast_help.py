"""Issue 16's validator rules on crafted content: the cast, Code citation labels, short
overviews and the help page's allow-list. Each test breaks one thing and expects the rule
to name it; with the rule switched off, the problem would pass unnoticed."""

from __future__ import annotations

from course.content.validate import validate
from tests.test_content_validation import MINI, line_of, mini, only, problems_for  # noqa: F401 - fixture


def _cast(root):
    return (root / "cast.yaml").read_text()


def test_name_must_be_in_the_cast(mini):
    text = MINI.replace("There is a photo of Agnes", "There is a photo of Kevin")
    only(problems_for(mini, text), "'Kevin' looks like a name that is not in the cast")


def test_name_twice_in_the_cast(mini):
    (mini / "cast.yaml").write_text(
        _cast(mini) + "  - name: Agnes\n    age: 20-30\n    who: Another Agnes.\n    where: [care home]\n"
    )
    problem = only(validate(mini).problems, "'Agnes' is in the cast twice")
    assert problem.path.endswith("cast.yaml")


def test_person_in_the_wrong_setting(mini):
    text = MINI.replace("setting: care home", "setting: day service", 1)
    problem = only(problems_for(mini, text), "Agnes in cast.yaml")
    assert "day service" in problem.message and problem.line == line_of(text, "- id: mini-one")


def test_age_outside_the_band(mini):
    text = MINI.replace("There is a photo of Agnes in the lounge.", "It is Agnes's 15th birthday.")
    only(problems_for(mini, text), "makes Agnes 15")
    text = MINI.replace("There is a photo of Agnes in the lounge.", "It is Agnes's 90th birthday.")
    assert problems_for(mini, text) == []


def test_death_must_agree_with_the_cast(mini):
    text = MINI.replace("There is a photo of Agnes in the lounge.", "Agnes died last night.")
    only(problems_for(mini, text), "says Agnes has died, but cast.yaml does not")
    # a person who has died may not be written as alive
    text = MINI.replace("There is a photo of Agnes in the lounge.", "There is a photo of Winston in the lounge.")
    only(problems_for(mini, text), "Winston has died (cast.yaml)")


def test_code_label_in_policy(mini):
    policy = (mini / "policy.yaml").read_text().replace('number: "2.3"', 'number: "Two point three"', 1)
    (mini / "policy.yaml").write_text(policy)
    only(validate(mini).problems, "a Code citation reads 'SSSC Code 1.5 (2016: 1.4)'")


def test_code_label_reads_both_numbers(course):
    assert course.policy.points["code-privacy"].label == "SSSC Code 1.5 (2016: 1.4)"
    assert course.policy.points["code-confidential"].label == "SSSC Code 2.3"
    assert course.policy.points["code-relationships"].label == "SSSC Code Part 5"
    assert course.policy.points["code-conflict"].label == "SSSC Code 2.6"


def test_code_number_in_text(mini):
    text = MINI.replace("This keeps Agnes safe.", "This is what Code 1.5 asks.")
    only(problems_for(mini, text), "write 'Code 1.5 (2016: 1.4)'")
    text = MINI.replace("This keeps Agnes safe.", "This is what Code 1.4 asks.")
    only(problems_for(mini, text), "'Code 1.4' is not a 2024 Code number")
    text = MINI.replace("This keeps Agnes safe.", "This is what Code 1.5 (2016: 1.4) asks.")
    assert problems_for(mini, text) == []


def test_overview_is_short_and_present(mini):
    only(problems_for(mini, MINI.replace("overview: A short module to test the validator.\n", "")), "has no `overview`")
    long = "overview: " + " ".join(["word"] * 61) + "\n"
    only(
        problems_for(mini, MINI.replace("overview: A short module to test the validator.\n", long)),
        "fits one phone screen",
    )


def test_public_bodies_may_be_named_but_places_may_not(mini):
    text = MINI.replace("This keeps Agnes safe.", "You can also tell the Care Inspectorate or call NHS 24.")
    assert problems_for(mini, text) == []
    only(problems_for(mini, MINI.replace("It is late.", "It is late in Glasgow.")), "'Glasgow' is a real place")
    only(problems_for(mini, MINI.replace("Look who won the bingo!", "Ring 07700 900123 now.")), "a phone number")


def test_help_page_allow_list(mini):
    help_yaml = (mini / "help.yaml").read_text()
    (mini / "help.yaml").write_text(help_yaml.replace("https://www.samaritans.org", "https://samaritans.example.com"))
    problem = only(validate(mini).problems, "is not on the help page's allow-list")
    assert problem.path.endswith("help.yaml") and problem.line
    (mini / "help.yaml").write_text(help_yaml.replace('value: "116 123"', 'value: "0800 000 000"'))
    only(validate(mini).problems, "phone number '0800 000 000' is not on the help page's allow-list")
    (mini / "help.yaml").write_text(help_yaml.replace("value: data_protection_lead", "value: dpo"))
    only(validate(mini).problems, "employer contact 'dpo' is not set in organisation.yaml")


def test_employer_contacts_are_required(mini):
    org = (mini / "organisation.yaml").read_text()
    start = org.index("  employee_assistance:")
    (mini / "organisation.yaml").write_text(org[:start])
    only(validate(mini).problems, "'employee_assistance' is missing")


def test_real_help_page_names_the_bodies_the_issue_lists():
    from course.content.help import load_help
    from course.settings import content_dir

    page = load_help(content_dir())
    names = " ".join(i.name for s in page.sections for i in s.items)
    for body in ("SSSC", "Care Inspectorate", "ICO", "Protect", "Samaritans", "Breathing Space", "NHS 24", "union"):
        assert body in names, body
    assert set(page.employer) >= {"data_protection_lead", "manager_on_call", "employee_assistance"}


def test_safety_module_is_graded_and_counted_in_completion(course):
    safety = course.module("safety")
    assert len(safety.graded_scenarios) >= 10 and safety.minutes <= 30
    assert "safety" in course.policy.completion["modules"]
    assert any(s.branch for s in safety.scenarios)


def test_new_items_do_not_give_themselves_away(course):
    """Issue 16's 20 scenarios: the best choice is the longest in at most a quarter of them."""
    new = [s for s in course.scenarios() if s.graded and (s.module_id == "safety" or s.id in NEW_ELSEWHERE)]
    assert len(new) >= 20
    longest = sum(
        1 for s in new if max(len(c.text) for c in s.choices) == max(len(c.text) for c in s.choices if c.score == 1)
    )
    assert longest <= len(new) // 4
    for s in new:  # lengths within ~20% (25% at most)
        lens = [len(c.text) for c in s.choices]
        assert max(lens) <= 1.3 * min(lens), s.id


NEW_ELSEWHERE = {
    "boundaries-old-friend",
    "boundaries-carer-date",
    "final-no-system",
    "final-campaign-post",
    "final-expose-post",
    "final-group-photo",
    "final-foster-school-post",
    "final-nursery-chat",
    "final-ai-letter",
}
