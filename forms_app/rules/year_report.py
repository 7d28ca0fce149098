"""The data of the year-end conference report, read from forms.db."""

from __future__ import annotations

from forms_app.data import cycles, reporting
from forms_app.data.clock import today
from forms_app.data.connection import Database
from forms_app.rules.certificates import ASSESSMENT

REGISTRATION = "dang-ky-3-chu-dong"


def report_data(db: Database, year: int, issuer_union: str = "", issuer_org: str = "") -> dict:
    """Counts per cluster for `year`, the recognition trend over the phase's years, the weakest criteria."""
    clusters = reporting.cluster_counts(db, year, ASSESSMENT, REGISTRATION)
    totals = {key: sum(c[key] or 0 for c in clusters) for key in ("units", "registered", "submitted", "recognised")}
    years = sorted(cycles.years(db, ASSESSMENT))
    trend = []
    for y in years:
        submitted, average, recognised = reporting.year_figures(db, ASSESSMENT, y)
        trend.append({"year": y, "submitted": submitted, "recognised": recognised, "average": average})
    criteria = reporting.weakest_criteria(db, ASSESSMENT, year)
    return {
        "year": year, "first_year": years[0] if years else year, "last_year": years[-1] if years else year,
        "clusters": clusters, "totals": totals, "trend": trend, "criteria": criteria,
        "issuer_union": issuer_union, "issuer_org": issuer_org, "today": today(),
    }
