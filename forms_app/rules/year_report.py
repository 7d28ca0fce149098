"""The data of the year-end conference report, read from forms.db."""

from __future__ import annotations

from sqlite_utils import Database

from forms_app.rules.certificates import ASSESSMENT
from forms_app.data.clock import today

REGISTRATION = "dang-ky-3-chu-dong"


def report_data(db: Database, year: int, issuer_union: str = "", issuer_org: str = "") -> dict:
    """Counts per cluster for `year`, the recognition trend over the phase's years, the weakest criteria."""
    clusters = list(db.query(
        "SELECT u.cluster, COUNT(*) AS units, "
        "SUM(EXISTS (SELECT 1 FROM submissions r WHERE r.unit_code = u.code AND r.form_id = :reg AND r.cycle_year = :y "
        "AND r.status = 'submitted')) AS registered, "
        "SUM(EXISTS (SELECT 1 FROM submissions s WHERE s.unit_code = u.code AND s.form_id = :form AND s.cycle_year = :y "
        "AND s.status = 'submitted')) AS submitted, "
        "SUM(EXISTS (SELECT 1 FROM current_decisions d WHERE d.unit_code = u.code AND d.form_id = :form AND d.cycle_year = :y "
        "AND d.decision = 'recognised')) AS recognised "
        "FROM units u GROUP BY u.cluster ORDER BY u.cluster", {"reg": REGISTRATION, "form": ASSESSMENT, "y": year}))
    totals = {key: sum(c[key] or 0 for c in clusters) for key in ("units", "registered", "submitted", "recognised")}
    years = [r[0] for r in db.execute("SELECT cycle_year FROM cycles WHERE form_id = ? ORDER BY 1", [ASSESSMENT])]
    trend = []
    for y in years:
        submitted, average = db.execute(
            "SELECT COUNT(*), AVG(COALESCE(adjusted_total, total)) FROM submissions WHERE form_id = ? AND cycle_year = ? "
            "AND status = 'submitted'", [ASSESSMENT, y]).fetchone()
        recognised = db.execute(
            "SELECT COUNT(*) FROM current_decisions WHERE form_id = ? AND cycle_year = ? AND decision = 'recognised'",
            [ASSESSMENT, y]).fetchone()[0]
        trend.append({"year": y, "submitted": submitted, "recognised": recognised, "average": average})
    criteria = list(db.query(
        "SELECT a.criterion, MIN(k.label) AS label, "
        "100.0 * SUM(COALESCE(a.adjusted_points, a.points)) / SUM(a.max_points) AS ratio "
        "FROM answers a JOIN submissions s ON s.id = a.submission_id "
        "LEFT JOIN criteria k ON k.form_id = s.form_id AND k.version = s.form_version AND k.criterion = a.criterion "
        "WHERE s.form_id = ? AND s.cycle_year = ? AND s.status = 'submitted' AND a.criterion IS NOT NULL AND a.max_points > 0 "
        "GROUP BY a.criterion ORDER BY ratio LIMIT 5", [ASSESSMENT, year]))
    return {
        "year": year, "first_year": years[0] if years else year, "last_year": years[-1] if years else year,
        "clusters": clusters, "totals": totals, "trend": trend, "criteria": criteria,
        "issuer_union": issuer_union, "issuer_org": issuer_org, "today": today(),
    }
