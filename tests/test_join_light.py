"""The light join page (issue 19) at the HTTP level, attacked as a phone's requests can be: a real
`course serve` on 127.0.0.1 and plain HTTP requests with their own cookies, as a browser without
its script (or a script written by someone else) sends them. The trainer's side goes through
course.live.core on the same records store, as the trainer page does.

Each refusal is checked in the store too (the tally, the voters): a refused request changes nothing.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select

from course.content.model import load_course
from course.live import core, summary
from course.live.watch import RoomWatch
from course.records import rate_limit
from course.records.store import Store
from course.records.tables import live_voters

from .support.servers import course_server

pytestmark = [pytest.mark.slow]

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("light-join")
    env = {"COURSE_DATA_DIR": str(base / "var"), "COURSE_DB_URL": ""}
    with course_server(env, base / "voila.log", "--pool-size=1", "--no-grading", ready="/join") as url:
        yield {"base": url, "db": f"sqlite:///{base / 'var' / 'records.db'}", "log": base / "voila.log"}


@pytest.fixture(scope="module")
def room_course():
    return load_course()


@pytest.fixture
def live(server, room_course):
    """A session the trainer opened for a module (its key is the trainer's)."""
    store = Store(server["db"])
    opened = summary.start_session(store, room_course, module_id="sharing")
    return store, opened


class Phone:
    """One phone's browser without its script: a cookie jar, redirects not followed."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.xsrf = ""

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=40) as response:
                status, head, text = response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, head, text = exc.code, exc.headers, exc.read().decode()
        found = re.search(r'name="_xsrf" value="([^"]+)"', text)
        if found:
            self.xsrf = found.group(1)
        return status, head, text

    def get(self, path: str, headers: dict | None = None):
        return self.request(path, headers=headers)

    def post(self, path: str, data: dict, headers: dict | None = None, xsrf: bool = True):
        return self.request(path, {**data, **({"_xsrf": self.xsrf} if xsrf else {})}, headers)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def set_cookie(self, name: str, value: str) -> None:
        self.jar.set_cookie(
            http.cookiejar.Cookie(
                0,
                name,
                value,
                None,
                False,
                "127.0.0.1",
                False,
                False,
                "/join",
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )
        )

    def join(self, code: str, name: str = "") -> None:
        status, _h, _t = self.get(f"/join?code={code}")
        assert status == 200
        status, head, _t = self.post("/join", {"code": code, "name": name})
        assert status == 303 and head["Location"] == f"/join?code={code}"

    def state(self, session_id: str, since: str = ""):
        status, _h, text = self.get(f"/join/state?session={session_id}&since={since}", JSON)
        return status, json.loads(text)

    def vote(self, session_id: str, scenario_id: str, choice_id: str, **kwargs):
        data = {"session": session_id, "scenario": scenario_id, "choice": choice_id}
        status, _h, text = self.post("/join/vote", data, JSON, **kwargs)
        return status, json.loads(text)


def voters_of(store, session_id: str) -> int:
    return store._read(select(func.count()).select_from(live_voters).where(live_voters.c.session_id == session_id))[0][
        0
    ]


def shown(store, opened, room_course, index: int = 0):
    session = core.show(store, opened.session.id, opened.trainer_key, index)
    return summary.room_scenario(room_course, session.id, session.scenario_id)


def test_a_phone_joins_sees_the_scenario_and_its_vote_counts_once(server, live, room_course):
    store, opened = live
    code, sid = opened.session.code, opened.session.id
    phone = Phone(server["base"])
    status, head, page = phone.get(f"/join?code={code}")
    assert status == 200 and "Join the group session" in page and "Sharing information" in page
    assert "default-src 'self'" in head["Content-Security-Policy"]
    assert "<script>" not in page  # the page's one script is a file (the CSP), its data in attributes
    phone.join(code, name="Sam Taylor")
    token = phone.cookie("cm_live_voter")
    assert token and token.startswith(sid + ".")
    status, _h, page = phone.get(f"/join?code={code}")
    assert status == 200 and "You are in" in page and 'data-cm-key="-1:0"' in page

    scenario = shown(store, opened, room_course)
    status, state = phone.state(sid, since="-1:0")  # the trainer has moved on: answered at once
    assert status == 200 and state["key"] == "0:0" and scenario.title in state["html"]
    for i, choice in enumerate(scenario.choices):
        assert f'value="{choice.id}"' in state["html"] and f"{'ABCD'[i]}. " in state["html"]

    a, b = scenario.choices[0].id, scenario.choices[1].id
    status, answer = phone.vote(sid, scenario.id, a)
    assert status == 200 and answer["ok"] and "Your vote is in: <strong>A</strong>" in answer["status_html"]
    status, answer = phone.vote(sid, scenario.id, b)  # voting again changes the vote: one vote still
    assert status == 200 and answer["ok"]
    assert core.tally(store, sid, scenario.id) == {b: 1}
    assert core.voter_count(store, sid) == 1

    # Join again from the same phone: the same voter, nothing minted
    phone.join(code)
    assert phone.cookie("cm_live_voter") == token and voters_of(store, sid) == 1
    status, _h, page = phone.get(f"/join?code={code}")
    assert "Your vote is in: <strong>B</strong>" in page and "Change my vote" in page

    # without the script: the form posts and comes back to the page, which shows the vote
    status, head, _t = phone.post("/join/vote", {"session": sid, "scenario": scenario.id, "choice": a})
    assert status == 303 and head["Location"] == f"/join?code={code}"
    assert core.tally(store, sid, scenario.id) == {a: 1}


def test_a_forged_or_borrowed_voter_is_refused_and_counts_nothing(server, live, room_course):
    store, opened = live
    sid = opened.session.id
    scenario = shown(store, opened, room_course)
    choice = scenario.choices[0].id
    other = summary.start_session(store, room_course, module_id="why")
    elsewhere = Phone(server["base"])
    elsewhere.join(other.session.code)  # a real voter, but of another session
    borrowed = elsewhere.cookie("cm_live_voter").partition(".")[2]

    for token in (secrets.token_urlsafe(24), borrowed, "x"):
        phone = Phone(server["base"])
        phone.get(f"/join?code={opened.session.code}")  # the page and its _xsrf cookie, no Join
        phone.set_cookie("cm_live_voter", f"{sid}.{token}")
        status, _h, page = phone.get(f"/join?code={opened.session.code}")
        assert "Join the group session" in page and "Send my vote" not in page  # not taken as a voter
        status, state = phone.state(sid, since="0:0")
        assert status == 403 and "lost track of you" in state["message"]
        status, answer = phone.vote(sid, scenario.id, choice)
        assert status == 403 and not answer["ok"]
        assert (
            answer["message"]
            == "Your vote was not counted. Your page lost track of you. Please reload it and join again."
        )
    assert core.tally(store, sid, scenario.id) == {}
    assert voters_of(store, sid) == 0


def test_votes_the_session_does_not_take_are_refused_with_the_reason(server, live, room_course):
    store, opened = live
    sid = opened.session.id
    phone = Phone(server["base"])
    phone.join(opened.session.code)
    lobby_vote = phone.vote(sid, "whatever", "a")
    assert lobby_vote[0] == 409 and "That is not one of the choices." in lobby_vote[1]["message"]

    first = shown(store, opened, room_course, 0)
    status, answer = phone.vote(sid, first.id, "not-a-choice")
    assert status == 409 and answer["message"] == "Your vote was not counted. That is not one of the choices."
    second = shown(store, opened, room_course, 1)
    status, answer = phone.vote(sid, first.id, first.choices[0].id)  # a page left on the last scenario
    assert status == 409 and "The trainer has moved on to another scenario." in answer["message"]
    assert answer["key"] == "1:0"
    core.reveal(store, sid, opened.trainer_key)
    status, answer = phone.vote(sid, second.id, second.choices[0].id)
    assert status == 409 and "The answer has been shown, so votes on this scenario are closed." in answer["message"]
    # without the script the refusal is the live page with the reason over the answer
    status, _h, page = phone.post("/join/vote", {"session": sid, "scenario": second.id, "choice": "x"})
    assert status == 409 and "Your vote was not counted." in page and "The answer" in page
    assert core.tally(store, sid, first.id) == {} and core.tally(store, sid, second.id) == {}


def test_a_closed_session_takes_no_joins_and_no_votes(server, live, room_course):
    store, opened = live
    sid, code = opened.session.id, opened.session.code
    phone = Phone(server["base"])
    phone.join(code)
    scenario = shown(store, opened, room_course)
    core.close(store, sid, opened.trainer_key)
    status, answer = phone.vote(sid, scenario.id, scenario.choices[0].id)
    assert (
        status == 409 and answer["message"] == "Your vote was not counted. The session has ended, so votes are closed."
    )
    status, state = phone.state(sid, since="0:0")
    assert status == 200 and state["ended"] and "The session has ended" in state["html"]
    late = Phone(server["base"])
    status, _h, page = late.get(f"/join?code={code}")
    assert status == 404 and f"No session is running with the code {code}." in page
    status, _h, page = late.post("/join", {"code": code})
    assert status == 404 and "No session is running" in page and late.cookie("cm_live_voter") is None
    assert core.tally(store, sid, scenario.id) == {} and voters_of(store, sid) == 1


def test_a_post_without_the_xsrf_token_is_refused_in_plain_words(server, live, room_course):
    store, opened = live
    sid = opened.session.id
    phone = Phone(server["base"])
    phone.join(opened.session.code)
    scenario = shown(store, opened, room_course)
    status, answer = phone.vote(sid, scenario.id, scenario.choices[0].id, xsrf=False)
    assert status == 403 and answer["message"].startswith("Nothing was sent: this page could not show it came")
    status, _h, page = phone.post("/join/vote", {"session": sid, "scenario": scenario.id, "choice": "a"}, xsrf=False)
    assert status == 403 and "Nothing was sent" in page and "Traceback" not in page
    stranger = Phone(server["base"])  # a post from another site's form: no _xsrf cookie, no token
    status, _h, page = stranger.post("/join", {"code": opened.session.code}, xsrf=False)
    assert status == 403 and "Nothing was sent" in page and stranger.cookie("cm_live_voter") is None
    assert core.tally(store, sid, scenario.id) == {} and voters_of(store, sid) == 1


def test_wrong_codes_are_refused_and_guessing_soon_waits(server, live):
    store, opened = live
    phone = Phone(server["base"])
    status, _h, page = phone.get("/join?code=12")
    assert status == 404 and "That is not a session code." in page
    source = rate_limit.key("live-code-source", "127.0.0.1")
    rate_limit.clear(store, source)  # the earlier tests' wrong codes came from this address too
    try:
        answers = [phone.get("/join?code=ZZZZZZ")[0] for _ in range(24)]
        assert answers[:20] == [404] * 20 and 429 in answers[20:]
        status, head, page = phone.get(f"/join?code={opened.session.code}")  # even a right code waits now
        assert status == 429 and "Too many wrong codes from this address" in page and int(head["Retry-After"]) >= 1
    finally:
        rate_limit.clear(store, source)
    status, _h, page = phone.get(f"/join?code={opened.session.code}")
    assert status == 200 and "Join the group session" in page


def test_one_reader_serves_every_waiting_phone():
    """Forty phones long-polling one session: the store is read by one watcher, not forty, and
    every phone hears of the trainer's next step."""
    from datetime import UTC, datetime

    state = {"index": -1}

    def session(_sid: str) -> core.LiveSession:
        return core.LiveSession(
            "s1", "ABC234", None, ("a", "b"), state["index"], False, frozenset(), 0, 1, datetime.now(UTC), None
        )

    async def main():
        watch = RoomWatch(session, interval=0.05, idle_after=0.2)
        phones = [asyncio.ensure_future(watch.wait("s1", "-1:0", timeout=10)) for _ in range(40)]
        await asyncio.sleep(0.5)
        assert watch.waiting() == 40 and not any(p.done() for p in phones)
        reads_while_waiting = watch.reads
        state["index"] = 0
        done = await asyncio.wait_for(asyncio.gather(*phones), 2)
        assert {s.index for s in done} == {0}
        return reads_while_waiting

    reads = asyncio.run(main())
    assert reads <= 15  # 0.5 s at one read per 0.05 s, whatever the number of phones (not 40 x 10)
