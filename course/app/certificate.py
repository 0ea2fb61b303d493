"""The certificate page: a learner's certificate of completion, to read, print and keep.

The certificate is the course's record of completion (`course.manager.certificates`): it rests on
nbgrader's marks, not on the app's own running score, so it appears once the marker has
passed every module the completion rule requires. The first time a learner opens the page
after completing, the completion is added to the register (the same facts always give the
same id, so opening it again adds nothing). The page shows the certificate in a sandboxed
frame and offers the PDF and the printable page as downloads; nothing is fetched from
outside the server.
"""

from __future__ import annotations

import base64
from html import escape

import ipywidgets as widgets

from course.content.model import Course
from course.records.store import Store
from course.app.module import home_link
from course.app.pages import message_html

NOT_YET = ("Your certificate is not ready yet",
           "Your certificate appears here once every module has been marked as passed. Marking takes a few "
           "seconds after you press Finish at the end of a module.")


def learner_certificate(store: Store, course: Course, learner_id: str) -> tuple[dict | None, str]:
    """(the learner's current certificate or None, their completion status in words)."""
    from course.manager import certificates
    from course.manager.reports import evaluate_inputs, load_inputs

    result = evaluate_inputs(load_inputs(store, course=course))
    facts = certificates.facts_from(result, [learner_id])
    if not facts:
        people = result.people[result.people["learner_id"] == learner_id]
        if people.empty:
            return None, "no module marked yet"
        row = people.iloc[0]
        return None, f"{row['modules_passed']} of {row['modules_required']} modules passed"
    stamped = certificates.record(store, facts)[0]
    return certificates.get(store, stamped["certificate_id"]), "completed"


def download_link(data: bytes, mime: str, filename: str, text: str) -> str:
    href = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<a class="cm-button" href="{href}" download="{escape(filename)}">{escape(text)}</a>'


def certificate_page_html(record: dict, course: Course, token: str | None) -> str:
    from course.manager import certificates

    page = certificates.render_html(record, course)
    pdf = certificates.render_pdf(record, course)
    cert_id = record["certificate_id"]
    return (
        '<div class="cm-root cm-app cm-certificate-page">'
        '<section aria-labelledby="cm-cert-title"><h1 id="cm-cert-title" tabindex="-1" data-cm-focus="1">'
        "Your certificate</h1>"
        f"<p>Well done, {escape(record['name'])}: you completed the course on "
        f"{escape(certificates._fields(record, course)['completed_on'])}. Your certificate id is "
        f"<strong>{escape(cert_id)}</strong>; anyone can check it with your organisation's course team.</p>"
        '<p class="cm-actions">'
        f"{download_link(pdf, 'application/pdf', f'certificate-{cert_id}.pdf', 'Download the PDF')} "
        f"{download_link(page.encode('utf-8'), 'text/html', f'certificate-{cert_id}.html', 'Download the printable page')}"
        "</p>"
        f'<iframe class="cm-certificate-frame" title="Certificate of completion" sandbox="" '
        f'style="width:100%;min-height:80vh;border:1px solid #c8c8c8;border-radius:8px" '
        f'srcdoc="{escape(page, quote=True)}"></iframe>'
        f'<p><a class="cm-button" href="{escape(home_link(token))}">Back to the course home</a></p>'
        "</section></div>")


def open_certificate_page(course: Course, store: Store, learner_id: str, token: str | None = None) -> widgets.Widget:
    record, where = learner_certificate(store, course, learner_id)
    if record is None:
        title, text = NOT_YET
        return widgets.HTML(f'<div class="cm-root cm-app">'
                            f"{message_html(title, f'{text} So far: {where}.', home_link(token))}</div>")
    return widgets.HTML(certificate_page_html(record, course, token))
