"""Friendly words for when something goes wrong: plain English, never a traceback.

`message_html` is a panel shown inside an app page (kernel side); `error_page` is a whole
page the server sends instead of its own error pages (server side). Both are escaped.
"""

from __future__ import annotations

from html import escape

THEME_CSS = "voila/templates/course/static/theme.css"
COURSE_TITLE = "Social media, confidentiality and boundaries"

SIGN_IN_NEEDED = (
    "Please sign in",
    "This page does not know who you are, or your sign-in has ended. "
    "Sign in again on the course home to carry on. Your answers so far are kept.",
)
SOMETHING_WRONG = (
    "Something went wrong",
    "This part of the course could not be shown. Your answers so far are "
    "kept. Please reload the page. If it happens again, tell your trainer.",
)
# Voila's note under a cell that failed (the course's own code never lets one fail)
ERROR_INSTRUCTION = (
    "Something went wrong on our side. Your answers so far are saved. Please reload the page; "
    "if it happens again, tell your trainer."
)
NOT_FOUND = ("We could not find that page", "The address may be mistyped, or the page has moved.")


def message_html(
    title: str,
    text: str,
    link_href: str | None = "home.ipynb",
    link_text: str = "Go to the course home",
    *,
    alert: bool = False,
) -> str:
    role = ' role="alert"' if alert else ""
    link = f'<p><a class="cm-button" href="{escape(link_href)}">{escape(link_text)}</a></p>' if link_href else ""
    return (
        f'<section class="cm-message"{role}><h1 class="cm-message__title">{escape(title)}</h1>'
        f"<p>{escape(text)}</p>{link}</section>"
    )


BUSY = ("The course is busy", "Many people are using the course right now. Please try again in a minute.")
RETRY_JS = "voila/templates/course/static/retry.js"


def busy_page(base_url: str, retry_after: int, again: str) -> str:
    """The page a learner sees when the server is at its cap (course.server.kernel_limits): a queue,
    not an error. It says what is happening and tries again by itself after `retry_after` seconds
    (static/retry.js: a countdown with a Stop button, so the timing is the learner's to control;
    no meta refresh, which would take that control away). Without JavaScript, "Try again now"
    does the same. `again`: this page's own address (the path and query the learner asked for)."""
    seconds = max(1, int(retry_after))
    base = base_href(base_url)
    main = (
        '<div class="cm-root"><section class="cm-message cm-busy" aria-labelledby="cm-busy-h">'
        f'<h1 class="cm-message__title" id="cm-busy-h">{escape(BUSY[0])}</h1>'
        "<p>Many people are opening the course at the same moment. Your answers so far are kept.</p>"
        f'<p class="cm-busy__status" role="status" data-cm-retry="{seconds}">'
        f"Please try again in about {seconds} seconds.</p>"
        f'<p><a class="cm-button cm-button--primary" href="{escape(again)}">Try again now</a> '
        '<button type="button" class="cm-button" data-cm-stop hidden>Stop trying</button></p>'
        "</section></div>"
    )
    return page_shell(BUSY[0], main, base_url, head=f'<script src="{base}{RETRY_JS}" defer></script>')


def error_page(status_code: int, base_url: str = "/") -> str:
    """A whole page for an HTTP error: the course's look, no server details."""
    title, text = NOT_FOUND if status_code == 404 else SOMETHING_WRONG
    if status_code == 403:
        title, text = "You cannot open this page", "This page is not part of the course."
    if status_code == 503:
        title, text = BUSY
    return message_page(status_code, title, text, base_url)


def base_href(base_url: str) -> str:
    """The server's base URL, escaped for an attribute, ending in one slash."""
    return escape(base_url if base_url.endswith("/") else base_url + "/")


def page_shell(title: str, main: str, base_url: str = "/", *, head: str = "", main_class: str = "cm-main") -> str:
    """A whole page the server writes itself (no kernel), in the course's look: the banner, a skip
    link and `main` (HTML, already escaped by the caller) in the page's one <main>. Every such page
    (errors, a refused launch, downloads, the certificate and badge checks) is this shell."""
    base = base_href(base_url)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} - {escape(COURSE_TITLE)}</title>"
        f'<link rel="stylesheet" href="{base}{THEME_CSS}">{head}</head>'
        '<body class="cm-page"><a class="cm-skip" href="#cm-main">Skip to content</a>'
        f'<header class="cm-banner" role="banner"><p class="cm-banner__title"><a href="{base}">{escape(COURSE_TITLE)}</a></p></header>'
        f'<main id="cm-main" class="{main_class}">{main}</main></body></html>'
    )


def message_page(status_code: int, title: str, text: str, base_url: str = "/") -> str:
    """A whole page saying one thing in plain words (an error page, a refused LTI launch)."""
    return page_shell(
        title,
        f'<div class="cm-root">{message_html(title, text, base_href(base_url), "Go to the course home")}'
        f'<p class="cm-status">Error code {int(status_code)}.</p></div>',
        base_url,
    )
