"""HTML for scenario cards, mock posts and feedback. Pure functions: text in, HTML out.

Every piece of content is escaped. Mock posts are drawn as plain, generic cards (no real
logos) with their kind spelled out for screen readers; a photo in a post is a described
box with role="img" and its alt text, since the course ships no pictures of people.
"""

from __future__ import annotations

import re
from html import escape

from course.assessment.layout import letter
from course.content.model import Choice, Module, Policy, Post, Scenario

KIND_LABEL = {
    "post": "Social media post",
    "comment": "Comment",
    "message": "Private message",
    "group chat": "Group chat message",
    "friend request": "Friend request",
    "review": "Online review",
    "photo": "Photo post",
}


def _initial(author: str) -> str:
    return escape(author.strip()[:1].upper() or "?")


def mock_post_html(post: Post) -> str:
    kind = KIND_LABEL.get(post.kind, "Post")
    author = post.author or "Someone"
    label = f"{kind} from {author}"
    meta = " · ".join(escape(x) for x in (post.audience, post.time) if x)
    parts = [
        f'<figure class="cm-post cm-post--{post.kind.replace(" ", "-")}" role="group" aria-label="{escape(label)} (example)">',
        '<div class="cm-post__head">',
        f'<span class="cm-post__avatar" aria-hidden="true">{_initial(author)}</span>',
        f'<span class="cm-post__who"><strong>{escape(author)}</strong>',
        f'<span class="cm-post__meta">{meta}</span></span>' if meta else "</span>",
        f'<span class="cm-post__kind">{escape(kind)}</span>',
        "</div>",
    ]
    if post.kind == "friend request":
        parts.append(f'<p class="cm-post__text">{escape(author)} wants to be your friend.</p>')
        if post.text:
            parts.append(f'<p class="cm-post__text">{escape(post.text)}</p>')
        parts.append('<p class="cm-post__actions" aria-hidden="true"><span>Accept</span><span>Decline</span></p>')
    else:
        if post.rating:
            stars = "★" * post.rating + "☆" * (5 - post.rating)
            parts.append(
                f'<p class="cm-post__rating"><span aria-hidden="true">{stars}</span>'
                f'<span class="cm-sr">Rated {post.rating} out of 5</span></p>'
            )
        parts.append(f'<p class="cm-post__text">{escape(post.text)}</p>')
        if post.image:
            parts.append(
                f'<div class="cm-post__image" role="img" aria-label="Photo: {escape(post.image)}">'
                f'<span aria-hidden="true">Photo:</span> {escape(post.image)}</div>'
            )
        if post.kind in ("post", "photo", "comment"):
            parts.append(
                '<p class="cm-post__actions" aria-hidden="true"><span>Like</span><span>Comment</span><span>Share</span></p>'
            )
    parts.append("</figure>")
    return "".join(parts)


FOCUS = ' tabindex="-1" data-cm-focus="1"'


def focus_here(html: str) -> str:
    """Mark a panel for the Voila theme's script to move keyboard focus to when it appears.

    After Check or Next the button a keyboard user pressed is hidden or its page is gone;
    focus moves to what changed, so screen readers read it and Tab goes on from there.
    Elsewhere (JupyterLab) the mark does nothing.
    """
    return f'<div class="cm-focus-target"{FOCUS}>{html}</div>'


def facts_html(scenario: Scenario) -> str:
    """The setting, role and channel of a scenario, escaped, as the card's facts line shows them."""
    return " · ".join(escape(x) for x in (scenario.setting.capitalize(), scenario.role, scenario.channel) if x)


def narrative_html(scenario: Scenario) -> str:
    """The scenario's situation as paragraphs (a blank line in the YAML starts a new one), escaped."""
    return "".join(f"<p>{escape(p.strip())}</p>" for p in scenario.narrative.split("\n\n") if p.strip())


def scenario_card_html(
    scenario: Scenario, number: int | None = None, total: int | None = None, focus: bool = False
) -> str:
    heading_id = f"cm-s-{escape(scenario.id)}"
    counter = f'<p class="cm-card__count">Scenario {number} of {total}</p>' if number and total else ""
    if scenario.branch:
        counter = f'<p class="cm-card__count">What happens next · {PRACTICE_NOTE}</p>'
    facts, paragraphs = facts_html(scenario), narrative_html(scenario)
    post = mock_post_html(scenario.post) if scenario.post else ""
    return (
        f'<section class="cm-card" aria-labelledby="{heading_id}">{counter}'
        f'<h2 class="cm-card__title" id="{heading_id}"{FOCUS if focus else ""}>{escape(scenario.title)}</h2>'
        f'<p class="cm-card__facts">{facts}</p>'
        f'<div class="cm-card__narrative">{paragraphs}</div>{post}'
        f'<p class="cm-card__question"><strong>{escape(scenario.question)}</strong></p></section>'
    )


def verdict(choice: Choice) -> tuple[str, str, str]:
    """(css modifier, symbol, words): meaning never rests on colour alone."""
    if choice.score >= 1:
        return "best", "✓", "Best answer"
    if choice.score > 0:
        return "partly", "◐", "Partly right"
    return "wrong", "✗", "Not the best choice"


# A follow-up (branch) scenario is not graded (Scenario.graded): not every learner meets it.
# Its card and its feedback say so, so "Partly right" there is never read as part of the mark.
PRACTICE_NOTE = "Practice: this follow-up does not count towards your mark"


def citation_label(point_id: str, policy: Policy) -> str:
    """How a policy point is named to a learner: "Policy, <section>", its Code label, or its source."""
    point = policy.points[point_id]
    if point.kind == "policy":
        return f"Policy, {policy.sections[point.section].title}"
    if point.kind == "code":
        return point.label
    return (
        f"{point.source} {point.number}".strip() if point.number and point.number not in point.source else point.source
    )


def citation_html(point_id: str, policy: Policy) -> str:
    label = citation_label(point_id, policy)
    return f'<li><span class="cm-cite__label">{escape(label)}:</span> {escape(policy.points[point_id].plain)}</li>'


# Scenarios that rest on these points (a person at risk, a breach, speaking up) are the moments
# a learner may meet for real: their feedback points to "Where to get help".
HELP_POINTS = frozenset({"safe-first", "breach-tell", "speak-up"})
HELP_TITLE = "Where to get help"
# where the help is, for `feedback_html(help_at=...)`: in a module notebook it is a section at its
# end (course.content.build), named in words; in the app it is a page, and `help_at` is its address
IN_NOTEBOOK = "notebook"


def needs_help(scenario: Scenario) -> bool:
    """Whether any choice of this scenario rests on a safety, breach or speak-up point."""
    return any(HELP_POINTS.intersection(c.cites) for c in scenario.choices)


def help_note_html(scenario: Scenario, help_at: str | None) -> str:
    """The pointer to help under a scenario's feedback, or "" (not such a scenario, or no help here)."""
    if not help_at or not needs_help(scenario):
        return ""
    if help_at == IN_NOTEBOOK:
        where = f"see <strong>{HELP_TITLE}</strong> at the end of this notebook."
    else:
        where = f'see <a href="{escape(help_at)}">{HELP_TITLE}</a>.'
    return f'<p class="cm-feedback__help">If you meet a moment like this at work, {where}</p>'


def first_sentence(text: str) -> str:
    """The first sentence of a feedback text (the reason a best choice is best, in one line)."""
    return re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]


def best_choice(scenario: Scenario) -> Choice:
    """The best choice (the first shown, if several score the same)."""
    return max(scenario.choices, key=lambda c: c.score)


def best_choice_html(scenario: Scenario, policy: Policy | None = None) -> str:
    """ "The best choice was C: ..." with its reason and (given `policy`) the policy point it rests
    on, the letter as shown (`scenario` in shown order)."""
    top = best_choice(scenario)
    points = [pid for pid in top.cites if policy is not None and pid in policy.points]
    rests = ""
    if policy is not None and points:
        named = "; ".join(
            f"{escape(citation_label(pid, policy))}: {escape(policy.points[pid].plain)}" for pid in points
        )
        rests = f' <span class="cm-feedback__best-cite"><em>It follows</em> {named}</span>'
    return (
        f'<p class="cm-feedback__best"><strong>The best choice was {shown_letter_of(scenario, top)}:</strong> '
        f"{escape(top.text)} <em>Why:</em> {escape(first_sentence(top.feedback))}{rests}</p>"
    )


def shown_letter_of(scenario: Scenario, choice: Choice) -> str:
    """The letter beside `choice` where `scenario`'s choices are in the order shown."""
    return letter(scenario.choices.index(choice))


def feedback_html(
    scenario: Scenario, choice: Choice, policy: Policy, show_best: bool = False, help_at: str | None = None
) -> str:
    """The feedback on one answer. `scenario` has its choices in the order shown (its letters are the
    ones the learner saw). `show_best`: after a choice short of the best, say which was best and why.
    `help_at`: the help page's address, IN_NOTEBOOK, or None for no pointer."""
    modifier, symbol, words = verdict(choice)
    cites = "".join(citation_html(pid, policy) for pid in choice.cites if pid in policy.points)
    best = best_choice_html(scenario, policy) if show_best and choice.score < 1 else ""
    practice = f' <span class="cm-feedback__practice">· {PRACTICE_NOTE}.</span>' if scenario.branch else ""
    return (
        f'<div class="cm-feedback cm-feedback--{modifier}">'
        f'<p class="cm-feedback__verdict"><span aria-hidden="true">{symbol}</span> {words}{practice}</p>'
        f'<p class="cm-feedback__you"><strong>You chose:</strong> {shown_letter_of(scenario, choice)}. '
        f"{escape(choice.text)}</p>"
        f"<p>{escape(choice.feedback)}</p>{best}"
        f'<div class="cm-cite"><p class="cm-cite__head">Why: what this rests on</p><ul>{cites}</ul></div>'
        f"{help_note_html(scenario, help_at)}</div>"
    )


def overview_html(module: Module) -> str:
    def items(values):
        return "".join(f"<li>{escape(v)}</li>" for v in values)

    # Short first (the Carpentries' lesson layout: questions, objectives and key points up front);
    # the longer parts wait under a disclosure, so the first scenario is near on a phone.
    intro = "".join(f"<p>{escape(p)}</p>" for p in module.intro)
    short = f'<p class="cm-overview__short">{escape(module.overview)}</p>' if module.overview else ""
    return (
        f'<section class="cm-overview" aria-label="Overview">{short}<p class="cm-overview__facts">'
        f"<strong>Time:</strong> about {module.minutes} minutes"
        f" · <strong>Scenarios:</strong> {module.draw or len(module.graded_scenarios)}</p>"
        f'<details class="cm-more"><summary>Questions, objectives and key points</summary>{intro}'
        f"<h3>Questions</h3><ul>{items(module.questions)}</ul>"
        f"<h3>Objectives</h3><ul>{items(module.objectives)}</ul>"
        f"<h3>Key points</h3><ul>{items(module.key_points)}</ul></details></section>"
    )


def key_points_html(module: Module) -> str:
    points = "".join(f"<li>{escape(v)}</li>" for v in module.key_points)
    return f'<section class="cm-keypoints" aria-label="Key points"><h3>Key points</h3><ul>{points}</ul></section>'
