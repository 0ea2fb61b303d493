"""Certificates: unguessable ids that verify, forged or changed ones that do not, HTML and PDF."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from course.content.model import load_course
from course.manager import certificates
from course.manager.completion import Rule, evaluate
from course.records import tables

from .test_completion import AS_OF, synthetic
from .test_reports import add_attendance

ID = re.compile(r"^SMC(-[A-Z2-7]{5}){4}$")


@pytest.fixture
def result(course):
    roster, grades, activity, attendance, history = synthetic(Rule.from_course(course).modules)
    roster.loc[roster["learner_id"] == "S01", "name"] = "Amy <b>Reid</b> O'Neil"
    return evaluate(
        Rule.from_course(course), grades, roster, activity=activity, attendance=attendance, history=history, as_of=AS_OF
    )


@pytest.fixture
def issued(store, result):
    # S01's time in the records (course.learning_time): "why" on 20 November 2025, before its pass on
    # 1 December: start 09:00, answers at 09:04 and 09:30 (a 26-minute gap counts as 10), Finish 09:31
    # = 4 + 10 + 1 = 15 minutes; a retake after the pass (20 December, 5 minutes) is not counted
    store.ensure_learner("S01")
    write_moments(store, "S01", "why", 1, "2025-11-20 09:00", [0, 4, 30], finished=31)
    write_moments(store, "S01", "why", 2, "2025-12-20 09:00", [0, 5])
    return {r["learner_id"]: r for r in certificates.record(store, certificates.facts_from(result, store=store))}


def write_moments(store, learner, module, attempt, start, minutes, finished=None):
    """An attempt started at `start` with a decision at each of `minutes` (the first is the start)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    t0 = datetime.fromisoformat(start).replace(tzinfo=UTC)
    at = lambda m: t0 + timedelta(minutes=m)  # noqa: E731
    with store.engine.begin() as conn:
        conn.execute(
            insert(tables.attempts).values(
                learner_id=learner,
                module_id=module,
                attempt=attempt,
                policy_version="2025-09",
                started_at=at(minutes[0]),
                finished_at=at(finished) if finished is not None else None,
            )
        )
        for n, m in enumerate(minutes[1:]):
            conn.execute(
                insert(tables.decisions).values(
                    learner_id=learner,
                    module_id=module,
                    attempt=attempt,
                    scenario_id=f"s{n}",
                    choice_id="a",
                    score=1.0,
                    decided_at=at(m),
                )
            )


def test_every_current_completion_gets_one_certificate(store, issued, tmp_path):
    assert sorted(issued) == ["S01", "S02", "S03", "S04"]  # S04 is overdue, but its completion was real
    assert all(ID.match(r["certificate_id"]) for r in issued.values())
    assert len({r["certificate_id"] for r in issued.values()}) == 4
    s01 = issued["S01"]
    assert s01["completed_on"] == "2025-12-05" and s01["policy_version"] == "2025-09"
    assert (s01["score"], s01["max_score"], s01["minutes"]) == (54.0, 60.0, 15)  # time spent, not the estimate
    assert [m["minutes"] for m in s01["modules"]] == [15, 0, 0, 0, 0, 0]
    assert [m["id"] for m in s01["modules"]] == ["why", "sharing", "boundaries", "protect", "safety", "final"]
    key = tmp_path / "var" / "secret.key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


def test_recording_again_changes_nothing(store, result, issued):
    again = certificates.record(store, certificates.facts_from(result, store=store))
    assert {r["certificate_id"] for r in again} == {r["certificate_id"] for r in issued.values()}
    assert len(certificates.register_frame(store)) == 4


def test_verify_good_forged_malformed_and_altered(store, issued):
    good = issued["S01"]["certificate_id"]
    check = certificates.verify(store, good)
    assert check.ok and check.record["name"] == "Amy <b>Reid</b> O'Neil"
    assert check.message().startswith(
        f"VALID: {good}: Amy <b>Reid</b> O'Neil (staff number S01) completed the course on 2025-12-05"
    )
    assert certificates.verify(store, " " + good.lower().replace("-", " ") + " ").ok  # typed loosely
    forged = "SMC-" + "-".join(["ABCDE"] * 4)
    assert certificates.verify(store, forged).status == "unknown"
    assert "no such certificate" in certificates.verify(store, forged).message()
    assert certificates.verify(store, "hello").status == "malformed"
    assert certificates.verify(store, good[:-1] + "9").status == "malformed"  # 9 is not base32
    assert certificates.verify(store, good.replace("O", "0").replace("I", "1")).ok  # misread letters
    # a record changed in the database no longer matches its id
    with store.engine.begin() as conn:
        conn.execute(update(tables.certificates).where(tables.certificates.c.certificate_id == good).values(score=50.0))
    assert certificates.verify(store, good).status == "altered"
    assert certificates.verify(store, issued["S02"]["certificate_id"]).ok


def test_a_record_inserted_without_the_key_does_not_verify(store, issued, monkeypatch):
    facts = {k: v for k, v in issued["S01"].items() if k != "certificate_id"}
    monkeypatch.setenv("COURSE_SECRET_KEY", "someone-elses-key-0123456789")
    forged = certificates.record(store, [{**facts, "name": "Someone Else"}])[0]["certificate_id"]
    monkeypatch.delenv("COURSE_SECRET_KEY")
    assert certificates.verify(store, forged).status == "altered"
    assert certificates.verify(store, issued["S01"]["certificate_id"]).ok


def test_secret_key_from_the_environment(store, result, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_SECRET_KEY", "k" * 32)
    first = certificates.certificate_id({**certificates.facts_from(result, store=store)[0]})
    monkeypatch.setenv("COURSE_SECRET_KEY", "j" * 32)
    assert certificates.certificate_id({**certificates.facts_from(result, store=store)[0]}) != first
    monkeypatch.setenv("COURSE_SECRET_KEY", "short")
    with pytest.raises(certificates.CertificateError, match="too short"):
        certificates.secret_key()
    assert not (tmp_path / "var" / "secret.key").exists()


def test_html_certificate(store, issued, course):
    page = certificates.render_html(certificates.get(store, issued["S01"]["certificate_id"]), course)
    assert "Amy &lt;b&gt;Reid&lt;/b&gt; O&#x27;Neil" in page and "<b>Reid</b>" not in page
    for text in (
        "Certificate of completion",
        "5 December 2025",
        "version 2025-09",
        "54 out of 60 (90%)",
        "15 minutes (time spent, from the course records)",
        issued["S01"]["certificate_id"],
        "Why it matters",
        "Final assessment",
        "@page { size: A4 landscape",
        "by 5 December 2026, or sooner if the policy changes",
    ):
        assert text in page, text
    trainer_led = certificates.render_html(certificates.get(store, issued["S02"]["certificate_id"]), course)
    assert "attended (trainer-led)" in trainer_led and "trainer-led session attended" in trainer_led


def test_pdf_certificate(store, issued, course, tmp_path):
    record = certificates.get(store, issued["S01"]["certificate_id"])
    paths = certificates.write_files(record, course, tmp_path / "out")
    assert [p.name for p in paths] == [
        f"certificate-{record['certificate_id']}.html",
        f"certificate-{record['certificate_id']}.pdf",
    ]
    pdf = paths[1].read_bytes()
    assert (
        pdf.startswith(b"%PDF-")
        and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>") >= 1
    )
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(paths[1]), "-"], capture_output=True, text=True).stdout
        for part in (
            "Certificate of completion",
            "Amy <b>Reid</b> O'Neil",
            "5 December 2025",
            "2025-09",
            "54 out of 60 (90%)",
            "15 minutes (time spent, from the course",
            record["certificate_id"],
        ):
            assert part in text, part


@pytest.fixture
def roster_store(tmp_path, monkeypatch):
    """Two staff on the roster, no gradebook; 40001 completed through a trainer-led session."""
    from course.records.roster import import_csv
    from course.records.store import Store

    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    store = Store()
    (tmp_path / "staff.csv").write_text("staff number,name,team\n40001,Amy Reid,Riverside\n40002,Ben Ali,Riverside\n")
    import_csv(store, tmp_path / "staff.csv")
    add_attendance(store, [("40001", "all", date.today() - timedelta(days=3))])
    return store


def test_cli_certificate_and_verify(tmp_path, roster_store):
    from course.cli import main

    assert roster_store is not None  # the fixture imported the roster the certificate names
    runner = CliRunner()
    out = runner.invoke(main, ["certificate", "40001", "--out", str(tmp_path / "certs")])
    assert out.exit_code == 0, out.output
    cert_id = re.search(r"SMC(-[A-Z2-7]{5}){4}", out.output).group(0)
    assert sorted(p.name for p in (tmp_path / "certs").iterdir()) == [
        f"certificate-{cert_id}.html",
        f"certificate-{cert_id}.pdf",
    ]
    ok = runner.invoke(main, ["verify", cert_id])
    assert ok.exit_code == 0 and ok.output.startswith(f"VALID: {cert_id}: Amy Reid")
    forged = runner.invoke(main, ["verify", "SMC-AAAAA-BBBBB-CCCCC-DDDDD"])
    assert forged.exit_code == 1 and "NOT VALID" in forged.output
    nope = runner.invoke(main, ["certificate", "40002"])
    assert (
        nope.exit_code == 2
        and "learner 40002 has not completed the course (status: not started, 0/6 modules passed)" in nope.output
    )
    unknown = runner.invoke(main, ["certificate", "99999"])
    assert unknown.exit_code == 2 and "no learner or staff number '99999'" in unknown.output
    both = runner.invoke(main, ["certificate"])
    assert both.exit_code == 2 and "give a learner id or staff number, or --all" in both.output
    everyone = runner.invoke(main, ["certificate", "--all", "--format", "html", "--out", str(tmp_path / "all")])
    assert everyone.exit_code == 0 and [p.suffix for p in (tmp_path / "all").iterdir()] == [".html"]
    assert "Traceback" not in nope.output + unknown.output + forged.output
    assert os.stat(tmp_path / "var" / "secret.key").st_mode & 0o077 == 0


def test_facts_for_thousands_of_completions_are_quick(store):
    """The register is updated on every report: its facts come from arrays, not a loop over frames."""
    import time

    from benchmarks.reports import AS_OF as DAY
    from benchmarks.reports import generate, make_rule

    roster, grades, activity = generate(staff=3000, years=3, seed=5)
    found = evaluate(make_rule(3), grades, roster, activity=activity, as_of=DAY)
    started = time.perf_counter()
    facts = certificates.facts_from(found, store=store)
    assert time.perf_counter() - started < 3
    assert len(facts) == int(found.people["current_completion"].sum()) > 1000
    assert all(len(f["modules"]) == 5 and f["completed_on"] >= max(m["passed_on"] for m in f["modules"]) for f in facts)


def test_certificate_page_in_the_learner_app(roster_store, course):
    """The home's certificate link opens this page: the certificate of record and links to its files."""
    from course.app.certificate import open_certificate_page

    store = roster_store

    # the page reads and never writes the register: a completion not yet issued is "on its way"
    first = open_certificate_page(course, store, "40001", token="tok").value
    assert "Your certificate is on its way" in first and certificates.for_learner(store, "40001") == []
    certificates.issue(store, course, ["40001"])  # what the marker (or `course certificate`) does
    html = open_certificate_page(course, store, "40001", token="tok").value
    cert_id = re.search(r"SMC(-[A-Z2-7]{5}){4}", html).group(0)
    assert certificates.verify(store, cert_id).ok
    assert "Well done, Amy Reid" in html and 'href="home.ipynb?token=tok"' in html
    # the files are the server's downloads (course.server.downloads), never data: links in the page
    assert 'href="../../download/certificate.pdf?ticket=' in html and "data:" not in html
    assert 'href="../../download/certificate.html?ticket=' in html
    assert "Amy Reid" in html.split('class="cm-cert-preview"', 1)[1]
    assert "http://" not in html and "https://" not in html  # nothing from outside the server
    again = open_certificate_page(course, store, "40001", token="tok").value
    assert cert_id in again and len(certificates.for_learner(store, "40001")) == 1  # opening twice adds nothing

    waiting = open_certificate_page(course, store, "40002", token="tok").value
    assert "Your certificate is not ready yet" in waiting and "0 of 6 modules passed" in waiting
    assert certificates.for_learner(store, "40002") == []


def test_a_completion_registered_with_the_estimate_is_not_issued_again(store, result):
    """Before learning time was measured a certificate stated the modules' estimate: the same
    completion, seen again, keeps that certificate rather than getting a second id."""
    facts = certificates.facts_from(result, store=store)
    estimated = [
        {**f, "minutes": 155, "modules": [{k: v for k, v in m.items() if k != "minutes"} for m in f["modules"]]}
        for f in facts
    ]
    old = {r["learner_id"]: r["certificate_id"] for r in certificates.record(store, estimated)}
    again = certificates.record(store, certificates.facts_from(result, store=store))
    assert {r["learner_id"]: r["certificate_id"] for r in again} == old
    assert len(certificates.register_frame(store)) == len(old)
    assert certificates.render_html(certificates.get(store, old["S01"]), load_course()).count("(estimated)") == 1
