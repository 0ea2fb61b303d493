"""`/verify?id=SMC-...`: anyone (an inspector, an employer) checks a certificate, no sign-in.

A plain page from the course server, in the course's look: for a valid id the name, the date
of completion, each module with the day it was passed, the policy version and how the course
knew the learner (course.records.identity); "not valid" for anything else, malformed input
included, never a traceback. The staff number is not shown: a stranger has no need of it.

Lookups are limited per source address (course.records.rate_limit): each one claims a try and
a valid certificate gives it back, so checking real certificates never waits while guessing
ids soon does (ids have 100 bits; the limit keeps the log quiet and the store unloaded).
"""

from __future__ import annotations

from html import escape

import tornado.web
from jupyter_server.base.handlers import JupyterHandler

from course.app.pages import base_href, page_shell
from course.records import rate_limit
from course.records.identity import identity_label

SOURCE_LIMIT = rate_limit.Limit(free=20)
STYLE = """<style>
.cm-verify form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: 1rem 0 1.5rem; }
.cm-verify label { display: block; font-weight: 700; margin-bottom: .25rem; }
.cm-verify input { font: inherit; font-size: 1.05rem; padding: .5rem; min-height: 44px; box-sizing: border-box;
  width: min(100%, 24rem); border: 2px solid #505a5f; border-radius: 4px; }
.cm-verify button { font: inherit; font-weight: 700; min-height: 44px; padding: .5rem 1.25rem; color: #fff;
  background: #1d4f91; border: 2px solid #1d4f91; border-radius: 4px; cursor: pointer; }
.cm-verify button:focus-visible, .cm-verify input:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.cm-verify .cm-result { border-left: 8px solid; padding: .75rem 1rem; margin: 1rem 0; background: #fff; }
.cm-verify .cm-result--valid { border-color: #00703c; }
.cm-verify .cm-result--invalid { border-color: #b10e1e; }
.cm-verify dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .75rem 0; }
.cm-verify dt { font-weight: 700; } .cm-verify dd { margin: 0; overflow-wrap: anywhere; }
.cm-verify table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
.cm-verify caption { text-align: left; font-weight: 700; }
.cm-verify th, .cm-verify td { text-align: left; border-bottom: 1px solid #b1b4b6; padding: .35rem .5rem; vertical-align: top; }
.cm-verify .cm-id { font-family: "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
@media (max-width: 30rem) { .cm-verify dl { grid-template-columns: 1fr; } .cm-verify dd { margin-bottom: .5rem; } }
</style>"""


def _date(text: str) -> str:
    from datetime import date

    day = date.fromisoformat(text)
    return f"{day.day} {day:%B %Y}"


def result_html(verification) -> str:
    """The answer for one checked id (escaped throughout)."""
    from course.manager.certificates import module_lines

    if verification.ok:
        r = verification.record
        kind = identity_label(r.get("identity")).removeprefix("Identity: ")
        rows = "".join(
            f"<tr><td>{escape(t)}</td><td>{escape(d)}</td><td>{escape(res)}</td></tr>"
            for t, d, res, _spent in module_lines(r)
        )
        return (
            '<section class="cm-result cm-result--valid" aria-labelledby="cm-result-h" role="status">'
            '<h2 id="cm-result-h"><span aria-hidden="true">✓ </span>Valid certificate</h2>'
            f"<p>This course issued this certificate, and its record has not been changed.</p><dl>"
            f"<dt>Name</dt><dd>{escape(r['name'])}</dd>"
            f"<dt>Completed on</dt><dd>{escape(_date(r['completed_on']))}</dd>"
            f"<dt>Policy version</dt><dd>{escape(str(r['policy_version']))}</dd>"
            + (f"<dt>Identity</dt><dd>{escape(kind)}</dd>" if kind else "")
            + f'<dt>Certificate id</dt><dd class="cm-id">{escape(verification.certificate_id)}</dd></dl>'
            '<table><caption>Modules</caption><thead><tr><th scope="col">Module</th><th scope="col">Passed on</th>'
            f'<th scope="col">Result</th></tr></thead><tbody>{rows}</tbody></table></section>'
        )
    hint = (
        " A certificate id looks like SMC-ABCDE-FGHIJ-KLMNO-PQRST."
        if verification.status == "malformed"
        else " Check the id against the certificate; if it is right, the certificate is not genuine or its record was changed."
    )
    return (
        '<section class="cm-result cm-result--invalid" aria-labelledby="cm-result-h" role="alert">'
        '<h2 id="cm-result-h"><span aria-hidden="true">✗ </span>Not valid</h2>'
        f"<p>This course has no valid certificate with that id.{escape(hint)}</p></section>"
    )


def page_html(base_url: str, typed: str, result: str) -> str:
    base = base_href(base_url)
    main = (
        "<h1>Check a certificate</h1>"
        "<p>Type the certificate id printed on the certificate, or scan its QR code.</p>"
        f'<form method="get" action="{base}verify"><div><label for="cm-id">Certificate id</label>'
        f'<input id="cm-id" name="id" value="{escape(typed)}" autocomplete="off" spellcheck="false" '
        'autocapitalize="characters" maxlength="60"></div><button type="submit">Check</button></form>'
        f"{result}"
    )
    return page_shell("Check a certificate", main, base_url, head=STYLE, main_class="cm-main cm-verify")


def too_many_checks(handler, claim) -> str:
    """A check refused by the per-source limit (course.records.rate_limit): 429 with Retry-After on
    the answer, and the words the page shows. The certificate and the badge checks both answer so."""
    wait = int(claim.retry_after + 0.999)  # whole seconds, rounded up: never "try again in 0 seconds"
    handler.set_status(429)
    handler.set_header("Retry-After", str(wait))
    return (
        '<section class="cm-result cm-result--invalid" role="alert"><h2>Please wait</h2>'
        f"<p>Too many checks from this address. Try again in {wait} seconds.</p></section>"
    )


class VerifyHandler(JupyterHandler):
    """GET /verify (a form), /verify?id=... (the answer). No sign-in; limited per source."""

    def check_xsrf_cookie(self):  # a GET only: nothing to protect
        return None

    def get(self):
        from course.manager.certificates import verify
        from course.records.store import Store, StoreError

        # raw bytes, decoded leniently: tornado's get_argument answers 400 to bytes that are not UTF-8,
        # and anything typed deserves "not valid", not an error page
        raw = (self.request.arguments.get("id") or [b""])[0][:240]
        typed = "".join(ch for ch in raw.decode("utf-8", "replace") if ch.isprintable()).strip()[:60]
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        if not typed:
            self.finish(page_html(self.base_url, "", ""))
            return
        try:
            store = Store()
            source = rate_limit.key("verify-source", self.request.remote_ip or "unknown")
            claim = rate_limit.claim(store, [(source, SOURCE_LIMIT)])
            if not claim.allowed:
                self.finish(page_html(self.base_url, typed, too_many_checks(self, claim)))
                return
            result = verify(store, typed)
            if result.ok:
                rate_limit.refund(store, source, SOURCE_LIMIT)
        except StoreError:
            self.log.exception("the verification page could not read the records store")
            raise tornado.web.HTTPError(503) from None
        self.finish(page_html(self.base_url, typed, result_html(result)))
