"""Trainer-led attendance from the live group sessions counts toward completion (completion.trainer_led_counts)."""

from __future__ import annotations

import pytest

live = pytest.importorskip("course.live.core")


def test_live_session_attendance_counts_for_its_module(tmp_path, monkeypatch, course):
    from course.live import summary
    from course.manager.reports import evaluate_inputs, load_inputs
    from course.records.store import Store

    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    store = Store()
    opened = summary.start_session(store, course, module_id="sharing")
    live.join(store, opened.session.code, name="Amy Reid", staff_number="40001")
    live.join(store, opened.session.code, name="Ben Ali", staff_number="40002")
    for index in range(opened.session.total):
        live.show(store, opened.session.id, opened.trainer_key, index)
    other = summary.start_session(store, course, module_id="why")
    live.join(store, other.session.code, name="Amy Reid", staff_number="40001")
    live.show(store, other.session.id, other.trainer_key, 0)  # left after the first scenario: does not count

    inputs = load_inputs(store, course=course)
    assert sorted(map(tuple, inputs.attendance[["learner_id", "module_id"]].to_numpy())) == [
        ("40001", "sharing"),
        ("40002", "sharing"),
    ]
    result = evaluate_inputs(inputs)
    mods = result.modules.set_index(["learner_id", "module_id"])
    assert str(mods.loc[("40001", "sharing"), "status"]) == "passed" and bool(
        mods.loc[("40001", "sharing"), "attended"]
    )
    assert str(mods.loc[("40001", "why"), "status"]) == "not started"
    people = result.people.set_index("learner_id")
    assert people.loc["40001", "status"] == "in progress" and people.loc["40001", "attended_modules"] == 1
