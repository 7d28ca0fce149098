"""Reviewers' Datasette pages on the demo database, as a fraction of sql_time_limit_ms.

Every canned query Datasette offers (forms_app.rules.charts.canned_queries; nam=2022, ma_don_vi = the first demo
unit, DCS00001 on the 50,000-unit demo) and the page of every table with facets in
forms_app.adapters.reviewers.FACETS (the metadata facets and sort applied, as a reviewer opens it), and
the long-form tables (DETAIL: no default facets) filtered by one submission, the readable views as reviewers use them
(READABLE: one year, a facet asked for), each
requested through the whole product (forms_app.web.create_wsgi + werkzeug's test client, signed
in as the demo reviewer `vanphong`), HTML as a browser gets it. The median of several runs,
after one warm-up request, divided by SQL_TIME_LIMIT_MS (1000 ms); target ≤ 0.1 for each.

A facet that Datasette gave up on (facet_time_limit_ms) or a query stopped at the time limit
counts as a failure too, whatever its time. For every page over the target, the SQL statements
Datasette ran for it are listed slowest first (its Database.execute timed, in this process).

    .venv/bin/python benchmarks/reviewers.py [--quick] [--data-dir DIR] [--runs 5] [--profile]

--profile adds, for every failing page, a cProfile of its Python side (rendering, facet code).
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_data, demo_options, header, ratio_line  # noqa: E402

TARGET = 0.1


# The long-form tables have no default facets; a reviewer opens them filtered by one submission.
DETAIL = ("answers", "section_scores", "criterion_scores")
# The readable views (forms_app/data/readable.py) as reviewers use them beyond their default page: a year's overview
# with its facets, a facet asked for (a word made from a code: a CASE over every row).
READABLE = (
    ("ket_qua of 2022", "ket_qua?N%C4%83m=2022"),
    ("ket_qua + facet Quyết định", "ket_qua?_facet=Quy%E1%BA%BFt+%C4%91%E1%BB%8Bnh"),
    ("quyet_dinh + facet Quyết định", "quyet_dinh?_facet=Quy%E1%BA%BFt+%C4%91%E1%BB%8Bnh"),
)


def canned_queries(data_dir: Path) -> dict[str, dict]:
    """The canned queries Datasette offers on this data directory (one family per scored form)."""
    import sqlite3

    from forms_app.rules.charts import canned_queries as of_forms

    conn = sqlite3.connect(f"file:{Path(data_dir) / 'forms.db'}?mode=ro", uri=True)
    try:
        return of_forms(conn)
    finally:
        conn.close()


def pages(data_dir: Path, first_unit: str, submission: int) -> list[tuple[str, str]]:
    from forms_app.adapters.reviewers import FACETS

    found = []
    for name, query in canned_queries(data_dir).items():
        params = []
        if ":nam" in query["sql"]:
            params.append("nam=2022")
        if ":ma_don_vi" in query["sql"]:
            params.append(f"ma_don_vi={first_unit}")
        found.append((f"query {name}", f"/data/forms/{name}" + ("?" + "&".join(params) if params else "")))
    for table in FACETS:
        found.append((f"facets {table} ({len(FACETS[table])})", f"/data/forms/{table}"))
    for table in DETAIL:
        found.append((f"{table} of a submission", f"/data/forms/{table}?submission_id={submission}"))
    for label, path in READABLE:
        found.append((label, "/data/forms/" + path))
    return found


class SqlLog:
    """Times every statement the Datasette of `app` runs on forms.db (its Database.execute wrapped, in this process
    only, after the timed runs). A statement's time includes its wait for one of Datasette's SQL threads."""

    def __init__(self, app):
        self.entries: list[tuple[float, str, str]] = []
        database = app.datasette.get_database("forms")
        original = database.execute

        async def execute(sql, *args, **kwargs):
            start = time.perf_counter()
            outcome = "ok"
            try:
                return await original(sql, *args, **kwargs)
            except Exception as exc:  # QueryInterrupted when the time limit stopped it
                outcome = type(exc).__name__
                raise
            finally:
                self.entries.append(((time.perf_counter() - start) * 1000, outcome, " ".join(str(sql).split())))

        database.execute = execute

    def page(self, client, url: str, top: int | None = 8) -> list[tuple[float, str, str]]:
        self.entries.clear()
        client.get(url, buffered=True).close()
        return sorted(self.entries, reverse=True)[:top]


def is_suggestion(sql: str) -> bool:
    """A statement of Datasette's facet suggestions (column values, JSON arrays, dates) rather than the page's own."""
    return " as n from " in sql or "select distinct json_type(" in sql or ('glob "????-??-*"' in sql)


def query_plan(data_dir: Path, name: str, first_unit: str) -> list[str]:
    """SQLite's plan for a canned query (read-only connection), one line per step, indented by depth."""
    import sqlite3

    sql = canned_queries(data_dir)[name]["sql"]
    conn = sqlite3.connect(f"file:{Path(data_dir) / 'forms.db'}?mode=ro", uri=True)
    try:
        params = {p: "" for p in re.findall(r":(\w+)", sql)}
        params.update(nam="2022", ma_don_vi=first_unit)
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    finally:
        conn.close()
    depth, lines = {0: 0}, []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * (depth[node] - 1) + detail)
    return lines


class PythonProfiler:
    """cProfile of one page on a second Datasette of the same data, requested through Datasette's own client in this
    thread (the product's a2wsgi wrapper runs Datasette in another thread, out of cProfile's sight); the SQL runs in
    Datasette's SQL threads and shows only as waiting."""

    def __init__(self, app, token: str):
        from forms_app.adapters.reviewers import make_datasette

        self.datasette = make_datasette(app.datasette.forms_app_data_dir, secret=app.flask_app.config["SECRET_KEY"])
        self.token = token

    def page(self, url: str, top: int = 12) -> str:
        import asyncio

        from _common import profile_summary

        from forms_app.adapters.web.context import SESSION_COOKIE

        path = url[len("/data"):]  # Datasette's client adds its base_url

        async def get():
            await self.datasette.client.get(path, cookies={SESSION_COOKIE: self.token})  # an error page is profiled too

        asyncio.run(get())  # warm-up
        return profile_summary(lambda: asyncio.run(get()), top=top, sorts=("tottime",))


def main() -> int:
    parser = demo_options(__doc__)
    parser.add_argument("--runs", type=int, default=None, help="runs per page (5 full, 3 quick)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds at most per page")
    parser.add_argument("--profile", action="store_true", help="also cProfile the Python side of every failing page")
    args = parser.parse_args()
    header("reviewers' Datasette pages as a fraction of sql_time_limit_ms", args.quick)
    runs = args.runs or (3 if args.quick else 5)
    data_dir = demo_data(args)

    from werkzeug.test import Client

    from forms_app.adapters.reviewers import SQL_TIME_LIMIT_MS
    from forms_app.adapters.web.context import SESSION_COOKIE
    from forms_app.adapters.wsgi import create_wsgi
    from forms_app.data import connection as database
    from forms_app.rules import accounts

    database.migrate(data_dir)  # a demo made by an older version gets the summaries first (not timed)
    forms = database.open_forms(data_dir)
    first_unit = forms.execute("SELECT code FROM units ORDER BY code LIMIT 1").fetchone()[0]
    submission = forms.execute("SELECT submission_id FROM criterion_scores LIMIT 1").fetchone()[0]
    counts = {t: forms.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0] for t in ("units", "submissions", "answers", "revisions")}
    forms.close()
    accounts_db = database.open_accounts(data_dir)
    token = accounts.start_session(accounts_db, "vanphong")
    accounts_db.close()
    print(f"data: {data_dir} — " + ", ".join(f"{v} {k}" for k, v in counts.items()))

    app = create_wsgi(data_dir)
    client = Client(app)
    client.set_cookie(SESSION_COOKIE, token, domain="localhost")
    client.get("/data/", buffered=True).close()  # Datasette's start-up

    rows, failing = [], []
    for label, url in pages(data_dir, first_unit, submission):
        client.get(url, buffered=True).close()  # warm-up
        times = []
        start = time.perf_counter()
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(url, buffered=True)
            body = response.get_data(as_text=True)
            response.close()
            times.append(time.perf_counter() - t)
            if time.perf_counter() - start > args.budget:
                break
        median_ms = statistics.median(times) * 1000
        fraction = median_ms / SQL_TIME_LIMIT_MS
        problems = []
        if response.status_code != 200:
            problems.append(f"HTTP {response.status_code}")
        if "took too long" in body:
            problems.append("query stopped at the time limit")
        timed_out = re.search(r'class="facets-timed-out">([^<]*)<', body)
        if timed_out:
            problems.append(timed_out.group(1).strip())
        ok = fraction <= TARGET and not problems
        rows.append((label, url, median_ms, len(times), fraction, ok, problems))
        if not ok:
            failing.append((label, url))

    # One more request per page with every SQL statement timed (after the timed runs, so they carry no overhead).
    log = SqlLog(app)
    statements = {url: log.page(client, url, top=None) for _label, url, *_rest in rows}

    print(f"\nsql_time_limit_ms = {SQL_TIME_LIMIT_MS}; page = the HTML page through create_wsgi, median of up to {runs} "
          f"runs after a warm-up;\nSQL = the statements Datasette ran for one more request of the page (count, sum of "
          f"their times, the slowest; facet and suggestion queries run three at a time, so the sum can exceed the page)\n")
    print(f"{'page':<30} {'page ms':>9} {'runs':>4} {'÷ limit':>8} {'SQL n':>6} {'SQL Σ ms':>9} {'slowest':>8} {'stopped':>7} "
          f"{'suggest n':>9} {'suggest Σ':>9}  result")
    for label, url, median_ms, n, fraction, ok, problems in rows:
        found = statements[url]
        stopped = sum(1 for e in found if e[1] != "ok")
        suggest = [e for e in found if is_suggestion(e[2])]
        print(f"{label:<30} {median_ms:>9.1f} {n:>4} {fraction:>8.3f} {len(found):>6} {sum(e[0] for e in found):>9.1f} "
              f"{(found[0][0] if found else 0):>8.1f} {stopped:>7} {len(suggest):>9} {sum(e[0] for e in suggest):>9.1f}  "
              f"{'PASS' if ok else 'FAIL'}"
              + (f"  ({'; '.join(problems)})" if problems else ""))
    worst = max(rows, key=lambda r: r[4])
    print(f"\n{len(rows) - len(failing)} of {len(rows)} pages within the target; worst: {worst[0]} {worst[4]:.3f}")
    print("('stopped': statements Datasette interrupted at their own limit — suggested facets have 50 ms, facets "
          "facet_time_limit_ms = 400 ms; such a facet is dropped from the page. 'suggest': the statements of Datasette's "
          "facet suggestions, one to three per column of the table, run on every table page)")
    profiler = PythonProfiler(app, token) if failing and args.profile else None
    for label, url in failing:
        print(f"\n--- {label} ({url}): slowest SQL statements of one request ---")
        for ms, outcome, sql in statements[url][:8]:
            print(f"  {ms:8.1f} ms {'' if outcome == 'ok' else '[' + outcome + '] '}{sql[:330]}")
        if label.startswith("query "):
            print(f"--- {label}: EXPLAIN QUERY PLAN ---")
            for line in query_plan(data_dir, label.split()[1], first_unit):
                print(f"  {line}")
        if profiler:
            print(f"--- {label}: Python time of one request (cProfile, Datasette's client in this thread) ---")
            print(profiler.page(url))
    ok = ratio_line("worst_page_over_sql_time_limit", worst[4], "<=", TARGET)
    if failing:
        print(f"FAILING pages: {', '.join(label for label, _ in failing)}")
    return 0 if ok and not failing else 1


if __name__ == "__main__":
    sys.exit(main())
