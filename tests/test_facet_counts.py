"""Facet pages and canned queries from what triggers keep (issue 18): the counts of every default facet and word facet
stay those of the rows after every kind of write the product makes, Datasette's facet pages read them and show
exactly what Datasette's own facets show, and the rewritten canned queries return what they returned before."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from datasette.facets import ColumnFacet
from support.data import EXAMPLE_ANSWERS, REGISTRATION, SELF, TEMPLATES, opened
from support.web import PDF, ProductClient, start_session, statements_datasette_runs
from werkzeug.datastructures import FileStorage

from forms_app.adapters.reviewers.facets import KeptColumnFacet
from forms_app.data import facet_counts, reviewer_queries
from forms_app.rules import deciding, inspections, registry, submitting, units

UTC = dt.timezone.utc
SAVED_AT = dt.datetime(2022, 9, 20, tzinfo=UTC)
TODAY = dt.date(2022, 10, 15)
ROOT = Path(__file__).resolve().parents[1]


def _demo(data_dir: Path) -> Path:
    from forms_app.adapters.operations.demo import make_demo

    make_demo(data_dir, units=60, first_year=2020, last_year=2022, seed=18)  # written through the bulk load
    return data_dir


@pytest.fixture
def demo(tmp_path) -> Path:
    """A small demo (60 units, 2020–2022: submissions, decisions, inspections, proposals as the demo writes them)."""
    return TEMPLATES.copy("facet-counts-demo", _demo, tmp_path / "data")


def _unit_without(forms, year: int, skip: tuple = ()) -> str:
    return next(code for (code,) in forms.execute(
        "SELECT code FROM units WHERE code NOT IN (SELECT unit_code FROM submissions WHERE form_id = ? "
        "AND cycle_year = ?) ORDER BY code", [SELF, year]) if code not in skip)


def write_every_kind(data_dir: Path) -> None:
    """Every kind of write the product makes to a counted table: a draft, a submit, a resubmit, decisions (recognised,
    withdrawn, not recognised), an adjustment, an inspection, a unit added and a unit moved to another cluster."""
    with opened(data_dir) as forms:
        definition = registry.definition(forms, SELF)
        first = _unit_without(forms, 2022)
        second = _unit_without(forms, 2022, (first,))
        save = {"definition": definition, "cycle_year": 2022, "author": "test", "request_token": None, "now": SAVED_AT}
        submitting.record(forms, unit_code=first, answers={}, action="save", base_revision=None, **save)
        submitting.record(forms, unit_code=second, answers=EXAMPLE_ANSWERS, action="submit", base_revision=None, **save)
        base = submitting.find(forms, second, SELF, 2022)["current_revision"]
        more_members = {**EXAMPLE_ANSWERS, "so_doan_vien": EXAMPLE_ANSWERS["so_doan_vien"] + 1000}
        submitting.record(forms, unit_code=second, answers=more_members, action="submit", base_revision=base, **save)
        for kind in ("recognised", "withdrawn", "not_recognised"):
            deciding.record_decision(forms, second, SELF, 2022, kind, "vanphong", decision_no="9-QĐ/ĐTN",
                                     decided_on="2022-10-14", comment="Lý do.", reason="Lý do.", today=TODAY)
        submission, question = forms.execute(
            "SELECT a.submission_id, a.question_id FROM answers a JOIN submissions s ON s.id = a.submission_id "
            "WHERE s.status = 'submitted' AND s.form_id = ? AND a.points > 0 AND a.visible = 1 "
            "ORDER BY a.submission_id DESC LIMIT 1", [SELF]).fetchone()
        deciding.record_adjustments(forms, submission, {question: (0.0, "Không có minh chứng.")}, "vanphong")
        inspections.record_inspection(forms, data_dir, unit_code=second, form_id=SELF, cycle_year=2022,
                                      inspected_on="2022-10-10", members="Ủy ban Kiểm tra", conclusion="Đúng.",
                                      actor="kiemtra", minutes_upload=FileStorage(io.BytesIO(PDF), "bien-ban.pdf"),
                                      today=TODAY)
        moved = forms.execute("SELECT unit_code FROM decisions WHERE decision = 'recognised' ORDER BY id LIMIT 1"
                              ).fetchone()[0]
        name = forms.execute("SELECT name FROM units WHERE code = ?", [moved]).fetchone()[0]
        units.save_units(forms, [{"code": moved, "name": name, "cluster": "Cụm mới"},
                                 {"code": "MOI01", "name": "Đoàn cơ sở Mới", "cluster": "Cụm mới"}])


def assert_counts_are_the_rows(forms) -> None:
    """Every kept count, year by year, is the GROUP BY of the rows it counts."""
    for table, counted in facet_counts.COUNTED.items():
        year = facet_counts.year_sql(table, table)
        for count in counted.counts:
            expression = facet_counts.value_sql(table, count, table)
            rows = {(y, v): n for y, v, n in forms.execute(
                f"SELECT {year}, {expression}, COUNT(*) FROM {table} WHERE {expression} IS NOT NULL GROUP BY 1, 2")}
            assert facet_counts.counted_rows(forms, table, count) == rows, (table, count)
    recognised = forms.execute("SELECT form_id, unit_code, COUNT(*), ROUND(AVG(final_total), 1), MAX(commendation) "
                               "FROM tong_quan WHERE decision = 'recognised' GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
    assert forms.execute("SELECT * FROM recognised_years ORDER BY 1, 2").fetchall() == recognised


def test_the_demos_bulk_load_ends_with_the_counts_of_its_rows(demo):
    with opened(demo) as forms:
        assert forms.execute("SELECT COUNT(*) FROM facet_counts").fetchone()[0] > 0
        assert_counts_are_the_rows(forms)


def test_the_counts_follow_every_kind_of_write(demo):
    write_every_kind(demo)
    with opened(demo) as forms:
        assert forms.execute("SELECT COUNT(*) FROM units WHERE cluster = 'Cụm mới'").fetchone()[0] == 2
        assert_counts_are_the_rows(forms)


OTHER = {"action": "'late'"}  # a value when the table holds one only (every demo revision is a submit)


@pytest.mark.parametrize("table", facet_counts.COUNTED)
def test_the_counts_follow_updates_and_deletes_whoever_writes(demo, table):
    with opened(demo) as forms:
        forms.execute("PRAGMA foreign_keys = OFF")
        with forms.conn:
            rowid = forms.execute(f"SELECT MAX(rowid) FROM [{table}]").fetchone()[0]
            columns = {c for c in facet_counts.COUNTED[table].counts if c != "cycle_year" and c in
                       [r[1] for r in forms.execute(f"PRAGMA table_info([{table}])")]}
            changed = ", ".join(  # another value of each counted column, a year of its own
                [f"[{c}] = COALESCE((SELECT other.[{c}] FROM [{table}] other WHERE other.[{c}] IS NOT [{table}].[{c}] "
                 f"AND other.[{c}] IS NOT NULL LIMIT 1), {OTHER.get(c, 'NULL')})" for c in sorted(columns)]
                + (["cycle_year = cycle_year + 100"] if facet_counts.COUNTED[table].year else []))
            forms.execute(f"UPDATE [{table}] SET {changed} WHERE rowid = ?", [rowid])
        assert_counts_are_the_rows(forms)
        with forms.conn:
            forms.execute(f"DELETE FROM [{table}] WHERE rowid IN (SELECT rowid FROM [{table}] ORDER BY rowid LIMIT 3)")
        assert_counts_are_the_rows(forms)


def test_the_migration_counts_the_rows_already_there(tmp_path):
    from sqlite_utils import Database

    from forms_app.data.migrations.forms import forms_migrations

    db = Database(tmp_path / "forms.db")
    forms_migrations.apply(db, stop_before="m021_facet_counts")
    db.execute("INSERT INTO units (code, name, cluster, created_at, updated_at) VALUES ('A', 'A', 'Cụm 1', '', ''), "
               "('B', 'B', 'Cụm 1', '', ''), ('C', 'C', 'Cụm 2', '', '')")
    forms_migrations.apply(db)
    assert facet_counts.counted_rows(db, "units", "cluster") == {(0, "Cụm 1"): 2, (0, "Cụm 2"): 1}


# Datasette's facet pages: the kept counts, shown as Datasette's own facets show them


@pytest.fixture
def reviewer(demo):
    """The whole product on the demo after every kind of write, and a client signed in as the reviewer vanphong."""
    from forms_app.adapters.wsgi import create_wsgi

    write_every_kind(demo)
    product = create_wsgi(demo, {"TESTING": True})
    client = ProductClient(product)
    start_session(product.flask_app, client, "vanphong")
    return product, client


def facets_of(reviewer, url: str) -> tuple[dict, list[str]]:
    """The facets of a table page as JSON, and the statements Datasette ran for it."""
    product, client = reviewer
    with statements_datasette_runs(product) as ran:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    document = response.get_json()
    return {"results": document["facet_results"], "timed_out": document.get("facets_timed_out")}, ran


def datasettes_own(reviewer, url: str, monkeypatch) -> dict:
    """The facets Datasette's own ColumnFacet gives for the same page."""
    with monkeypatch.context() as patched:
        patched.setattr(KeptColumnFacet, "facet_results", ColumnFacet.facet_results)
        return facets_of(reviewer, url)[0]


FACETED = [(page, column) for page, described in facet_counts.PAGES.items() for column in described.columns]


@pytest.mark.parametrize(("page", "column"), FACETED)
def test_a_facet_of_every_row_or_of_a_year_is_read_from_the_counts_as_datasette_shows_it(reviewer, monkeypatch, page,
                                                                                          column):
    from urllib.parse import urlencode

    year = facet_counts.PAGES[page].year_column
    for args in ([("_facet", column)], [("_facet", column), ("_facet_size", "2")],
                 *([[("_facet", column), (year, "2022")], [(year, "2021"), ("_facet", column)]] if year else [])):
        url = f"/data/forms/{page}.json?" + urlencode(args)
        ours, ran = facets_of(reviewer, url)
        assert ours == datasettes_own(reviewer, url, monkeypatch), url
        assert ours["results"][column]["results"] and not ours["timed_out"]
        assert not [sql for sql in ran if " as count from " in sql], url  # no facet counted any row


@pytest.mark.parametrize("page", facet_counts.PAGES)
def test_any_other_filter_falls_back_to_datasettes_own_facets(reviewer, monkeypatch, page):
    from urllib.parse import quote

    described = facet_counts.PAGES[page]
    column = next((c for c in described.columns if c != described.year_column), described.year_column)
    with opened(reviewer[0].flask_app.config["DATA_DIR"]) as forms:
        key = forms.execute(f"SELECT [{column}] FROM [{page}] WHERE [{column}] IS NOT NULL LIMIT 1").fetchone()[0]
    for query in (f"{quote(column)}__not={quote(str(key))}", "_where=1%3D1",
                  *(["_search=a"] if page == "units" else []),  # the one table searched: elsewhere no filter
                  *([f"{quote(column)}={quote(str(key))}"] if column != described.year_column else []),
                  *([f"{quote(described.year_column)}=2022&{quote(column)}__not={quote(str(key))}",
                     f"{quote(described.year_column)}=2022.0"] if described.year_column else [])):
        url = f"/data/forms/{page}.json?_facet={quote(column)}&{query}"
        ours, ran = facets_of(reviewer, url)
        assert ours == datasettes_own(reviewer, url, monkeypatch), url
        assert [sql for sql in ran if " as count from " in sql], url  # Datasette's own query ran


def test_a_facet_page_shows_its_counts_in_html_as_datasette_does(reviewer, monkeypatch):
    product, client = reviewer
    url = "/data/forms/ket_qua?_facet=Quy%E1%BA%BFt+%C4%91%E1%BB%8Bnh&N%C4%83m=2022"
    ours = client.get(url).get_data(as_text=True)
    with monkeypatch.context() as patched:
        patched.setattr(KeptColumnFacet, "facet_results", ColumnFacet.facet_results)
        theirs = client.get(url).get_data(as_text=True)
    took = re.compile(r"mất [\d.,]+ ms")  # the footer's time of the page's queries
    assert took.sub("", ours) == took.sub("", theirs) and "Chưa có quyết định" in ours


def test_every_default_facet_but_the_criteria_view_is_counted():
    from forms_app.adapters.reviewers import FACETS

    missing = [(page, column) for page, columns in FACETS.items() for column in columns
               if column not in (facet_counts.PAGES[page].columns if page in facet_counts.PAGES else {})]
    assert missing == [("diem_tieu_chi", "Năm")]
    assert facet_counts.PAGES["ket_qua"].columns["Quyết định"] and facet_counts.PAGES["quyet_dinh"].columns["Quyết định"]


# The canned queries rewritten for speed return what they returned before


# The three queries as they were before (reviewer_queries at ba6f5d1): the reference the new ones are held to.
BEFORE = {
    "chua_nop": """
SELECT u.code AS "Mã đơn vị", u.name AS "Tên đơn vị", u.cluster AS "Cụm",
       CASE WHEN s.status IS NULL THEN 'chưa có bài' ELSE 'bản nháp' END AS "Tình trạng",
       COALESCE(e.closes, c.closes) AS "Hạn nộp",
       CAST(julianday(COALESCE(e.closes, c.closes)) - julianday(date('now', '+7 hours')) AS INTEGER) AS "Số ngày còn lại",
       CASE WHEN r.unit_code IS NULL THEN 'chưa đăng ký' ELSE 'đã đăng ký' END AS "Đăng ký"
FROM units u
JOIN cycles c ON c.form_id = {form} AND c.cycle_year = {year}
LEFT JOIN submissions s ON s.unit_code = u.code AND s.form_id = c.form_id AND s.cycle_year = c.cycle_year
LEFT JOIN extensions e ON e.unit_code = u.code AND e.form_id = c.form_id AND e.cycle_year = c.cycle_year
LEFT JOIN submissions r ON r.unit_code = u.code AND r.form_id = {registration} AND r.cycle_year = c.cycle_year
     AND r.status = 'submitted'
WHERE u.code NOT IN (SELECT unit_code FROM tong_quan WHERE form_id = {form}
                     AND cycle_year = {year} AND status = 'submitted')
  AND (COALESCE(:cum, '') = '' OR u.cluster = :cum)
ORDER BY "Số ngày còn lại", u.cluster, u.name
LIMIT {rows}""",
    "xep_hang_trong_cum": """
WITH xep AS (
  SELECT submission_id, cluster, final_total,
         RANK() OVER (PARTITION BY cluster ORDER BY final_total DESC) AS hang
  FROM tong_quan
  WHERE form_id = {form} AND cycle_year = {year} AND status = 'submitted'
)
SELECT x.cluster AS "Cụm", x.hang AS "Hạng trong cụm", t.unit_code AS "Mã đơn vị", t.unit_name AS "Tên đơn vị",
       x.final_total AS "Tổng điểm", t.band AS "Xếp loại",
       CASE t.recognised WHEN 1 THEN 'đủ điều kiện' WHEN 0 THEN 'chưa đủ' END AS "Theo điểm"
FROM xep x JOIN tong_quan t ON t.submission_id = x.submission_id
WHERE x.hang <= COALESCE(CAST(NULLIF(:so_hang, '') AS INTEGER), 10)
ORDER BY x.cluster, x.hang, t.unit_name""",
    "cong_nhan_moi_nam": """
WITH moi_nam AS (
  SELECT unit_code, COUNT(*) AS so_nam, ROUND(AVG(final_total), 1) AS diem,
         MAX(commendation) AS tuyen_duong
  FROM tong_quan
  WHERE form_id = {form} AND decision = 'recognised'
  GROUP BY unit_code
  HAVING COUNT(*) = (SELECT COUNT(*) FROM cycles WHERE form_id = {form})
  ORDER BY diem DESC, unit_code
  LIMIT {rows}
)
SELECT u.code AS "Mã đơn vị", u.name AS "Tên đơn vị", u.cluster AS "Cụm", m.so_nam AS "Số năm được công nhận",
       m.diem AS "Điểm trung bình", m.tuyen_duong AS "Đã được đề nghị tuyên dương"
FROM moi_nam m JOIN units u ON u.code = m.unit_code
ORDER BY m.diem DESC, u.code""",
}


def before(name: str, form: reviewer_queries.ScoredForm) -> str:
    return BEFORE[name].format(
        form=reviewer_queries.literal(form.id), registration=reviewer_queries.literal(form.registration or ""),
        rows="COALESCE(CAST(NULLIF(:so_dong, '') AS INTEGER), 200)",
        year=f"COALESCE(CAST(NULLIF(:nam, '') AS INTEGER), (SELECT MAX(cycle_year) FROM cycles "
             f"WHERE form_id = {reviewer_queries.literal(form.id)}))")


def shuffled_demo(demo: Path) -> None:
    """The demo after every kind of write, with extensions (their own deadlines, before and after the year's), ties
    of totals inside clusters, reports without a total, and units recognised every year."""
    write_every_kind(demo)
    with opened(demo) as forms, forms.conn:
        forms.execute("PRAGMA foreign_keys = OFF")
        rows = forms.execute("SELECT code FROM units ORDER BY code").fetchall()
        for number, (code,) in enumerate(rows[::7]):
            forms.execute("INSERT OR REPLACE INTO extensions (unit_code, form_id, cycle_year, closes, granted_by, "
                          "granted_at) VALUES (?, ?, 2022, ?, 'test', '')",
                          [code, SELF, f"2022-{9 + number % 3:02d}-{1 + number % 27:02d}"])
        forms.execute("UPDATE submissions SET total = ROUND(total / 5) * 5 WHERE id % 3 = 0")  # ties
        forms.execute("UPDATE submissions SET total = NULL, adjusted_total = NULL WHERE id % 11 = 0")
        forms.execute("DELETE FROM cycles WHERE form_id = ? AND cycle_year NOT IN "  # the demo's years only
                      "(SELECT cycle_year FROM submissions WHERE form_id = ?)", [SELF, SELF])
        forms.execute("INSERT INTO decisions (unit_code, form_id, cycle_year, decision, commendation, recorded_by, "
                      "recorded_at) SELECT unit_code, form_id, cycle_year, 'recognised', id % 2, 'test', '' "
                      "FROM submissions WHERE form_id = ? AND status = 'submitted' AND unit_code IN (SELECT unit_code "
                      "FROM submissions WHERE form_id = ? AND status = 'submitted' GROUP BY unit_code "
                      "HAVING COUNT(*) = (SELECT COUNT(*) FROM cycles WHERE form_id = ?) LIMIT 20)", [SELF] * 3)


FORM = reviewer_queries.ScoredForm(SELF, "Báo cáo tự đánh giá", 100.0, REGISTRATION)
CASES = [{"nam": "", "cum": "", "so_dong": "", "so_hang": ""},
         {"nam": "2022", "cum": "", "so_dong": "7", "so_hang": "1"},
         {"nam": "2021", "cum": "", "so_dong": "5000", "so_hang": "3"},
         {"nam": "2022", "cum": "Cụm mới", "so_dong": "3", "so_hang": "0"},
         {"nam": "2020", "cum": "", "so_dong": "", "so_hang": "1000"},
         {"nam": "2019", "cum": "", "so_dong": "", "so_hang": "abc"}]


@pytest.mark.parametrize("name", BEFORE)
def test_the_rewritten_queries_return_what_the_queries_before_did(demo, name):
    shuffled_demo(demo)
    with opened(demo) as forms:
        new = reviewer_queries.PER_FORM[name](FORM)["sql"]
        for case in CASES:
            for params in (case, {**case, "cum": forms.execute("SELECT MIN(cluster) FROM units").fetchone()[0]}):
                expected = forms.execute(before(name, FORM), params).fetchall()
                assert forms.execute(new, params).fetchall() == expected, (name, params)
        assert forms.execute(new, CASES[2]).fetchall()  # not nothing


def test_the_rewritten_queries_stop_early_on_their_indexes(demo):
    with opened(demo) as forms:
        plans = {name: " | ".join(row[3] for row in forms.execute(
            "EXPLAIN QUERY PLAN " + reviewer_queries.PER_FORM[name](FORM)["sql"], CASES[0]))
            for name in BEFORE}
    assert "idx_units_cluster_name" in plans["chua_nop"] and "SCAN u" not in plans["chua_nop"].split("UNION")[0]
    assert "SEARCH recognised_years USING INDEX idx_recognised_years_rank (form_id=? AND years=?)" in plans["cong_nhan_moi_nam"]
    assert "idx_tong_quan_rank" in plans["xep_hang_trong_cum"] and "SCAN tong_quan" not in plans["xep_hang_trong_cum"]


def test_a_page_of_every_canned_query_answers(reviewer):
    _product, client = reviewer
    for name in BEFORE:
        response = client.get(f"/data/forms/{name}?nam=2022")
        assert response.status_code == 200 and "took too long" not in response.get_data(as_text=True)


# The sections of a result as ket_qua showed them when it parsed the definition for every row (m017's view).
SECTIONS_BEFORE = """
SELECT t.submission_id, (SELECT group_concat(
            CASE WHEN substr(title, 1, 1) BETWEEN '0' AND '9' THEN rtrim(substr(title, 1, instr(title || ' ', ' ') - 1), '.')
                 ELSE title END
            || ': ' || CASE WHEN score = CAST(score AS INTEGER) THEN CAST(score AS INTEGER) ELSE score END
            || '/' || CASE WHEN max = CAST(max AS INTEGER) THEN CAST(max AS INTEGER) ELSE max END
            || ' (' || CASE passed WHEN 1 THEN 'Đạt' WHEN 0 THEN 'Chưa đạt' ELSE passed END || ')', '; ')
        FROM (SELECT json_extract(section.value, '$.title.' || json_extract(f.definition, '$.languages[0]')) AS title,
                     COALESCE(ss.adjusted_score, ss.score) AS score, ss.max AS max, ss.passed AS passed
              FROM section_scores ss
              JOIN submissions sub ON sub.id = ss.submission_id
              JOIN form_versions f ON f.form_id = sub.form_id AND f.version = sub.form_version
              JOIN json_each(f.definition, '$.sections') section ON json_extract(section.value, '$.id') = ss.section_id
              WHERE ss.submission_id = t.submission_id AND ss.max > 0
              ORDER BY section.key))
FROM tong_quan t ORDER BY 1"""


def test_the_results_sections_read_from_the_kept_titles_are_those_of_the_definition(demo):
    write_every_kind(demo)  # an adjustment among them
    with opened(demo) as forms:
        versions = forms.execute("SELECT COUNT(*) FROM form_versions").fetchone()[0]
        assert forms.execute("SELECT COUNT(DISTINCT form_id || version) FROM section_titles").fetchone()[0] == versions
        shown = forms.execute('SELECT "Mã bài nộp", "Điểm từng phần" FROM ket_qua ORDER BY 1').fetchall()
        assert shown == forms.execute(SECTIONS_BEFORE).fetchall() and any(row[1] for row in shown)
