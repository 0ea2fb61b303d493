"""The sign-in form (course.app.home, course.app.signin): each problem is shown beside the field
it is about (and in a summary at the top that is read out), in words that say what is wrong,
from the one identity module; Enter submits (tests/test_signin_form_browser.py drives a browser)."""

from __future__ import annotations

from html import escape

import pytest

from course.app.home import HomeApp
from course.app.signin import NO_MATCH, SignInError, sign_in
from course.records import identity, roster

NUMBER, NAME = identity.STAFF_NUMBER_FIELD, identity.NAME_FIELD


def errors(home: HomeApp) -> dict[str, str]:
    return {key: box.value for key, box in home.field_errors.items() if box.value}


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("7", "A staff number is at least 2 characters long (for example 40123 or SC-40123); you typed 1."),
        ("A" * 31, "at most 30 characters long; you typed 31"),
        ("40/123", "Please take out or replace: \u201c/\u201d."),
        ("SC\u201340123", "Please take out or replace: \u201c\u2013\u201d."),
        ("-40123", "starts with a letter or a digit"),
    ],
)
def test_a_wrong_staff_number_says_what_is_wrong_beside_its_field(course, store, typed, words):
    home = HomeApp(course, store)
    assert not home.submit("Sam Taylor", typed)
    shown = errors(home)
    assert list(shown) == [NUMBER]
    assert f'id="cm-error-{NUMBER}"' in shown[NUMBER] and escape(words) in shown[NUMBER]
    assert "only letters, digits and hyphens" not in shown[NUMBER]
    assert 'role="alert"' in home.sign_in_message.value and escape(words) in home.sign_in_message.value
    assert f"cm-field--{NUMBER}" in home.staff_number._dom_classes


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("Sam \U0001f600 Taylor", "without emoji or symbols"),
        ("\U0001f469\u200d\u2695\ufe0f Sam Taylor", "without emoji or symbols"),  # an emoji joined with a ZWJ
        ("Sam\u200bTaylor", "hidden character"),
        ("1234", "using letters"),
    ],
)
def test_a_name_problem_says_what_it_is(course, store, typed, words):
    home = HomeApp(course, store)
    assert not home.submit(typed, "40123")
    shown = errors(home)
    assert list(shown) == [NAME] and words in shown[NAME]
    if any(ch.isalpha() for ch in typed):
        assert "using letters" not in shown[NAME]  # it has letters: that is not what is wrong


def test_both_wrong_shows_both_each_by_its_field(course, store):
    home = HomeApp(course, store)
    assert not home.submit("", "7")
    shown = errors(home)
    assert set(shown) == {NAME, NUMBER}
    assert "Please enter your name." in shown[NAME] and "at least 2 characters" in shown[NUMBER]
    summary = home.sign_in_message.value
    assert 'role="alert"' in summary and "Please enter your name." in summary and "at least 2 characters" in summary
    # put right: the errors go
    assert home.submit("Sam Taylor", "40123")


def test_the_errors_clear_when_the_next_try_has_other_problems(course, store):
    home = HomeApp(course, store)
    home.submit("", "7")
    home.submit("Sam Taylor", "")
    assert list(errors(home)) == [NUMBER] and "Please enter your staff number." in errors(home)[NUMBER]


def test_the_form_order_puts_the_summary_first_and_each_error_under_its_field(course, store):
    home = HomeApp(course, store)
    form = home.body.children[0]
    assert "cm-enter-submits" in form._dom_classes and "cm-submit" in home.sign_in_button._dom_classes
    kids = list(form.children)
    assert kids.index(home.sign_in_message) < kids.index(home.name)
    assert kids.index(home.name) + 1 == kids.index(home.field_errors[NAME])
    assert kids.index(home.staff_number) + 1 == kids.index(home.field_errors[NUMBER])
    assert kids[-1] is home.sign_in_button


def test_a_staff_list_refusal_names_no_field(course, store):
    row = {"staff_number": "40123", "learner_id": "40123", "name": "Amy Reid", "team": "Day service"}
    roster.import_rows(store, [{**row, "role": "", "start_date": None}])
    home = HomeApp(course, store)
    assert not home.submit(staff_number="40123", secret="wrong-secret-123")
    assert errors(home) == {} and escape(NO_MATCH) in home.sign_in_message.value  # which detail: never said
    assert not home.submit(staff_number="7", secret="x")
    assert list(errors(home)) == [NUMBER]
    assert not home.submit(staff_number="40123", secret="")
    assert list(errors(home)) == [identity.SECRET_FIELD]


def test_sign_in_reports_every_problem_with_its_field(store):
    with pytest.raises(SignInError) as info:
        sign_in(store, "", "7")
    assert set(info.value.problems) == {NAME, NUMBER} and info.value.field == NAME


def test_the_choose_secret_form_ties_its_errors_to_its_fields(course, store):
    from course.app.signin import CodeAccepted
    from course.records import credentials

    home = HomeApp(course, store)
    home.show_choose_secret(CodeAccepted("X1", "Amy Reid", credentials.Match("code")))
    assert "cm-enter-submits" in home.body.children[0]._dom_classes
    assert not home.save_secret("123", "123")
    assert list(errors(home)) == [identity.SECRET_FIELD] and "at least 6 digits" in errors(home)[identity.SECRET_FIELD]
    assert not home.save_secret("correct horse battery", "correct horse")
    assert list(errors(home)) == [identity.SECRET_AGAIN_FIELD]
