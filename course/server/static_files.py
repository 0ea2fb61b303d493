"""Voila's static files (the page's JavaScript and CSS), compressed once and cached by browsers.

Plain Voila sends a page's ~90 files (4.9 MB of JS and CSS) uncompressed, most with no
Cache-Control or with `no-cache`, so every visit fetches and parses them again. Here:

- each file is gzipped once per server process (level 9, kept in memory: about 1.4 MB for
  everything a page loads) and sent with `Content-Encoding: gzip` to browsers that accept it;
  compressing on every request (tornado's `compress_response` alone) would spend the server
  process's CPU, which is the course's ceiling under load, on the same bytes again and again;
- files whose name carries a content hash (the widget manager's `170.3ff9ceddc3770116.js`,
  `remoteEntry.<hash>.js`) or that are asked for with `?v=<hash>` (the template's files) are
  `immutable` for a year: a new version has a new address;
- Voila's own chunks (`/voila/static/5764.voila.js`) have no hash in their name but belong to the
  pinned Voila version: a day, with an ETag so a revalidation is a 304.

`compressed_handler(cls)` makes the compressing subclass of any tornado StaticFileHandler
class; course.server.voila swaps it in for Voila's static routes.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass

import tornado.web
from jupyter_server.auth.decorator import allow_unauthenticated

COMPRESSIBLE = (".js", ".css", ".json", ".svg", ".html", ".map", ".txt", ".mjs")
MIN_SIZE = 1024  # smaller files gain nothing worth a header
HASHED_NAME = re.compile(r"[.-][0-9a-f]{8,}\.(?:js|css|mjs|map)$")
IMMUTABLE = "public, max-age=31536000, immutable"
ONE_DAY = "public, max-age=86400"


@dataclass(frozen=True)
class Compressed:
    body: bytes
    etag: str
    content_type: str


@functools.lru_cache(maxsize=1024)
def _compress(path: str, mtime_ns: int, size: int) -> Compressed:
    # keyed by modification time and size too: a file changed on disk is compressed again
    with open(path, "rb") as source:
        data = source.read()
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
        content_type += "; charset=UTF-8"
    # mtime=0: the same file always compresses to the same bytes (a stable ETag across restarts)
    return Compressed(
        gzip.compress(data, compresslevel=9, mtime=0), f'"{hashlib.sha256(data).hexdigest()[:32]}"', content_type
    )


def compressed(path: str) -> Compressed | None:
    """The gzipped file, or None when it is not worth compressing."""
    if not path.endswith(COMPRESSIBLE):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if stat.st_size < MIN_SIZE:
        return None
    return _compress(path, stat.st_mtime_ns, stat.st_size)


def cache_control(url_path: str, versioned: bool) -> str:
    name = url_path.rsplit("/", 1)[-1]
    if versioned or HASHED_NAME.search(name):
        return IMMUTABLE
    return ONE_DAY


class CompressedStatic(tornado.web.StaticFileHandler):
    """Put first among a handler's bases (see compressed_handler): its set_headers runs after
    Jupyter's FileFindHandler's, which would set no-cache, and its get after a subclass's own checks
    only when that subclass lists it as a base itself (course.server.voila.TemplateStatic)."""

    def set_headers(self) -> None:
        super().set_headers()  # Jupyter's FileFindHandler sets no-cache here: replaced below
        self.set_header("Cache-Control", cache_control(self.request.path, "v" in self.request.arguments))
        self.set_header("Vary", "Accept-Encoding")

    def _accepts_gzip(self) -> bool:
        accepted = self.request.headers.get("Accept-Encoding", "")
        return "gzip" in accepted and "Range" not in self.request.headers

    @allow_unauthenticated  # as Jupyter's own static handler: the page's scripts load before any sign-in
    async def get(self, path: str, include_body: bool = True) -> None:
        if not self._accepts_gzip():
            return await super().get(path, include_body)
        # the same path checks as StaticFileHandler.get (no `..`, inside a root, 404 when missing)
        self.path = self.parse_url_path(path)
        absolute = self.get_absolute_path(self.root, self.path)
        self.absolute_path = self.validate_absolute_path(self.root, absolute)
        if self.absolute_path is None:
            return None
        packed = compressed(self.absolute_path)
        if packed is None:
            return await super().get(path, include_body)
        self.modified = self.get_modified_time()
        self.set_headers()
        self.set_header("Content-Type", packed.content_type)
        self.set_header("Content-Encoding", "gzip")
        self.set_header("Etag", packed.etag)
        if self.check_etag_header():
            self.set_status(304)
            return None
        self.set_header("Content-Length", str(len(packed.body)))
        if include_body:
            self.write(packed.body)
        return None


def compressed_handler(cls: type) -> type:
    """The subclass of a StaticFileHandler class that compresses and sets the cache rules."""
    if not (isinstance(cls, type) and issubclass(cls, tornado.web.StaticFileHandler)):
        return cls
    if issubclass(cls, CompressedStatic):
        return cls
    return type(f"Compressed{cls.__name__}", (CompressedStatic, cls), {"__doc__": cls.__doc__})
