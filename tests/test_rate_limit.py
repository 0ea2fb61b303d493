"""The attempt limiter (course.records.rate_limit): backoff per source and per account, shared by
every process, so parallel pages get no more guesses than one; and the manager dashboard uses
it instead of the old server-wide lockout.
"""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest

from course.records import rate_limit
from course.records.store import Store, now

LIMIT = rate_limit.Limit(free=3)


def test_backoff_doubles_after_the_free_tries_and_stops_at_the_cap():
    waits = [LIMIT.wait_after(n).total_seconds() for n in range(1, 16)]
    assert waits[:2] == [0, 0] and waits[2:6] == [2, 4, 8, 16]
    assert max(waits) == 900 and waits[-1] == 900


def test_claims_are_refused_until_the_wait_is_over_and_a_success_clears_the_account(store):
    key = rate_limit.key("test", "40123")
    t = now()
    assert all(rate_limit.claim(store, [(key, LIMIT)], at=t).allowed for _ in range(3))
    refused = rate_limit.claim(store, [(key, LIMIT)], at=t)
    assert not refused.allowed and refused.retry_after == pytest.approx(2, abs=0.01)
    assert rate_limit.failures(store, key) == 3  # a refused claim is not a try
    assert rate_limit.claim(store, [(key, LIMIT)], at=t + timedelta(seconds=2)).allowed  # the 4th, after 2 s
    assert not rate_limit.claim(store, [(key, LIMIT)], at=t + timedelta(seconds=5)).allowed  # the 5th waits 4 s
    assert rate_limit.claim(store, [(key, LIMIT)], at=t + timedelta(seconds=6)).allowed
    # quiet for the forget time: a fresh start
    assert rate_limit.claim(store, [(key, LIMIT)], at=t + timedelta(minutes=16)).allowed
    assert rate_limit.failures(store, key) == 1
    rate_limit.clear(store, key)
    assert rate_limit.failures(store, key) == 0


def test_a_refund_keeps_good_sign_ins_from_one_office_free(store):
    office = rate_limit.key("test-source", "10.0.0.1")
    for _ in range(40):  # forty colleagues in a row from one router
        assert rate_limit.claim(store, [(office, rate_limit.SOURCE)]).allowed
        rate_limit.refund(store, office, rate_limit.SOURCE)
    assert rate_limit.failures(store, office) == 0


def _guess(url: str, barrier, results) -> None:
    from course.app.signin import SignInError, sign_in_with_secret

    store = Store(url)
    barrier.wait()
    try:
        sign_in_with_secret(store, "40123", "000000", source="10.9.9.9")
    except SignInError:
        pass
    results.put(1)


def test_twelve_parallel_wrong_guesses_get_no_more_checks_than_one_page(any_db_url, monkeypatch):
    """Twelve processes (as twelve kernels) guess at once: only the free tries are checked."""
    from course.records import credentials, roster

    store = Store(any_db_url)
    roster.import_rows(
        store,
        [
            {
                "staff_number": "40123",
                "learner_id": "40123",
                "name": "Amy Reid",
                "team": "T",
                "role": "",
                "start_date": None,
            }
        ],
    )
    credentials.issue_code(store, "40123", days=14)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(12), context.Queue()
    workers = [context.Process(target=_guess, args=(any_db_url, barrier, results)) for _ in range(12)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert sum(results.get(timeout=5) for _ in range(12)) == 12
    account = rate_limit.key("signin-account", "40123")
    assert rate_limit.failures(store, account) == rate_limit.ACCOUNT.free  # 3 checked, 9 refused unseen
    # the defence off (no claim before the check): every guess is checked
    from course.app import signin

    monkeypatch.setattr(signin.rate_limit, "claim", lambda *_a, **_k: rate_limit.Claim(True))
    checked = 0
    for _ in range(12):
        try:
            signin.sign_in_with_secret(store, "40123", "000000", source="10.9.9.9")
        except signin.SignInError:
            checked += 1
    assert checked == 12


def test_twelve_dashboard_pages_at_once_get_the_same_five_tries(store, monkeypatch):
    """The dashboard's old limit counted per server but checked before counting: 12 pages made 12 guesses."""
    from concurrent.futures import ThreadPoolExecutor

    from course.manager import auth
    from course.manager.dashboard import Dashboard

    monkeypatch.setenv("COURSE_MANAGER_PASSWORD", "the right password 1")
    auth.set_password("the right password 1")
    pages = [Dashboard(store=store, source="10.6.6.6") for _ in range(12)]
    for page in pages:
        page.password.value = "a wrong guess"
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda p: p._try(), pages))
    said = [p.message.value for p in pages]
    assert sum("That password is not right" in m for m in said) == auth.SOURCE_LIMIT.free
    assert sum("Too many wrong passwords" in m for m in said) == 12 - auth.SOURCE_LIMIT.free
