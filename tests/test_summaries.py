"""The summaries reviewers read (tong_quan, current decisions, criterion totals, late revisions) stay equal to
what they summarise, whichever way the base tables change, and the migration builds them from existing data."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database
from support.data import SELF, forms_sql, register, submission_row
from support.web import complete_self_assessment, post_answers

UTC = dt.timezone.utc
TODAY = dt.date(2022, 9, 15)

# What each summary must equal, computed from the base tables the slow way.
TONG_QUAN = """
    SELECT s.id, s.unit_code, u.name, u.cluster, s.form_id, s.cycle_year, s.status, s.total, s.adjusted_total,
           COALESCE(s.adjusted_total, s.total), s.band, s.recognised,
           d.decision, d.decision_no, d.decided_on, d.commendation, s.submitted_at
    FROM submissions s
    JOIN form_versions f ON f.form_id = s.form_id AND f.version = s.form_version AND f.max_total > 0
    JOIN units u ON u.code = s.unit_code
    LEFT JOIN decisions d ON d.unit_code = s.unit_code AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year
         AND d.id = (SELECT MAX(id) FROM decisions x WHERE x.unit_code = d.unit_code AND x.form_id = d.form_id
                     AND x.cycle_year = d.cycle_year)
    ORDER BY s.id"""
CRITERION_SCORES = """
    SELECT a.submission_id, s.form_id, s.cycle_year, a.criterion, ROUND(SUM(a.points), 4),
           ROUND(CASE WHEN COUNT(a.adjusted_points) THEN SUM(COALESCE(a.adjusted_points, a.points)) END, 4),
           ROUND(SUM(a.max_points), 4)
    FROM submissions s JOIN answers a ON a.submission_id = s.id
    WHERE s.status = 'submitted' AND a.criterion IS NOT NULL AND a.max_points > 0
    GROUP BY 1, 4 ORDER BY 1, 4"""
CRITERION_TOTALS = """
    SELECT form_id, cycle_year, criterion, COUNT(*), ROUND(SUM(points), 4),
           ROUND(SUM(COALESCE(adjusted_points, points)), 4), ROUND(SUM(max_points), 4)
    FROM criterion_scores GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
LATE = """
    SELECT r.id FROM revisions r
    JOIN submissions s ON s.id = r.submission_id
    JOIN cycles c ON c.form_id = s.form_id AND c.cycle_year = s.cycle_year
    LEFT JOIN extensions e ON e.unit_code = s.unit_code AND e.form_id = s.form_id AND e.cycle_year = s.cycle_year
    WHERE julianday(r.created_at) > julianday(COALESCE(e.closes, c.closes), '+1 day', '-7 hours') ORDER BY r.id"""


def summaries(app) -> dict[str, list[tuple]]:
    """Each summary as stored, beside what it must equal."""
    def rounded(sql):
        return [tuple(round(v, 4) if isinstance(v, float) else v for v in row) for row in forms_sql(app, sql)]

    return {
        "tong_quan": (forms_sql(app, "SELECT * FROM tong_quan ORDER BY submission_id"), forms_sql(app, TONG_QUAN)),
        "current_decisions": (forms_sql(app, "SELECT id FROM current_decisions ORDER BY id"), forms_sql(
            app, "SELECT MAX(id) FROM decisions GROUP BY unit_code, form_id, cycle_year ORDER BY 1")),
        "criterion_scores": (rounded("SELECT * FROM criterion_scores ORDER BY submission_id, criterion"),
                             rounded(CRITERION_SCORES)),
        "criterion_totals": (rounded("SELECT * FROM criterion_totals WHERE submissions > 0 ORDER BY 1, 2, 3"),
                             rounded(CRITERION_TOTALS)),
        "after_deadline": (forms_sql(app, "SELECT id FROM revisions WHERE after_deadline = 1 ORDER BY id"),
                           forms_sql(app, LATE)),
    }


def assert_summaries_hold(app) -> None:
    for name, (stored, expected) in summaries(app).items():
        assert stored == expected, name


@pytest.fixture
def forms(app):
    from forms_app.data import connection as database

    connection = database.open_forms(app.config["DATA_DIR"])
    yield connection
    connection.close()


def submit(app, client, unit: str, **changes) -> int:
    register(app, unit)
    response = post_answers(client, {**complete_self_assessment(), **changes}, "submit")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return submission_row(app, unit)["id"]


def test_summaries_follow_every_change_of_submissions_decisions_adjustments_and_units(app, signed_in, forms):
    from forms_app.rules.deciding import record_adjustment, record_decision

    toan, van = signed_in("toan"), signed_in("van")
    register(app, "TOAN")
    assert post_answers(toan, {"so_doan_vien": "40"}, "save").status_code == 303  # a draft: in tong_quan, not in the criterion sums
    assert_summaries_hold(app)
    assert forms_sql(app, "SELECT status FROM tong_quan") == [("draft",)]
    assert forms_sql(app, "SELECT COUNT(*) FROM criterion_scores") == [(0,)]

    toan_id = submit(app, toan, "TOAN")
    van_id = submit(app, van, "VAN", so_doan_vien_moi="0", co_chuong_trinh_hanh_dong="false")
    assert_summaries_hold(app)
    assert forms_sql(app, "SELECT COUNT(DISTINCT submission_id) FROM criterion_scores") == [(2,)]
    assert len(forms_sql(app, "SELECT * FROM criterion_totals WHERE cycle_year = 2022")) == 13

    record_adjustment(forms, toan_id, "co_chuong_trinh_hanh_dong", 1, "Chưa có chữ ký", "kiemtra")
    assert_summaries_hold(app)
    record_decision(forms, "TOAN", SELF, 2022, "returned", "vanphong", comment="Bổ sung", reopen_until="2022-09-30",
                    today=TODAY)
    assert_summaries_hold(app)
    assert forms_sql(app, "SELECT decision FROM tong_quan WHERE submission_id = ?", (toan_id,)) == [("returned",)]

    # the returned form is resubmitted with other answers: the old criterion points leave the sums
    submit(app, toan, "TOAN", so_doan_vien_moi="0")
    record_adjustment(forms, toan_id, "co_chuong_trinh_hanh_dong", None, "Đã bổ sung chữ ký", "kiemtra")
    record_decision(forms, "TOAN", SELF, 2022, "recognised", "vanphong", decision_no="12/QĐ", decided_on="2022-09-15",
                    commendation=True, today=TODAY, reason="Đơn vị tiêu biểu")  # below the rule: with a reason
    record_decision(forms, "VAN", SELF, 2022, "not_recognised", "vanphong", today=TODAY)
    assert_summaries_hold(app)
    assert forms_sql(app, "SELECT submission_id, decision, commendation FROM tong_quan ORDER BY 1") == [
        (toan_id, "recognised", 1), (van_id, "not_recognised", 0)]

    forms.execute("UPDATE units SET name = 'Đoàn khoa Toán học', cluster = 'Cụm 9' WHERE code = 'TOAN'")
    forms.conn.commit()
    assert_summaries_hold(app)
    assert forms_sql(app, "SELECT unit_name, cluster FROM tong_quan WHERE unit_code = 'TOAN'") == [
        ("Đoàn khoa Toán học", "Cụm 9")]


def test_registrations_are_not_in_the_overview_of_scored_reports(app, signed_in):
    register(app, "TOAN")
    assert forms_sql(app, "SELECT COUNT(*) FROM submissions") == [(1,)]
    assert forms_sql(app, "SELECT COUNT(*) FROM tong_quan") == [(0,)]


def test_a_save_after_the_deadline_is_marked_and_listed_for_reviewers(app, signed_in, forms):
    from forms_app.rules.deciding import record_decision

    toan = signed_in("toan")
    toan_id = submit(app, toan, "TOAN")
    assert forms_sql(app, "SELECT after_deadline FROM revisions WHERE submission_id = ?", (toan_id,)) == [(0,)]
    record_decision(forms, "TOAN", SELF, 2022, "returned", "vanphong", comment="Bổ sung", reopen_until="2022-10-20",
                    today=TODAY)
    app.config["NOW"] = dt.datetime(2022, 10, 5, 3, 0, tzinfo=UTC)  # after 1 October, within the reopening
    assert post_answers(toan, {**complete_self_assessment(), "so_doan_vien_moi": "3"}, "save").status_code == 303
    assert forms_sql(app, "SELECT number, after_deadline FROM revisions WHERE submission_id = ? ORDER BY number",
                     (toan_id,)) == [(1, 0), (2, 1)]
    assert_summaries_hold(app)

    from forms_app.data.reviewer_queries import LATE

    conn = sqlite3.connect(Path(app.config["DATA_DIR"]) / "forms.db")
    conn.row_factory = sqlite3.Row
    rows = conn.execute(LATE["sua_sau_han"]["sql"], {"so_dong": ""}).fetchall()
    title = conn.execute("SELECT title FROM form_versions WHERE form_id = ? ORDER BY version DESC", [SELF]).fetchone()[0]
    conn.close()
    # (the registration, recorded by the test helper on today's real clock, is late too); forms named by their title
    assert [(r["Mã đơn vị"], r["Bản"], r["Hạn nộp"]) for r in rows if r["Biểu mẫu"] == title] == [("TOAN", 2, "2022-10-01")]


def test_the_migration_builds_the_summaries_from_the_data_already_there(app, signed_in, forms):
    """A data directory from before the summaries: m007 fills them from its rows."""
    from forms_app.data import connection as database
    from forms_app.rules.deciding import record_adjustment, record_decision

    toan = signed_in("toan")
    toan_id = submit(app, toan, "TOAN")
    submit(app, signed_in("van"), "VAN")
    record_adjustment(forms, toan_id, "co_chuong_trinh_hanh_dong", 1, "Chưa có chữ ký", "kiemtra")
    record_decision(forms, "VAN", SELF, 2022, "not_recognised", "vanphong", today=TODAY)
    record_decision(forms, "VAN", SELF, 2022, "recognised", "vanphong", decision_no="12/QĐ", decided_on="2022-09-15",
                    today=TODAY, reason="Đơn vị tiêu biểu")
    record_decision(forms, "TOAN", SELF, 2022, "returned", "vanphong", comment="Bổ sung", reopen_until="2022-10-20",
                    today=TODAY)
    app.config["NOW"] = dt.datetime(2022, 10, 5, 3, 0, tzinfo=UTC)
    assert post_answers(toan, {**complete_self_assessment(), "so_doan_vien_moi": "3"}, "save").status_code == 303
    before = {name: stored for name, (stored, _expected) in summaries(app).items()}
    assert before["after_deadline"] and before["criterion_scores"] and before["tong_quan"]

    forms.close()
    rebuild_before(Path(app.config["DATA_DIR"]), "m007_summaries")
    assert forms_sql(app, "SELECT type FROM sqlite_master WHERE name = 'tong_quan'") == [("view",)]  # m005's

    database.migrate(app.config["DATA_DIR"])
    after = {name: stored for name, (stored, _expected) in summaries(app).items()}
    assert after == before
    assert_summaries_hold(app)


def rebuild_before(data_dir: Path, migration: str) -> None:
    """Replace forms.db by one that the migrations before `migration` built, holding the same rows.

    Each table of the older schema gets the rows of its namesake, in the columns it has, in name order; a row
    that a trigger of the older schema already wrote (into tong_quan or criterion_totals, which come after the
    decisions, submissions and criterion_scores whose inserts fire those triggers) is replaced by the copied one.
    """
    from forms_app.data import connection
    from forms_app.data.migrations import forms_migrations

    connection.close_kept()  # the connections the app's requests keep in this thread: the file alone must be the database
    older_path = data_dir / "forms-older.db"
    older = Database(older_path)
    forms_migrations.apply(older, stop_before=migration)
    older.execute("ATTACH DATABASE ? AS newer", [str(data_dir / "forms.db")])
    tables = [name for name, kind in older.execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main'")
              if kind == "table" and not name.startswith(("sqlite_", "_sqlite_"))]
    with older.conn:
        for table in sorted(tables):
            columns = ", ".join(f'"{c.name}"' for c in older[table].columns)
            older.execute(f'INSERT OR REPLACE INTO main."{table}" ({columns}) SELECT {columns} FROM newer."{table}"')
    older.execute("DETACH DATABASE newer")
    older.close()
    assert not (data_dir / "forms.db-wal").exists()  # every connection closed: the file alone is the database
    older_path.replace(data_dir / "forms.db")


def _plan(path: Path, name: str) -> str:
    """SQLite's plan for a canned query, its lines joined."""
    import re

    from forms_app.rules.charts import canned_queries

    conn = sqlite3.connect(path)
    try:
        sql = canned_queries(conn)[name]["sql"]
        params = {p: "" for p in re.findall(r":(\w+)", sql)}
        params["nam"] = "2022"
        return " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    finally:
        conn.close()


def test_the_ranking_and_the_units_not_submitted_each_read_their_own_index(app, signed_in, forms):
    """m008's index serves chua_nop; on a database with statistics (the demo's) the ranking keeps its covering index."""
    from forms_app.data import connection as database

    for unit in ("TOAN", "VAN"):
        submit(app, signed_in(unit.lower()), unit)
    forms.close()
    path = Path(app.config["DATA_DIR"]) / "forms.db"
    assert "idx_tong_quan_submitted_units" in _plan(path, "chua_nop")
    assert "COVERING INDEX idx_tong_quan_rank" in _plan(path, "xep_hang_trong_cum")

    rebuild_before(path.parent, "m008_units_not_submitted")  # a database from before m008,
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")  # analysed as the demo leaves it
    conn.close()
    assert "idx_tong_quan_submitted_units" not in _plan(path, "chua_nop")
    database.migrate(app.config["DATA_DIR"])
    assert "idx_tong_quan_submitted_units" in _plan(path, "chua_nop")
    assert "COVERING INDEX idx_tong_quan_rank" in _plan(path, "xep_hang_trong_cum")
