"""One progress rule, every view: the same learner histories through every view that shows progress.

Each history is built with the real records store and real grading-log rows (as the marker
writes them), real Finish requests, real trainer-led attendance and the real certificate
register; the gradebook frame also reads a real nbgrader gradebook. Every view must then say
the same thing about every module and about the course:

    learner   history                              modules                    course        certificate
    NOMARK    every module finished, no marker          being marked (all)            in progress   no
              (`course serve --no-grading`)
    PASS      every module finished and marked pass    passed (all)                  completed     yes
    FAIL      "why" finished and marked fail       why failed                 failed        no
    REVIEW    every module marked pass, "final"         final needs review,        in progress   no
              flagged needs review                  the rest passed
    RENEW     every module passed 13 months ago        due again (all) (too old)     overdue       no (on record)
    POLICY    every module passed under policy 2024-09 due again (all) (policy)      overdue       no
    TRAINER   a trainer-led session ("all")        passed (all) (attended)       completed     yes
    KILLED    "why" marked fail, then a retake      why being marked           in progress   no
              finished; its request left "running"
    RETAKE    every module passed (certificate        why failed, the rest       completed     yes (the register's)
              issued), then "why" retaken and      passed
              marked fail
    CRITICAL  every module passed but "why", whose   why failed (critical),     failed        no
              attempt chose a 0 on a critical      the rest passed
              item: its score reaches the pass
              mark, the marker lists the item

What each proves: NOMARK, the home no longer says "passed every module" while the
certificate page says "0 of 5"; KILLED, the report no longer says "failed" while the home
says "passed" (neither: being marked); REVIEW, a flagged mark is no pass (no certificate) and
no fail; RENEW and POLICY, renewal and policy change are one rule (one default of
`renew_on_policy_change`); TRAINER, attendance counts on the home as in the reports;
RETAKE, the latest mark is the module's word while the completion already on record stands;
CRITICAL, a 0 on a critical item fails the module whatever the mean, and every view says why.

Views: home (course.app.status via HomeApp), module summary (ModuleApp), certificate page
data (course.app.certificate.learner_certificate), completions report, dashboard data,
xAPI, learning record, gradebook frame (slow: a real nbgrader gradebook).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from course import progress as p
from course.content.model import load_course
from course.records import signin_tokens
from course.records.store import attempts, decisions, now

from .support.grading_helpers import mark, mark_attempt
from .test_reports import add_attendance

MODULES = tuple(load_course().modules)  # every module of the course (six since issue 16 added safety)


@dataclass(frozen=True)
class Expect:
    modules: dict[str, str]
    course: str
    certificate: bool  # a certificate in date: the home's link, the certificate page
    on_record: bool = False  # a completion in the register (xAPI statements), in date or not
    reason: str = ""  # why "due again" (or failed on a critical item), as the home and the module page say it
    attended: bool = False


def every(state):
    return dict.fromkeys(MODULES, state)


NOT = p.NOT_STARTED
EXPECTED = {
    "NOMARK": Expect(every(p.BEING_MARKED), p.IN_PROGRESS, False),
    "PASS": Expect(every(p.PASSED), p.COMPLETED, True, True),
    "FAIL": Expect({**every(NOT), "why": p.FAILED}, p.FAILED, False),
    "REVIEW": Expect({**every(p.PASSED), "final": p.NEEDS_REVIEW}, p.IN_PROGRESS, False),
    "RENEW": Expect(every(p.DUE_AGAIN), p.OVERDUE, False, True, reason="months old"),
    "POLICY": Expect(every(p.DUE_AGAIN), p.OVERDUE, False, reason="policy has changed"),
    "TRAINER": Expect(every(p.PASSED), p.COMPLETED, True, True, attended=True),
    "KILLED": Expect({**every(NOT), "why": p.BEING_MARKED}, p.IN_PROGRESS, False),
    "RETAKE": Expect({**every(p.PASSED), "why": p.FAILED}, p.COMPLETED, True, True),
    "CRITICAL": Expect({**every(p.PASSED), "why": p.FAILED}, p.FAILED, False, reason="would leave someone at risk"),
}


def critical_item(course):
    """The "why" scenario the CRITICAL history answers with a 0 (the marker's `critical_missed`)."""
    return next(s for s in course.module("why").graded_scenarios if any(c.score == 0 for c in s.choices))


CRITICAL_SAYS = "You chose an action that would leave someone at risk in '{title}': this fails the module"


def best(scenario):
    return max(scenario.choices, key=lambda c: c.score)


def worst(scenario):
    return min(scenario.choices, key=lambda c: c.score)


def finish(store, course, learner, module_id, pick=best, new_attempt=False, version=None):
    """Answer every graded scenario and press Finish, as the module page does."""
    version = version or course.policy.version
    attempt = (
        store.start_new_attempt(learner, module_id, version)
        if new_attempt
        else store.current_attempt(learner, module_id, version)
    )
    for scenario in course.module(module_id).graded_scenarios:
        choice = pick(scenario)
        store.record_decision(learner, module_id, attempt, scenario.id, choice.id, choice.score)
    store.finish_attempt(learner, module_id, attempt)
    return attempt


def backdate(store, learner, days):
    """Move all of a learner's records `days` into the past (attempts, decisions, marks)."""
    from sqlalchemy import and_, select

    from course.records.tables import gradings

    shift = timedelta(days=days)
    for table, columns in (
        (attempts, ("started_at", "finished_at")),
        (decisions, ("decided_at",)),
        (gradings, ("graded_at",)),
    ):
        keys = list(table.primary_key.columns)
        for row in store._read(select(table).where(table.c.learner_id == learner)):
            values = {c: row._mapping[c] - shift for c in columns if row._mapping[c] is not None}
            store._write(update(table).where(and_(*(k == row._mapping[k.name] for k in keys))).values(values))


def build(store, course):
    """Every history of the module docstring, in one records store."""
    from course.grading.autograde import issue_certificates
    from course.manager import certificates
    from course.records import finish_queue as queue

    for learner in EXPECTED:
        store.ensure_learner(learner, name=f"Learner {learner.title()}", staff_number=learner)

    # KILLED: a failed first attempt, then a retake whose request the marker took and never finished
    mark_attempt(store, course, "KILLED", "why", finish(store, course, "KILLED", "why", worst))
    finish(store, course, "KILLED", "why", best, new_attempt=True)
    queue.enqueue(store, "KILLED", "why")
    claimed = queue.claim(store)  # the marker took it, and was killed
    assert claimed.learner_id == "KILLED" and queue.get(store, claimed.id).status == "running"

    for module_id in MODULES:  # NOMARK: Finish, and nobody marks
        finish(store, course, "NOMARK", module_id)
        queue.enqueue(store, "NOMARK", module_id)

    for module_id in MODULES:  # PASS
        mark_attempt(store, course, "PASS", module_id, finish(store, course, "PASS", module_id))

    mark_attempt(store, course, "FAIL", "why", finish(store, course, "FAIL", "why", worst))

    for module_id in MODULES:  # REVIEW: the final assessment was tampered with
        attempt = finish(store, course, "REVIEW", module_id)
        if module_id == "final":
            mark(
                store,
                "REVIEW",
                module_id,
                course.module(module_id).max_score,
                course.module(module_id).max_score,
                needs_review=True,
            )
        else:
            mark_attempt(store, course, "REVIEW", module_id, attempt)

    for module_id in MODULES:  # RENEW: passed 13 months ago
        mark_attempt(store, course, "RENEW", module_id, finish(store, course, "RENEW", module_id))
    backdate(store, "RENEW", 400)

    for module_id in MODULES:  # POLICY: under the version before this one
        mark_attempt(store, course, "POLICY", module_id, finish(store, course, "POLICY", module_id, version="2024-09"))

    add_attendance(store, [("TRAINER", "all", date.today() - timedelta(days=1))])

    for module_id in MODULES:  # RETAKE
        mark_attempt(store, course, "RETAKE", module_id, finish(store, course, "RETAKE", module_id))
    issue_certificates(store, ["RETAKE"], course)  # as the marker does after each mark
    mark_attempt(store, course, "RETAKE", "why", finish(store, course, "RETAKE", "why", worst, new_attempt=True))

    item = critical_item(course)  # CRITICAL: 80% or more, with a 0 on a critical item
    for module_id in MODULES:
        if module_id == "why":
            attempt = finish(store, course, "CRITICAL", "why", lambda s: worst(s) if s.id == item.id else best(s))
            score = mark_attempt(store, course, "CRITICAL", "why", attempt, critical_missed=(item.id,))
            assert p.reaches_pass_mark(score, course.module("why").max_score, course.module("why").pass_mark)
        else:
            mark_attempt(store, course, "CRITICAL", module_id, finish(store, course, "CRITICAL", module_id))

    # the marker issues certificates after marking; `course certificate` for trainer-led completions
    issue_certificates(store, [k for k in EXPECTED if k != "RETAKE"], course)
    certificates.issue(store, course, ["TRAINER"])


KEY = "progress-test-key-0123456789"


def _environment(mp, folder):
    mp.setenv("COURSE_DATA_DIR", str(folder / "var"))
    mp.setenv("COURSE_SECRET_KEY", KEY)
    mp.setenv("COURSE_GRADING_DIR", str(folder / "grading"))
    mp.delenv("NBGRADER_DB_URL", raising=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The histories, built once for this file (every view reads them; none changes them)."""
    from course.content.model import load_course
    from course.records.store import Store

    folder = tmp_path_factory.mktemp("progress")
    (folder / "grading").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        _environment(mp, folder)
        store, course = Store(f"sqlite:///{folder / 'records.db'}"), load_course()
        build(store, course)
    return store, course, folder


@pytest.fixture
def world(built, monkeypatch):
    store, course, folder = built
    _environment(monkeypatch, folder)
    return store, course


def module_states(frame, learner):
    mods = frame[frame["learner_id"] == learner].set_index("module_id")["status"].astype(str)
    return {m: mods.get(m, NOT) for m in MODULES}


# --- the views ----------------------------------------------------------------------------------


def test_the_rule_itself(world):
    """The expectations, once, from course.progress for each learner alone and for everyone."""
    store, course = world
    from course.manager.reports.data import load_inputs

    i = load_inputs(store, course=course)
    everyone = p.evaluate(
        i.rule, i.grades, i.roster, activity=i.activity, attendance=i.attendance, history=i.history, finished=i.finished
    )
    for learner, want in EXPECTED.items():
        alone = p.learner_evaluation(store, course, learner)
        for result in (alone, everyone):
            assert module_states(result.modules, learner) == want.modules, learner
            assert str(result.person(learner)["status"]) == want.course, learner
            assert result.certificate_ready(learner) == want.certificate, learner


def test_home(world):
    from course.app.home import HomeApp

    store, course = world
    for learner, want in EXPECTED.items():
        home = HomeApp(course, store, learner_id=learner, token="tok")
        assert {s.module.id: s.state for s in home.statuses} == want.modules, learner
        html = home.course_html.value
        assert ("Your certificate" in html) == want.certificate, learner
        assert ("You have passed every module" in html) == (want.certificate and learner != "RETAKE"), learner
        assert html.count("✓</span> Passed") == list(want.modules.values()).count(p.PASSED), learner
        assert html.count("Being marked</span>") == list(want.modules.values()).count(p.BEING_MARKED), learner
        assert html.count("Waiting for review</span>") == list(want.modules.values()).count(p.NEEDS_REVIEW)
        assert html.count("Not passed yet</span>") == list(want.modules.values()).count(p.FAILED), learner
        if want.reason:
            assert all(want.reason in s.reason for s in home.statuses if s.state in (p.DUE_AGAIN, p.FAILED)), learner
            assert want.reason in html, learner
        if learner == "CRITICAL":  # the home says why the module failed, naming the item
            assert CRITICAL_SAYS.format(title=critical_item(course).title) in html.replace("&#x27;", "'")
        if want.attended:
            assert html.count("Trainer-led session attended") == len(MODULES)


PAGE_SAYS = {  # what the module page's summary says for each state, after Finish
    p.PASSED: "You passed.",
    p.FAILED: "Not passed yet",
    p.BEING_MARKED: "being marked",
    p.NEEDS_REVIEW: "A trainer will check your mark",
    p.DUE_AGAIN: "Please go through the module again.",
}


def test_module_summary(world):
    from course.app.module import SUMMARY, open_module_app

    store, course = world
    for learner, want in EXPECTED.items():
        for module_id, state in want.modules.items():
            if store.last_finished_attempt(learner, module_id) is None:
                continue  # no Finish: the page has no result to show (and opening it would start one)
            app = open_module_app(course, store, learner, module_id, token=signin_tokens.issue(store, learner))
            assert app.position == SUMMARY and app.state().state == state, (learner, module_id)
            text = app.result.value + app.finish_status.value
            for other, words in PAGE_SAYS.items():
                assert (words in text) == (other == state), (learner, module_id, words)
            says_critical = CRITICAL_SAYS.format(title=critical_item(course).title) in text.replace("&#x27;", "'")
            assert says_critical == (learner == "CRITICAL" and module_id == "why"), (learner, module_id)


def test_certificate_page_data(world):
    from course.app.certificate import learner_certificate
    from course.manager import certificates

    store, course = world
    before = len(certificates.register_frame(store))
    for learner, want in EXPECTED.items():
        record, words = learner_certificate(store, course, learner)
        assert (record is not None) == want.certificate, learner
        if not want.certificate:
            passed = list(want.modules.values()).count(p.PASSED)
            assert words.startswith(f"{passed} of {len(MODULES)} modules passed"), learner
            says_critical = CRITICAL_SAYS.format(title=critical_item(course).title) in words
            assert says_critical == (learner == "CRITICAL"), learner
    assert len(certificates.register_frame(store)) == before  # the page never writes the register


def test_completions_report(world):
    from course.manager.reports import evaluate_inputs, load_inputs, people_table

    store, _course = world
    result = evaluate_inputs(load_inputs(store))
    table = people_table(result).set_index("staff number")
    for learner, want in EXPECTED.items():
        assert module_states(result.modules, learner) == want.modules, learner
        assert table.loc[learner, "status"] == want.course, learner
        assert (
            table.loc[learner, "modules passed"] == f"{list(want.modules.values()).count(p.PASSED)}/{len(MODULES)}"
        ), learner


def test_dashboard_data(world):
    from course.manager.dashboard import Dashboard

    store, _course = world
    dashboard = Dashboard(store=store)
    dashboard.load()
    people = dashboard.result.people.set_index("learner_id")
    for learner, want in EXPECTED.items():
        assert module_states(dashboard.result.modules, learner) == want.modules, learner
        assert str(people.loc[learner, "status"]) == want.course, learner
    counts = dashboard.result.counts().iloc[0]
    assert int(counts[p.COMPLETED]) == [w.course for w in EXPECTED.values()].count(p.COMPLETED)


def test_xapi(world):
    from course.manager.xapi import learner_statements

    store, course = world
    for learner, want in EXPECTED.items():
        sent = learner_statements(store, course, learner)
        assert bool(sent) == want.on_record, learner
        if sent:
            verbs = [s["verb"]["display"]["en-GB"] for s in sent]
            assert verbs.count("completed") == 1
            assert verbs.count("attended" if want.attended else "passed") == len(MODULES), learner


def test_learning_record(world):
    from course.manager.learning_record import learning_record

    store, course = world
    for learner, want in EXPECTED.items():
        record = learning_record(store, learner, course)
        assert record["status"] == want.course, learner
        shown = {m["id"]: m["status"] for m in record["modules"]}
        assert shown == {m: s for m, s in want.modules.items() if s != NOT}, learner
        assert bool(record["completed_on"]) == (want.on_record or learner == "POLICY"), learner


def make_gradebook(root, rows):
    """nbgrader's gradebook as autograde leaves it: one grade cell per module, the module's points."""
    from nbgrader.api import Gradebook

    from course.grading.coursedir import _alembic_on_path, gradebook_url

    _alembic_on_path()
    with Gradebook(gradebook_url(root)) as gb:
        for module_id, max_score in {m: mx for _l, m, _s, mx in rows}.items():
            gb.update_or_create_assignment(module_id)
            gb.add_notebook(module_id, module_id)
            gb.add_grade_cell("test-all", module_id, module_id, max_score=max_score, cell_type="code")
        for learner, module_id, score, _max in rows:
            gb.update_or_create_student(learner)
            gb.add_submission(module_id, learner, timestamp=now())
            grade = gb.find_grade("test-all", module_id, module_id, learner)
            grade.auto_score = score
            gb.db.commit()


@pytest.mark.slow
def test_gradebook_frame(world, built):
    """`passed` in the gradebook frame is the rule's word, for every row nbgrader holds."""
    import shutil
    from pathlib import Path

    from course.grading.gradebook import gradebook_frame
    from course.records.grading_log import last_graded

    store, _course = world
    root = built[2] / "grading"
    shutil.copy(Path(__file__).resolve().parents[1] / "grading" / "nbgrader_config.py", root / "nbgrader_config.py")
    marks = last_graded(store)  # nbgrader holds what the marker recorded
    make_gradebook(root, [(lr, m, r.score, r.max_score) for (lr, m), r in marks.items() if r.score is not None])
    frame = gradebook_frame(root, store)
    assert len(frame) == len(marks)
    for row in frame.itertuples():
        assert bool(row.passed) == (EXPECTED[row.learner].modules[row.module] == p.PASSED), (row.learner, row.module)
    assert frame.set_index(["learner", "module"]).loc[("REVIEW", "final"), "needs_review"]
