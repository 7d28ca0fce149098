"""One address for everything: the Flask app, and Datasette under /data/ for the roles that browse every unit's data
(the office, the inspection committee, admins: `User.browses_data`).

Datasette is an ASGI app; a2wsgi runs it inside this WSGI process, so `forms-app serve` is one
production WSGI server (gunicorn) serving both, and one sign-in (the web app's session) opens both.
"""

from __future__ import annotations

import threading
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

from a2wsgi import ASGIMiddleware

from forms_app.adapters.reviewers import BASE_URL, make_datasette, responses
from forms_app.adapters.web.app import create_app
from forms_app.adapters.web.context import SESSION_COOKIE
from forms_app.data import connection as database
from forms_app.rules import accounts

FORBIDDEN_PAGE = (
    "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>403</title>"
    "<body style=\"font-family:system-ui,sans-serif;max-width:40em;margin:3em auto\">"
    "<h1>Không được phép</h1><p>Chỉ Văn phòng, Ủy ban Kiểm tra và Quản trị được xem dữ liệu tổng hợp của mọi đơn vị "
    "(người Phụ trách cụm xem các đơn vị của cụm mình trên các trang quản lý).</p>"
    "<p><a href=\"/\">Về trang chính</a></p></body></html>"
).encode("utf-8")


# Of a worker's threads (4 by default), at most this many serve reviewers' Datasette at once, so units' pages always
# have threads left however many reviewers' queries run; a reviewer waits at most REVIEWER_WAIT_S for one, else 503.
REVIEWER_SLOTS = 2
REVIEWER_WAIT_S = 15
BUSY_PAGE = (
    "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>503</title>"
    "<body style=\"font-family:system-ui,sans-serif;max-width:40em;margin:3em auto\">"
    "<h1>Hệ thống đang bận</h1><p>Đang có nhiều truy vấn dữ liệu tổng hợp; hãy thử lại sau ít giây.</p>"
    "<p><a href=\"/\">Về trang chính</a></p></body></html>"
).encode("utf-8")


class _Released:
    """A WSGI response that gives its reviewer slot back once it has been sent (or abandoned)."""

    def __init__(self, result, release):
        self._result, self._release = result, release

    def __iter__(self):
        return iter(self._result)

    def close(self):
        try:
            if hasattr(self._result, "close"):
                self._result.close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


def create_wsgi(data_dir: Path, test_config: dict | None = None):
    """The whole product as one WSGI callable on a data directory."""
    flask_app = create_app({**(test_config or {}), "DATA_DIR": data_dir})
    data_dir = flask_app.config["DATA_DIR"]
    datasette = make_datasette(data_dir, secret=flask_app.config["SECRET_KEY"])
    prefix = BASE_URL.rstrip("/")
    datasette_wsgi = responses.filtered(_below(prefix, ASGIMiddleware(datasette.app())))
    slots = threading.BoundedSemaphore(flask_app.config.get("REVIEWER_SLOTS", REVIEWER_SLOTS))
    wait = flask_app.config.get("REVIEWER_WAIT_S", REVIEWER_WAIT_S)

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path != prefix and not path.startswith(BASE_URL):
            return flask_app(environ, start_response)
        user = _user(environ, data_dir)
        if user is None:
            target = "/login?next=" + quote(path + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""))
            start_response("302 Found", responses.secured([("Location", target), ("Content-Length", "0")]))
            return [b""]
        if not user.browses_data:  # units, cluster leads: every unit's data is not theirs to read
            start_response("403 Forbidden", responses.secured([("Content-Type", "text/html; charset=utf-8"),
                                                               ("Content-Length", str(len(FORBIDDEN_PAGE)))]))
            return [FORBIDDEN_PAGE]
        if path == prefix:
            environ = {**environ, "PATH_INFO": BASE_URL}
        if not slots.acquire(timeout=wait):
            start_response("503 Service Unavailable", responses.secured([
                ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BUSY_PAGE))), ("Retry-After", "5")]))
            return [BUSY_PAGE]
        try:
            return _Released(datasette_wsgi(environ, start_response), slots.release)
        except BaseException:
            slots.release()
            raise

    application.flask_app = flask_app
    application.datasette = datasette
    application.reviewer_slots = slots
    # One idle connection to each database for the worker's life: SQLite then keeps the -wal and -shm files
    # (it deletes them when the last connection closes). On a full disk, creating them again fails with
    # "disk I/O error" before any page runs; kept, units can still sign in and read, and a save that cannot
    # be written gets the form back to press save again.
    application.keep_open = (database.open_forms(data_dir), database.open_accounts(data_dir))
    return application


def _below(prefix: str, app):
    """Datasette given the path below its prefix (`/data/forms` → `/forms`), as a proxy that strips the prefix does:
    given the whole path, Datasette 0.65 writes base_url twice into its export, sort and format links
    (`/data/data/forms/…`: simonw/datasette#1590, #2759); it adds base_url to every link it writes itself."""

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(prefix + "/"):
            environ = {**environ, "PATH_INFO": path[len(prefix):]}
        return app(environ, start_response)

    return application


def _user(environ, data_dir: Path):
    """The signed-in user, or None."""
    cookie = SimpleCookie()
    try:
        cookie.load(environ.get("HTTP_COOKIE", ""))
    except Exception:  # a malformed Cookie header is simply no session
        return None
    morsel = cookie.get(SESSION_COOKIE)
    if morsel is None:
        return None
    conn = database.open_accounts(data_dir)
    try:
        return accounts.session_user(conn, morsel.value)
    finally:
        conn.close()
