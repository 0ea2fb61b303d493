"""The manager dashboard: nothing without the password; with it, statuses, charts with alt text, tables.

The browser test serves notebooks/manager/ with the course's own Voila server on 127.0.0.1 (as
`course manager dashboard` does: the learners' server's headers, error pages and kernel guard)
and drives it in headless Debian Chromium.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from course.manager import auth

from .support.servers import ARTIFACTS, CHROMIUM, chromium, http_get, manager_dashboard_server
from .test_reports import add_attendance

PASSWORD = "correct horse battery"


def set_password_cli(password: str = PASSWORD):
    from course.cli import main

    return CliRunner().invoke(main, ["manager", "set-password"], env={"COURSE_MANAGER_PASSWORD": password})


def test_password_is_kept_as_a_salted_scrypt_hash(tmp_path):
    assert not auth.password_is_set() and not auth.check_password(PASSWORD)
    out = set_password_cli()
    assert out.exit_code == 0, out.output
    path = tmp_path / "var" / "manager.json"
    record = json.loads(path.read_text())
    assert record["algorithm"] == "scrypt" and len(bytes.fromhex(record["salt"])) == 16
    assert PASSWORD not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth.check_password(PASSWORD)
    assert not auth.check_password("correct horse batterY") and not auth.check_password("")
    first = record["hash"]
    set_password_cli()
    assert json.loads(path.read_text())["hash"] != first  # a new salt each time


def test_set_password_refuses_weak_or_missing(tmp_path):
    short = set_password_cli("short")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    from course.cli import main

    no_terminal = CliRunner().invoke(main, ["manager", "set-password"], env={"COURSE_MANAGER_PASSWORD": ""})
    assert no_terminal.exit_code == 2 and "set COURSE_MANAGER_PASSWORD" in no_terminal.output
    assert not auth.password_is_set()


@pytest.fixture
def records(tmp_path, monkeypatch):
    """A roster of four in two teams: one completed (trainer-led), one due soon, one in progress, one not started."""
    from course.records.roster import import_csv
    from course.records.store import Store

    (tmp_path / "grading").mkdir()
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "grading"))
    monkeypatch.setenv("COURSE_SECRET_KEY", "dashboard-test-key-0123456789")
    store = Store()
    (tmp_path / "staff.csv").write_text(
        "staff number,name,team\n40001,Amy Reid,Riverside\n40002,Ben Ali,Riverside\n"
        "40003,Cal Moss,Home care\n40004,Dan Hill,Home care\n"
    )
    import_csv(store, tmp_path / "staff.csv")
    today = date.today()
    add_attendance(store, [("40001", "all", today - timedelta(days=40)), ("40002", "all", today - timedelta(days=350))])
    store.record_decision("40003", "why", store.current_attempt("40003", "why", "2025-09"), "why-x", "b", 0.0)
    return store


def html_of(widget) -> str:
    import ipywidgets as widgets

    if isinstance(widget, widgets.HTML):
        return widget.value
    return "".join(html_of(child) for child in getattr(widget, "children", ()))


def test_dashboard_shows_nothing_until_the_password_is_right(records):
    from course.manager.dashboard import Dashboard

    board = Dashboard(store=records)
    board.password.value = PASSWORD
    board._try()
    assert "No manager password is set" in board.message.value and board.widget.children == (board.gate,)
    set_password_cli()
    board.password.set_state({"value": "not the password"})  # what the page sends on Enter
    assert "That password is not right" in board.message.value
    assert board.widget.children == (board.gate,) and "Amy Reid" not in html_of(board.widget)
    assert board.password.value == ""  # never left in the box
    board._checked_at = 0.0
    board._clicked()  # the button with an empty box checks nothing
    assert "Type the manager password first" in board.message.value
    board.password.value = PASSWORD  # set in Python: nothing checked until the button
    assert board.widget.children == (board.gate,)
    board._clicked()
    page = html_of(board.widget)
    assert "Staff by status (4 people)" in page
    assert "How well each scenario measures" in page
    for name in ("Amy Reid", "Ben Ali", "Cal Moss", "Dan Hill"):
        assert name in page
    assert '<img src="data:image/png;base64,' in page and 'alt="Line chart of the share of staff' in page
    assert 'alt="Bar chart of the completion rate by team, highest first: Riverside 100%, Home care 0%."' in page
    assert "The table behind this chart" in page and 'download="completions.csv"' in page
    board.status_filter.value = "not started"
    assert "Dan Hill" in board.people_view.value and "Amy Reid" not in board.people_view.value
    board.team_filter.value = "Riverside"
    assert "Dan Hill" not in board.people_view.value and "Download these 0 rows" in board.people_view.value
    board.team_filter.value = "Home care"
    assert "Download this 1 row as CSV" in board.people_view.value


def test_show_returns_nothing_so_the_page_prints_no_object(records):
    """A notebook shows its cell's last value: `show()` must not hand back the Dashboard, whose
    repr (`<course.manager.dashboard.Dashboard at 0x...>`) was printed on the page twice."""
    from course.manager.dashboard import show

    assert show(store=records) is None


def test_wrong_passwords_slow_one_source_not_the_real_manager(records):
    """Guesses are limited per source address across every dashboard page (issue 15: the old
    server-wide lockout locked the real manager out, and parallel pages multiplied the guesses)."""
    from course.manager import auth
    from course.manager.dashboard import Dashboard

    set_password_cli()
    free = auth.SOURCE_LIMIT.free
    pages = [Dashboard(store=records, source="10.6.6.6") for _ in range(free + 3)]
    said = []
    for page in pages:  # one wrong guess from each of several pages at the attacker's desk
        page.password.value = "a wrong guess"
        page._try()
        said.append(page.message.value)
    assert sum("That password is not right" in m for m in said) == free  # only `free` were checked
    assert all("Too many wrong passwords from this computer" in m for m in said[free:])
    attacker = Dashboard(store=records, source="10.6.6.6")
    attacker.password.value = PASSWORD  # even the right password waits at that desk now
    attacker._try()
    assert "Try again in" in attacker.message.value and attacker.widget.children == (attacker.gate,)
    manager = Dashboard(store=records, source="10.0.0.5")  # the manager's own desk
    manager.password.value = PASSWORD
    manager._try()
    assert "Staff by status" in html_of(manager.widget)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium")
def test_dashboard_in_headless_chromium(records, tmp_path):
    assert set_password_cli().exit_code == 0
    env = {
        "COURSE_DATA_DIR": str(tmp_path / "var"),
        "COURSE_GRADING_DIR": str(tmp_path / "grading"),
        "COURSE_SECRET_KEY": "dashboard-test-key-0123456789",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    with manager_dashboard_server(env, tmp_path / "voila.log") as base, chromium() as browser:
        # served like the learners' course: `/` opens the dashboard, safe headers, nothing else to open
        status, headers, _body = http_get(base + "/")
        assert status == 302 and headers["Location"].endswith("/voila/render/dashboard.ipynb")
        for path in [
            "/voila/tree",
            "/voila/api/contents",
            "/voila/files/dashboard.ipynb",
            "/api/kernels",
            "/login",
            "/voila/render/home.ipynb",
            "/voila/render/../app/home.ipynb",
            "/voila/render/%2e%2e/app/module.ipynb",
            "/voila/static/../../../../etc/passwd",
        ]:
            status, headers, body = http_get(base + path)
            assert status in (403, 404), (path, status)
            assert "Traceback" not in body and "course/static/theme.css" in body, path
            assert "default-src 'self'" in headers["Content-Security-Policy"], path

        page = browser.new_page(viewport={"width": 1280, "height": 900})
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:", "blob:")) else None)
        # a learner's sign-in token in the address opens nothing: the page still asks for the password
        from course.records import signin_tokens as sessions

        learner_token = sessions.issue(records, "40003")
        page.goto(f"{base}/voila/render/dashboard.ipynb?token={learner_token}", timeout=90_000)
        page.get_by_text("Enter the manager password").wait_for(timeout=90_000)
        assert page.get_by_text("Cal Moss").count() == 0 and page.get_by_text("Staff by status").count() == 0
        page.goto(base + "/", timeout=90_000)
        page.get_by_text("Enter the manager password").wait_for(timeout=90_000)
        password = page.locator("input[type=password]")
        password.fill("a wrong guess")
        page.get_by_role("button", name="Open the dashboard").click()
        page.get_by_text("That password is not right").wait_for(timeout=30_000)
        assert page.locator("img").count() == 0
        assert page.get_by_text("Amy Reid").count() == 0 and page.get_by_text("Staff by status").count() == 0

        password.fill(PASSWORD)
        page.get_by_role("button", name="Open the dashboard").click()
        page.get_by_text("Staff by status (4 people)").wait_for(timeout=60_000)
        status_table = page.locator("table", has_text="Status per person")
        assert status_table.get_by_text("Amy Reid").count() == 1
        rows = {
            r.locator("td").nth(0).inner_text(): r.locator("td").nth(4).inner_text()
            for r in status_table.locator("tbody tr").all()
        }
        assert rows == {"40001": "completed", "40002": "due soon", "40003": "in progress", "40004": "not started"}
        chart = page.locator("img[alt^='Line chart of the share of staff']")
        chart.wait_for(timeout=30_000)
        assert chart.evaluate("img => img.complete && img.naturalWidth > 100")
        team_chart = page.locator("img[alt^='Bar chart of the completion rate by team']")
        assert team_chart.evaluate("img => img.naturalWidth > 100")
        page.screenshot(path=str(ARTIFACTS / "manager-dashboard.png"))
        chart.screenshot(path=str(ARTIFACTS / "manager-dashboard-chart.png"))
        team_chart.screenshot(path=str(ARTIFACTS / "manager-dashboard-teams.png"))
    assert outside == []  # nothing from a CDN or any other server
    log = Path(tmp_path / "voila.log").read_text()
    assert PASSWORD not in log and learner_token not in log
    for name in ("Amy Reid", "Ben Ali", "Cal Moss", "Dan Hill"):
        assert name not in log
