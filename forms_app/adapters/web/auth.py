"""Sign-in, sign-out, password change, and the decorators that enforce what each role may do on every route."""

from __future__ import annotations

import functools
import os
from urllib.parse import urlparse

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from forms_app.adapters.web.context import SESSION_COOKIE, accounts_db, may_read
from forms_app.adapters.web.i18n import VietnameseMeta, current_language
from forms_app.rules import accounts
from forms_app.rules.account_errors import AccountError

bp = Blueprint("auth", __name__)
# How many reverse proxies stand in front of the app (0 unless set): only their X-Forwarded-For entries are believed
# for sign-in throttling; the app config's TRUSTED_PROXIES wins over the environment.
TRUSTED_PROXIES_ENV = "FORMS_APP_TRUSTED_PROXIES"


def account_message(error: AccountError) -> str:
    """The sentence for a refused account operation, in the page's language."""
    return error.message(current_language())


def _to_sign_in():
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def login_required(view):
    """Only signed-in users (anyone else is sent to sign in)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return _to_sign_in()
        return view(*args, **kwargs)

    return wrapped


# What a role may do is one of the User's capabilities, its properties (rules.accounts.User): is_unit (its own unit's
# forms), is_reviewer (reads units), reads_every_unit, decides, inspects, proposes, browses_data, is_admin.
CAPABILITIES = tuple(name for name, value in vars(accounts.User).items() if isinstance(value, property))


def capability_required(*capabilities: str):
    """Only signed-in users with one of these capabilities; others get 403 (anonymous users are sent to sign in).

    A route naming a unit (`<unit_code>`) is moreover refused (403) to whoever may not read that unit
    (`context.may_read`): a cluster lead outside their clusters, another unit's account.
    """
    unknown = [name for name in capabilities if name not in CAPABILITIES]
    if unknown or not capabilities:
        raise ValueError(f"no such capability: {unknown}")

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None:
                return _to_sign_in()
            if not any(getattr(g.user, name) for name in capabilities):
                abort(403)
            if "unit_code" in kwargs and not may_read(kwargs["unit_code"]):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


class LoginForm(FlaskForm):
    class Meta(VietnameseMeta):
        pass

    username = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=256)])


class PasswordForm(FlaskForm):
    class Meta(VietnameseMeta):
        pass

    current = PasswordField(validators=[DataRequired(), Length(max=256)])
    new = PasswordField(validators=[DataRequired(), Length(max=256)])
    repeat = PasswordField(validators=[DataRequired(), Length(max=256)])


def client_address() -> str:
    """The address sign-in is throttled by: the peer's, or behind N trusted proxies the Nth X-Forwarded-For from the right.

    X-Forwarded-For is not believed by default: any client can send one, and a made-up address per request would
    escape the per-client limits.
    """
    proxies = _trusted_proxies()
    if proxies:
        forwarded = [part.strip() for header in request.headers.getlist("X-Forwarded-For") for part in header.split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.remote_addr or ""


def _trusted_proxies() -> int:
    value = current_app.config.get("TRUSTED_PROXIES", os.environ.get(TRUSTED_PROXIES_ENV, "0"))
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return url_for("main.dashboard")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.dashboard")
    return target


def _signed_in(username: str, target: str):
    """A redirect carrying a new server-side session's cookie (HttpOnly, SameSite=Lax)."""
    token = accounts.start_session(accounts_db(), username)
    response = redirect(target)
    # The cookie outlives the session by STASH_DAYS: a post sent after the session ended still names its account.
    response.set_cookie(SESSION_COOKIE, token, max_age=(accounts.SESSION_DAYS + accounts.STASH_DAYS) * 86400,
                        httponly=True, samesite="Lax", secure=request.is_secure)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page; a signed-in user goes straight on."""
    form = LoginForm()
    error = None
    if g.user is not None and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(accounts_db(), form.username.data, form.password.data, client=client_address())
        except AccountError as exc:
            error = account_message(exc)
        else:
            return _signed_in(user.username, _safe_next(request.args.get("next")))
    elif request.method == "POST":
        error = _("Hãy nhập tên đăng nhập và mật khẩu.")
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: the session ends on the server too."""
    accounts.end_session(accounts_db(), request.cookies.get(SESSION_COOKIE))
    response = redirect(url_for("auth.login"))
    response.delete_cookie(SESSION_COOKIE)
    response.headers["Clear-Site-Data"] = '"storage"'  # the copies of forms kept in this browser (form.js) go too
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """A signed-in user changes their own password."""
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        if form.new.data != form.repeat.data:
            error = _("Hai lần nhập mật khẩu mới không khớp.")
        else:
            try:
                accounts.change_password(accounts_db(), g.user.username, form.current.data, form.new.data)
            except AccountError as exc:
                error = account_message(exc)
            else:
                flash(_("Đã đổi mật khẩu."), "ok")
                return _signed_in(g.user.username, url_for("main.dashboard"))
    elif request.method == "POST":
        error = _("Hãy điền đủ ba ô.")
    return render_template("auth/password.html", form=form, error=error), (400 if error else 200)
