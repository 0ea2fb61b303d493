"""The join address the room sees, and its QR code.

The address is the Voila address of the join page with `?code=XXXXXX`. Its host and port
come from the trainer's own page request (Voila gives the kernel SERVER_NAME, SERVER_PORT and
SCRIPT_NAME), so phones reach the same server the trainer did. Behind a proxy, or when the
trainer opened the page as 127.0.0.1, set `COURSE_PUBLIC_URL` to the address learners use
for the course (for example `https://training.example.org/course/`).
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from course import settings

JOIN_NOTEBOOK = "join.ipynb"  # beside the trainer page in `course serve`'s app folder
TRAINER_NOTEBOOK = "trainer.ipynb"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0")  # noqa: S104 - names that mean this machine, not a bind


@dataclass(frozen=True)
class JoinAddress:
    page: str  # the join page, without a code
    local_only: bool  # only this computer can open it (the trainer opened the app as localhost)

    def with_code(self, code: str) -> str:
        return f"{self.page}?{urlencode({'code': code})}"


def join_page_path(script_name: str, base_url: str = "/") -> str:
    """The join page's path (below Voila's base URL), next to the trainer page it is asked from.

    `voila/render/trainer.ipynb` -> `voila/render/join.ipynb` (`course serve`'s app folder), and
    `voila/render/trainer/trainer.ipynb` -> `voila/render/join/join.ipynb` (a folder per page).
    """
    base = base_url if base_url.endswith("/") else base_url + "/"
    path = script_name[len(base) :] if script_name.startswith(base) else script_name.lstrip("/")
    head, _, _name = path.rpartition("/")
    if head == "voila/render/trainer" or head.endswith("/trainer") or head == "trainer":
        return head[: -len("trainer")] + "join/" + JOIN_NOTEBOOK
    if not head:
        return "voila/render/" + JOIN_NOTEBOOK
    return f"{head}/join.ipynb"


def join_address(env: Mapping[str, str] | None = None) -> JoinAddress:
    """Where the room joins, from the trainer page's request (or COURSE_PUBLIC_URL)."""
    env = os.environ if env is None else env
    base_url = env.get("VOILA_BASE_URL") or "/"
    path = join_page_path(env.get("SCRIPT_NAME") or "/voila/render/" + TRAINER_NOTEBOOK, base_url)
    public = settings.public_url(env)
    if public:
        public = public if public.endswith("/") else public + "/"
        return JoinAddress(public + quote(path), local_only=False)
    host = (env.get("SERVER_NAME") or "127.0.0.1").strip().lower()
    port = (env.get("SERVER_PORT") or "").strip()
    scheme = "https" if (env.get("VOILA_REQUEST_URL") or "").startswith("https:") else "http"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    default_port = {"http": "80", "https": "443"}[scheme]
    netloc = host if not port or port == default_port else f"{host}:{port}"
    base = base_url if base_url.endswith("/") else base_url + "/"
    page = f"{scheme}://{netloc}{base}{quote(path)}"
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
