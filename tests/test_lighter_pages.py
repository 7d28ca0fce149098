"""Issue 16, lighter pages: HTML, CSS and JavaScript compressed when the browser asks (gzip or brotli) and only then,
with `Vary: Accept-Encoding` and the security headers kept; static files addressed by their content hash and cached
for a year; downloads (PDF, XLSX) and reviewers' Datasette (CSV streams) left as they were; the form page under
20 KB over the wire."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest
from support.data import OPEN_DAY, SELF, build_data_dir, register
from support.web import SELF_URL, ProductClient, complete_self_assessment, downloaded, post_answers, start_session

from forms_app.adapters.web.app import SECURITY_HEADERS, create_app
from forms_app.adapters.web.static_files import IMMUTABLE
from forms_app.adapters.wsgi import create_wsgi

FORM_PAGE_LIMIT = 20 * 1024
ASKS = {"Accept-Encoding": "gzip, deflate, br"}


def _decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    return {"gzip": gzip.decompress, "br": brotli.decompress, None: bytes}[encoding](response.data)


def _without_tokens(page: bytes) -> bytes:
    """The page without its CSRF and request tokens (new ones in every response)."""
    return re.sub(rb'name="(csrf_token|request_token)"( type="hidden")? value="[^"]*"', b"", page)


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_a_page_is_compressed_when_asked_and_only_then(toan):
    plain = toan.get(SELF_URL)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    for accept, expected in (("gzip", "gzip"), ("gzip, deflate, br", "br"), ("br;q=1.0, gzip;q=0.5", "br")):
        response = toan.get(SELF_URL, headers={"Accept-Encoding": accept})
        assert response.headers["Content-Encoding"] == expected, accept
        assert int(response.headers["Content-Length"]) == len(response.data) < len(plain.data) / 4
        assert _without_tokens(_decoded(response)) == _without_tokens(plain.data)
    for response in (plain, toan.get(SELF_URL, headers=ASKS)):
        assert "accept-encoding" in response.headers["Vary"].lower()
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
        assert response.headers["Cache-Control"] == "no-store"  # a signed-in page, compressed or not


def test_a_small_page_is_not_compressed(client):
    response = client.get("/healthz", headers=ASKS)
    assert len(_decoded(response)) < 500 and "Content-Encoding" not in response.headers


def test_the_form_page_is_under_20_kb_over_the_wire(toan):
    for accept in ("gzip", "gzip, deflate, br"):
        response = toan.get(SELF_URL, headers={"Accept-Encoding": accept})
        assert response.status_code == 200 and len(response.data) < FORM_PAGE_LIMIT, (accept, len(response.data))


def test_a_static_file_carries_its_hash_and_is_cached_for_a_year(toan):
    import hashlib
    from pathlib import Path

    html = toan.get(SELF_URL).get_data(as_text=True)
    urls = _static_urls(html)
    assert {url.split("?")[0] for url in urls} == {"/static/app.css", "/static/form.js"}
    assert re.search(r'<script src="/static/form\.js\?v=[0-9a-f]{12}" defer>', html)
    static = Path(__file__).resolve().parent.parent / "forms_app" / "static"
    for url in urls:
        name, digest = re.fullmatch(r"/static/([\w.]+)\?v=([0-9a-f]{12})", url).groups()
        assert digest == hashlib.sha256((static / name).read_bytes()).hexdigest()[:12]
        response = toan.get(url, headers=ASKS)
        assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE
        assert response.headers["Content-Encoding"] == "br" and _decoded(response) == (static / name).read_bytes()
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        again = toan.get(url, headers={**ASKS, "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.headers["Cache-Control"] == IMMUTABLE


def test_a_stale_or_missing_hash_is_not_cached_for_a_year(client):
    for url in ("/static/app.css?v=000000000000", "/static/app.css", "/static/app.css?v="):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "immutable" not in response.headers.get("Cache-Control", "") and "31536000" not in response.headers.get(
            "Cache-Control", ""), url
    assert client.get("/static/nothing-here.css?v=000000000000").status_code == 404


def test_downloads_are_not_compressed_again(app, toan, signed_in):
    assert post_answers(toan, complete_self_assessment(), "submit").status_code == 303
    office = signed_in("vanphong")
    for client, url, mimetype in ((office, "/exports/2022.xlsx", "spreadsheetml"),
                                  (toan, f"/forms/{SELF}/2022/report.pdf", "application/pdf")):
        downloaded(client, url)  # an export is built by a job first (its waiting page is compressed like any page)
        response = client.get(url, headers=ASKS)
        assert response.status_code == 200 and mimetype in response.headers["Content-Type"], url
        assert "Content-Encoding" not in response.headers, url


@pytest.fixture
def product(tmp_path):
    product = create_wsgi(build_data_dir(tmp_path / "data"), {"TESTING": True, "NOW": OPEN_DAY})
    register(product.flask_app, "TOAN")
    return product


def test_reviewers_data_streams_as_before_and_pages_are_compressed_through_the_product(product):
    reviewer = ProductClient(product)
    start_session(product.flask_app, reviewer, "vanphong")
    page = reviewer.get("/", headers=ASKS)
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "br"
    stream = reviewer.get("/data/forms/units.csv?_stream=on", headers=ASKS)
    assert stream.status_code == 200 and "Content-Encoding" not in stream.headers
    assert b"TOAN" in stream.data and "Content-Length" not in stream.headers  # still streamed, in chunks
    assert stream.headers["X-Content-Type-Options"] == "nosniff"


def test_compression_can_be_turned_off(tmp_path):
    app = create_app({"DATA_DIR": build_data_dir(tmp_path / "data"), "TESTING": True, "NOW": OPEN_DAY,
                      "COMPRESS_REGISTER": False})
    response = app.test_client().get("/login", headers=ASKS)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


def test_a_static_files_hash_looks_at_the_file_once_a_second_and_follows_a_change(tmp_path, monkeypatch):
    """`static_url` on every page stat'ed each file each time: a system call that gives the interpreter up, waiting to
    take it back under load. The file is looked at once a second, and a change is still seen; a missing file is not
    remembered (a request for /static/<any name>?v=… would grow the memory without end)."""
    from flask import Flask

    from forms_app.adapters.web import static_files

    (tmp_path / "a.css").write_text("a{}")
    app = Flask(__name__, static_folder=str(tmp_path))
    clock, stats, real_stat = [1000.0], [], static_files.Path.stat
    monkeypatch.setattr(static_files, "monotonic", lambda: clock[0])
    monkeypatch.setattr(static_files.Path, "stat", lambda self, **kw: stats.append(self.name) or real_stat(self, **kw))
    with app.test_request_context():
        first = static_files.file_hash("a.css")  # the name resolved (once), the file looked at
        stats.clear()
        assert [static_files.file_hash("a.css") for _ in range(50)] == [first] * 50 and stats == []
        (tmp_path / "a.css").write_text("b {}")
        clock[0] += 0.5
        assert static_files.file_hash("a.css") == first and stats == []
        clock[0] += 1.0
        assert static_files.file_hash("a.css") not in (first, None) and stats == ["a.css"]
        assert static_files.file_hash("nothing-here.css") is None
    assert "nothing-here.css" not in {name for _folder, name in static_files._seen}  # a name any request may send
