"""The certificate page: a learner's certificate of completion, to read, print and keep.

The certificate is the course's record of completion (`course.manager.certificates`): it rests on
the marks of record, not on the app's own running score. Whether the learner's completion is in
date is the progress rule's word for this learner alone (course.progress.learner_evaluation: a
few rows, never the organisation's report), and the certificate shown is the register's record
of that completion. The page never writes the register: the marker adds a completion when it
marks the module that completes the course (`certificates.issue`), and `course certificate` or
`course report` add the rest (a completion by trainer-led attendance).

The page shows the certificate's facts in its own HTML (they reflow on a phone) and links to
the learner's files, which the course server builds when they are asked for
(course.app.downloads, course.server.downloads): the page renders no PDF, so it appears as
fast as the course home. Nothing is fetched from outside the server.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from course.app.module import home_link
from course.app.pages import message_html
from course.content.model import Course
from course.records.store import Store

NOT_YET = (
    "Your certificate is not ready yet",
    "Your certificate appears here once every module has been marked as passed. Marking takes a few "
    "seconds after you press Finish at the end of a module.",
)


ON_ITS_WAY = (
    "Your certificate is on its way",
    "You have completed the course. Your certificate is being added to the course's register; "
    "it appears here within a day. If it does not, tell your course team.",
)


def learner_certificate(store: Store, course: Course, learner_id: str) -> tuple[dict | None, str]:
    """(the learner's certificate in the register or None, their completion in words).

    Reads this learner only and writes nothing."""
    from course.assessment.marker import critical_reason
    from course.manager import certificates
    from course.progress import CURRENT, FAILED, learner_evaluation

    result = learner_evaluation(store, course, learner_id)
    row = result.person(learner_id)
    if row is None or str(row["status"]) not in CURRENT:
        passed = int(row["modules_passed"]) if row is not None else 0
        words = f"{passed} of {len(result.rule.modules)} modules passed"
        for module_id, mod in result.module_rows(learner_id).iterrows():  # why a failed module failed
            if str(mod["status"]) == FAILED and mod["critical_missed"]:
                words += ". " + critical_reason(course.module(module_id), mod["critical_missed"]).rstrip(".")
        return None, words
    record = certificates.of_completion(store, learner_id, row["completed_on"].date().isoformat())
    return record, "completed"


# the page's own styles (inline: the widget HTML is the whole page). The results table reflows
# on a phone into one labelled block per module, so no column is cut off at 375 px.
STYLE = """<style>
.cm-certificate-page .cm-downloads { list-style: none; padding: 0; margin: 1rem 0; display: flex; flex-wrap: wrap; gap: .5rem; }
.cm-certificate-page .cm-downloads a { max-width: 100%; box-sizing: border-box; }
.cm-cert-preview { border: 3px double #2b4c6f; border-radius: 4px; background: #fff; padding: 1rem 1.25rem; margin: 1rem 0; }
.cm-cert-preview h2 { margin-top: 0; color: #2b4c6f; }
.cm-cert-preview .cm-cert-name { font-size: 1.5rem; font-weight: 700; margin: .25rem 0; overflow-wrap: anywhere; }
.cm-cert-preview table { border-collapse: collapse; width: 100%; margin: .75rem 0; }
.cm-cert-preview caption { text-align: left; font-weight: 700; padding-bottom: .25rem; }
.cm-cert-preview th, .cm-cert-preview td { text-align: left; vertical-align: top; border-bottom: 1px solid #b1b4b6;
  padding: .35rem .5rem; }
.cm-cert-preview th { background: #e8eef4; }
.cm-cert-preview dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .75rem 0; }
.cm-cert-preview dt { font-weight: 700; white-space: nowrap; } .cm-cert-preview dd { margin: 0; overflow-wrap: anywhere; }
.cm-cert-preview .cm-cert-id { font-family: "DejaVu Sans Mono", monospace; }
.cm-cert-preview .cm-cert-check a { overflow-wrap: anywhere; }
@media (max-width: 40rem) {
  .cm-cert-preview { padding: .75rem; }
  .cm-cert-preview thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .cm-cert-preview tr { display: block; border-bottom: 1px solid #b1b4b6; padding: .4rem 0; }
  .cm-cert-preview td { display: grid; grid-template-columns: 6.5rem minmax(0, 1fr); gap: .5rem; border: 0; padding: .1rem 0; }
  .cm-cert-preview td::before { content: attr(data-label); font-weight: 700; }
  .cm-cert-preview dl { grid-template-columns: 1fr; } .cm-cert-preview dt { white-space: normal; }
  .cm-cert-preview dd { margin-bottom: .4rem; }
}
</style>"""


def download_links(ticket: str | None, *, certificate: bool) -> str:
    """The learner's downloads (course.app.downloads) as button-like links to real files."""
    from course.app.downloads import link, offered

    items = "".join(
        f'<li><a class="cm-button{" cm-button--primary" if i == 0 and certificate else ""}" '
        f'href="{escape(link(d, ticket))}" download>{escape(d.label)}</a></li>'
        for i, d in enumerate(offered(certificate=certificate))
    )
    return f'<ul class="cm-downloads" aria-label="Downloads">{items}</ul>'


def verify_link(cert_id: str) -> tuple[str, str]:
    """(href, text) of the verification page for this certificate (course.server.verify): the
    public address when COURSE_PUBLIC_URL is set, else the page beside this one on this server."""
    from urllib.parse import urlencode

    from course.manager.certificates import verify_url

    public = verify_url(cert_id)
    if public:
        return public, public
    return f"../../verify?{urlencode({'id': cert_id})}", 'this course\'s "Check a certificate" page'


def preview_html(record: dict, course: Course, f: dict) -> str:
    """The certificate as the page shows it: the same facts (`f`: certificates._fields) as the
    PDF, in the page's own HTML."""
    from course.manager import certificates

    rows = "".join(
        f'<tr><td data-label="Module">{escape(t)}</td><td data-label="Passed on">{escape(d)}</td>'
        f'<td data-label="Result">{escape(r)}</td><td data-label="Time spent">{escape(m)}</td></tr>'
        for t, d, r, m in certificates.module_lines(record)
    )
    identity = f["identity"].removeprefix("Identity: ")
    href, text = verify_link(record["certificate_id"])
    return (
        '<section class="cm-cert-preview" aria-labelledby="cm-cert-preview-h">'
        '<h2 id="cm-cert-preview-h">Certificate of completion</h2>'
        f"<p>{escape(f['course_title'])}</p><p>This is to certify that</p>"
        f'<p class="cm-cert-name">{escape(f["name"])}</p>'
        f"<p>completed the course, based on the {escape(f['policy_title'])} (version {escape(f['policy_version'])}), "
        f"on <strong>{escape(f['completed_on'])}</strong>.</p>"
        '<table><caption>Modules</caption><thead><tr><th scope="col">Module</th><th scope="col">Passed on</th>'
        f'<th scope="col">Result</th><th scope="col">Time spent</th></tr></thead><tbody>{rows}</tbody></table>'
        f"<dl><dt>Overall score</dt><dd>{escape(f['score'])}</dd>"
        f"<dt>Learning time</dt><dd>{escape(f['hours'])} {escape(f['hours_note'])}</dd>"
        f"<dt>Staff number</dt><dd>{escape(f['staff_number'])}</dd>"
        + (f"<dt>Identity</dt><dd>{escape(identity)}</dd>" if identity else "")
        + f'<dt>Certificate id</dt><dd class="cm-cert-id">{escape(f["certificate_id"])}</dd></dl>'
        f'<p class="cm-cert-issuer">Issued by {escape(f["issuer"])}. Renewal is due {escape(f["renewal"])}.</p>'
        f'<p class="cm-cert-check">Anyone can check this certificate at <a href="{escape(href)}">{escape(text)}</a>.</p>'
        "</section>"
    )


def certificate_page_html(record: dict, course: Course, token: str | None, ticket: str | None = None) -> str:
    from course.manager import certificates

    cert_id = record["certificate_id"]
    fields = certificates._fields(record, course)
    return (
        f'{STYLE}<div class="cm-root cm-app cm-certificate-page">'
        '<section aria-labelledby="cm-cert-title"><h1 id="cm-cert-title" tabindex="-1" data-cm-focus="1">'
        "Your certificate</h1>"
        f"<p>Well done, {escape(record['name'])}: you completed the course on "
        f"{escape(fields['completed_on'])}. Your certificate id is "
        f"<strong>{escape(cert_id)}</strong>. Download your certificate to keep, print or send it; anyone can "
        "check it on the course's verification page.</p>"
        f"{download_links(ticket, certificate=True)}"
        f"{preview_html(record, course, fields)}"
        f'<p><a class="cm-button" href="{escape(home_link(token))}">Back to the course home</a></p>'
        "</section></div>"
    )


def _not_ready_html(title: str, text: str, token: str | None, ticket: str | None) -> str:
    """Not ready: the message, and the learning record, which a learner can always download."""
    return (
        f'{STYLE}<div class="cm-root cm-app cm-certificate-page">{message_html(title, text, home_link(token))}'
        '<section aria-labelledby="cm-record-h"><h2 id="cm-record-h">Your learning record</h2>'
        "<p>Your learning record lists the modules you have done, the time you spent and your reflections: "
        "keep it with your CPL notes for the SSSC.</p>"
        f"{download_links(ticket, certificate=False)}</section></div>"
    )


def open_certificate_page(course: Course, store: Store, learner_id: str, token: str | None = None) -> widgets.Widget:
    from course.app.downloads import issue_ticket
    from course.records.identity import hub_user

    record, where = learner_certificate(store, course, learner_id)
    # on the hub the hub signs each download in; elsewhere the links carry this learner's ticket
    ticket = None if hub_user() or not token else issue_ticket(learner_id, token)
    if record is None and where == "completed":
        return widgets.HTML(_not_ready_html(*ON_ITS_WAY, token, ticket))
    if record is None:
        title, text = NOT_YET
        return widgets.HTML(_not_ready_html(title, f"{text} So far: {where}.", token, ticket))
    return widgets.HTML(certificate_page_html(record, course, token, ticket))
