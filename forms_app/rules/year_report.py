"""The data of the year-end conference report of a scored form, read from forms.db."""

from __future__ import annotations

from forms_app.data import cycles, reporting
from forms_app.data.clock import today
from forms_app.data.connection import Database
from forms_app.rules import registry


def report_data(db: Database, year: int, issuer_union: str = "", issuer_org: str = "",
                form_id: str | None = None) -> dict:
    """Counts per cluster for `year`, the recognition trend over the phase's years, the weakest criteria, for a scored
    form (the only one when none is given; registry.FormChoice otherwise). "Registered" counts the units that
    submitted the form it requires first (none when it requires none)."""
    form = registry.the_scored_form(db, form_id)
    registration = registry.required_form(db, form)
    clusters = reporting.cluster_counts(db, year, form.id, registration.id if registration else None)
    totals = {key: sum(c[key] or 0 for c in clusters) for key in ("units", "registered", "submitted", "recognised")}
    years = sorted(cycles.years(db, form.id))
    trend = []
    for y in years:
        submitted, average, recognised = reporting.year_figures(db, form.id, y)
        trend.append({"year": y, "submitted": submitted, "recognised": recognised, "average": average})
    criteria = reporting.weakest_criteria(db, form.id, year)
    return {
        "year": year, "first_year": years[0] if years else year, "last_year": years[-1] if years else year,
        "form_title": form.title.get(form.default_language),
        "registration_title": registration.title.get(registration.default_language) if registration else None,
        "clusters": clusters, "totals": totals, "trend": trend, "criteria": criteria,
        "issuer_union": issuer_union, "issuer_org": issuer_org, "today": today(),
    }
