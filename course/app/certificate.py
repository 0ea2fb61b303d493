"""The certificate page: a learner's certificate of completion, to read, print and keep.

The certificate is the course's record of completion (`course.manager.certificates`): it rests on
the marks of record, not on the app's own running score. Whether the learner's completion is in
date is the progress rule's word for this learner alone (course.progress.learner_evaluation: a
few rows, never the organisation's report), and the certificate shown is the register's record
of that completion. The page never writes the register: the marker adds a completion when it
marks the module that completes the course (`certificates.issue`), and `course certificate` or
`course report` add the rest (a completion by trainer-led attendance). The page shows the
certificate in a sandboxed frame and offers the PDF and the printable page as downloads;
nothing is fetched from outside the server.
"""

from __future__ import annotations

import base64
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
        "</section></div>"
    )


def open_certificate_page(course: Course, store: Store, learner_id: str, token: str | None = None) -> widgets.Widget:
    record, where = learner_certificate(store, course, learner_id)
    if record is None and where == "completed":
        return widgets.HTML(f'<div class="cm-root cm-app">{message_html(*ON_ITS_WAY, home_link(token))}</div>')
    if record is None:
        title, text = NOT_YET
        return widgets.HTML(
            f'<div class="cm-root cm-app">{message_html(title, f"{text} So far: {where}.", home_link(token))}</div>'
        )
    return widgets.HTML(certificate_page_html(record, course, token))
