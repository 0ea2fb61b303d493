"""The manager dashboard: who has done the training, who has not, who failed, who is due.

`show()` is all the notebook calls (notebooks/manager/dashboard.ipynb, served by
`course manager dashboard`). It first shows only a password box; nothing is read from the
records until the manager password is right (or the hub user is in the manager group).
Then: counts by status, a table per person that can be filtered by team and status (and
downloaded as CSV), who is due or overdue, completion rate over time and by team as charts
with alt text and the table behind each, and the hardest scenarios for the next session.
"""

from __future__ import annotations

import base64
import html

import ipywidgets as widgets

from course.manager.auth import hub_manager, password_is_set, try_password

MAX_ROWS = 300
STYLE = """<style>
.cm-dash table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .95rem; }
.cm-dash caption { text-align: left; font-weight: 700; padding: .25rem 0; }
.cm-dash th, .cm-dash td { border: 1px solid #999; padding: .25rem .5rem; text-align: left; vertical-align: top; }
.cm-dash th { background: #e8eef4; }
.cm-dash td.num { text-align: right; }
.cm-dash h2 { font-size: 1.3rem; margin: 1.25rem 0 .25rem; }
.cm-dash .cm-note { color: #333; }
.cm-dash .cm-error { color: #8a1c1c; font-weight: 700; }
.cm-dash details { margin-bottom: 1rem; }
.cm-dash a.cm-download { display: inline-block; padding: .35rem .75rem; border: 2px solid #2b4c6f; border-radius: 4px;
                         color: #2b4c6f; text-decoration: none; font-weight: 600; }
.cm-dash a.cm-download:focus { outline: 3px solid #1a73e8; outline-offset: 2px; }
</style>"""


def _html(value: str) -> widgets.HTML:
    return widgets.HTML(value=f'<div class="cm-dash">{value}</div>')


def _table(frame, caption: str, limit: int | None = None) -> str:
    from course.manager.reports.writers import frame_to_html

    shown = frame.head(limit) if limit else frame
    out = frame_to_html(shown, caption=caption)
    if limit and len(frame) > limit:
        out += f'<p class="cm-note">Showing {limit} of {len(frame)} rows: download the CSV for all of them.</p>'
    return out


class Dashboard:
    def __init__(self, store=None, root=None, as_of=None, source: str = ""):
        self.store, self.root, self.as_of = store, root, as_of
        self.source = source  # the client's address (default: the page request's, course.records.identity)
        self.password = widgets.Password(
            description="Manager password",
            placeholder="password",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="24rem"),
        )
        self.button = widgets.Button(
            description="Open the dashboard",
            button_style="primary",
            tooltip="Open the dashboard",
            layout=widgets.Layout(width="auto"),
        )
        self.message = widgets.HTML(value="")
        self.button.on_click(self._try)
        intro = _html(
            STYLE + "<h1>Social media training: manager dashboard</h1>"
            "<p>Enter the manager password to see who has completed the training.</p>"
        )
        self.gate = widgets.VBox([intro, widgets.HBox([self.password, self.button]), self.message])
        self.widget = widgets.VBox([self.gate])
        if hub_manager():
            self.open()

    # --- access ---------------------------------------------------------------------------
    def _say(self, text: str, error: bool = True) -> None:
        cls = "cm-error" if error else "cm-note"
        self.message.value = f'<div class="cm-dash" role="alert"><p class="{cls}">{html.escape(text)}</p></div>'

    def _try(self, _widget=None) -> None:
        entered = self.password.value
        self.password.value = ""
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
            when = f"{max(1, round(wait / 60))} minute(s)" if wait >= 90 else f"{max(1, round(wait))} seconds"
            self._say(f"Too many wrong passwords from this computer. Try again in {when}.")
            return
        if not attempt.ok:
            self._say("That password is not right. Try again.")
            return
        self.open()

    # --- the dashboard --------------------------------------------------------------------
    def open(self) -> None:
        self.widget.children = [_html(STYLE + '<p class="cm-note" role="status">Loading the records…</p>')]
        try:
            self.load()
            self.widget.children = self.build()
        except Exception as exc:  # noqa: BLE001 - show the manager one clear line, never a traceback
            self.widget.children = [
                _html(
                    STYLE + f'<p class="cm-error" role="alert">Could not load the records: '
                    f"{html.escape(exc.__class__.__name__)}: {html.escape(str(exc))[:300]}</p>"
                )
            ]

    def load(self) -> None:
        from course.content.model import load_course
        from course.manager import certificates
        from course.manager.reports import evaluate_inputs, load_inputs
        from course.manager.reports.scenarios import first_choices, hardest
        from course.records.store import Store

        self.store = self.store or Store()
        self.course = load_course()
        inputs = load_inputs(self.store, self.root, self.course)
        self.result = evaluate_inputs(inputs, self.as_of)
        if self.as_of is None:  # the register keeps every completion seen (see course.manager.certificates)
            certificates.record(self.store, certificates.facts_from(self.result, store=self.store))
            inputs.history = certificates.register_frame(self.store)
        self.history = inputs.history
        self.hardest = hardest(first_choices(self.store), self.course, limit=10)
        from course.manager.reports.items import first_attempt_decisions, item_statistics

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
            + "<h1>Social media training: manager dashboard</h1>"
            + "".join(f'<p class="cm-note">{html.escape(n)}</p>' for n in _notes(result))
            + f"<table><caption>Staff by status ({int(counts['staff'])} people)</caption>"
            f"<thead><tr><th scope='col'>status</th><th scope='col'>people</th></tr></thead>"
            f"<tbody>{summary}</tbody></table>"
        )

        teams = sorted(result.people["team"].astype(str).unique())
        self.team_filter = widgets.Dropdown(
            options=["All teams", *teams], value="All teams", description="Team", layout=widgets.Layout(width="20rem")
        )
        self.status_filter = widgets.Dropdown(
            options=["All statuses", *STATUSES],
            value="All statuses",
            description="Status",
            layout=widgets.Layout(width="20rem"),
        )
        self.people_view = widgets.HTML()
        self.team_filter.observe(self._refilter, names="value")
        self.status_filter.observe(self._refilter, names="value")
        self._refilter()

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
        refresh = widgets.Button(description="Refresh", tooltip="Read the records again")
        refresh.on_click(lambda _b: self.open())
        return [
            header,
            _html("<h2>People</h2>"),
            widgets.HBox([self.team_filter, self.status_filter]),
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
            _html(
                "<h2>The hardest scenarios</h2><p>Where first choices most often missed the best answer: "
                "good ones to discuss in the next group session.</p>"
                + (_table(self.hardest, "Hardest scenarios") if len(self.hardest) else "<p>No decisions saved yet.</p>")
            ),
            _html(self._items_html()),
            refresh,
        ]

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
        shown = ordered.drop(columns=["_flagged", "scenario"]).assign(
            facility=(ordered["facility"] * 100).round().astype(int).astype(str) + "%"
        )
        data = base64.b64encode(to_csv(self.items).encode("utf-8")).decode("ascii")
        link = (
            f'<p><a class="cm-download" download="item-statistics.csv" href="data:text/csv;base64,{data}">'
            f"Download the item statistics ({len(self.items)} scenarios) as CSV</a></p>"
        )
        return head + _table(shown, "Item statistics, flagged first", 15) + link

    def _refilter(self, _change=None) -> None:
        from course.manager.reports import people_table
        from course.manager.reports.writers import to_csv

        team = None if self.team_filter.value == "All teams" else self.team_filter.value
        status = None if self.status_filter.value == "All statuses" else [self.status_filter.value]
        frame = people_table(self.result, team=team, statuses=status)
        data = base64.b64encode(to_csv(frame).encode("utf-8")).decode("ascii")
        link = (
            f'<p><a class="cm-download" download="completions.csv" href="data:text/csv;base64,{data}">'
            f"Download these {len(frame)} rows as CSV</a></p>"
        )
        self.people_view.value = (
            '<div class="cm-dash">' + _table(frame, "Status per person", MAX_ROWS) + link + "</div>"
        )


def show(**kwargs) -> Dashboard:
    """Display the dashboard (the notebook's only call)."""
    from IPython.display import display

    dashboard = Dashboard(**kwargs)
    display(dashboard.widget)
    return dashboard
