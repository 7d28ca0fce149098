"""What a unit typed when its session had ended (or its form's security token was stale): kept, then restored."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from forms_app.adapters.web.context import accounts_db
from forms_app.rules import accounts

STASH_COOKIE = "forms_pending"


def same_origin() -> bool:
    """False when the browser says the POST came from another site (it is refused, never kept)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return not origin or urlparse(origin).netloc == request.host


def stash_and_sign_in():
    """A POST whose session has ended: keep what was typed (not files) and ask to sign in again."""
    flash(_("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại: những gì bạn vừa nhập sẽ được khôi phục."), "warn")
    return _stash(url_for("auth.login", next=request.path))


def stash_after_csrf_failure():
    """Same as an expired session, for a form page whose CSRF token no longer matches."""
    return stash_and_sign_in() if g.user is None else _stash(request.path)


def take_stash() -> list[tuple[str, str]] | None:
    """The fields kept for this page under this browser's cookie, removed once taken."""
    return accounts.take_stash(accounts_db(), request.cookies.get(STASH_COOKIE), request.path)


def _stash(target: str):
    """Keep the posted fields server-side under a cookie, to restore them into the form after `target`."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "action")][:2000]
    token = accounts.stash_post(accounts_db(), request.path, fields)
    response = redirect(target, 303)
    response.set_cookie(STASH_COOKIE, token, max_age=2 * 86400, httponly=True, samesite="Lax", secure=request.is_secure)
    return response
