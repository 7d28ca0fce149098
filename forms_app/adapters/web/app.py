"""The web app: units fill their forms, reviewers read them. `create_app()` builds it (flaskr's pattern)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from flask import Flask, abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature
from werkzeug.routing import IntegerConverter

from forms_app.adapters.web import (
    admin,
    auth,
    board,
    calendars,
    certs,
    downloads,
    errors,
    fill,
    main,
    narrative,
    office,
    papers,
    review,
    unit_papers,
)
from forms_app.adapters.web.context import SESSION_COOKIE, accounts_db, close_databases
from forms_app.adapters.web.i18n import template_helpers
from forms_app.adapters.web.multipart_forms import FormRequest
from forms_app.adapters.web.static_files import init_app as compress_and_hash_static
from forms_app.data import connection as database
from forms_app.data.clock import utcnow
from forms_app.data.directory import data_dir_from_env, ensure_secret_key
from forms_app.rules import accounts

LANGUAGES = ("vi", "en")
csrf = CSRFProtect()


class BoundedInt(IntegerConverter):
    """Every route's `<int:…>`, at most 2**31 - 1: a huge number in an address is a 404, never an overflow (500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app on a data directory (FORMS_APP_DATA_DIR, else ./instance; `DATA_DIR` in test_config)."""
    app = Flask("forms_app")  # templates, static files and translations live in forms_app/
    app.request_class = FormRequest  # form posts read by `multipart` (four times faster), werkzeug's limits kept
    config = test_config or {}
    data_dir = Path(config.get("DATA_DIR") or data_dir_from_env()).resolve()
    database.migrate(data_dir)
    app.config.from_mapping(
        DATA_DIR=data_dir,
        SECRET_KEY=ensure_secret_key(data_dir),
        MAX_CONTENT_LENGTH=40 * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("FORMS_APP_SECURE_COOKIES") == "1",
        SESSION_COOKIE_NAME="forms_csrf",
        PERMANENT_SESSION_LIFETIME=accounts.SESSION_DAYS * 86400,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the signed session cookie
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        NOW=None,  # tests set a fixed datetime
    )
    app.config.update(config)
    app.url_map.converters["int"] = BoundedInt  # before any blueprint binds its rules
    app.session_interface = _SessionInterface()
    app.config["DATA_DIR"] = data_dir

    app.before_request(_load_user)  # before the CSRF check, so its error page knows who is signed in
    app.before_request(_refuse_nameless_parts)  # before the CSRF check too, which assumes every part has a name
    csrf.init_app(app)
    Babel(app, locale_selector=select_locale)

    app.teardown_appcontext(close_databases)
    app.after_request(_security_headers)
    compress_and_hash_static(app)  # compression (its hook runs before the headers') and hashed static addresses

    for module in (auth, main, board, fill, review, office, admin, certs, downloads, unit_papers, papers, narrative,
                   calendars):
        app.register_blueprint(module.bp)
    errors.init_app(app)

    app.context_processor(template_helpers)
    return app


def select_locale() -> str:
    """?lang= (remembered in a cookie), else the cookie, else Vietnamese."""
    wanted = request.args.get("lang") or request.cookies.get("lang")
    return wanted if wanted in LANGUAGES else "vi"


def _refuse_nameless_parts() -> None:
    """400 for a multipart body with a part that has no name (no browser sends one; Flask-WTF would fail on it)."""
    if request.method == "POST" and request.mimetype == "multipart/form-data":
        if None in request.form or None in request.files:
            abort(400)


def _load_user() -> None:
    if not session.permanent:  # set once: setting it marks the session changed, and a changed session is re-signed
        session.permanent = True  # the CSRF token survives a browser restart, like the sign-in does
    g.data_dir = current_app.config["DATA_DIR"]
    g.user = None
    token = request.cookies.get(SESSION_COOKIE)
    if token and request.endpoint not in ("static", "main.healthz"):
        g.user = accounts.session_user(accounts_db(), token)


def content_security_policy(style_src: str = "'self'", script_src: str = "'self'") -> str:
    """The product's Content-Security-Policy: its own files only, no framing; Datasette's pages widen two sources."""
    return (f"default-src 'self'; img-src 'self' data:; style-src {style_src}; script-src {script_src}; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


SECURITY_HEADERS = {
    "Content-Security-Policy": content_security_policy(),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000"  # sent only over HTTPS (behind a proxy: gunicorn reads X-Forwarded-Proto from it)


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if g.get("user") is not None and request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"  # a signed-in page is nobody else's: no cache keeps it
    if request.cookies.get("lang") != select_locale() and request.args.get("lang") in LANGUAGES:
        response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session (it carries the CSRF token), Secure whenever the request came over HTTPS.

    Written when it changes, and otherwise once a day so that it still lasts PERMANENT_SESSION_LIFETIME from the last
    visit: not re-signed and compressed on every response (Flask's SESSION_REFRESH_EACH_REQUEST), which cost a
    twelfth of a submit.
    """

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        value = request.cookies.get(self.get_cookie_name(app)) if serializer is not None else None
        if not value:
            return super().open_session(app, request)
        try:
            data, signed_at = serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()),
                                               return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        signed_at = getattr(session, "signed_at", None)
        return session.permanent and (signed_at is None or utcnow() - signed_at > SESSION_RENEWED_AFTER)

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


SESSION_RENEWED_AFTER = dt.timedelta(days=1)
