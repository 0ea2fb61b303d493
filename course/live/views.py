"""HTML for the live session apps. Pure functions: data in, escaped HTML out.

The tally is a list of bars, each with its count and share in words: the bar's length and
colour only repeat what the text says. The best answer, once revealed, is marked with a ✓ and
the words "Best answer".
"""

from __future__ import annotations

from html import escape

from course.content.model import Policy, Scenario
from course.live.summary import SessionSummary, letter, percent, results_for
from course.widgets.cards import FOCUS, citation_html, facts_html, mock_post_html, narrative_html, verdict


def votes_word(n: int) -> str:
    return f"{n} vote" if n == 1 else f"{n} votes"


def people_word(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n} people"


def tally_html(
    scenario: Scenario,
    counts: dict[str, int],
    *,
    revealed: bool = False,
    hidden: bool = False,
    heading: str = "How the room is voting",
) -> str:
    """The live tally: one bar per choice with its count in words, or only the number of votes."""
    results = results_for(scenario, counts)
    total = sum(r.votes for r in results)
    summary = f"{votes_word(total)} so far." if not revealed else f"{votes_word(total)} in all."
    if hidden and not revealed:
        return (
            f'<section class="cm-tally cm-tally--hidden" aria-label="{escape(heading)}">'
            f'<h2 class="cm-tally__heading">{escape(heading)}</h2>'
            f'<p class="cm-tally__total" role="status" aria-live="polite">{summary}</p>'
            f'<p class="cm-status">The split is hidden until you show the answer.</p></section>'
        )
    rows = []
    for r in results:
        best = revealed and r.best
        mark = '<span class="cm-tally__best"><span aria-hidden="true">✓</span> Best answer</span>' if best else ""
        width = round(100 * r.share)
        rows.append(
            f'<li class="cm-tally__row{" cm-tally__row--best" if best else ""}" data-choice="{escape(r.choice_id)}">'
            f'<p class="cm-tally__label"><span class="cm-tally__letter">{r.letter}.</span> {escape(r.text)} {mark}</p>'
            f'<div class="cm-tally__track" aria-hidden="true"><div class="cm-tally__bar" style="width: {width}%"></div></div>'
            f'<p class="cm-tally__count"><strong>{votes_word(r.votes)}</strong> ({percent(r.share)})</p></li>'
        )
    return (
        f'<section class="cm-tally" aria-label="{escape(heading)}">'
        f'<h2 class="cm-tally__heading">{escape(heading)}</h2>'
        f'<p class="cm-tally__total" role="status" aria-live="polite">{summary}</p>'
        f'<ol class="cm-tally__list">{"".join(rows)}</ol></section>'
    )


def choices_list_html(scenario: Scenario) -> str:
    """The choices, lettered, for the projector (the room votes on their own screens)."""
    items = "".join(
        f'<li><span class="cm-tally__letter">{letter(i)}.</span> {escape(c.text)}</li>'
        for i, c in enumerate(scenario.choices)
    )
    return f'<ol class="cm-live-choices" aria-label="The choices">{items}</ol>'


def best_choices(scenario: Scenario):
    top = max(c.score for c in scenario.choices)
    return [c for c in scenario.choices if c.score == top]


def reveal_html(scenario: Scenario, policy: Policy, *, notes: bool = True) -> str:
    """The best answer with its feedback and what it rests on, then the trainer's discussion prompts."""
    parts = []
    for choice in best_choices(scenario):
        modifier, symbol, words = verdict(choice)
        index = scenario.choices.index(choice)
        cites = "".join(citation_html(pid, policy) for pid in choice.cites if pid in policy.points)
        parts.append(
            f'<div class="cm-feedback cm-feedback--{modifier}">'
            f'<p class="cm-feedback__verdict"><span aria-hidden="true">{symbol}</span> {words}: '
            f'{letter(index)}</p><p class="cm-feedback__you"><strong>{escape(choice.text)}</strong></p>'
            f"<p>{escape(choice.feedback)}</p>"
            f'<div class="cm-cite"><p class="cm-cite__head">Why: what this rests on</p><ul>{cites}</ul></div></div>'
        )
    talk = ""
    if notes and scenario.trainer_notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in scenario.trainer_notes)
        talk = (
            f'<section class="cm-live-notes" aria-label="Talk about it"><h2>Talk about it</h2>'
            f"<ul>{items}</ul></section>"
        )
    return f'<section class="cm-live-reveal" aria-label="The answer">{"".join(parts)}</section>{talk}'


def other_choices_html(scenario: Scenario) -> str:
    """After the reveal: why each other choice was not the best (for the discussion)."""
    best = {c.id for c in best_choices(scenario)}
    items = []
    for i, c in enumerate(scenario.choices):
        if c.id in best:
            continue
        _modifier, symbol, words = verdict(c)
        items.append(
            f"<li><p><strong>{letter(i)}. {escape(c.text)}</strong> "
            f'<span class="cm-live-verdict"><span aria-hidden="true">{symbol}</span> {words}</span></p>'
            f"<p>{escape(c.feedback)}</p></li>"
        )
    if not items:
        return ""
    return (
        f'<details class="cm-live-others"><summary>Why not the other choices</summary>'
        f"<ul>{''.join(items)}</ul></details>"
    )


def joining_html(
    code: str, display_code: str, address: str, qr_uri: str, *, local_only: bool = False, large: bool = True
) -> str:
    """How to join: the address, its QR code (with alt text) and the code printed large beside it."""
    warn = ""
    if local_only and large:
        warn = (
            '<p class="cm-status cm-status--error cm-live-join__warn">Phones cannot open this address: it only '
            "works on this computer. Ask whoever runs the course to set its public address "
            "(COURSE_PUBLIC_URL), or open this page using the computer's network address.</p>"
        )
    elif local_only:
        warn = '<p class="cm-status cm-status--error cm-live-join__warn">This address only works on this computer.</p>'
    size = "cm-live-join--large" if large else "cm-live-join--compact"
    return (
        f'<section class="cm-live-join {size}" aria-label="How to join">'
        f'<img class="cm-live-join__qr" src="{escape(qr_uri)}" '
        f'alt="QR code: scan it with your phone camera to open {escape(address)}">'
        f'<div class="cm-live-join__text"><p class="cm-live-join__how">Join on your phone or computer:</p>'
        f'<p class="cm-live-join__address"><a href="{escape(address)}" target="_blank" rel="noopener">'
        f"{escape(address)}</a></p>"
        f'<p class="cm-live-join__code-label">Code</p>'
        f'<p class="cm-live-join__code"><span class="cm-sr">{" ".join(escape(code))}</span>'
        f'<span aria-hidden="true">{escape(display_code)}</span></p>'
        f"</div>{warn}</section>"
    )


def trainer_key_html(key: str, code: str) -> str:
    """The trainer key, folded away: the room sees the projector, the key is for the trainer only."""
    return (
        f'<details class="cm-live-key"><summary>Trainer key: note it now (do not show this to the room)</summary>'
        f"<p>If this page is reloaded, or to carry on from another computer, open the trainer page and enter "
        f"the code <strong>{escape(code)}</strong> and this key:</p>"
        f'<p class="cm-live-key__value"><code>{escape(key)}</code></p>'
        f"<p>It is shown only here, only now. Anyone with the key can run the session.</p></details>"
    )


def ballot_card_html(scenario: Scenario, number: int, total: int, *, focus: bool = False) -> str:
    """The scenario on a phone in the room: its title, the situation folded away (it is on the
    trainer's screen too: one tap opens it) and the question, so the choices and the vote button
    are on the first screen of a 375 x 740 phone. The same words as the full card, in the same order."""
    heading_id = f"cm-s-{escape(scenario.id)}"
    counter = "What happens next" if scenario.branch else f"Scenario {number} of {total}"
    facts, paragraphs = facts_html(scenario), narrative_html(scenario)
    post = mock_post_html(scenario.post) if scenario.post else ""
    return (
        f'<section class="cm-card cm-card--ballot" aria-labelledby="{heading_id}">'
        f'<p class="cm-card__count">{counter}</p>'
        f'<h2 class="cm-card__title" id="{heading_id}"{FOCUS if focus else ""}>{escape(scenario.title)}</h2>'
        f'<details class="cm-live-situation"><summary>Read the situation</summary>'
        f'<p class="cm-card__facts">{facts}</p><div class="cm-card__narrative">{paragraphs}</div>{post}</details>'
        f'<p class="cm-card__question"><strong>{escape(scenario.question)}</strong></p></section>'
    )


def summary_html(summary: SessionSummary) -> str:
    """After the session: a table per scenario (how the room split, contested or not) and the attendance."""
    rows = []
    for s in summary.scenarios:
        if not s.shown:
            status = "Not shown"
        elif s.votes == 0:
            status = "No votes"
        elif s.contested:
            status = "⚑ Contested: no clear majority"
        elif s.most_chose_best:
            status = "✓ Most chose the best answer"
        else:
            status = "✗ Most chose another answer"
        split = escape(s.split_text()) if s.votes else "-"
        rows.append(
            f'<tr><td>{s.number}</td><th scope="row">{escape(s.title)}</th><td>{s.votes}</td>'
            f"<td>{split}</td><td>{percent(s.best_share) if s.votes else '-'}</td><td>{status}</td></tr>"
        )
    contested = summary.contested
    if contested:
        titles = "".join(f"<li>{escape(s.title)} ({escape(s.split_text())})</li>" for s in contested)
        contested_html = (
            f"<h3>Contested scenarios</h3><p>No choice had a clear majority (60% or more) here: "
            f"worth more time next session.</p><ul>{titles}</ul>"
        )
    else:
        contested_html = "<p>No scenario was contested: every one had a clear majority, or no votes.</p>"
    people = summary.attendees
    if people:
        names = "".join(
            f"<li>{escape(a.name)}" + (f" (staff number {escape(a.staff_number)})" if a.staff_number else "") + "</li>"
            for a in people
        )
        attendance = (
            f"<h3>Attendance</h3><p>{people_word(len(people))} gave their name. Their votes are not linked "
            f'to their names.</p><ul class="cm-live-attendance">{names}</ul>'
        )
    else:
        attendance = "<h3>Attendance</h3><p>Nobody gave their name, so no attendance was recorded.</p>"
    return (
        f'<section class="cm-live-summary" aria-label="Session summary">'
        f"<p>{people_word(summary.voters)} voted in this session.</p>"
        f'<div class="cm-live-table"><table><caption>How the room voted, scenario by scenario</caption>'
        f'<thead><tr><th scope="col">No.</th><th scope="col">Scenario</th><th scope="col">Votes</th>'
        f'<th scope="col">How the room split</th><th scope="col">Chose the best</th><th scope="col">Result</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>{contested_html}{attendance}</section>"
    )


def download_link(label: str, filename: str, text: str) -> str:
    import base64

    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="cm-button" download="{escape(filename)}" href="data:text/csv;charset=utf-8;base64,{data}">'
        f"{escape(label)}</a>"
    )
