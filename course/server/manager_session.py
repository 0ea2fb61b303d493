"""The manager dashboard opened from an LMS: an Administrator's LTI launch on `course serve`.

The launch (course.server.lti) is checked on the server; for the manager role it makes a
dashboard session (course.records.signin_tokens, purpose "dashboard": it signs nobody in to the
learner pages, and a learner's session opens no dashboard), sets its token in an HttpOnly
cookie scoped to `/dashboard/`, and sends the browser there.

SameSite=Lax, not Strict: the launch is the LMS's cross-site form post, and the browser's next
request (the 303 to `/dashboard/`) is still part of that cross-site navigation, which carries Lax
cookies on a GET but not Strict ones. The dashboard page itself sets its SameSite=Strict page
secret (course.server.page_secret) as every page does, so its kernel's websocket stays same-site.

On each `/dashboard/` page request the server looks the cookie up (`request_manager`) and writes
who it names into the MANAGER_HEADER (over whatever a browser sent), which Voila hands to the
page's kernel; course.manager.auth.lms_manager reads it there. The password stays the way in
for everyone else.
"""

from __future__ import annotations

from datetime import timedelta

from course import settings
from course.records import signin_tokens

COOKIE = "course-manager"
LIFETIME = timedelta(hours=8)  # a working day at a desk; a new launch from the LMS makes a new one
DASHBOARD_PATH = "dashboard/"


def grant(handler, store, learner_id: str) -> str:
    """A dashboard session for this manager, its cookie set on `handler`'s response; returns the
    dashboard's address to send the browser to."""
    token = signin_tokens.issue(store, learner_id, LIFETIME, purpose=signin_tokens.DASHBOARD)
    base = handler.base_url.rstrip("/")
    path = f"{base}/{DASHBOARD_PATH}"
    # the cookie's path without the slash: `/dashboard` and everything under it, not `/dashboards`
    secure = handler.request.protocol == "https" or settings.public_url().startswith("https://")
    handler.set_cookie(
        COOKIE,
        token,
        path=path.rstrip("/"),
        httponly=True,
        samesite="Lax",
        secure=secure,
        max_age=int(LIFETIME.total_seconds()),
    )
    return path


def request_manager(handler, store) -> str:
    """The manager this request's dashboard cookie names, or "" (none, unknown, expired, revoked,
    or not a dashboard session)."""
    token = handler.get_cookie(COOKIE) or ""
    if not token:
        return ""
    return signin_tokens.learner_for(store, token, purpose=signin_tokens.DASHBOARD) or ""
