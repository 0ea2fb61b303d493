"""The badge's addresses on the course server (course.badges):

- `/badges/jwks.json`: the organisation's badge public keys (a JWKS), for anyone to verify offline;
- `/badges/issuer.json`: the issuer's Open Badges Profile (the `issuer.id` every badge names);
- `/badges/verify`: anyone pastes or uploads a badge (or gives `?id=` a certificate id) and learns
  whether it is valid: signature, schema, and the register (revoked or changed certificates fail);

The learner's own badge is one of their downloads (course.app.downloads, `/download/badge.jwt` and
`/download/badge-with-name.jwt`, served by course.server.downloads with a download ticket, never the
session token). `routes(server_url)` gives the three above, for the one line in course/server/voila.py. Nothing personal
is logged: a failed check logs its status only, never the badge, the token or a name.
"""

from __future__ import annotations

import json
from html import escape

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

from course.app.pages import base_href, page_shell
from course.records import rate_limit
from course.server.verify import too_many_checks

SOURCE_LIMIT = rate_limit.Limit(free=20)
UPLOAD_MAX = 200_000  # bytes: a badge is a few kilobytes
STYLE = """<style>
.cm-verify form { margin: 1rem 0 1.5rem; } .cm-verify label { display: block; font-weight: 700; margin: .75rem 0 .25rem; }
.cm-verify textarea, .cm-verify input { font: inherit; padding: .5rem; box-sizing: border-box; width: min(100%, 40rem);
  border: 2px solid #505a5f; border-radius: 4px; }
.cm-verify textarea { min-height: 8rem; font-family: "DejaVu Sans Mono", monospace; font-size: .9rem; }
.cm-verify button { font: inherit; font-weight: 700; min-height: 44px; padding: .5rem 1.25rem; margin-top: .75rem; color: #fff;
  background: #1d4f91; border: 2px solid #1d4f91; border-radius: 4px; cursor: pointer; }
.cm-verify button:focus-visible, .cm-verify input:focus-visible, .cm-verify textarea:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.cm-verify .cm-result { border-left: 8px solid; padding: .75rem 1rem; margin: 1rem 0; background: #fff; overflow-wrap: anywhere; }
.cm-verify .cm-result--valid { border-color: #00703c; } .cm-verify .cm-result--invalid { border-color: #b10e1e; }
</style>"""


def _page(base_url: str, result: str) -> str:
    base = base_href(base_url)
    main = (
        "<h1>Check a badge</h1>"
        "<p>Paste the badge (the text of the .jwt file), or choose the file, and press Check. "
        f'The organisation\'s public keys are at <a href="{base}badges/jwks.json">badges/jwks.json</a>.</p>'
        f"{result}"
        f'<form method="post" action="{base}badges/verify" enctype="multipart/form-data">'
        '<label for="cm-badge">Badge</label><textarea id="cm-badge" name="badge" spellcheck="false" autocomplete="off"></textarea>'
        '<label for="cm-file">Or a badge file (.jwt)</label><input id="cm-file" name="file" type="file" accept=".jwt,.txt,text/plain">'
        '<div><button type="submit">Check</button></div></form>'
        f'<p>To check a certificate id instead, use <a href="{base}verify">Check a certificate</a>.</p>'
    )
    return page_shell("Check a badge", main, base_url, head=STYLE, main_class="cm-main cm-verify")


def _result(checked) -> str:
    if checked.ok:
        achievement = checked.credential.get("credentialSubject", {}).get("achievement", {})
        return (
            '<section class="cm-result cm-result--valid" aria-labelledby="cm-result-h" role="status">'
            '<h2 id="cm-result-h"><span aria-hidden="true">✓ </span>Valid badge</h2>'
            f"<p>{escape(checked.reason)}.</p>"
            f"<p>{escape(str(achievement.get('name', '')))}, issued {escape(str(checked.credential.get('validFrom', '')))}.</p></section>"
        )
    return (
        '<section class="cm-result cm-result--invalid" aria-labelledby="cm-result-h" role="alert">'
        '<h2 id="cm-result-h"><span aria-hidden="true">✗ </span>Not valid</h2>'
        f"<p>{escape(checked.reason[:300])}.</p></section>"
    )


class JwksHandler(JupyterHandler):
    """GET /badges/jwks.json: public keys only (course.badges.sign.badge_key)."""

    def get(self):
        from course.badges import jwks

        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "public, max-age=300")
        self.set_header("Access-Control-Allow-Origin", "*")  # verifiers and backpacks on other sites fetch it
        self.finish(json.dumps(jwks()))


class RevocationListHandler(JupyterHandler):
    """GET /badges/revocations.json: the 1EdTech Revocation List every badge's credentialStatus names."""

    async def get(self):
        import asyncio

        from course.badges import BadgeError, revocation_list
        from course.records.store import Store, StoreError

        try:
            listing = await asyncio.to_thread(lambda: revocation_list(Store()))
        except BadgeError:
            raise tornado.web.HTTPError(404) from None  # no public address: no badges, no list
        except StoreError:
            self.log.exception("the badge revocation list could not be read")
            raise tornado.web.HTTPError(503) from None
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "public, max-age=300")  # a revocation shows within minutes
        self.set_header("Access-Control-Allow-Origin", "*")
        self.finish(json.dumps(listing))


class IssuerHandler(JupyterHandler):
    """GET /badges/issuer.json: the issuer Profile every badge names."""

    def get(self):
        from course.badges import BadgeError, issuer

        try:
            profile = issuer().profile()
        except BadgeError:
            raise tornado.web.HTTPError(404) from None  # no public address: no issuer to show
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "public, max-age=300")
        self.set_header("Access-Control-Allow-Origin", "*")
        self.finish(json.dumps(profile))


class BadgeVerifyHandler(JupyterHandler):
    """GET /badges/verify (the form; `?id=` a certificate id: is its badge valid), POST a badge. No sign-in."""

    def check_xsrf_cookie(self):  # a public check that changes nothing: no form to protect
        return None

    def _claim(self, store) -> bool:
        source = rate_limit.key("badge-verify-source", self.request.remote_ip or "unknown")
        claim = rate_limit.claim(store, [(source, SOURCE_LIMIT)])
        if not claim.allowed:
            self.finish(_page(self.base_url, too_many_checks(self, claim)))
        return claim.allowed

    def _answer(self, run) -> None:
        from course.badges import BadgeError, Checked
        from course.records.store import Store, StoreError

        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        try:
            store = Store()
            if not self._claim(store):
                return
            try:
                checked = run(store)
            except BadgeError as exc:
                checked = Checked("unavailable", str(exc))
            if checked.ok:
                rate_limit.refund(
                    store, rate_limit.key("badge-verify-source", self.request.remote_ip or "unknown"), SOURCE_LIMIT
                )
            else:
                self.log.info("badge check: %s", checked.status)  # the status only: never the badge or a name
        except StoreError:
            self.log.exception("the badge check could not read the records store")
            raise tornado.web.HTTPError(503) from None
        self.finish(_page(self.base_url, _result(checked)))

    def get(self):
        raw = (self.request.arguments.get("id") or [b""])[0][:240]
        typed = "".join(ch for ch in raw.decode("utf-8", "replace") if ch.isprintable()).strip()[:60]
        if not typed:
            self.set_header("Cache-Control", "no-store")
            self.finish(_page(self.base_url, ""))
            return
        self._answer(lambda store: _check_id(store, typed))

    def post(self):
        from course.badges import check_online

        files = self.request.files.get("file") or []
        raw = (
            files[0]["body"][:UPLOAD_MAX]
            if files and files[0]["body"]
            else (self.request.body_arguments.get("badge") or [b""])[0]
        )
        text = raw[:UPLOAD_MAX].decode("utf-8", "replace")
        self._answer(lambda store: check_online(store, text))


def _check_id(store, typed: str):
    """Whether the badge of a certificate id is valid: the certificate verifies (not revoked or
    changed) and the badge the course would issue for it checks with the published key."""
    from course.badges import Checked, check_online
    from course.badges import badge_for as make
    from course.manager import certificates

    verification = certificates.verify(store, typed)
    if not verification.ok:
        reason = {
            "revoked": "the organisation revoked this certificate, so its badge is not valid",
            "malformed": "that is not a certificate id (SMC- and 20 letters and digits)",
        }.get(verification.status, "this course has no valid certificate with that id")
        return Checked(verification.status, reason)
    record = verification.record or {}
    return check_online(store, make(store, record["learner_id"], verification.certificate_id).token)


def routes(server_url: str) -> list[tuple]:
    """The badge routes, for course/server/voila.py's init_handlers."""
    return [
        (url_path_join(server_url, "/badges/jwks.json"), JwksHandler),
        (url_path_join(server_url, "/badges/issuer.json"), IssuerHandler),
        (url_path_join(server_url, "/badges/revocations.json"), RevocationListHandler),
        (url_path_join(server_url, "/badges/verify"), BadgeVerifyHandler),
    ]
