"""The help page, "Where to get help": who to tell at work and who can help outside it.

The content is course/data/help.yaml and the employer's own contacts organisation.yaml, read by
course.content.help (whose allow-list `course validate` applies to every address and number).
This module only turns them into one escaped, plain HTML page: headings, lists, links whose
text says where they go, and phone numbers as `tel:` links a phone can call.

The page needs no sign-in: a person in distress, or a worker whose sign-in has ended, must
still reach it. A session token in the address is only carried into the "back" links (and
only when it is a live session), so a learner who opened help from a module goes back to it
still signed in.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import urlencode

from course.content.help import Contact, HelpPage, load_help, tel_href
from course.widgets.cards import HELP_TITLE as TITLE  # the text of every link to the page

PAGE = "help.ipynb"


def help_href(token: str | None = None, module_id: str | None = None) -> str:
    """The help page's address from another app page (same folder), keeping the learner's session."""
    query = {**({"module": module_id} if module_id else {}), **({"token": token} if token else {})}
    return PAGE + (f"?{urlencode(query)}" if query else "")


def help_link_html(token: str | None = None, module_id: str | None = None) -> str:
    """The "Where to get help" link that every module header and the home carry."""
    return f'<a class="cm-help-link" href="{escape(help_href(token, module_id))}">{TITLE}</a>'


def _contact_html(contact: Contact, page: HelpPage, item_name: str) -> str:
    if contact.kind == "phone":
        # the body's name rides along for a screen reader's list of links ("Call 116 123, Samaritans")
        return (
            f'<li><a href="{escape(tel_href(contact.value))}">Call {escape(contact.value)}'
            f'<span class="cm-sr">, {escape(item_name)}</span></a></li>'
        )
    if contact.kind == "web":
        label = contact.label or f"{item_name} website"
        shown = contact.value.removeprefix("https://").rstrip("/")
        # no Referer to another site, even where a server did not send Referrer-Policy
        return (
            f'<li><a href="{escape(contact.value)}" rel="noreferrer">{escape(label)}</a> '
            f'<span class="cm-help__address">({escape(shown)})</span></li>'
        )
    who = page.employer[contact.value]  # course validate: every employer key is set
    return (
        f'<li class="cm-help__employer"><strong>{escape(who.title)}</strong> '
        f'<span class="cm-help__from">({escape(page.employer_name)})</span>: {escape(who.how)}</li>'
    )


def help_html(
    page: HelpPage, *, home_href: str = "home.ipynb", back: tuple[str, str] | None = None, focus: bool = False
) -> str:
    """The whole page as HTML. `back` is (address, title) of the module the learner came from."""
    sections = []
    for section in page.sections:
        heading_id = f"cm-help-{escape(section.id)}"
        items = []
        for item in section.items:
            contacts = "".join(_contact_html(c, page, item.name) for c in item.contacts)
            items.append(
                f'<li class="cm-help__item"><h3>{escape(item.name)}</h3><p>{escape(item.what)}</p>'
                + (f'<ul class="cm-help__contacts">{contacts}</ul>' if contacts else "")
                + "</li>"
            )
        sections.append(
            f'<section class="cm-help__section" aria-labelledby="{heading_id}">'
            f'<h2 id="{heading_id}">{escape(section.title)}</h2>'
            f'<ul class="cm-help__items">{"".join(items)}</ul></section>'
        )
    links = [f'<a class="cm-button" href="{escape(back[0])}">Back to the module: {escape(back[1])}</a>'] if back else []
    links.append(f'<a class="cm-button" href="{escape(home_href)}">Go to the course home</a>')
    focus_mark = ' tabindex="-1" data-cm-focus="1"' if focus else ""
    return (
        '<div class="cm-root cm-app cm-help-page">'
        f'<nav class="cm-crumbs" aria-label="Course"><a href="{escape(home_href)}">'
        '<span aria-hidden="true">←</span> Course home</a></nav>'
        f'<h1 data-cm-title="{escape(page.title)} - Social media course"{focus_mark}>{escape(page.title)}</h1>'
        f'<p class="cm-help__intro">{escape(page.intro)}</p>{"".join(sections)}'
        f'<p class="cm-actions">{" ".join(links)}</p></div>'
    )


def open_help_page(course, store, query: dict[str, str], *, hub: bool = False):
    """The help page for anyone: signed in or not. The token only keeps the back links signed in."""
    import ipywidgets as widgets

    from course.app.module import home_link, module_link
    from course.records import signin_tokens as sessions
    from course.widgets.style import css

    token = None if hub else (query.get("token") or None)
    if token and sessions.learner_for(store, token) is None:
        token = None  # an ended or made-up session: the links go to the signed-out home
    module = course.modules.get(query.get("module", ""))
    back = (module_link(module.id, token), module.title) if module else None
    page = load_help(Path(course.policy.path).parent)
    return widgets.HTML(f"<style>{css()}</style>" + help_html(page, home_href=home_link(token), back=back))
