"""What a unit typed when its session had ended (or its form's security token was stale): kept, then restored.

Kept only for a browser whose session cookie names a real unit account's session, live or recently ended
(`rules.kept_posts.stash_post`); any other POST is refused with a sentence and writes nothing.
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms_app.adapters.web.context import SESSION_COOKIE, accounts_db, forms_db
from forms_app.adapters.web.i18n import current_language
from forms_app.rules import accounts, kept_posts

STASH_COOKIE = "forms_pending"


def same_origin() -> bool:
    """False when the browser says the POST came from another site (it is refused, never kept)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return not origin or urlparse(origin).netloc == request.host


def stash_and_sign_in():
    """A POST whose session has ended: keep what was typed (not files) and ask to sign in again."""
    try:
        token = _keep()
    except kept_posts.StashRefused as exc:
        return _refused(exc)
    flash(_("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại: những gì bạn vừa nhập sẽ được khôi phục."), "warn")
    return _with_cookie(redirect(url_for("auth.login", next=request.path), 303), token)


def stash_after_csrf_failure():
    """Same as an expired session, for a form page whose CSRF token no longer matches."""
    if g.user is None:
        return stash_and_sign_in()
    try:
        token = _keep()
    except kept_posts.StashRefused as exc:
        return _refused(exc)
    return _with_cookie(redirect(request.path, 303), token)


def take_stash() -> list[tuple[str, str]] | None:
    """The fields kept for this page under this browser's cookie for the signed-in account, removed once taken."""
    return kept_posts.take_stash(accounts_db(), request.cookies.get(STASH_COOKIE), request.path, g.user.username)


def _keep() -> str:
    """Keep the posted fields server-side for the session's account (StashRefused: nothing kept); the cookie's token."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "action")][:2000]
    page = request.view_args or {}
    return kept_posts.stash_post(accounts_db(), forms_db(), session_token=request.cookies.get(SESSION_COOKIE),
                                 form_id=str(page.get("form_id", "")), cycle_year=page.get("year"),
                                 path=request.path, fields=fields)


def _with_cookie(response, token: str):
    """The redirect, carrying the cookie that finds the kept fields again after it."""
    response.set_cookie(STASH_COOKIE, token, max_age=accounts.STASH_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


def _refused(error: kept_posts.StashRefused):
    return render_template("errors/error.html", code=400, message=error.message(current_language())), 400
