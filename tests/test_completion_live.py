"""Trainer-led attendance from the live group sessions counts toward completion
(completion.trainer_led_counts) only for signed-in learners the trainer confirmed."""

from __future__ import annotations

import pytest

live = pytest.importorskip("course.live.core")


def _inputs_and_result(store, course):
    from course.manager.reports import evaluate_inputs, load_inputs

    inputs = load_inputs(store, course=course)
    return inputs, evaluate_inputs(inputs)


def test_live_session_attendance_counts_for_its_module_once_confirmed(tmp_path, monkeypatch, course):
    from course.live import summary
    from course.records import signin_tokens
    from course.records.store import Store

    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    store = Store()
    for learner, name in (("40001", "Amy Reid"), ("40002", "Ben Ali"), ("40003", "Cat Moss")):
        store.ensure_learner(learner, name, learner)
        signin_tokens.issue(store, learner)
    opened = summary.start_session(store, course, module_id="sharing")
    live.join(store, opened.session.code, learner_id="40001")
    live.join(store, opened.session.code, learner_id="40002")
    live.join(store, opened.session.code, learner_id="40003")
    live.join(store, opened.session.code, name="Dan Typed", staff_number="40004")  # typed: anonymous
    for index in range(opened.session.total):
        live.show(store, opened.session.id, opened.trainer_key, index)
    other = summary.start_session(store, course, module_id="why")
    live.join(store, other.session.code, learner_id="40001")
    live.show(store, other.session.id, other.trainer_key, 0)  # left after the first scenario: does not count
    live.close(store, opened.session.id, opened.trainer_key)

    # nobody confirmed yet: attendance is listed, nothing counts
    inputs, result = _inputs_and_result(store, course)
    assert inputs.attendance is None
    assert "40001" not in set(result.people["learner_id"])  # no record of any kind: nothing counted

    # the trainer confirms Amy and Ben (Cat joined but was not in the room); Dan typed his details
    assert live.confirm_attendance(store, opened.session.id, opened.trainer_key, ["40001", "40002"], "T1") == 2
    live.confirm_attendance(store, other.session.id, other.trainer_key, ["40001"], "T1")
    inputs, result = _inputs_and_result(store, course)
    assert sorted(map(tuple, inputs.attendance[["learner_id", "module_id"]].to_numpy())) == [
        ("40001", "sharing"),
        ("40002", "sharing"),
    ]
    mods = result.modules.set_index(["learner_id", "module_id"])
    assert str(mods.loc[("40001", "sharing"), "status"]) == "passed" and bool(
        mods.loc[("40001", "sharing"), "attended"]
    )
    assert str(mods.loc[("40001", "why"), "status"]) == "not started"
    assert "40003" not in set(result.people["learner_id"])  # joined, not confirmed: no record
    people = result.people.set_index("learner_id")
    assert people.loc["40001", "status"] == "in progress" and people.loc["40001", "attended_modules"] == 1
    assert "40004" not in people.index  # the typed staff number is nobody's record

    # a wrong trainer key confirms nothing
    with pytest.raises(live.TrainerKeyError):
        live.confirm_attendance(store, opened.session.id, "not-the-key", ["40003"], "T1")


def test_anyone_can_make_anyone_completed_no_longer(tmp_path, monkeypatch, course):
    """The issue's attack: pick every scenario, join with any staff number, click through, end.
    Without a sign-in and a trainer's confirmation nobody completes (it did before)."""
    from course.live import summary
    from course.manager.reports import evaluate_inputs, load_inputs
    from course.records.store import Store

    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    store = Store()
    opened = summary.start_session(
        store, course, scenario_ids=[s.id for s in course.scenarios() if not s.branch][: live.MAX_SCENARIOS]
    )
    live.join(store, opened.session.code, name="Victim Person", staff_number="40999")
    for index in range(opened.session.total):
        live.show(store, opened.session.id, opened.trainer_key, index)
    live.close(store, opened.session.id, opened.trainer_key)
    # even a confirmation cannot reach a typed name
    assert live.confirm_attendance(store, opened.session.id, opened.trainer_key, ["40999"], "T1") == 0
    result = evaluate_inputs(load_inputs(store, course=course))
    people = result.people.set_index("learner_id")
    assert "40999" not in people.index or people.loc["40999", "status"] != "completed"
