"""The course on JupyterHub, for real, on 127.0.0.1: deploy/jupyterhub_config.py with PostgreSQL.

One hub for the file (tests/hub.py): PostgreSQL from Debian's package (records store and
nbgrader gradebook, two databases), configurable-http-proxy from npm, JupyterHub's
DummyAuthenticator and SimpleLocalProcessSpawner. Headless Chromium logs two learners in
through the hub's login form; each lands on the Voila course home as their hub user (no
course sign-in), completes a module and presses Finish, which queues the attempt for
marking. The manager grades (the marker: submissions built from the store in the shared
course root, nbgrader autograde against the PostgreSQL gradebook, with the environment the
hub gives a manager's server), and the gradebook and the completions
report show both learners with the scores their choices earn. The manager reaches the
dashboard (no password: hub group) and nbgrader's formgrader; a learner is refused both,
and their server has no terminal.

Skipped, with the reason, only when PostgreSQL, configurable-http-proxy or Chromium cannot
run here. Select with `-m hub`.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from course.app.marking import SENT
from course.content.model import load_course

from .support.hub import hub_databases, hub_server, log_in
from .support.servers import ARTIFACTS, chromium, http_get

pytestmark = [
    pytest.mark.hub,
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(600),
]

ROOT = Path(__file__).resolve().parents[1]
MODULE = "why"
LEARNERS = {"learner-ann": "best", "learner-bo": "worst"}  # how each one answers
MANAGER = "manager-mo"
TIMEOUT = 180_000  # ms: a server spawn and a fresh Voila kernel on a busy 2-core machine


# --- no servers needed ----------------------------------------------------------------------------


def test_k8s_values_and_hub_config_are_valid():
    values = yaml.safe_load((ROOT / "deploy" / "k8s" / "values.yaml").read_text())
    assert values["singleuser"]["defaultUrl"] == "/voila/render/home.ipynb"
    assert values["cull"]["enabled"] is True
    assert values["hub"]["db"]["type"] in ("postgres", "sqlite-pvc")
    for path in (ROOT / "deploy" / "k8s").glob("*.yaml"):  # every manifest parses
        assert all(doc is not None for doc in yaml.safe_load_all(path.read_text())), path
    compile((ROOT / "deploy" / "jupyterhub_config.py").read_text(), "jupyterhub_config.py", "exec")


def test_learners_get_no_gradebook_and_staff_get_the_dashboard_group(tmp_path):
    from course.hub.spawn import environment

    learner = environment(tmp_path / "ann", tmp_path / "shared", "postgresql://r", "postgresql://g", None, [])
    staff = environment(
        tmp_path / "mo", tmp_path / "shared", "postgresql://r", "postgresql://g", "managers", ["managers"]
    )
    assert "NBGRADER_DB_URL" not in learner and "COURSE_MANAGER_GROUP" not in learner
    assert learner["COURSE_DB_URL"] == staff["COURSE_DB_URL"] == "postgresql://r"
    assert staff["NBGRADER_DB_URL"] == "postgresql://g" and staff["COURSE_MANAGER_GROUP"] == "managers"
    assert learner["COURSE_GRADING_DIR"] == staff["COURSE_GRADING_DIR"]  # one shared course root


# --- the hub, for real ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory, request):
    records, gradebook = hub_databases(request, "hub")
    work = tmp_path_factory.mktemp("hub")
    started = time.monotonic()
    with hub_server(work, records, gradebook, managers=[MANAGER], modules=[MODULE]) as running:
        running.records_url, running.gradebook_url = records, gradebook
        print(f"hub up in {time.monotonic() - started:.0f} s at {running.url}")
        yield running
    print(f"hub tests took {time.monotonic() - started:.0f} s")


@pytest.fixture(scope="module")
def browser(hub):
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def sessions(hub, browser):
    """Everyone logs in first, so the hub spawns their servers side by side; yields their pages."""
    pages = {}
    for user in [*LEARNERS, MANAGER]:
        pages[user] = log_in(browser.new_context(viewport={"width": 1280, "height": 900}), hub.url, user, TIMEOUT)
    for user, page in pages.items():
        try:
            page.get_by_role("heading", name=f"Hello, {user}").wait_for()
        except Exception as exc:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"hub-{user}-home.png"))
            raise AssertionError(
                f"{user} never reached the course home ({page.url}); hub log:\n{hub.log_text()[-4000:]}"
            ) from exc
        assert page.url.startswith(f"{hub.url}/user/{user}/voila/render/home.ipynb")
    yield pages
    for page in pages.values():
        page.context.close()


def complete_module(page, module, how: str) -> float:
    """Answer every scenario the page shows (best or worst choice), finish; the score nbgrader should give."""
    page.get_by_role("link", name=f"Start: {module.title}").click()
    page.get_by_role("heading", name=module.title, level=1).wait_for()
    start = page.get_by_role("button", name="Start", exact=True)
    start.wait_for()
    page.wait_for_function("""() => [...document.querySelectorAll('button')].some(
        b => b.textContent.trim() === 'Start' && !b.disabled)""")
    start.click()
    graded = {s.id for s in module.graded_scenarios}
    expected, seen = 0.0, ""
    for _ in range(len(module.scenarios) + 1):
        page.wait_for_function(
            """seen => { const h = document.querySelector('.cm-card__title');
            return h && h.textContent.trim() !== seen; }""",
            arg=seen,
        )
        seen = page.locator(".cm-card__title").first.text_content().strip()
        scenario = next(s for s in module.scenarios if s.title == seen)
        choice = (max if how == "best" else min)(scenario.choices, key=lambda c: c.score)
        choose(page, choice.text)
        page.get_by_role("button", name="Check my answer").click()
        page.locator(".cm-feedback").first.wait_for()
        if scenario.id in graded:
            expected += choice.score
        if page.get_by_role("button", name="See your result").is_visible():
            page.get_by_role("button", name="See your result").click()
            break
        page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", name="Your result").wait_for()
    page.locator("textarea").first.fill("I will check who can see a post before I share anything.")
    finish = page.get_by_role("button", name="Finish")
    page.wait_for_function("""() => [...document.querySelectorAll('button')].some(
        b => b.textContent.trim() === 'Finish' && !b.disabled && b.offsetParent !== null)""")
    finish.click()
    page.get_by_text("Your result is saved.").wait_for()
    page.get_by_text(SENT).wait_for()  # queued for the marker
    return expected


def choose(page, text: str, tries: int = 3) -> None:
    """Pick a choice and wait until Check is enabled (the kernel has the choice); a click that
    lands while the widget is still being drawn is tried again."""
    for attempt in range(tries):
        page.get_by_role("radio", name=text).check()
        try:
            page.wait_for_function(
                """() => [...document.querySelectorAll('button')].some(
                b => b.textContent.trim() === 'Check my answer' && !b.disabled && b.offsetParent !== null)""",
                timeout=30_000,
            )
            return
        except Exception:
            if attempt == tries - 1:
                raise


def staff_run(hub, code: str) -> str:
    """Python run as a manager would in their server's terminal: the hub's staff environment."""
    done = subprocess.run(
        [sys.executable, "-c", code], env=hub.staff_env, cwd=hub.work, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{code}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def journey(hub, sessions):
    module = load_course().module(MODULE)
    expected = {}
    for user, how in LEARNERS.items():
        try:
            expected[user] = complete_module(sessions[user], module, how)
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            sessions[user].screenshot(path=str(ARTIFACTS / f"hub-{user}-failed.png"), full_page=True)
            raise
    return {"module": module, "expected": expected}


def test_two_learners_finish_in_voila_and_the_manager_grades_both(hub, sessions, journey):
    module, expected = journey["module"], journey["expected"]
    assert expected["learner-ann"] > expected["learner-bo"]  # the test tells them apart
    grading = hub.work / "shared" / "grading"
    assert not (grading / "submitted").exists()  # Finish only queued the attempts, in the store

    # the manager grades: the marker (`course grade --watch`, one pass over the queue) builds
    # each submission from the store in the shared course root and autogrades it with nbgrader
    graded = staff_run(hub, "from course.grading.worker import run\nprint(run(stop_after=2))")
    assert graded.strip().splitlines()[-1] == str(len(LEARNERS)), graded
    for user in LEARNERS:
        assert (grading / "submitted" / user / MODULE / f"{MODULE}.ipynb").exists()
        assert (grading / "feedback" / user / MODULE / f"{MODULE}.html").exists()

    # the gradebook (PostgreSQL) and the completions report show both, with those scores
    book = staff_run(
        hub,
        "from course.grading.gradebook import gradebook_frame\nprint(gradebook_frame().to_csv(index=False), end='')",
    )
    book_rows = {(r["learner"], r["module"]): r for r in csv.DictReader(io.StringIO(book))}
    for user, score in expected.items():
        row = book_rows[(user, MODULE)]
        assert float(row["score"]) == pytest.approx(score)
        assert float(row["max_score"]) == len(module.graded_scenarios)
    assert "postgresql" in hub.gradebook_url and not (grading / "gradebook.db").exists()
    report = subprocess.run(
        [str(Path(sys.executable).with_name("course")), "report", "completions", "--format", "csv"],
        env=hub.staff_env,
        cwd=hub.work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr
    people = {r["staff number"]: r for r in csv.DictReader(io.StringIO(report.stdout))}
    for user, score in expected.items():
        passed = score >= module.pass_mark * len(module.graded_scenarios)
        assert people[user]["modules passed"] == ("1/" if passed else "0/") + str(len(load_course().modules)), people[
            user
        ]
        assert people[user]["status"] == ("in progress" if passed else "failed"), people[user]


def test_the_manager_reaches_the_dashboard_through_the_hub(hub, sessions, journey):
    page = sessions[MANAGER]
    page.goto(f"{hub.url}/user/{MANAGER}/voila/render/manager/dashboard.ipynb", wait_until="domcontentloaded")
    page.get_by_role("heading", name="People").wait_for()  # in without a password: the hub group
    assert page.get_by_text("Manager password").count() == 0
    for user in LEARNERS:
        assert page.get_by_text(user).count() > 0
    # nbgrader's formgrader (the grading app), on the shared course root
    assert page.request.get(f"{hub.url}/user/{MANAGER}/formgrader/manage_assignments").status == 200
    assignments = page.request.get(f"{hub.url}/user/{MANAGER}/formgrader/api/assignments")
    assert assignments.status == 200, assignments.text()
    module = next(a for a in assignments.json() if a["name"] == MODULE)
    assert module["num_submissions"] == len(LEARNERS)  # both learners' Finish, in the shared course root


def test_a_learner_is_refused_the_manager_dashboard(hub, sessions):
    page = sessions["learner-ann"]
    # the manager's own server: the hub refuses another user
    response = page.goto(f"{hub.url}/user/{MANAGER}/voila/render/manager/dashboard.ipynb")
    assert response.status == 403
    assert page.get_by_role("heading", name="People").count() == 0
    # and the learner's server has no dashboard to open
    response = page.goto(f"{hub.url}/user/learner-ann/voila/render/manager/dashboard.ipynb")
    assert response.status == 404
    # nor the grading app: not the manager's, and none in their own server
    assert page.request.get(f"{hub.url}/user/{MANAGER}/formgrader", max_redirects=5).status == 403
    assert page.request.get(f"{hub.url}/user/learner-ann/formgrader").status == 404
    # a learner's server has no terminal (staff keep theirs for `course grade`)
    assert page.request.get(f"{hub.url}/user/learner-ann/api/terminals").status == 404
    assert sessions[MANAGER].request.get(f"{hub.url}/user/{MANAGER}/api/terminals").status == 200
    # without a hub login at all: sent to log in
    status, headers, _body = http_get(f"{hub.url}/user/{MANAGER}/voila/render/manager/dashboard.ipynb")
    assert status in (302, 303) and "/hub/login" in headers.get("Location", "") + _follow(hub, headers)


def _follow(hub, headers) -> str:
    location = headers.get("Location", "")
    if "/hub/login" in location or not location:
        return ""
    status, next_headers, _ = http_get(location if location.startswith("http") else hub.url + location)
    return next_headers.get("Location", "") if status in (301, 302, 303) else ""
