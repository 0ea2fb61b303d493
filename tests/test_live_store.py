"""Live group sessions through the Python API, on SQLite and PostgreSQL: codes, the trainer key,
votes that change until the reveal and never after, attendance that is never linked to a vote."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text, update

from course.live import core, summary
from course.records.store import Store
from course.records.tables import live_attendance, live_sessions, live_votes


@pytest.fixture
def db(any_db_url):
    return Store(any_db_url)


def started(db, course, module_id="sharing"):
    opened = summary.start_session(db, course, module_id=module_id)
    return opened.session, opened.trainer_key


def scenario_of(course, session, index=0):
    return course.scenario(session.scenario_ids[index])


def choice_ids(scenario):
    return [c.id for c in scenario.choices]


def test_a_session_starts_in_the_lobby_with_a_readable_code_and_a_key_shown_once(db, course):
    session, key = started(db, course)
    assert session.in_lobby and session.is_open and not session.revealed
    assert len(session.code) == 6 and all(ch in core.CODE_ALPHABET for ch in session.code)
    assert not set(session.code) & set("0O1I")
    assert list(session.scenario_ids) == [s.id for s in course.module("sharing").graded_scenarios]
    assert len(key) >= 16
    row = db._read(select(live_sessions))[0]
    assert row.trainer_key_hash == core.secret_hash(key) and key not in json.dumps([str(v) for v in row])
    assert core.find_session(db, session.code.lower()).id == session.id  # typed in lower case
    assert core.find_session(db, f" {session.code[:3]}-{session.code[3:]} ").id == session.id


def test_join_codes_are_unique_among_open_sessions(db, course, monkeypatch):
    first, key = started(db, course)
    codes = iter([first.code, first.code, "ABCDEF"])
    monkeypatch.setattr(core, "new_code", lambda: next(codes))
    second = summary.start_session(db, course, module_id="why").session
    assert second.code == "ABCDEF"  # the code in use was drawn twice and refused twice
    core.close(db, first.id, key)
    monkeypatch.setattr(core, "new_code", lambda: first.code)
    third = summary.start_session(db, course, module_id="why").session
    assert third.code == first.code  # a closed session's code is free again
    with pytest.raises(core.SessionNotFound):
        core.find_session(db, "0O1I00")


def test_hand_picked_scenarios_and_bad_plans_are_refused(db, course):
    picked = [course.module("why").scenarios[2].id, course.module("final").scenarios[0].id]
    session = summary.start_session(db, course, scenario_ids=picked).session
    assert list(session.scenario_ids) == picked and session.module_id is None
    assert summary.session_title(course, session) == "2 chosen scenarios"
    for kwargs in (
        {},
        {"module_id": "nope"},
        {"scenario_ids": ["no-such-scenario"]},
        {"module_id": "why", "scenario_ids": picked},
    ):
        with pytest.raises(core.LiveError):
            summary.start_session(db, course, **kwargs)


def test_every_trainer_action_needs_the_trainer_key(db, course):
    session, key = started(db, course)
    for action, args in (
        (core.show, (0,)),
        (core.next_scenario, ()),
        (core.previous_scenario, ()),
        (core.reveal, ()),
        (core.close, ()),
    ):
        for wrong in ("", None, key[:-1] + ("x" if key[-1] != "x" else "y"), key + " extra", "x" * 500):
            with pytest.raises(core.TrainerKeyError, match="does not match"):
                action(db, session.id, wrong, *args)
    assert core.get_session(db, session.id).version == session.version  # nothing changed
    with pytest.raises(core.TrainerKeyError):
        core.resume(db, session.code, "not-the-key")
    assert core.resume(db, session.code, key).id == session.id  # a second window with the key may carry on


def test_vote_change_reveal_and_no_vote_after_it(db, course):
    session, key = started(db, course)
    one, two = core.join(db, session.code), core.join(db, session.code)
    scenario = scenario_of(course, session)
    with pytest.raises(core.VoteRefused) as refused:
        core.cast_vote(db, session.id, one.voter_token, scenario.id, "a", choice_ids(scenario))
    assert refused.value.reason == "not started"
    core.show(db, session.id, key, 0)
    core.cast_vote(db, session.id, one.voter_token, scenario.id, "a", choice_ids(scenario))
    core.cast_vote(db, session.id, two.voter_token, scenario.id, "a", choice_ids(scenario))
    assert core.tally(db, session.id, scenario.id) == {"a": 2}
    core.cast_vote(db, session.id, two.voter_token, scenario.id, "b", choice_ids(scenario))  # changed: replaces
    assert core.tally(db, session.id, scenario.id) == {"a": 1, "b": 1}
    assert core.my_vote(db, session.id, two.voter_token, scenario.id) == "b"
    assert len(db._read(select(live_votes))) == 2
    with pytest.raises(core.VoteRefused) as refused:
        core.cast_vote(db, session.id, one.voter_token, scenario.id, "z", choice_ids(scenario))
    assert refused.value.reason == "choice"

    revealed = core.reveal(db, session.id, key)
    assert revealed.revealed and scenario.id in revealed.revealed_ids
    for voter, choice in ((one, "b"), (two, "a"), (core.join(db, session.code), "a")):
        with pytest.raises(core.VoteRefused, match="answer has been shown") as refused:
            core.cast_vote(db, session.id, voter.voter_token, scenario.id, choice, choice_ids(scenario))
        assert refused.value.reason == "revealed"
    assert core.tally(db, session.id, scenario.id) == {"a": 1, "b": 1}

    moved = core.next_scenario(db, session.id, key)
    assert moved.index == 1 and not moved.revealed and moved.furthest == 1
    with pytest.raises(core.VoteRefused) as refused:  # a vote for the scenario the trainer left
        core.cast_vote(db, session.id, one.voter_token, scenario.id, "c", choice_ids(scenario))
    assert refused.value.reason in ("moved on", "revealed")
    back = core.previous_scenario(db, session.id, key)
    assert back.index == 0 and back.revealed  # going back to a revealed scenario keeps its vote closed
    with pytest.raises(core.VoteRefused):
        core.cast_vote(db, session.id, one.voter_token, scenario.id, "c", choice_ids(scenario))

    core.close(db, session.id, key)
    with pytest.raises(core.VoteRefused) as refused:
        core.cast_vote(db, session.id, one.voter_token, scenario.id, "c")
    assert refused.value.reason == "ended"
    with pytest.raises(core.SessionNotFound):
        core.join(db, session.code)
    with pytest.raises(core.SessionEnded):
        core.reveal(db, session.id, key)


def test_a_vote_racing_the_reveal_is_counted_before_it_or_refused_never_after(db, course):
    import threading

    session, key = started(db, course)
    core.show(db, session.id, key, 0)
    scenario = scenario_of(course, session)
    voters = [core.join(db, session.code).voter_token for _ in range(12)]
    outcomes: dict[str, str] = {}
    gate = threading.Barrier(len(voters) + 1)

    def vote(token):
        gate.wait()
        try:
            core.cast_vote(db, session.id, token, scenario.id, "a")
            outcomes[token] = "counted"
        except core.VoteRefused as exc:
            outcomes[token] = exc.reason

    threads = [threading.Thread(target=vote, args=(t,)) for t in voters]
    for t in threads:
        t.start()
    gate.wait()
    core.reveal(db, session.id, key)
    for t in threads:
        t.join()
    counted = [t for t, o in outcomes.items() if o == "counted"]
    assert set(outcomes.values()) <= {"counted", "revealed"}
    assert core.tally(db, session.id, scenario.id).get("a", 0) == len(counted)  # every counted vote, no other


def test_wrong_or_forged_voter_tokens_are_refused(db, course):
    session, key = started(db, course)
    core.show(db, session.id, key, 0)
    scenario = scenario_of(course, session)
    for token in ("", "short", "has spaces in it and is long enough", "x" * 101):
        with pytest.raises(core.VoteRefused) as refused:
            core.cast_vote(db, session.id, token, scenario.id, "a")
        assert refused.value.reason == "voter"
    assert core.tally(db, session.id, scenario.id) == {}


def test_names_are_never_linked_to_votes(db, course):
    session, key = started(db, course)
    core.show(db, session.id, key, 0)
    scenario = scenario_of(course, session)
    named = core.join(db, session.code, name="Sam Taylor", staff_number="sc-40123")
    again = core.join(db, session.code, name="Sam  Taylor", staff_number="SC-40123")  # the same person, reloaded
    anonymous = core.join(db, session.code)
    name_only = core.join(db, session.code, name="Priya Shah")
    assert named.named and not anonymous.named
    for joined in (named, again, anonymous, name_only):
        core.cast_vote(db, session.id, joined.voter_token, scenario.id, "a")

    # the tables themselves: attendance has no voter and no vote; votes have no name and no token
    columns = {
        t: {c["name"] for c in inspect(db.engine).get_columns(t)}
        for t in ("live_votes", "live_attendance", "live_voters")
    }
    assert columns["live_attendance"] == {
        "session_id",
        "person_key",
        "name",
        "staff_number",
        "joined_at",
        "learner_id",
        "confirmed_at",
        "confirmed_by",
    }
    assert columns["live_votes"] == {"session_id", "scenario_id", "voter_hash", "choice_id", "updated_at"}
    assert columns["live_voters"] == {"session_id", "voter_hash"}  # issued tokens: no person, no time
    people = db._read(select(live_attendance))
    assert sorted((p.name, p.staff_number) for p in people) == [("Priya Shah", None), ("Sam Taylor", "SC-40123")]
    assert all(p.joined_at.second == 0 and p.joined_at.microsecond == 0 for p in people)  # to the minute
    votes = db._read(select(live_votes))
    tokens = [named.voter_token, again.voter_token, anonymous.voter_token, name_only.voter_token]
    dump = json.dumps([[str(v) for v in r] for r in votes + people + db._read(select(live_sessions))])
    assert not any(token in dump for token in tokens)  # only hashes of voter tokens are kept
    assert "Sam" not in json.dumps([[str(v) for v in r] for r in votes])
    assert {v.voter_hash for v in votes} == {core.secret_hash(t) for t in tokens}
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:  # no rowid: the order rows were written in is not kept
            for table in ("live_votes", "live_attendance", "live_voters"):
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()
                assert "WITHOUT ROWID" in sql.upper()

    with pytest.raises(core.DetailsError):
        core.join(db, session.code, name="", staff_number="40123")  # a staff number alone says nothing useful
    for bad in ("12345", "x" * 101, "Sam\x07"):
        with pytest.raises(core.DetailsError):
            core.join(db, session.code, name=bad)


def test_sessions_left_open_expire(db, course):
    session, key = started(db, course)
    db._write(update(live_sessions).values(opened_at=core.now() - core.OPEN_FOR - timedelta(minutes=1)))
    with pytest.raises(core.SessionNotFound):
        core.find_session(db, session.code)
    with pytest.raises(core.SessionEnded):
        core.show(db, session.id, key, 0)
    assert core.close_stale(db) == 1
    assert core.get_session(db, session.id).closed_at is not None


def test_summary_counts_contested_and_best(db, course):
    session, key = started(db, course, "why")
    first, second = scenario_of(course, session, 0), scenario_of(course, session, 1)
    best_first = next(c.id for c in first.choices if c.score == 1)
    others_first = [c.id for c in first.choices if c.id != best_first]
    core.show(db, session.id, key, 0)
    plan = [best_first] * 8 + [others_first[0]] * 2  # 80%: a clear majority
    for choice in plan:
        core.cast_vote(db, session.id, core.join(db, session.code).voter_token, first.id, choice)
    core.reveal(db, session.id, key)
    core.next_scenario(db, session.id, key)
    ids = [c.id for c in second.choices]
    for choice in [ids[0]] * 3 + [ids[1]] * 3 + [ids[2]] * 2:  # 37.5% tops: contested
        core.cast_vote(db, session.id, core.join(db, session.code).voter_token, second.id, choice)
    result = summary.session_summary(db, course, core.get_session(db, session.id))
    one, two, three = result.scenarios[:3]
    assert (one.votes, one.contested, one.most_chose_best, round(one.best_share, 2)) == (10, False, True, 0.8)
    assert one.revealed and one.shown and not two.revealed and two.shown and not three.shown
    assert (two.votes, two.contested, round(two.top_share, 3)) == (8, True, 0.375)
    assert [s.scenario_id for s in result.contested] == [second.id]
    assert result.voters == 18
    assert "A " in two.split_text() and "(38%)" in two.split_text()
    assert three.votes == 0 and not three.contested


def test_csv_export_is_safe_for_spreadsheets(db, course):
    session, _key = started(db, course, "why")
    core.join(db, session.code, name='=HYPERLINK("http://x")')
    core.join(db, session.code, name="Ann Lee", staff_number="40-1")
    result = summary.session_summary(db, course, core.get_session(db, session.id))
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(summary.summary_csv(result))))
    assert len(rows) == sum(len(s.choices) for s in result.scenarios)
    assert rows[0]["session_code"] == session.code and rows[0]["scenario_number"] == "1"
    people = list(csv.DictReader(io.StringIO(summary.attendance_csv(result))))
    assert sorted(p["name"] for p in people) == ['\'=HYPERLINK("http://x")', "Ann Lee"]
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert summary.safe_cell(value) == "'" + value
    assert summary.safe_cell("Ann") == "Ann" and summary.safe_cell(None) == ""


def test_attendance_frame_for_managers(db, course):
    db.ensure_learner("40123", "Sam Taylor", "40123")
    db.ensure_learner("40124", "Ola Berg", "40124")
    session, key = started(db, course, "why")
    core.join(db, session.code, learner_id="40123")
    core.join(db, session.code, learner_id="40124")  # joined, but the trainer does not confirm them
    core.join(db, session.code, name="Priya Shah")  # a typed name: listed, never counted
    partial, partial_key = started(db, course, "sharing")
    core.join(db, partial.code, learner_id="40123")
    core.show(db, partial.id, partial_key, 1)
    for index in range(session.total):  # the whole module is shown
        core.show(db, session.id, key, index)
    core.confirm_attendance(db, session.id, key, ["40123"], "T-0001")
    core.confirm_attendance(db, partial.id, partial_key, ["40123"], "T-0001")
    frame = summary.attendance_frame(db, course)
    assert list(frame.columns) == summary.ATTENDANCE_COLUMNS
    assert list(frame["learner_id"]) == ["40123"]  # signed in and confirmed, only
    assert set(frame["module_id"]) == {"why"} and frame["counts"].all() and frame["confirmed"].all()
    assert str(frame["date"].dtype).startswith("datetime64")
    everything = summary.attendance_frame(db, course, counted_only=False)
    assert len(everything) == 4 and not everything[everything["module_id"] == "sharing"]["counts"].any()
    typed = everything[everything["name"] == "Priya Shah"]
    assert list(typed["learner_id"]) == [""] and not typed["confirmed"].any() and not typed["counts"].any()
    from course.live import attendance_frame

    assert attendance_frame(db, course).equals(frame)
