"""The manager dashboard: who has done the training, who has not, who failed, who is due.

`show()` is all the notebook calls (notebooks/manager/dashboard.ipynb, served by `course serve`
at /dashboard/, by `course manager dashboard`, and on the hub to the manager group). It first
shows only a password box; nothing is read from the records until the manager password is right
(or the hub user is in the manager group, or an LMS Administrator's launch signed them in: see
course.server.manager_session). Then: counts by status, a table per person that can be filtered
by team and status (and downloaded as CSV), who is due or overdue, completion rate
over time and by team as charts with alt text and the table behind each, and the hardest
scenarios for the next session.

The page wears the course's look (the `cm-` classes of course/widgets/course.css and the Voila
theme): the same password field, buttons, focus ring and alerts as the learner's sign-in.
"""

from __future__ import annotations

import base64
import html
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as widgets

from course.manager.auth import hub_manager, lms_manager, password_is_set, try_password
from course.widgets.cards import FOCUS

if TYPE_CHECKING:
    from course.content.model import Course

MAX_ROWS = 300
# what the course theme has no rule for: wide tables (scroll sideways inside their own box on a
# phone, a keyboard can scroll it: it is focusable), and a page wider than a learner's for them
STYLE = """<style>
.cm-page .cm-main:has(.cm-dash-app) { max-width: 72rem; }
.cm-dash-app.cm-root { max-width: none; }
.cm-dash .cm-table { overflow-x: auto; max-width: 100%; margin: .5rem 0 1rem; }
.cm-dash .cm-table:focus-visible { outline: 3px solid var(--cm-focus); box-shadow: 0 0 0 6px #0b0c0c; }
.cm-dash table { border-collapse: collapse; font-size: .95rem; background: #fff; }
.cm-dash caption { text-align: left; font-weight: 700; padding: .25rem 0; }
.cm-dash th, .cm-dash td { border: 1px solid var(--cm-line); padding: .3rem .6rem; text-align: left; vertical-align: top; }
.cm-dash th { background: var(--cm-soft); }
.cm-dash td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cm-dash .cm-note { color: var(--cm-muted); }
.cm-dash details { margin-bottom: 1rem; }
.cm-dash details summary { min-height: 44px; display: flex; align-items: center; cursor: pointer; font-weight: 700; color: var(--cm-accent); }
.cm-dash figure { margin: 0 0 .5rem; }
.cm-dash-filters { gap: .5rem 1.5rem; flex-wrap: wrap; }
.cm-dash-filters .widget-dropdown { width: auto; max-width: 100%; height: auto; }
.cm-dash-filters .widget-label { font-weight: 700; color: var(--cm-ink); }
.cm-dash-filters select { min-height: 44px; font-size: 1rem; border: 2px solid var(--cm-ink); background: #fff; color: var(--cm-ink); }
.cm-dash-app > .jupyter-button { align-self: flex-start; margin-top: 1rem; }
.cm-dash-app .cm-dash-gate { gap: .75rem; max-width: 32rem; }
</style>"""


def _html(value: str) -> widgets.HTML:
    return widgets.HTML(value=f'<div class="cm-dash">{value}</div>')


def count(n: int, noun: str) -> str:
    from course.manager.reports import count as counted

    return counted(n, noun)


def people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def download_words(n: int) -> str:
    """The words of a download link: "Download these 3 rows", "Download this 1 row"."""
    return f"Download this {count(n, 'row')}" if n == 1 else f"Download these {count(n, 'row')}"


def _table(frame, caption: str, limit: int | None = None, percent: tuple[str, ...] = ()) -> str:
    """A table in its own sideways-scrolling region (named by its caption), at most `limit` rows."""
    from course.manager.reports.writers import frame_to_html

    shown = frame.head(limit) if limit else frame
    out = (
        f'<div class="cm-table" role="region" tabindex="0" aria-label="{html.escape(caption)}">'
        + frame_to_html(shown, caption=caption, percent=percent)
        + "</div>"
    )
    if limit and len(frame) > limit:
        out += f'<p class="cm-note">Showing {limit} of {len(frame)} rows: download the CSV for all of them.</p>'
    return out


def _download(csv_text: str, filename: str, words: str) -> str:
    data = base64.b64encode(csv_text.encode("utf-8")).decode("ascii")
    return (
        f'<p><a class="cm-button" download="{html.escape(filename)}" href="data:text/csv;base64,{data}">'
        f"{html.escape(words)}</a></p>"
    )


class PasswordBox(widgets.Password):
    """The password field, which checks what the page sends.

    With continuous_update=False the page sends the box's value once: on Enter, or on leaving the
    box (for the button). That value, as it arrives, is what is checked, so Enter works with no
    "submit" message of its own (ipywidgets sends that at once, and it can overtake the last keys
    typed, which may be held back while an earlier message is answered). Setting `.value` in Python
    checks nothing.
    """

    entered: Callable[[str], None] | None = None  # called with the value the page sent

    def set_state(self, sync_data):
        super().set_state(sync_data)
        if "value" in sync_data and self.entered is not None:
            self.entered(self.value)


class Dashboard:
    def __init__(self, store=None, root=None, as_of=None, source: str = "", warm_up: bool = False):
        from course.widgets.style import css

        self.store, self.root, self.as_of = store, root, as_of
        self._warm: threading.Thread | None = None
        self._course: Course | None = None
        self.source = source  # the client's address (default: the page request's, course.records.identity)
        self.password = PasswordBox(
            description="Manager password",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.password.add_class("cm-field")
        self.password.entered = self._entered
        self.button = widgets.Button(description="Open the dashboard", button_style="primary", tooltip="")
        self.button.add_class("cm-btn")
        self.button.on_click(self._clicked)
        self.message = widgets.HTML(value="")
        self._checked_at = 0.0
        intro = _html(
            f"<style>{css()}</style>{STYLE}"
            '<h1 data-cm-title="Manager dashboard - Social media course">Manager dashboard</h1>'
            "<p>Enter the manager password to see who has completed the training, then press Enter "
            "or Open the dashboard.</p>"
        )
        self.gate = widgets.VBox([intro, self.password, self.button, self.message])
        self.gate.add_class("cm-dash-gate")
        self.widget = widgets.VBox([self.gate])
        for cls in ("cm-root", "cm-app", "cm-dash-app"):
            self.widget.add_class(cls)
        if hub_manager() or lms_manager():
            self.open()
        elif warm_up:
            # while the manager types: the imports and the content the dashboard needs, so Enter
            # opens it sooner (records are read only once the password is right)
            self._warm = threading.Thread(target=self._warm_up, name="dashboard-warm-up", daemon=True)
            self._warm.start()

    def _warm_up(self) -> None:
        try:
            from course.kernel.runtime import app_course
            from course.manager import charts, completion, reports  # noqa: F401 - imported for later
            from course.manager.reports import items, scenarios  # noqa: F401 - imported for later

            self._course = app_course()
        except Exception:  # noqa: BLE001 - only time is lost: load() reads the content itself
            self._course = None

    def _content(self):
        if self._warm is not None:
            self._warm.join(timeout=120)
        if self._course is None:
            from course.kernel.runtime import app_course

            self._course = app_course()
        return self._course

    # --- access ---------------------------------------------------------------------------
    def _say(self, text: str, error: bool = True) -> None:
        cls = "cm-status cm-status--error" if error else "cm-status"
        # role=alert: a screen reader reads it at once; focus stays in the box, to type again
        self.message.value = f'<div class="cm-dash"><p class="{cls}" role="alert">{html.escape(text)}</p></div>'

    def _entered(self, value: str) -> None:
        if value:
            self._try(value)

    def _clicked(self, _button=None) -> None:
        if self.password.value:
            self._try()
        elif time.monotonic() - self._checked_at > 3:  # else: the box's value came as it lost focus to this button
            self._say("Type the manager password first.")

    def _try(self, entered: str | None = None) -> None:
        """Check the password typed (or `entered`) under the limits; open the dashboard if right."""
        entered = self.password.value if entered is None else entered
        self._checked_at = time.monotonic()
        self.password.value = ""  # never left in the box, nor in the page's copy of it
        if not password_is_set():
            self._say(
                "No manager password is set. Ask the person who runs the course to set one with "
                "`course manager set-password`."
            )
            return
        from course.records.identity import client_address
        from course.records.store import Store

        self.store = self.store or Store()
        attempt = try_password(self.store, entered, self.source or client_address())
        if attempt.retry_after:
            wait = attempt.retry_after
            when = count(max(1, round(wait / 60)), "minute") if wait >= 90 else count(max(1, round(wait)), "second")
            self._say(f"Too many wrong passwords from this computer. Try again in {when}.")
            return
        if not attempt.ok:
            self._say("That password is not right. Try again.")
            return
        self.open()

    # --- the dashboard --------------------------------------------------------------------
    def open(self) -> None:
        self.widget.children = [_html(STYLE + '<p class="cm-status" role="status">Loading the records…</p>')]
        try:
            self.load()
            self.widget.children = self.build()
        except Exception as exc:  # noqa: BLE001 - show the manager one clear line, never a traceback
            self.widget.children = [
                _html(
                    STYLE + f'<p class="cm-status cm-status--error" role="alert">Could not load the records: '
                    f"{html.escape(exc.__class__.__name__)}: {html.escape(str(exc))[:300]}</p>"
                )
            ]

    def load(self) -> None:
        from course.manager import certificates
        from course.manager.reports import evaluate_inputs, load_inputs
        from course.manager.reports.items import first_attempt_decisions, item_statistics
        from course.manager.reports.scenarios import MIN_LEARNERS, first_choices, hardest, held_back
        from course.records.store import Store

        self.store = self.store or Store()
        self.course = self._content()
        inputs = load_inputs(self.store, self.root, self.course)
        self.result = evaluate_inputs(inputs, self.as_of)
        if self.as_of is None:  # the register keeps every completion seen (see course.manager.certificates)
            certificates.record(self.store, certificates.facts_from(self.result, store=self.store))
            inputs.history = certificates.register_frame(self.store)
        self.history = inputs.history
        choices = first_choices(self.store)
        self.min_learners = MIN_LEARNERS
        self.hardest = hardest(choices, self.course, limit=10)
        self.held_back = held_back(choices, self.course)
        self.items, _choices = item_statistics(first_attempt_decisions(self.store), self.course)

    def build(self) -> list:
        from course.manager import charts
        from course.manager.completion import STATUSES, timeline
        from course.manager.reports import _notes, due_table, team_table

        result = self.result
        counts = result.counts().iloc[0]
        summary = "".join(
            f"<tr><th scope='row'>{html.escape(s)}</th><td class='num'>{int(counts[s])}</td></tr>" for s in STATUSES
        )
        header = _html(
            STYLE
            + f'<h1 data-cm-title="Manager dashboard - Social media course"{FOCUS}>Manager dashboard</h1>'
            + "".join(f'<p class="cm-note">{html.escape(n)}</p>' for n in _notes(result))
            + '<div class="cm-table" role="region" tabindex="0" aria-label="Staff by status">'
            + f"<table><caption>Staff by status ({people(int(counts['staff']))})</caption>"
            "<thead><tr><th scope='col'>status</th><th scope='col'>people</th></tr></thead>"
            f"<tbody>{summary}</tbody></table></div>"
        )

        teams = sorted(result.people["team"].astype(str).unique())
        self.team_filter = widgets.Dropdown(
            options=["All teams", *teams], value="All teams", description="Team", style={"description_width": "initial"}
        )
        self.status_filter = widgets.Dropdown(
            options=["All statuses", *STATUSES],
            value="All statuses",
            description="Status",
            style={"description_width": "initial"},
        )
        self.people_view = widgets.HTML()
        self.team_filter.observe(self._refilter, names="value")
        self.status_filter.observe(self._refilter, names="value")
        self._refilter()
        filters = widgets.HBox([self.team_filter, self.status_filter])
        filters.add_class("cm-dash-filters")

        by_team = team_table(result)
        due = due_table(result)
        over_time = timeline(result, self.history, months=24)
        team_rates = (
            by_team[by_team["team"] != "All staff"]
            .rename(columns={"completed %": "completion_rate"})
            .assign(completion_rate=lambda f: f["completion_rate"] / 100)
        )
        png1, alt1 = charts.rate_over_time(over_time)
        png2, alt2 = charts.rate_by_team(team_rates[["team", "completion_rate", "staff"]])
        over_time_table = over_time.assign(completion_rate=(over_time["completion_rate"] * 100).round(1)).rename(
            columns={"completion_rate": "completed %"}
        )
        refresh = widgets.Button(description="Refresh", tooltip="", button_style="")
        refresh.add_class("cm-btn")
        refresh.on_click(lambda _b: self.open())
        return [
            header,
            _html("<h2>People</h2>"),
            filters,
            self.people_view,
            _html(
                "<h2>Due soon or overdue</h2>"
                + (
                    _table(
                        due,
                        f"Due within {result.rule.due_soon_days} days, or overdue (negative days: overdue)",
                        MAX_ROWS,
                    )
                    if len(due)
                    else f"<p>Nobody is due in the next {result.rule.due_soon_days} days, and nobody is overdue.</p>"
                )
            ),
            _html("<h2>By team</h2>" + _table(by_team, "Staff by team and status")),
            _html(
                "<h2>Completion rate over time</h2>"
                + charts.figure_html(
                    png1,
                    alt1,
                    "Share of staff with a current completion at the end of each month.",
                    _table(over_time_table, "Completion rate at the end of each month"),
                )
            ),
            _html(
                "<h2>Completion rate by team</h2>"
                + charts.figure_html(
                    png2,
                    alt2,
                    "Share of each team with a current completion (completed or due soon).",
                    _table(
                        team_rates.assign(completion_rate=(team_rates["completion_rate"] * 100).round(1)).rename(
                            columns={"completion_rate": "completed %"}
                        )[["team", "staff", "completed %"]],
                        "Completion rate by team",
                    ),
                )
            ),
            _html(self._hardest_html()),
            _html(self._items_html()),
            refresh,
        ]

    def _hardest_html(self) -> str:
        """The graded scenarios first choices most often missed (course.manager.reports.scenarios)."""
        from course.manager.reports.scenarios import BEST_SHARE, PERCENT

        head = (
            "<h2>The hardest scenarios</h2><p>Where learners' first choices most often missed the best answer: "
            "good ones to discuss in the next group session. Graded scenarios only (follow-ups are not marked), "
            f"each answered by at least {self.min_learners} learners.</p>"
        )
        waiting = (
            f'<p class="cm-note">{count(self.held_back, "more scenario")} will be ranked once '
            f"{self.min_learners} learners have answered.</p>"
            if self.held_back
            else ""
        )
        if not len(self.hardest):
            return head + "<p>No scenario to show yet: none has been missed by enough learners.</p>" + waiting
        top = self.hardest.iloc[0]
        lead = (
            f"<p>Hardest: <strong>{html.escape(str(top['scenario']))}</strong> ({html.escape(str(top['module']))}): "
            f"{top[BEST_SHARE]:.0%} chose the best answer.</p>"
        )
        return head + lead + _table(self.hardest, "Hardest scenarios", percent=PERCENT) + waiting

    def _items_html(self) -> str:
        """Item statistics for authors: flagged scenarios first, the whole table as CSV."""
        from course.manager.reports.writers import to_csv

        head = (
            "<h2>How well each scenario measures</h2><p>From first attempts. Facility: the share choosing the "
            "best answer. Discrimination: whether learners who do well elsewhere choose it more often (below 0: "
            "they miss it more; check the wording and the key).</p>"
        )
        if not len(self.items):
            return head + "<p>No decisions saved yet.</p>"
        ordered = self.items.assign(_flagged=self.items["flags"] == "").sort_values("_flagged", kind="stable")
        shown = ordered.drop(columns=["_flagged", "scenario"])
        link = _download(
            to_csv(self.items),
            "item-statistics.csv",
            f"Download the item statistics ({count(len(self.items), 'scenario')}) as CSV",
        )
        return head + _table(shown, "Item statistics, flagged first", 15, percent=("facility",)) + link

    def _refilter(self, _change=None) -> None:
        from course.manager.reports import SPREADSHEET_ONLY, people_table
        from course.manager.reports.writers import to_csv

        team = None if self.team_filter.value == "All teams" else self.team_filter.value
        status = None if self.status_filter.value == "All statuses" else [self.status_filter.value]
        frame = people_table(self.result, team=team, statuses=status)
        link = _download(to_csv(frame), "completions.csv", f"{download_words(len(frame))} as CSV")
        shown = frame.drop(columns=list(SPREADSHEET_ONLY))
        self.people_view.value = (
            '<div class="cm-dash">' + _table(shown, "Status per person", MAX_ROWS) + link + "</div>"
        )


def show(**kwargs) -> None:
    """Display the dashboard (the notebook's only call). Returns nothing: a notebook shows a cell's
    last value, and the dashboard object's repr is not for a manager's eyes."""
    from IPython.display import display

    display(Dashboard(**{"warm_up": True, **kwargs}).widget)
