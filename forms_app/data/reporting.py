"""Read-only queries of forms.db behind the year's exports, the year-end report and the reviewers' charts.

Every function reads through `.execute`, so it takes a sqlite-utils Database (the app, the CLI) or the
raw sqlite3 connection Datasette's `execute_fn` hands to the charts.
"""

from __future__ import annotations

import sqlite3
from typing import Iterator

from sqlite_utils import Database

Readable = Database | sqlite3.Connection
TOTAL = "COALESCE(s.adjusted_total, s.total)"


def _dicts(db: Readable, sql: str, params) -> Iterator[dict]:
    # Row by row, as sqlite-utils' query() yields them, whichever kind of connection runs it
    cursor = db.execute(sql, params)
    keys = [column[0] for column in cursor.description]
    for row in cursor:
        yield dict(zip(keys, row, strict=True))


# The year's exports


def section_scores(db: Readable, form_id: str, cycle_year: int) -> dict[tuple[int, str], float]:
    """{(submission id, section id): score, adjusted when it was} for every submission of the form and year."""
    return {(r[0], r[1]): r[2] for r in db.execute(
        "SELECT ss.submission_id, ss.section_id, COALESCE(ss.adjusted_score, ss.score) FROM section_scores ss "
        "JOIN submissions s ON s.id = ss.submission_id WHERE s.form_id = ? AND s.cycle_year = ?", [form_id, cycle_year])}


def unit_results(db: Readable, form_id: str, cycle_year: int) -> Iterator[dict]:
    """Every unit by cluster and code with its submission (sid, status, totals, band), current decision and serial."""
    return _dicts(
        db,
        "SELECT u.code, u.name, u.cluster, s.id AS sid, s.status, s.total, s.adjusted_total, s.band, "
        "d.decision, d.decision_no, d.decided_on, c.serial "
        "FROM units u "
        "LEFT JOIN submissions s ON s.unit_code = u.code AND s.form_id = ? AND s.cycle_year = ? "
        "LEFT JOIN current_decisions d ON d.unit_code = u.code AND d.form_id = ? AND d.cycle_year = ? "
        "LEFT JOIN certificates c ON c.unit_code = u.code AND c.form_id = ? AND c.cycle_year = ? "
        "ORDER BY u.cluster, u.code", [form_id, cycle_year] * 3)


def question_labels(db: Readable, form_id: str) -> list[tuple[str, str]]:
    """(question id, label) of every version of the form, oldest version first."""
    return [(qid, label) for qid, label in db.execute(
        "SELECT question_id, label FROM questions WHERE form_id = ? ORDER BY version", [form_id])]


def latest_question_order(db: Readable, form_id: str) -> list[str]:
    """The question ids of the form's latest version, in their order."""
    return [r[0] for r in db.execute(
        "SELECT question_id FROM questions WHERE form_id = ? AND version = (SELECT MAX(version) FROM questions "
        "WHERE form_id = ?) ORDER BY position", [form_id, form_id])]


def visible_answers(db: Readable, form_id: str, cycle_year: int) -> Iterator[tuple[int, str, object]]:
    """(submission id, question id, value as stored) of every visible answer of the form and year, as read."""
    return iter(db.execute(
        "SELECT a.submission_id, a.question_id, a.value FROM answers a JOIN submissions s ON s.id = a.submission_id "
        "WHERE s.form_id = ? AND s.cycle_year = ? AND a.visible = 1", [form_id, cycle_year]))


def submissions_of_year(db: Readable, form_id: str, cycle_year: int) -> Iterator[dict]:
    """The form's submissions of the year (id, unit code and name, form version, status) by cluster and unit code."""
    return _dicts(
        db,
        "SELECT s.id, u.code, u.name, s.form_version, s.status FROM submissions s JOIN units u ON u.code = s.unit_code "
        "WHERE s.form_id = ? AND s.cycle_year = ? ORDER BY u.cluster, u.code", [form_id, cycle_year])


def upload_names(db: Readable, form_id: str, cycle_year: int) -> dict[str, str]:
    """{token: name as uploaded} of every file uploaded for the form and year (answers refer to a file by its token)."""
    return dict(db.execute("SELECT token, original_name FROM uploads WHERE form_id = ? AND cycle_year = ?",
                           [form_id, cycle_year]))


# The year-end report


def cluster_counts(db: Readable, cycle_year: int, form_id: str, registration_form_id: str | None) -> list[dict]:
    """Per cluster: units, and how many registered (submitted the registration form; 0 without one), submitted and
    are recognised for the year."""
    return list(_dicts(
        db,
        "SELECT u.cluster, COUNT(*) AS units, "
        "SUM(EXISTS (SELECT 1 FROM submissions r WHERE r.unit_code = u.code AND r.form_id = :reg AND r.cycle_year = :y "
        "AND r.status = 'submitted')) AS registered, "
        "SUM(EXISTS (SELECT 1 FROM submissions s WHERE s.unit_code = u.code AND s.form_id = :form AND s.cycle_year = :y "
        "AND s.status = 'submitted')) AS submitted, "
        "SUM(EXISTS (SELECT 1 FROM current_decisions d WHERE d.unit_code = u.code AND d.form_id = :form AND d.cycle_year = :y "
        "AND d.decision = 'recognised')) AS recognised "
        "FROM units u GROUP BY u.cluster ORDER BY u.cluster", {"reg": registration_form_id, "form": form_id, "y": cycle_year}))


def year_figures(db: Readable, form_id: str, cycle_year: int) -> tuple[int, float | None, int]:
    """(submitted, their average total, recognised) of the form for one year."""
    submitted, average = db.execute(
        "SELECT COUNT(*), AVG(COALESCE(adjusted_total, total)) FROM submissions WHERE form_id = ? AND cycle_year = ? "
        "AND status = 'submitted'", [form_id, cycle_year]).fetchone()
    recognised = db.execute(
        "SELECT COUNT(*) FROM current_decisions WHERE form_id = ? AND cycle_year = ? AND decision = 'recognised'",
        [form_id, cycle_year]).fetchone()[0]
    return submitted, average, recognised


def weakest_criteria(db: Readable, form_id: str, cycle_year: int | None = None, limit: int = 5) -> list[dict]:
    """The criteria with the lowest share of their maximum points over the submissions of a year (of every year of
    the phase when `cycle_year` is None): criterion, label, ratio."""
    return list(_dicts(
        db,
        "SELECT a.criterion, MIN(k.label) AS label, "
        "100.0 * SUM(COALESCE(a.adjusted_points, a.points)) / SUM(a.max_points) AS ratio "
        "FROM answers a JOIN submissions s ON s.id = a.submission_id "
        "LEFT JOIN criteria k ON k.form_id = s.form_id AND k.version = s.form_version AND k.criterion = a.criterion "
        "WHERE s.form_id = ? AND (? IS NULL OR s.cycle_year = ?) AND s.status = 'submitted' "
        "AND a.criterion IS NOT NULL AND a.max_points > 0 "
        "GROUP BY a.criterion ORDER BY ratio LIMIT ?", [form_id, cycle_year, cycle_year, limit]))


# The reviewers' charts


def registered_units(db: Readable, registration_form_id: str, cycle_year: int) -> list[tuple[str, str | None]]:
    """(unit code, cluster) of every unit that submitted the registration form for the year."""
    return [tuple(r) for r in db.execute(
        "SELECT u.code, u.cluster FROM submissions r JOIN units u ON u.code = r.unit_code WHERE r.form_id = ? "
        "AND r.cycle_year = ? AND r.status = 'submitted' ORDER BY u.cluster, u.code", [registration_form_id, cycle_year])]


def recognised_units(db: Readable, form_id: str, cycle_year: int) -> list[dict]:
    """The units recognised for the year by a current decision: code, name, cluster, total (adjusted when it was),
    band, decision number and date; by cluster and code."""
    return list(_dicts(
        db,
        f"SELECT u.code, u.name, u.cluster, {TOTAL} AS total, s.band, d.decision_no, d.decided_on "
        "FROM current_decisions d JOIN units u ON u.code = d.unit_code "
        "LEFT JOIN submissions s ON s.unit_code = d.unit_code AND s.form_id = d.form_id AND s.cycle_year = d.cycle_year "
        "WHERE d.form_id = ? AND d.cycle_year = ? AND d.decision = 'recognised' ORDER BY u.cluster, u.code",
        [form_id, cycle_year]))


def recognised_years(db: Readable, form_id: str) -> list[dict]:
    """Every unit recognised in at least one year of the form: code, name, cluster and `years` ("2019, 2021")."""
    return list(_dicts(
        db,
        "SELECT u.code, u.name, u.cluster, GROUP_CONCAT(d.cycle_year, ', ') AS years, COUNT(*) AS times FROM "
        "(SELECT unit_code, cycle_year FROM current_decisions WHERE form_id = ? AND decision = 'recognised' "
        "ORDER BY cycle_year) d JOIN units u ON u.code = d.unit_code GROUP BY u.code ORDER BY u.cluster, u.code",
        [form_id]))


def submitted_years(db: Readable, form_id: str) -> list[int]:
    """The years in which the form has at least one submitted submission, oldest first."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT cycle_year FROM submissions WHERE form_id = ? AND status = 'submitted' ORDER BY 1", [form_id])]


def score_distribution(db: Readable, form_id: str, maximum: float) -> dict[tuple[int, int], int]:
    """{(year, tenth of the form's `maximum` the total reaches, 0–9): submitted submissions}; the maximum itself counts
    in the last tenth."""
    return {(y, b): n for y, b, n in db.execute(
        f"SELECT s.cycle_year, CAST(MIN({TOTAL} * 10.0 / ?, 9.999) AS INTEGER), COUNT(*) FROM submissions s "
        "WHERE s.form_id = ? AND s.status = 'submitted' GROUP BY 1, 2", [maximum or 100.0, form_id])}


def section_averages_by_cluster(db: Readable, form_id: str, cycle_year: int) -> list[tuple[str, str, float]]:
    """(cluster, section id, average % of the section's maximum) over the year's submitted submissions."""
    return [tuple(r) for r in db.execute(
        "SELECT u.cluster, ss.section_id, AVG(100.0 * COALESCE(ss.adjusted_score, ss.score) / ss.max) "
        "FROM section_scores ss JOIN submissions s ON s.id = ss.submission_id JOIN units u ON u.code = s.unit_code "
        "WHERE s.form_id = ? AND s.cycle_year = ? AND s.status = 'submitted' AND ss.max > 0 GROUP BY 1, 2 ORDER BY 1, 2",
        [form_id, cycle_year]).fetchall()]


def recognition_by_year(db: Readable, form_id: str) -> dict[int, tuple[int, int, int]]:
    """{year: (submitted, recognised by their score, recognised by a current decision)}."""
    return {r[0]: tuple(r[1:]) for r in db.execute(
        "SELECT s.cycle_year, COUNT(*), SUM(s.recognised = 1), "
        "SUM(EXISTS (SELECT 1 FROM current_decisions d WHERE d.unit_code = s.unit_code AND d.form_id = s.form_id "
        "AND d.cycle_year = s.cycle_year AND d.decision = 'recognised')) "
        "FROM submissions s WHERE s.form_id = ? AND s.status = 'submitted' GROUP BY 1", [form_id])}
