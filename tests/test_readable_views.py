"""Readable data first in reviewers' Datasette (issue 17): views with Vietnamese column names and Vietnamese words for
every stored code, listed before the tables, cheap at national scale; the tables stay, described for analysts."""

from __future__ import annotations

import re
import sqlite3

import pytest
from support.data import EXAMPLE_ANSWERS, OPEN_DAY, SELF, build_data_dir, register
from support.web import ProductClient, sign_in

from forms_app.data import readable, reviewer_access

VIEWS = readable.VIEWS
# Every code the tables may hold in a column a view turns into words (the CHECK constraints are read below too).
CODES = {"draft", "submitted", "recognised", "not_recognised", "returned", "withdrawn", "accepted", "web", "import"}


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """The product with TOAN submitted (its history holds every kind of decision), VAN submitted without a decision,
    LY's self-assessment a draft, and one inspection of TOAN."""
    from forms_app.adapters.wsgi import create_wsgi
    from forms_app.data import connection as database
    from forms_app.data import decisions, inspections, uploads
    from forms_app.rules import registry
    from forms_app.rules import submitting as submissions

    data_dir = build_data_dir(tmp_path_factory.mktemp("readable") / "data")
    application = create_wsgi(data_dir, {"TESTING": True, "NOW": OPEN_DAY})
    for unit in ("TOAN", "VAN", "LY"):
        register(application.flask_app, unit)
    forms = database.open_forms(data_dir)
    definition = registry.definition(forms, SELF)
    for unit, action in (("TOAN", "submit"), ("VAN", "submit"), ("LY", "save")):
        submissions.record(forms, unit_code=unit, definition=definition, cycle_year=2022, answers=EXAMPLE_ANSWERS,
                           action=action, author=unit.lower(), base_revision=None, request_token=f"t-{unit}")
    # Straight into the table (the rules would refuse some of these in this order): the views read codes, not rules.
    for n, (kind, source) in enumerate((("returned", "web"), ("recognised", "import"), ("withdrawn", "web"),
                                        ("not_recognised", "web"), ("accepted", "web"), ("recognised", "web"))):
        decisions.insert(forms, {"unit_code": "TOAN", "form_id": SELF, "cycle_year": 2022, "decision": kind,
                                 "decision_no": f"{n + 1}-QĐ/ĐTN", "decided_on": "2022-10-15",
                                 "reopen_until": "2022-10-20" if kind == "returned" else None,
                                 "commendation": int(n == 5), "source": source, "recorded_by": "vanphong",
                                 "recorded_at": f"2022-10-15T0{n}:30:00+00:00"})
    uploads.insert_many(forms, [{"token": "bien-ban", "unit_code": "TOAN", "form_id": SELF, "cycle_year": 2022,
                                 "question_id": "bien_ban_kiem_tra", "original_name": "bien-ban.pdf", "sha256": "0" * 64,
                                 "size": 1, "uploaded_by": "kiemtra", "uploaded_at": "2022-10-08T08:00:00+00:00"}])
    inspections.insert(forms, {"unit_code": "TOAN", "form_id": SELF, "cycle_year": 2022, "inspected_on": "2022-10-08",
                               "members": "Đ/c Nguyễn Văn An", "conclusion": "Đúng kế hoạch.", "minutes_token": "bien-ban",
                               "recorded_by": "kiemtra", "recorded_at": "2022-10-08T08:00:00+00:00"})
    forms.conn.commit()
    forms.close()
    return application


def reviewer(product) -> ProductClient:
    client = ProductClient(product)
    sign_in(client, "vanphong")
    return client


def rows(client, view: str, **args) -> list[dict]:
    response = client.get(f"/data/forms/{view}.json", query_string={"_shape": "objects", "_size": "max", **args})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["rows"]


def forms_db(product) -> sqlite3.Connection:
    return sqlite3.connect(product.flask_app.config["DATA_DIR"] / "forms.db")


def test_the_readable_views_exist_and_come_first_in_the_metadata(product):
    from forms_app.adapters.reviewers import metadata

    conn = forms_db(product)
    views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    conn.close()
    assert set(VIEWS) <= views
    tables = metadata()["databases"]["forms"]["tables"]
    assert list(tables)[:len(VIEWS)] == list(VIEWS)
    for name in VIEWS:
        assert tables[name]["title"] and tables[name]["description"]


def test_the_database_page_lists_the_everyday_views_first_then_the_queries_then_the_raw_tables(product):
    page = reviewer(product).get("/data/forms").get_data(as_text=True)
    at = {name: page.index(f'/data/forms/{name}"') for name in VIEWS}
    assert list(at) == sorted(at, key=at.get)  # in the order reviewers meet them
    first_query = page.index('id="queries"')
    raw = page.index('id="tables"')
    assert max(at.values()) < first_query < raw < page.index('/data/forms/answers"')
    assert page.index('/data/forms/tong_quan"') > raw  # the raw overview is for analysts


def test_every_column_of_the_views_is_a_described_vietnamese_name(product):
    from forms_app.adapters.reviewers import metadata

    tables = metadata()["databases"]["forms"]["tables"]
    conn = forms_db(product)
    for view in VIEWS:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({view})")]
        assert columns, view
        for column in columns:
            assert not re.fullmatch(r"[a-z_0-9]+", column), f"{view}.{column} reads as an identifier"
            assert tables[view]["columns"].get(column), f"{view}.{column} has no description"
    conn.close()


def test_the_raw_tables_are_described_as_for_analysts(product):
    from forms_app.adapters.reviewers import metadata

    tables = metadata()["databases"]["forms"]["tables"]
    for name in ("tong_quan", "submissions", "decisions", "answers", "current_decisions"):
        assert "cho người phân tích" in tables[name]["description"], name
    for name in VIEWS:
        assert "cho người phân tích" not in tables[name]["description"], name


def test_words_cover_every_code_the_tables_allow(product):
    conn = forms_db(product)
    schema = " ".join(r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE name IN ('decisions', 'submissions')"))
    conn.close()
    for column, kind in (("decision", "decision"), ("status", "status"), ("source", "source")):
        allowed = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", schema).group(1)
        codes = set(re.findall(r"'(\w+)'", allowed))
        assert codes and codes <= set(readable.WORDS[kind]), (column, codes - set(readable.WORDS[kind]))


def test_reviewers_read_every_code_as_a_vietnamese_word_and_no_code_leaks(product):
    client = reviewer(product)
    results = {r["Mã đơn vị"]: r for r in rows(client, "ket_qua")}
    assert results["TOAN"]["Trạng thái"] == "Đã nộp" and results["LY"]["Trạng thái"] == "Bản nháp"
    assert results["TOAN"]["Quyết định"] == "Công nhận" and results["VAN"]["Quyết định"] == "Chưa có quyết định"
    assert results["TOAN"]["Đề nghị tuyên dương"] == "Có" and results["VAN"]["Đề nghị tuyên dương"] is None
    assert results["TOAN"]["Điều kiện công nhận"] in ("Đạt", "Chưa đạt")
    assert results["TOAN"]["Ngày quyết định"] == "15/10/2022"
    # The scored sections in form order, each named by its number: "2.1: 30/40 (Đạt); 2.2: …; 2.3: …".
    section = r"[\d.]+/[\d.]+ \((Đạt|Chưa đạt)\)"
    assert re.fullmatch(rf"2\.1: {section}; 2\.2: {section}; 2\.3: {section}", results["TOAN"]["Điểm từng phần"]), \
        results["TOAN"]["Điểm từng phần"]
    bands = {r["Xếp loại"] for r in results.values() if r["Xếp loại"]}
    assert bands and bands <= {"Xuất sắc", "Tốt", "Khá", "Chưa đạt"}
    decided = rows(client, "quyet_dinh")
    assert {r["Quyết định"] for r in decided} == {"Trả lại để bổ sung", "Công nhận", "Thu hồi công nhận",
                                                  "Không công nhận", "Tiếp nhận"}
    assert {r["Nguồn"] for r in decided} == {"Ghi trên trang", "Nhập từ tệp"}
    assert [r["Hiện hành"] for r in decided].count("Có") == 1
    assert {r["Mở lại đến hết ngày"] for r in decided} == {None, "20/10/2022"}
    assert decided[0]["Ghi lúc"] == "15/10/2022 12:30"  # newest first, in the deployment's time zone (UTC+7)
    criteria = rows(client, "diem_tieu_chi")
    assert criteria and all(r["Nội dung tiêu chí"] and r["Số bài nộp"] == 2 for r in criteria)
    inspected = rows(client, "kiem_tra")
    assert [(r["Mã đơn vị"], r["Tên đơn vị"], r["Ngày kiểm tra"]) for r in inspected] == [
        ("TOAN", "Đoàn khoa Toán – Tin", "08/10/2022")]
    for view in VIEWS:
        for row in rows(client, view):
            leaked = {v for v in row.values() if isinstance(v, str) and v in CODES}
            assert not leaked, (view, leaked)


def test_the_views_read_as_html_pages_with_vietnamese_headers_and_values(product):
    client = reviewer(product)
    page = client.get("/data/forms/ket_qua").get_data(as_text=True)
    for text in ("Kết quả từng đơn vị theo năm", "Mã đơn vị", "Tổng điểm", "Đã nộp", "Công nhận", "Đoàn khoa Toán – Tin"):
        assert text in page, text
    assert ">submitted<" not in page and ">recognised<" not in page
    database = client.get("/data/forms").get_data(as_text=True)
    assert all(f"/data/forms/{view}" in database for view in VIEWS)


def test_default_facets_sorting_and_filters_work_on_vietnamese_columns(product):
    client = reviewer(product)
    page = client.get("/data/forms/ket_qua.json").get_json()
    assert set(page["facet_results"]) == {"Năm", "Cụm", "Xếp loại"}
    assert "sorted by Tổng điểm descending" in page["human_description_en"]
    totals = [r[page["columns"].index("Tổng điểm")] for r in page["rows"]]
    assert totals == sorted(totals, key=lambda t: (t is not None, t), reverse=True)
    decisions = client.get("/data/forms/ket_qua.json", query_string={"_facet": "Quyết định"}).get_json()
    counted = {v["value"]: v["count"] for v in decisions["facet_results"]["Quyết định"]["results"]}
    assert counted == {"Công nhận": 1, "Chưa có quyết định": 2}
    assert [r["Mã đơn vị"] for r in rows(client, "ket_qua", **{"Quyết định": "Công nhận"})] == ["TOAN"]
    assert {r["Mã đơn vị"] for r in rows(client, "ket_qua", **{"Cụm": "Cụm 1 – Khoa học Tự nhiên", "Năm": "2022"})} == {
        "TOAN", "LY"}
    assert [r["Mã đơn vị"] for r in rows(client, "ket_qua", _sort="Mã đơn vị")] == ["LY", "TOAN", "VAN"]
    # A column whose values are made for every row (words, dates, the sections' line) is refused for sorting:
    # sorting on it would compute it for every row of the table.
    for column in ("Điểm từng phần", "Tên đơn vị", "Quyết định", "Nộp lúc"):
        assert client.get("/data/forms/ket_qua.json", query_string={"_sort": column}).status_code != 200, column
    years = client.get("/data/forms/quyet_dinh.json").get_json()["facet_results"]["Năm"]["results"]
    assert [(y["value"], y["count"]) for y in years] == [(2022, 6)]


def test_accounts_stay_out_of_reach_beside_the_views(product):
    client = reviewer(product)
    for sql in ("select * from users", "select * from sessions", "attach database 'accounts.db' as a"):
        assert client.get("/data/forms.json", query_string={"sql": sql}).status_code in (400, 403), sql
    response = client.get("/data/forms.json", query_string={"sql": "select * from ket_qua", "_shape": "objects"})
    assert response.status_code == 200 and response.get_json()["rows"]
    anonymous = ProductClient(product).get("/data/forms/ket_qua.json")
    assert anonymous.status_code in (302, 403)


def _reads(conn: sqlite3.Connection, modules: set[str], sql: str) -> set[tuple[str, str]]:
    """(table, column) pairs SQLite's authorizer is asked about while running `sql`, through reviewer_access's own."""
    authorizer = reviewer_access.Authorizer(modules)
    seen: set[tuple[str, str]] = set()

    def recording(action, first, second, database, source):
        if action == sqlite3.SQLITE_READ:
            seen.add((first, second))
        return authorizer(action, first, second, database, source)

    conn.set_authorizer(recording)
    try:
        conn.execute(sql).fetchall()
    finally:
        conn.set_authorizer(None)
    return seen


def test_reviewer_access_lets_the_views_read_their_tables_and_no_secret(product):
    conn = forms_db(product)
    modules = {r[0] for r in conn.execute("PRAGMA module_list")}
    reviewer_access.prepare(conn, "forms")  # the linear instr and trims the sections' line calls
    read_by = {view: {table for table, _ in _reads(conn, modules, f"SELECT * FROM {view}")} for view in VIEWS}
    assert read_by == {
        "ket_qua": {"ket_qua", "tong_quan", "form_versions", "section_scores", "submissions", "section_titles"},
        "diem_tieu_chi": {"diem_tieu_chi", "criterion_totals", "form_versions", "criteria"},
        "quyet_dinh": {"quyet_dinh", "decisions", "units", "form_versions"},
        "kiem_tra": {"kiem_tra", "inspections", "units", "form_versions"},
    }
    for view in VIEWS:
        assert not _reads(conn, modules, f"SELECT * FROM {view}") & reviewer_access.SECRET_COLUMNS, view
    conn.close()


def _plan(conn: sqlite3.Connection, sql: str) -> list[str]:
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]


def test_a_page_a_count_and_the_default_facets_of_each_view_never_scan_answers_or_revisions(product):
    """What Datasette runs for a view's page: the page (sorted as the metadata says), its count, each default facet."""
    from forms_app.adapters.reviewers import FACETS, SORT

    conn = forms_db(product)
    statements = []
    for view in VIEWS:
        order = ""
        if view in SORT:
            key, column = SORT[view]
            order = f' ORDER BY "{column}"' + (" DESC" if key == "sort_desc" else "")
        statements += [f"SELECT * FROM {view}{order} LIMIT 51", f"SELECT count(*) FROM {view}"]
        statements += [f'SELECT "{c}" AS value, count(*) AS count FROM (SELECT * FROM {view}) WHERE "{c}" IS NOT NULL '
                       f'GROUP BY "{c}" ORDER BY count DESC, value LIMIT 31' for c in FACETS.get(view, [])]
    for sql in statements:
        plan = " | ".join(_plan(conn, sql))
        assert not re.search(r"\b(answers|revisions|adjustments|audit_log)\b", plan), (sql, plan)
        # No full scan of a summary or of decisions (criterion_totals, `ct`, has a row per criterion and year), but
        # for a page that stops at 51 rows.
        if "LIMIT 51" not in sql:
            assert not re.search(r"SCAN (t|d|ss|k)\b(?! USING)", plan), (sql, plan)
    conn.close()


def test_the_facets_of_the_overview_read_one_index_each(product):
    from forms_app.adapters.reviewers import FACETS

    conn = forms_db(product)
    for column in FACETS["ket_qua"]:
        plan = " | ".join(_plan(conn, f'SELECT "{column}" AS value, count(*) FROM (SELECT * FROM ket_qua) '
                                      f'WHERE "{column}" IS NOT NULL GROUP BY "{column}"'))
        assert "USING COVERING INDEX idx_tong_quan_" in plan and "TEMP B-TREE FOR GROUP BY" not in plan, (column, plan)
    for column, index in (("Cụm", "idx_tong_quan_year_cluster"), ("Xếp loại", "idx_tong_quan_year_band")):
        plan = " | ".join(_plan(conn, f'SELECT "{column}", count(*) FROM (SELECT * FROM ket_qua WHERE "Năm" = 2022) '
                                      f'WHERE "{column}" IS NOT NULL GROUP BY "{column}"'))
        assert f"COVERING INDEX {index}" in plan, plan
    conn.close()


def test_the_views_words_are_made_from_one_home(product):
    conn = forms_db(product)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'ket_qua'").fetchone()[0]
    conn.close()
    assert readable.case("t.status", "status") in sql and readable.case("t.decision", "decision") in sql


def test_migration_m017_adds_views_and_indexes_and_changes_no_row(product, tmp_path):
    from sqlite_utils import Database

    from forms_app.data.migrations.forms import m017_readable_views

    copy = tmp_path / "forms.db"
    source = forms_db(product)
    source.execute("VACUUM INTO ?", [str(copy)])
    source.close()
    conn = sqlite3.connect(copy)
    added = {"idx_inspections_year", "idx_tong_quan_year_cluster", "idx_tong_quan_year_band"}
    for view in VIEWS:
        conn.execute(f"DROP VIEW {view}")
    for index in added:
        conn.execute(f"DROP INDEX {index}")
    conn.commit()

    def schema_and_rows():
        schema = set(conn.execute("SELECT type, name FROM sqlite_master"))
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return schema, {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1, 2').fetchall() for t in tables}

    schema, rows_before = schema_and_rows()
    m017_readable_views(Database(conn))
    conn.commit()
    schema_after, rows_after = schema_and_rows()
    conn.close()
    assert schema_after - schema == {("view", v) for v in VIEWS} | {("index", i) for i in added}
    assert not schema - schema_after
    assert rows_after == rows_before


def test_a_sort_datasette_refuses_is_a_400_with_a_sentence_not_a_500_in_english(product):
    client = reviewer(product)
    page = client.get("/data/forms/ket_qua", query_string={"_sort": "Điểm từng phần"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "Không sắp xếp được theo cột “Điểm từng phần”" in text
    assert "Cannot sort" not in text
    answer = client.get("/data/forms/tong_quan.json", query_string={"_size": "-3"})
    assert answer.status_code == 400 and answer.get_json()["error"] == "Số dòng mỗi trang phải là một số nguyên dương."


def test_decimals_in_cells_are_written_as_the_page_s_language_writes_them(product):
    client = reviewer(product)
    scores = [r["total"] for r in rows(client, "tong_quan") if r["total"] is not None]
    assert scores and all(isinstance(s, float) for s in scores)
    page = client.get("/data/forms/tong_quan", query_string={"_col": "total"}).get_data(as_text=True)
    cells = re.findall(r'<td class="col-total[^"]*"[^>]*>([^<]*)</td>', page)
    assert cells and not [c for c in cells if c.strip().endswith(".0")], cells
    assert {c.strip() for c in cells} >= {f"{s:g}".replace(".", ",") for s in scores}
    english = client.get("/data/forms/tong_quan", query_string={"_col": "total", "lang": "en"}).get_data(as_text=True)
    assert {c.strip() for c in re.findall(r'<td class="col-total[^"]*"[^>]*>([^<]*)</td>', english)} >= {f"{s:g}" for s in scores}
