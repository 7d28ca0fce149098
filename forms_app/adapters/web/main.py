"""The dashboard (what is due, for a unit; every unit at a glance, for reviewers) and the health check."""

from __future__ import annotations

import sqlite3

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext as _

from forms_app.rules import deciding as decisions, registry
from forms_app.adapters.web.context import forms_db
from forms_app.rules import submitting as store
from forms_app.adapters.web.auth import login_required
from forms_app.adapters.web.i18n import current_language

bp = Blueprint("main", __name__)

PAGE = 50


@bp.route("/healthz")
def healthz():
    """200 when forms.db answers, 503 otherwise; no data."""
    try:
        forms_db().execute("SELECT 1").fetchone()
    except sqlite3.Error:
        return {"status": "unavailable"}, 503
    return {"status": "ok"}


@bp.route("/")
@login_required
def dashboard():
    """A unit's forms by cycle year with their state; for reviewers, the units and their submissions."""
    if g.user.is_unit:
        return _unit_dashboard()
    return _reviewer_dashboard()


def unit_rows(db, unit_code: str, lang: str) -> list[dict]:
    """For each form and cycle year: its state for this unit, the submission, and what can be done."""
    today = store.today(current_app.config.get("NOW"))
    rows = []
    for definition in registry.latest_definitions(db):
        for year in store.cycle_years(db, definition.id):
            window = store.window(db, unit_code, definition.id, year)
            submission = store.find(db, unit_code, definition.id, year)
            state = window.state(today)
            missing = store.requirement_missing(db, unit_code, definition, year)
            if state == "open" and missing:
                state = "waiting"
            rows.append({
                "form_id": definition.id, "title": definition.title.get(lang), "year": year, "window": window,
                "state": state, "days_left": window.days_left(today), "submission": submission, "missing": missing,
                "decision": decisions.current_decision(db, unit_code, definition.id, year) if window.decision else None,
            })
    rows.sort(key=lambda r: (-r["year"], len(registry.definition(db, r["form_id"]).requires)))
    return rows


def _unit_dashboard():
    db = forms_db()
    lang = current_language()
    unit = db["units"].get(g.user.unit_code)
    rows = unit_rows(db, g.user.unit_code, lang)
    return render_template("main/unit_dashboard.html", unit=unit, rows=rows)


def _reviewer_dashboard():
    from forms_app.adapters.web.review import limited_clusters

    db = forms_db()
    query = (request.args.get("q") or "").strip()[:100]
    page = max(1, request.args.get("page", 1, type=int))
    clusters = limited_clusters()  # a cluster lead sees the units of their clusters only
    conditions, params = [], []
    if clusters:
        conditions.append(f"u.cluster IN ({','.join('?' * len(clusters))})")
        params += clusters
    if query:
        conditions.append("(u.code LIKE ? OR u.name LIKE ? OR u.cluster LIKE ?)")
        params += [f"%{query}%"] * 3
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    total = db.execute(f"SELECT COUNT(*) FROM units u {where}", params).fetchone()[0]
    units = list(db.query(
        f"SELECT u.code, u.name, u.cluster FROM units u {where} ORDER BY u.cluster, u.name LIMIT ? OFFSET ?",
        params + [PAGE, (page - 1) * PAGE],
    ))
    codes = [u["code"] for u in units]
    latest = {}
    if codes:
        marks = ",".join("?" * len(codes))
        for row in db.query(
            f"SELECT unit_code, form_id, cycle_year, status, total, band FROM submissions WHERE unit_code IN ({marks}) "
            "ORDER BY cycle_year", codes
        ):
            latest.setdefault(row["unit_code"], []).append(row)
    in_clusters = f"JOIN units u ON u.code = s.unit_code AND u.cluster IN ({','.join('?' * len(clusters))})" if clusters else ""
    summary = list(db.query(
        "SELECT s.form_id, s.cycle_year, SUM(s.status = 'submitted') AS submitted, SUM(s.status = 'draft') AS drafts, "
        "ROUND(AVG(CASE WHEN s.status = 'submitted' THEN s.total END), 1) AS average, "
        "SUM(d.decision = 'recognised') AS recognised "
        f"FROM submissions s {in_clusters} LEFT JOIN current_decisions d ON d.unit_code = s.unit_code "
        "AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year "
        "GROUP BY s.form_id, s.cycle_year ORDER BY s.cycle_year DESC, s.form_id", clusters
    ))
    return render_template("main/reviewer_dashboard.html", units=units, latest=latest, summary=summary, query=query,
                           page=page, pages=max(1, -(-total // PAGE)), total=total, clusters=clusters,
                           current=decisions.current_decisions(db, codes),
                           title=_("Tổng quan các đơn vị"))
