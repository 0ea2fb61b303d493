"""The identity rules (course.records.identity): one table of what people type -> what the course
makes of it, and proof that the sign-in form, the join form, the roster import and the managers'
commands all apply that one rule."""

from __future__ import annotations

import pytest

from course.records import identity

BAD_NUMBER = "only the letters A to Z, the digits 0 to 9 and hyphens"

# what is typed -> the learner id it becomes, or (DetailsError, words of the message)
STAFF_NUMBERS = [
    ("40123", "40123"),
    ("sc-40123", "SC-40123"),
    ("  SC 40 123\t", "SC40123"),  # white space anywhere goes: people type numbers in groups
    ("ab", "AB"),  # 2 characters is the shortest
    ("A" * 30, "A" * 30),  # 30 the longest
    ("A" * 31, (identity.DetailsError, "at most 30 characters long; you typed 31")),
    ("7", (identity.DetailsError, "at least 2 characters long")),  # what is wrong is its length
    ("", (identity.DetailsError, "Please enter your staff number.")),
    ("   ", (identity.DetailsError, "Please enter your staff number.")),
    (None, (identity.DetailsError, "Please enter your staff number.")),
    ("-40123", (identity.DetailsError, "starts with a letter or a digit")),
    ("40/123", (identity.DetailsError, BAD_NUMBER)),
    ("40.123", (identity.DetailsError, BAD_NUMBER)),  # a learner id may have dots; a staff number may not
    ("amy@home", (identity.DetailsError, BAD_NUMBER)),
    ("SC\u201340123", (identity.DetailsError, BAD_NUMBER)),  # an en dash pasted from a document
    ("\uff14\uff10\uff11\uff12\uff13", (identity.DetailsError, BAD_NUMBER)),  # full-width digits
    ("\u017fc-40123", (identity.DetailsError, BAD_NUMBER)),  # long s: upper() would make it "SC-40123"
    ("\u0131d-1", (identity.DetailsError, BAD_NUMBER)),  # dotless i: upper() would make it "ID-1"
]

NAMES = [
    ("Amy Reid", "Amy Reid"),
    ("  Amy   Reid ", "Amy Reid"),
    ("Zoë O'Brien-Ngata", "Zoë O'Brien-Ngata"),
    ("A" * 100, "A" * 100),
    ("A" * 101, (identity.DetailsError, "shorter name (up to 100 characters)")),
    ("", (identity.DetailsError, "Please enter your name.")),
    ("1234", (identity.DetailsError, "using letters")),
    ("Amy\u200bReid", (identity.DetailsError, "hidden character")),  # a zero-width space hides text
    ("Amy\x07 Reid", (identity.DetailsError, "hidden character")),
    ("Amy Reid \U0001f600", (identity.DetailsError, "without emoji or symbols")),  # it has letters: not "use letters"
]

LEARNER_IDS = [
    ("40123", True),
    ("amy.reid@example.org", True),
    ("a", True),
    ("a" * 120, True),
    ("a" * 121, False),
    (".amy", False),
    ("amy reid", False),
    ("", False),
    ("amy/..", False),
]


def _check(rule, typed, expected):
    if isinstance(expected, tuple):
        error, words = expected
        with pytest.raises(error) as info:
            rule(typed)
        assert words in str(info.value)
        assert isinstance(info.value, ValueError)  # callers that catch ValueError still do
    else:
        assert rule(typed) == expected


@pytest.mark.parametrize("typed, expected", STAFF_NUMBERS)
def test_staff_number_table(typed, expected):
    _check(identity.staff_number, typed, expected)


@pytest.mark.parametrize("typed, expected", NAMES)
def test_name_table(typed, expected):
    _check(identity.person_name, typed, expected)


@pytest.mark.parametrize("value, ok", LEARNER_IDS)
def test_learner_id_table(value, ok):
    assert identity.valid_learner_id(value) is ok
    if ok:
        assert identity.check_learner_id(value) == value
    else:
        with pytest.raises(identity.IdentityError):
            identity.check_learner_id(value)


def test_optional_fields_let_empty_through_but_not_bad():
    assert identity.staff_number("  ", required=False) == ""
    assert identity.person_name(None, required=False) == ""
    with pytest.raises(identity.DetailsError):
        identity.staff_number("40/1", required=False)
    with pytest.raises(identity.DetailsError):
        identity.person_name("123", required=False)


def test_every_staff_number_is_a_learner_id():
    for typed, expected in STAFF_NUMBERS:
        if isinstance(expected, str):
            assert identity.valid_learner_id(expected), typed


# --- every caller applies the one rule ------------------------------------------------------------


@pytest.mark.parametrize("typed, expected", STAFF_NUMBERS)
def test_sign_in_join_form_and_roster_agree(store, typed, expected):
    from course.app.signin import SignInError, sign_in
    from course.live import core
    from course.records.roster import RosterError, parse_csv

    bad = isinstance(expected, tuple)
    empty = not (typed or "").strip()
    # the course home
    if bad:
        with pytest.raises(SignInError):
            sign_in(store, "Amy Reid", typed)
    else:
        assert sign_in(store, "Amy Reid", typed).learner_id == expected
    # the join form (staff number optional there)
    if bad and not empty:
        with pytest.raises(core.DetailsError):
            core.clean_staff_number(typed)
    else:
        assert core.clean_staff_number(typed) == ("" if empty else expected)
    # the roster import
    csv_text = f"staff number,name,team\n{(typed or '').strip()},Amy Reid,Day service\n"
    if bad:
        with pytest.raises(RosterError) as info:
            parse_csv(csv_text)
        assert info.value.problems[0].startswith("line 2: ")
        assert ("no staff number" if empty else f"is not {identity.STAFF_NUMBER_RULE}") in info.value.problems[0]
    else:
        rows, _ = parse_csv(csv_text)
        assert rows[0]["staff_number"] == rows[0]["learner_id"] == expected


def test_the_cli_finds_a_learner_by_any_spelling_of_their_staff_number():
    import pandas as pd

    from course.cli.manager import _resolve

    class Result:
        people = pd.DataFrame({"learner_id": ["SC-40123", "amy.reid"], "staff_number": ["SC-40123", "40999"]})

    assert _resolve(Result, " sc-40123 ") == "SC-40123"
    assert _resolve(Result, "40 999") == "amy.reid"
    assert _resolve(Result, "amy.reid") == "amy.reid"
    for unknown in ("\u017fc-40123", "40/123", "nobody"):
        with pytest.raises(KeyError, match="no learner or staff number"):
            _resolve(Result, unknown)


def test_the_roster_and_the_sign_in_form_share_the_name_rule():
    from course.records.roster import RosterError, parse_csv

    with pytest.raises(RosterError) as info:
        parse_csv("staff number,name,team\n40123," + "A" * 101 + ",Day service\n41,1234,Day service\n")
    assert info.value.problems == [
        "line 2: name: Please enter a shorter name (up to 100 characters).",
        "line 3: name: Please enter your name using letters.",
    ]
