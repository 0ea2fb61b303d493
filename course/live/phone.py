"""The light join page's HTML: what a phone in the room sees without a kernel of its own.

The course server writes these pages itself (course.server.join): a code form, a join form,
then the live page, whose stage (the lobby, a scenario with its ballot, the answer, the end)
the page's script (static/join.js) swaps as the trainer moves on. Each piece is plain HTML
that also works with no script at all: the ballot is a form that posts the vote and comes
back. The words are the kernel join page's (course.live.join_app), from the constants here.

Pure functions of what the store said (the caller read it with course.live.core's checks):
data in, escaped HTML out, nothing from the request is echoed unescaped.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from html import escape
from urllib.parse import urlencode

from course import settings
from course.app.pages import page_shell
from course.content.model import Course, Scenario
from course.live import core
from course.live.address import JOIN_ROUTE
from course.live.summary import letter, room_scenario, session_title
from course.live.views import ballot_card_html, reveal_html, tally_html
from course.widgets.cards import FOCUS, feedback_html

PRIVACY = (
    "Your votes are anonymous: nobody, not even the trainer, can see what you chose. "
    "If you give your name, it is only used to record that you took part."
)
LOBBY_HTML = (
    "<h2>You are in</h2>"
    '<p class="cm-status" role="status">The trainer will show the first scenario soon. '
    "Keep this page open: it changes by itself.</p>"
)
ENDED_HTML = (
    f'<section class="cm-message" role="status"{FOCUS}><h2 class="cm-message__title">The session has ended</h2>'
    "<p>Thank you for taking part. You can close this page.</p></section>"
)
CANNOT_SHOW_HTML = (
    '<p class="cm-status" role="status">The trainer is showing a scenario this page cannot show. '
    "Please follow on the trainer's screen.</p>"
)
PICK_FIRST = "Pick one, then send your vote."
SCRIPT = "voila/templates/course/static/join.js"  # below the base URL, as the theme (course.app.pages.THEME_CSS)
STYLE = """<style>
/* phone first (375 x 740): the scenario's title, its question, every choice and the vote button
   on the first screen, so the banner and headings are smaller here than on the course's pages */
.cm-page .cm-banner { padding-top: .4rem; padding-bottom: .4rem; }
.cm-page .cm-banner__title { font-size: 1rem; }
.cm-light { max-width: 40rem; }
.cm-light h1 { font-size: 1.2rem; margin: .1rem 0; }
.cm-light .cm-live-session-name { margin: 0 0 .2rem; font-size: .95rem; }
.cm-light .cm-card--ballot .cm-card__count { font-size: .9rem; }
.cm-light form { display: grid; gap: .6rem; margin: .4rem 0 1rem; }
.cm-light label.cm-light-field { display: grid; gap: .25rem; font-weight: 700; }
.cm-light input[type="text"] { font: inherit; font-size: 1.1rem; min-height: 44px; box-sizing: border-box;
  width: 100%; max-width: 24rem; padding: .4rem .5rem; border: 2px solid var(--cm-ink, #0b0c0c); border-radius: 4px; }
.cm-light fieldset { border: 0; margin: 0; padding: 0; display: grid; gap: .3rem; min-width: 0; }
.cm-light-choice { display: flex; gap: .5rem; align-items: flex-start; min-height: 44px; box-sizing: border-box;
  padding: .25rem .5rem; line-height: 1.25; border: 1px solid var(--cm-line, #b1b4b6); border-radius: 6px;
  background: #fff; cursor: pointer; }
.cm-light-choice:has(input:checked) { border: 2px solid var(--cm-accent, #1d4f91); padding: calc(.25rem - 1px) calc(.5rem - 1px); }
.cm-light-choice input { width: 22px; height: 22px; flex: none; margin: .05rem 0 0; }
.cm-light button { font: inherit; font-weight: 700; min-height: 44px; padding: .5rem 1.25rem; color: #fff;
  background: var(--cm-accent, #1d4f91); border: 2px solid var(--cm-accent, #1d4f91); border-radius: 4px; cursor: pointer; }
.cm-light button:disabled { opacity: .7; }
.cm-light button:focus-visible, .cm-light input:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.cm-light .cm-card--ballot { margin: .2rem 0 .4rem; }
.cm-light .cm-live-ballot .cm-status { margin: 0; }
@media (max-width: 30rem) { .cm-light button { width: 100%; } .cm-light-choice { font-size: .95rem; } }
</style>"""


def state_key(session: core.LiveSession) -> str:
    """What a phone's stage depends on in the session: it changes exactly when the trainer shows
    another scenario, shows the answer or ends the session."""
    if not session.is_open:
        return "ended"
    return f"{session.index}:{int(session.revealed)}"


def page_link(base: str, code: str) -> str:
    """The light page for a session, below `base` (the server's base URL, ending in /)."""
    return f"{base}{JOIN_ROUTE}?{urlencode({'code': code})}"


def alert_html(text: str) -> str:
    return f'<p class="cm-status cm-status--error" role="alert">{escape(text)}</p>'


@lru_cache(maxsize=1)
def _script_version() -> str:
    """A hash of join.js: its address changes with its content, so browsers may cache it for good
    (course.server.static_files makes `?v=` addresses immutable)."""
    path = settings.assets_dir() / "voila" / "templates" / "course" / "static" / "join.js"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "0"


@lru_cache(maxsize=1)
def _course_css() -> str:
    from course.widgets.style import css  # the course's one stylesheet, as the kernel pages have it

    return f"<style>{css()}</style>"


def light_page(title: str, main: str, base: str) -> str:
    """A whole light page: the course's page shell, its stylesheet and the page's one script."""
    head = _course_css() + STYLE + f'<script src="{base}{SCRIPT}?v={_script_version()}" defer></script>'
    return page_shell(title, f'<div class="cm-root cm-light">{main}</div>', base, head=head)


def _details_fields() -> str:
    return (
        '<label class="cm-light-field">Your name (optional)<input type="text" name="name" maxlength="120" '
        'autocomplete="name" placeholder="For example, Sam Taylor"></label>'
        '<label class="cm-light-field">Staff number (optional)<input type="text" name="staff_number" '
        'maxlength="30" autocomplete="off" inputmode="numeric" placeholder="For example, 40123"></label>'
    )


def code_form(base: str, xsrf_field: str, *, code: str = "", notice: str = "") -> str:
    """No session yet: the code on the trainer's screen, and the optional details."""
    return (
        "<h1>Join a group session</h1>"
        + (alert_html(notice) if notice else "")
        + "<p>Enter the code on the trainer's screen.</p>"
        + f'<form method="post" action="{base}{JOIN_ROUTE}">{xsrf_field}'
        '<label class="cm-light-field">Session code<input type="text" name="code" maxlength="12" required '
        f'autocomplete="off" autocapitalize="characters" spellcheck="false" value="{escape(code)}" '
        'placeholder="For example, ABC 234"></label>'
        + _details_fields()
        + f'<p class="cm-live-privacy">{escape(PRIVACY)}</p><button type="submit">Join</button></form>'
    )


def join_form(course: Course, session: core.LiveSession, base: str, xsrf_field: str, *, notice: str = "") -> str:
    """The session is known (the QR code's address): only the optional details and Join."""
    return (
        "<h1>Join the group session</h1>"
        f'<p class="cm-live-session-name">{escape(session_title(course, session))} · '
        f"code {escape(session.display_code)}</p>"
        + (alert_html(notice) if notice else "")
        + f'<form method="post" action="{base}{JOIN_ROUTE}">{xsrf_field}'
        f'<input type="hidden" name="code" value="{escape(session.code)}">'
        + _details_fields()
        + f'<p class="cm-live-privacy">{escape(PRIVACY)}</p><button type="submit">Join</button></form>'
    )


def voted_html(scenario: Scenario, choice_id: str) -> str:
    index = [c.id for c in scenario.choices].index(choice_id)
    return (
        f'<span aria-hidden="true">✓</span> Your vote is in: <strong>{letter(index)}</strong>. '
        "You can change it until the trainer shows the answer."
    )


def ballot_html(scenario: Scenario, session: core.LiveSession, base: str, xsrf_field: str, mine: str | None) -> str:
    """The choices as radio buttons and the vote button: a form that works with or without the script."""
    choices = "".join(
        f'<label class="cm-light-choice"><input type="radio" name="choice" value="{escape(c.id)}" required'
        f"{' checked' if c.id == mine else ''}><span>{letter(i)}. {escape(c.text)}</span></label>"
        for i, c in enumerate(scenario.choices)
    )
    status = voted_html(scenario, mine) if mine else PICK_FIRST
    return (
        f'<form class="cm-live-ballot" method="post" action="{base}{JOIN_ROUTE}/vote" data-cm-ballot>{xsrf_field}'
        f'<input type="hidden" name="session" value="{escape(session.id)}">'
        f'<input type="hidden" name="scenario" value="{escape(scenario.id)}">'
        f'<fieldset><legend class="cm-sr">Your answer</legend>{choices}</fieldset>'
        f'<button type="submit">{"Change my vote" if mine else "Send my vote"}</button>'
        f'<p class="cm-status{" cm-live-voted" if mine else ""}" role="status" data-cm-vote-status>{status}</p>'
        "</form>"
    )


def answer_html(course: Course, scenario: Scenario, counts: dict[str, int], mine: str | None) -> str:
    if mine is not None and mine in {c.id for c in scenario.choices}:
        answer = feedback_html(scenario, scenario.choice(mine), course.policy, show_best=True)
    else:
        answer = '<p class="cm-status">You did not vote on this one. Here is the best answer.</p>' + reveal_html(
            scenario, course.policy, notes=False
        )
    return (
        f'<h2 class="cm-live-answer-heading"{FOCUS}>The answer</h2>{answer}'
        + tally_html(scenario, counts, revealed=True, heading="How the room voted")
        + '<p class="cm-status" role="status">Talk about it with the room. The trainer will move on when '
        "you are ready.</p>"
    )


def stage_html(
    course: Course,
    session: core.LiveSession,
    base: str,
    xsrf_field: str,
    *,
    mine: str | None = None,
    counts: dict[str, int] | None = None,
    message: str = "",
) -> str:
    """The part of the live page that follows the trainer. `mine`: this voter's vote on the scenario
    shown; `counts`: its tally (read only once revealed); `message`: why a vote did not count."""
    flash = alert_html(message) if message else ""
    if not session.is_open:
        return ENDED_HTML
    if session.in_lobby:
        return flash + LOBBY_HTML
    scenario = room_scenario(course, session.id, session.scenario_id)  # the room's one choice order
    if scenario is None:
        return flash + CANNOT_SHOW_HTML
    card = ballot_card_html(scenario, session.index + 1, session.total, focus=True)
    if session.revealed:
        return flash + card + answer_html(course, scenario, counts or {}, mine)
    return flash + card + ballot_html(scenario, session, base, xsrf_field, mine)


def live_main(course: Course, session: core.LiveSession, stage: str, base: str) -> str:
    """The live page: the session's name and code, then the stage the script keeps up to date
    (its address and the state it shows in data attributes: no inline script, as the CSP wants)."""
    state = f"{base}{JOIN_ROUTE}/state?{urlencode({'session': session.id})}"
    return (
        f"<h1>Group session: {escape(session_title(course, session))}</h1>"
        f'<p class="cm-live-session-name">Code {escape(session.display_code)}</p>'
        '<p class="cm-notice" role="status" data-cm-trouble hidden>We are having trouble keeping up with the '
        "session. The page will catch up by itself.</p>"
        f'<div class="cm-stage" data-cm-stage data-cm-state-url="{escape(state)}" '
        f'data-cm-key="{escape(state_key(session))}">{stage}</div>'
        f'<noscript><p><a class="cm-button" href="{escape(page_link(base, session.code))}">'
        "See what the trainer is showing now</a></p></noscript>"
    )
