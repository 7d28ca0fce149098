"""Reviewers' Datasette under /data/: the same sign-in, nobody else, no secrets, every column described."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from support.data import EXAMPLE_ANSWERS, OPEN_DAY, build_data_dir, register
from support.web import ProductClient, sign_in

SELF = "tu-danh-gia-3-chu-dong"


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """The whole product (web app + Datasette) on a data directory with two submitted self-assessments."""
    from forms_app.adapters.wsgi import create_wsgi
    from forms_app.data import connection as database
    from forms_app.rules import registry
    from forms_app.rules import submitting as submissions

    data_dir = build_data_dir(tmp_path_factory.mktemp("reviewers") / "data")
    application = create_wsgi(data_dir, {"TESTING": True, "NOW": OPEN_DAY})
    for unit in ("TOAN", "VAN"):
        register(application.flask_app, unit)
    forms = database.open_forms(data_dir)
    definition = registry.definition(forms, SELF)
    answers = EXAMPLE_ANSWERS  # the latest shipped version's example, the version `definition` is
    for unit in ("TOAN", "VAN"):
        submissions.record(forms, unit_code=unit, definition=definition, cycle_year=2022, answers=answers,
                           action="submit", author=unit.lower(), base_revision=None, request_token=f"t-{unit}")
    forms.close()
    return application


def signed_in(product, username: str | None) -> ProductClient:
    client = ProductClient(product)
    if username is not None:
        sign_in(client, username)
    return client


def datasette_urls() -> list[str]:
    from forms_app.data.reviewer_queries import LATE, PER_FORM

    queries = list(PER_FORM) + list(LATE)  # their names with one scored form (the shipped self-assessment)

    urls = [
        "/data", "/data/", "/data/forms", "/data/forms.json", "/data/forms/units", "/data/forms/units.json",
        "/data/forms/units.csv", "/data/forms/submissions?_facet=band", "/data/forms/tong_quan.json",
        "/data/forms/answers.csv?_size=5", "/data/forms.json?sql=select+code,+name+from+units",
        "/data/forms.csv?sql=select+1", "/data/-/metadata.json", "/data/-/actor.json", "/data/-/bieu-do", "/data/-/static/app.css",
    ]
    urls += [f"/data/forms/{name}?nam=2022&ma_don_vi=TOAN" for name in queries]
    urls += [f"/data/forms/{name}.json?nam=2022&ma_don_vi=TOAN" for name in queries]
    return urls


@pytest.mark.parametrize("url", datasette_urls())
def test_datasette_is_for_reviewers_only(product, url):
    anonymous = signed_in(product, None).get(url)
    assert anonymous.status_code in (302, 403)
    if anonymous.status_code == 302:
        assert anonymous.headers["Location"].startswith("/login")
    unit = signed_in(product, "toan").get(url)
    assert unit.status_code == 403
    assert b"TOAN" not in unit.data and "Toán".encode() not in unit.data
    for reviewer in ("vanphong", "admin"):
        response = signed_in(product, reviewer).get(url)
        assert response.status_code == 200, (reviewer, url, response.get_data(as_text=True)[:300])


def test_reviewer_sees_units_of_every_cluster(product):
    rows = signed_in(product, "vanphong").get("/data/forms/units.json?_shape=objects").get_json()["rows"]
    assert {r["code"] for r in rows} == {"TOAN", "VAN", "LY"}


def _sql(client: ProductClient, sql: str):
    return client.get("/data/forms.json", query_string={"sql": sql, "_shape": "arrays"})


def test_no_password_hash_or_token_is_reachable_by_a_reviewers_sql(product):
    reviewer = signed_in(product, "admin")
    tables = [r[0] for r in _sql(reviewer, "select name from sqlite_master where type in ('table', 'view')").get_json()["rows"]]
    secret = re.compile(r"password|passwd|secret|token|session|hash|salt", re.I)
    checked = 0
    for table in tables:
        columns = [r[0] for r in _sql(reviewer, f"select name from pragma_table_info('{table}')").get_json()["rows"]]
        for column in columns:
            if secret.search(column):
                rows = _sql(reviewer, f'select count(*) from "{table}" where "{column}" is not null').get_json()["rows"]
                assert rows == [[0]], f"{table}.{column} is readable"
                checked += 1
    assert checked >= 2  # revisions.request_token and uploads.token are there, and read as NULL
    # The request tokens really exist in the file: it is the authorizer that hides them.
    conn = sqlite3.connect(product.flask_app.config["DATA_DIR"] / "forms.db")
    assert conn.execute("select count(*) from revisions where request_token is not null").fetchone()[0] >= 2
    conn.close()


@pytest.mark.parametrize("sql", [
    "attach database 'accounts.db' as a",
    "ATTACH DATABASE '/etc/passwd' AS x",
    "select * from a.users",
    "select * from accounts.users",
    "select password_hash from users",
    "select * from sessions",
])
def test_attach_and_the_accounts_database_are_out_of_reach(product, sql):
    response = _sql(signed_in(product, "admin"), sql)
    assert response.status_code in (400, 403)
    body = response.get_data(as_text=True)
    assert "argon2" not in body


def test_only_forms_db_is_open_in_datasette(product):
    reviewer = signed_in(product, "vanphong")
    assert list(reviewer.get("/data/.json").get_json()) == ["forms"]
    assert _sql(reviewer, "select name from pragma_database_list").status_code == 400  # absolute paths


def test_every_table_view_and_column_has_a_vietnamese_description(product):
    from forms_app.adapters.reviewers import metadata

    tables = metadata()["databases"]["forms"]["tables"]
    conn = sqlite3.connect(product.flask_app.config["DATA_DIR"] / "forms.db")
    names = [r[0] for r in conn.execute(
        "select name from sqlite_master where type in ('table', 'view') and name not like 'units_fts%' "
        "and name not like 'sqlite_%' and name != '_sqlite_migrations'")]
    missing = []
    for name in names:
        assert name in tables and tables[name].get("title") and tables[name].get("description"), name
        columns = [r[1] for r in conn.execute(f"pragma table_info('{name}')")]
        missing += [f"{name}.{c}" for c in columns if not tables[name]["columns"].get(c)]
    conn.close()
    assert missing == []


def test_metadata_reaches_datasette_pages(product):
    reviewer = signed_in(product, "vanphong")
    page = reviewer.get("/data/forms/submissions").get_data(as_text=True)
    assert "Bài nộp" in page and "Xếp loại" in page
    facets = reviewer.get("/data/forms/tong_quan.json?_facet=cluster").get_json()
    assert "cluster" in facets["facet_results"] or "cluster" in json.dumps(facets)


@pytest.mark.parametrize("typed, expected", [("toan", "Đoàn khoa Toán – Tin"), ("Toán", "Đoàn khoa Toán – Tin"),
                                             ("doan khoa van", "Đoàn khoa Ngữ văn"), ("VẬT LÝ", "Đoàn khoa Vật lý")])
def test_unit_search_ignores_diacritics(product, typed, expected):
    rows = signed_in(product, "vanphong").get(
        "/data/forms/units.json", query_string={"_search": typed, "_shape": "objects"}).get_json()["rows"]
    assert expected in [r["name"] for r in rows]


def test_every_canned_query_has_a_vietnamese_title_naming_its_form_and_runs(product):
    from forms_app.data import connection
    from forms_app.rules import registry
    from forms_app.rules.charts import canned_queries

    reviewer = signed_in(product, "vanphong")
    listed = {q["name"]: q for q in reviewer.get("/data/forms.json").get_json()["queries"]}
    forms = connection.open_forms(product.flask_app.config["DATA_DIR"])
    try:
        queries, [scored] = canned_queries(forms), registry.scored_forms(forms)
    finally:
        forms.close()
    assert set(listed) == set(queries) and len(queries) == 7
    for name, query in queries.items():
        assert query["title"] and query["description"] and listed[name]["title"] == query["title"]
        assert name == "sua_sau_han" or query["title"].endswith(" — " + scored.title.get("vi")), name
        response = reviewer.get(f"/data/forms/{name}.json", query_string={"nam": "2022", "ma_don_vi": "TOAN", "_shape": "objects"})
        assert response.status_code == 200 and response.get_json()["ok"], name


def test_canned_queries_answer_what_they_say(product):
    reviewer = signed_in(product, "vanphong")

    def rows(name, **params):
        return reviewer.get(f"/data/forms/{name}.json", query_string={**params, "_shape": "objects"}).get_json()["rows"]

    not_submitted = rows("chua_nop", nam="2022")
    assert [r["Mã đơn vị"] for r in not_submitted] == ["LY"]
    assert rows("chua_nop") == rows("chua_nop", nam="") == not_submitted  # no year chosen: the latest year's rows
    assert not_submitted[0]["Đăng ký"] == "chưa đăng ký"
    ranking = rows("xep_hang_trong_cum", nam="2022")
    assert {r["Mã đơn vị"] for r in ranking} == {"TOAN", "VAN"}
    assert all(r["Hạng trong cum".replace("cum", "cụm")] == 1 for r in ranking)  # one unit per cluster
    criteria = rows("tieu_chi_yeu_nhat", nam="2022")
    assert len(criteria) == 13
    ratios = [r["Tỉ lệ (%)"] for r in criteria]
    assert ratios == sorted(ratios)
    history = rows("lich_su_don_vi", ma_don_vi="TOAN")
    assert [r["Năm"] for r in history] == [2018, 2019, 2020, 2021, 2022]
    assert history[-1]["Báo cáo"] == "Đã nộp" and history[-1]["Quyết định"] in ("Công nhận", "Chưa có quyết định")
    distribution = rows("phan_bo_diem")
    assert sum(r["Số đơn vị"] for r in distribution) == 2


def test_charts_are_drawn_as_svg_on_the_server(product):
    page = signed_in(product, "vanphong").get("/data/-/bieu-do").get_data(as_text=True)
    assert page.count("<svg class=\"chart\"") == 3
    assert "Phân bố tổng điểm theo năm" in page and "Tỉ lệ công nhận theo năm" in page
    figures = page[page.index("<figure>"):page.rindex("</figure>")]
    assert "<script" not in figures
