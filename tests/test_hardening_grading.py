"""Broken, empty, truncated, duplicate and unknown submissions are reported by name; the rest are
graded; the gradebook stays consistent."""

from __future__ import annotations

import threading

import pytest

from course.grading.autograde import grade
from course.grading.gradebook import gradebook_frame
from course.grading.release import release
from course.grading.submissions import write_submission

from .support.grading_helpers import answer, make_course_root

pytestmark = pytest.mark.slow
N = 9


def test_bad_submissions_are_named_and_the_rest_graded(tmp_path, monkeypatch, store):
    root = make_course_root(tmp_path, monkeypatch)
    assert release(root, modules=["sharing"], to_exchange=False)[0].generated
    good, score = answer(store, "good", "sharing", ["best"] * 4 + ["worst"] * 5)
    for learner in ("good", "truncated", "empty", "empty-responses", "dup"):
        view = good if learner == "good" else answer(store, learner, "sharing", ["best"] * N)[0]
        write_submission(root, learner, "sharing", view.records.as_responses())
    folder = lambda learner: root / "submitted" / learner / "sharing"  # noqa: E731
    text = (folder("truncated") / "sharing.ipynb").read_text()
    (folder("truncated") / "sharing.ipynb").write_text(text[: len(text) // 2])
    (folder("empty") / "sharing.ipynb").write_text("")
    (folder("empty-responses") / "responses.json").write_text("")
    (root / "submitted" / "stranger" / "module-x").mkdir(parents=True)

    # a duplicate: two Finish presses for one learner at the same moment
    dup_view, dup_score = answer(store, "dup2", "sharing", ["partly"] * N)
    threads = [
        threading.Thread(target=write_submission, args=(root, "dup", "sharing", dup_view.records.as_responses()))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    results = {(r.learner, r.module): r for r in grade(root, store=store)}
    assert results[("good", "sharing")].score == pytest.approx(score)
    assert results[("dup", "sharing")].score == pytest.approx(dup_score)
    assert "not a valid notebook" in results[("truncated", "sharing")].message
    assert "not a valid notebook" in results[("empty", "sharing")].message
    assert "not valid JSON" in results[("empty-responses", "sharing")].message
    assert results[("stranger", "module-x")].message == "unknown module 'module-x'"
    assert {k for k, r in results.items() if r.status == "graded"} == {("good", "sharing"), ("dup", "sharing")}
    frame = gradebook_frame(root, store)
    assert sorted(frame["learner"]) == ["dup", "good"]  # nothing half-recorded for the broken ones
    assert list(frame["max_score"]) == [N, N]
    assert not list(root.glob("submitted/dup/.sharing.incoming")) + list(root.glob("submitted/dup/.sharing.previous"))
