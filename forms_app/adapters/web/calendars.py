"""A unit's private calendar feed (issue 16): the feed itself, at an address with the unit's token (anonymous, since a
phone's calendar signs in to nothing; an unknown or revoked token is a 404), and the unit's buttons to create, renew
or revoke it (rules/calendars.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _

from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db, now
from forms_app.rules import calendars

bp = Blueprint("calendars", __name__)

CACHE = "private, max-age=900"  # a phone refreshes a subscription every few hours: a quarter-hour on its own side


@bp.route("/calendar/<token>.ics")
def feed(token: str):
    """The unit's forms' opening days and deadlines as iCalendar (read-only)."""
    db = forms_db()
    unit_code = calendars.unit_of(db, token)
    if unit_code is None:
        abort(404)
    body = calendars.feed(db, unit_code, _form_url, now())
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = CACHE
    response.headers["Content-Disposition"] = 'inline; filename="han-nop.ics"'
    return response


def _form_url(form_id: str, year: int) -> str:
    return url_for("fill.fill", form_id=form_id, year=year, _external=True)


@bp.route("/calendar/new", methods=["POST"])
@capability_required("is_unit")
def create():
    """A new feed address for the signed-in unit (its old address stops working), shown once."""
    token = calendars.create(forms_db(), g.user.unit_code, now())
    return render_template("calendars/created.html", url=url_for("calendars.feed", token=token, _external=True))


@bp.route("/calendar/revoke", methods=["POST"])
@capability_required("is_unit")
def revoke():
    """The signed-in unit's feed address stops working."""
    if calendars.revoke(forms_db(), g.user.unit_code, now()):
        flash(_("Đã thu hồi địa chỉ lịch; lịch đã đăng ký trên điện thoại sẽ không cập nhật nữa."), "ok")
    return redirect(url_for("main.dashboard"), 303)
