"""The join address the room sees, and its QR code.

The address is the course server's light join page (course.server.join: plain HTML, no kernel
per phone) with `?code=XXXXXX`, at `JOIN_ROUTE` below the server's base URL. Its host and port
come from the trainer's own page request (Voila gives the kernel SERVER_NAME and SERVER_PORT),
so phones reach the same server the trainer did. Behind a proxy, or when the trainer opened
the page as 127.0.0.1, set `COURSE_PUBLIC_URL` to the address learners use for the course
(for example `https://training.example.org/course/`).

The kernel join page (`join.ipynb`, course.live.join_app) stays for signed-in learners, who
reach it from the course home with their sign-in: the room's address is the light page.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from course import settings

JOIN_ROUTE = "join"  # the light join page, below the course server's base URL (course.server.join)
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0")  # noqa: S104 - names that mean this machine, not a bind


@dataclass(frozen=True)
class JoinAddress:
    page: str  # the join page, without a code
    local_only: bool  # only this computer can open it (the trainer opened the app as localhost)

    def with_code(self, code: str) -> str:
        return f"{self.page}?{urlencode({'code': code})}"


def join_address(env: Mapping[str, str] | None = None) -> JoinAddress:
    """Where the room joins, from the trainer page's request (or COURSE_PUBLIC_URL)."""
    env = os.environ if env is None else env
    base_url = env.get("VOILA_BASE_URL") or "/"
    public = settings.public_url(env)
    if public:
        public = public if public.endswith("/") else public + "/"
        return JoinAddress(public + quote(JOIN_ROUTE), local_only=False)
    host = (env.get("SERVER_NAME") or "127.0.0.1").strip().lower()
    port = (env.get("SERVER_PORT") or "").strip()
    scheme = "https" if (env.get("VOILA_REQUEST_URL") or "").startswith("https:") else "http"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    default_port = {"http": "80", "https": "443"}[scheme]
    netloc = host if not port or port == default_port else f"{host}:{port}"
    base = base_url if base_url.endswith("/") else base_url + "/"
    page = f"{scheme}://{netloc}{base}{quote(JOIN_ROUTE)}"
    local = (urlsplit(page).hostname or "") in {h.strip("[]") for h in LOCAL_HOSTS} or host.startswith("127.")
    return JoinAddress(page, local_only=local)


def qr_svg(text: str) -> bytes:
    """A QR code for `text` as SVG (dark squares on white, with the quiet zone)."""
    import qrcode
    import qrcode.image.svg

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, image_factory=qrcode.image.svg.SvgPathFillImage
    )
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


def qr_data_uri(text: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text)).decode("ascii")
