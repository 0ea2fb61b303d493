"""The page is its owner's: a per-page secret that binds a kernel to the browser it was rendered for.

A kernel id alone used to be enough to drive a learner's open page (and a manager's signed-in
dashboard): whoever had it could open `/api/kernels/<id>/channels`. Now, when the server
renders a page, it first sets a cookie for that page, `course-page-<random page id>`, holding
32 random bytes: HttpOnly (no script, so no injected script either, can read it),
SameSite=Strict (no other site's page can make the browser send it), Secure over https, path
the server's base URL, gone after `MAX_AGE` seconds. As soon as the page's kernel is known (its
id is in the rendered page's config) the server binds that kernel to the secret's SHA-256. The
kernel websocket (course.server.kernel_guard) refuses with 403 a connection that carries no
cookie whose secret is the one bound to that kernel.

The cookie goes out with the page's first bytes (a page streams while its kernel starts, and
headers cannot follow the body), which is why it is named for the page and bound to the kernel
on the server, not named for the kernel. The bindings live in this server process's memory
only (a restarted server, whose old kernels are gone anyway, knows none) and are forgotten
with their kernel.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

PREFIX = "course-page-"
MAX_AGE = 12 * 3600  # a working day: the cookie is needed only while its page (re)connects
KERNEL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PAGE_KERNEL = re.compile(r'"kernelId":\s*"(' + KERNEL_ID.pattern + ')"')  # in the page's config
_bound: dict[str, bytes] = {}  # kernel id -> SHA-256 of its page's secret


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def issue(handler) -> str:
    """Give the browser a new page secret (before the page's first byte); returns it."""
    secret = secrets.token_urlsafe(32)
    handler.set_cookie(
        PREFIX + secrets.token_hex(8),
        secret,
        path=handler.base_url,
        httponly=True,
        samesite="Strict",
        secure=handler.request.protocol == "https",
        max_age=MAX_AGE,
    )
    return secret


def bind(kernel_id: str, secret: str) -> None:
    """This kernel is the page's: only the holder of `secret` may open its websocket."""
    _bound.setdefault(kernel_id, _digest(secret))  # the first page a kernel served keeps it


def forget(alive: Iterable[str]) -> None:
    """Drop the bindings of kernels that are gone."""
    alive = set(alive)
    for kernel_id in [k for k in _bound if k not in alive]:
        del _bound[kernel_id]


def page_kernel(html: str) -> str | None:
    """The kernel id a rendered page's config names, if this piece of the page holds it."""
    found = PAGE_KERNEL.search(html)
    return found.group(1) if found else None


def holds(handler, kernel_id: str) -> bool:
    """Does this request carry the secret of this kernel's page?"""
    expected = _bound.get(kernel_id)
    if expected is None:
        return False
    sent = [m.value for name, m in handler.request.cookies.items() if name.startswith(PREFIX)]
    return any(hmac.compare_digest(_digest(value), expected) for value in sent)


def redact(text: str) -> str:
    """Kernel ids out of a log line: `<kernel>` in their place."""
    return KERNEL_ID.sub("<kernel>", text)
