"""The dashboard (what is due, for a unit; every unit at a glance, for reviewers) and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template

from forms_app.adapters.web import board
from forms_app.adapters.web.auth import login_required
from forms_app.adapters.web.context import accounts_db, forms_db
from forms_app.adapters.web.i18n import current_language
from forms_app.data import clock, connection
from forms_app.rules import calendars, registry, unit_form, units

bp = Blueprint("main", __name__)


@bp.route("/healthz")
def healthz():
    """200 when both databases answer and the data directory can be written, 503 otherwise; no data."""
    try:
        connection.ping(forms_db())
        connection.ping(accounts_db())
    except connection.DatabaseError:
        return {"status": "unavailable"}, 503
    if not connection.writable(g.data_dir):
        return {"status": "read-only"}, 503
    return {"status": "ok"}


@bp.route("/")
@login_required
def dashboard():
    """A unit's forms by cycle year with their state; for reviewers, the status board of every unit they read."""
    if g.user.is_unit:
        return _unit_dashboard()
    return _reviewer_dashboard()


def unit_rows(db, unit_code: str, lang: str) -> list[dict]:
    """For each form and cycle year: its state for this unit, the submission, and what can be done."""
    rows = []
    certifying = {form.id for form in registry.certificate_forms(db)}
    for form in unit_form.of_unit(db, unit_code, clock.today(current_app.config.get("NOW"))):
        state = "waiting" if form.state == "open" and form.missing else form.state
        rows.append({
            "form_id": form.definition.id, "title": form.definition.title.get(lang), "year": form.year,
            "window": form.window, "state": state, "days_left": form.window.days_left(form.today),
            "submission": form.submission, "waiting_for": form.waiting_for(lang),
            "decision": form.decision if form.window.decision else None,
            "certificate": form.definition.id in certifying,
        })
    return rows


def _unit_dashboard():
    db = forms_db()
    lang = current_language()
    unit = units.find_unit(db, g.user.unit_code)
    rows = unit_rows(db, g.user.unit_code, lang)
    return render_template("main/unit_dashboard.html", unit=unit, rows=rows,
                           calendar_since=calendars.created_at(db, g.user.unit_code))


def _reviewer_dashboard():
    return board.status_board()  # the office's status board (adapters/web/board.py)
