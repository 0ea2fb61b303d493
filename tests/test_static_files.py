"""The page's static files: compressed, cacheable, and still only what Voila serves.

| test | proves |
| --- | --- |
| cache rules | hashed names and `?v=` addresses are immutable for a year; Voila's unhashed chunks a day |
| small or binary files | are not compressed (nothing gained) |
| served gzipped | a real `course serve`: the bytes decompress to the file on disk, with Vary and an ETag |
| revalidation | If-None-Match with that ETag is a 304 with no body |
| no gzip asked | a client that does not accept gzip gets the plain file |
| paths still checked | `..` and unknown files are still 404 through the compressing handlers |

Without course.server.static_files swapped in, every served-gzipped, cache and 304 assertion fails
(plain Voila sends `no-cache` or nothing and no Content-Encoding).
"""

from __future__ import annotations

import gzip
import http.client
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from course.server.static_files import IMMUTABLE, ONE_DAY, cache_control, compressed

from .support.servers import course_server

# where Voila installs its page scripts (served at /voila/static/)
VOILA_STATIC = Path(sys.prefix) / "share" / "jupyter" / "voila" / "templates" / "base" / "static"


def test_cache_rules():
    assert (
        cache_control("/voila/labextensions/@jupyter-widgets/jupyterlab-manager/static/170.3ff9ceddc3770116.js", False)
        == IMMUTABLE
    )
    assert cache_control("/voila/labextensions/x/static/remoteEntry.c8c9eed2cdefde44.js", False) == IMMUTABLE
    assert cache_control("/voila/templates/course/static/theme.css", True) == IMMUTABLE
    assert cache_control("/voila/static/5764.voila.js", False) == ONE_DAY
    assert cache_control("/voila/templates/course/static/theme.css", False) == ONE_DAY


def test_small_or_binary_files_are_not_compressed(tmp_path):
    small = tmp_path / "a.js"
    small.write_text("let a = 1;")
    image = tmp_path / "b.png"
    image.write_bytes(os.urandom(4096))
    big = tmp_path / "c.js"
    big.write_text("console.log('hello');\n" * 500)
    assert compressed(str(small)) is None
    assert compressed(str(image)) is None
    packed = compressed(str(big))
    assert packed is not None and gzip.decompress(packed.body) == big.read_bytes()
    assert packed.content_type.startswith(("application/javascript", "text/javascript"))


def _get(base: str, path: str, headers: dict[str, str]):
    url = urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("static")
    with course_server(
        {"COURSE_DATA_DIR": str(folder / "var")}, folder / "serve.log", ready="/voila/static/voila.js"
    ) as base:
        yield base


@pytest.mark.slow
def test_voila_scripts_are_served_gzipped_with_a_validator(server):
    name = "voila.js"
    status, headers, body = _get(server, f"/voila/static/{name}", {"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    assert headers["Cache-Control"] == ONE_DAY
    assert gzip.decompress(body) == (VOILA_STATIC / name).read_bytes()
    assert len(body) < (VOILA_STATIC / name).stat().st_size / 2
    etag = headers["Etag"]

    status, headers, body = _get(server, f"/voila/static/{name}", {"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert status == 304 and body == b""


@pytest.mark.slow
def test_the_widget_code_is_immutable_and_the_template_files_too(server):
    status, _headers, page_css = _get(
        server, "/voila/templates/course/static/theme.css?v=1", {"Accept-Encoding": "gzip"}
    )
    assert status == 200
    status, headers, _ = _get(server, "/voila/templates/course/static/theme.css?v=1", {"Accept-Encoding": "gzip"})
    assert headers["Cache-Control"] == IMMUTABLE and headers["Content-Encoding"] == "gzip"
    assert b"cm-" in gzip.decompress(page_css)


@pytest.mark.slow
def test_a_client_without_gzip_gets_the_plain_file(server):
    status, headers, body = _get(server, "/voila/static/voila.js", {})
    assert status == 200
    assert "Content-Encoding" not in headers
    assert body == (VOILA_STATIC / "voila.js").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        "/voila/templates/course/static/../../../../../etc/passwd",
        "/voila/templates/course/static/%2e%2e/%2e%2e/conf.json",
        "/voila/static/../../../../etc/passwd",
        "/voila/static/no-such-file.js",
    ],
)
def test_paths_are_still_checked(server, path):
    status, _headers, body = _get(server, path, {"Accept-Encoding": "gzip"})
    assert status in (403, 404)
    assert b"root:" not in body
