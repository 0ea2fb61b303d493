"""The page is its owner's: a per-page secret that binds a kernel to the browser it was rendered for.

A kernel id alone used to be enough to drive a learner's open page (and a manager's signed-in
dashboard): whoever had it could open `/api/kernels/<id>/channels`. Now, when the server
renders a page, it sets a cookie named for that page's kernel, `course-page-<kernel id>`,
holding HMAC-SHA256(server key, kernel id): HttpOnly (no script, so no injected script either,
can read it), SameSite=Strict (no other site's page can make the browser send it), Secure
over https, path the server's base URL, gone after `MAX_AGE` seconds. The kernel websocket
(course.server.kernel_guard) refuses with 403 a connection that does not carry it.

The key is random and lives in this server process's memory only: nothing to store, and a
restarted server (whose old kernels are gone anyway) invalidates every old cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

KEY = secrets.token_bytes(32)
PREFIX = "course-page-"
MAX_AGE = 12 * 3600  # a working day: a page open longer reconnects only while it is open
KERNEL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PAGE_KERNEL = re.compile(r'"kernelId":\s*"(' + KERNEL_ID.pattern + ')"')  # in the page's config


def cookie_name(kernel_id: str) -> str:
    return PREFIX + kernel_id


def secret_for(kernel_id: str) -> str:
    return hmac.new(KEY, kernel_id.encode(), hashlib.sha256).hexdigest()


def page_kernel(html: str) -> str | None:
    """The kernel id a rendered page's config names, if this piece of the page holds it."""
    found = PAGE_KERNEL.search(html)
    return found.group(1) if found else None


def set_for(handler, kernel_id: str) -> None:
    """Give the browser this page's secret (before the first byte of the page is sent)."""
    handler.set_cookie(
        cookie_name(kernel_id),
        secret_for(kernel_id),
        path=handler.base_url,
        httponly=True,
        samesite="Strict",
        secure=handler.request.protocol == "https",
        max_age=MAX_AGE,
    )


def holds(handler, kernel_id: str) -> bool:
    """Does this request carry the secret of this kernel's page?"""
    sent = handler.get_cookie(cookie_name(kernel_id)) or ""
    return hmac.compare_digest(sent.encode(), secret_for(kernel_id).encode())


def redact(text: str) -> str:
    """Kernel ids out of a log line: `<kernel>` in their place."""
    return KERNEL_ID.sub("<kernel>", text)
