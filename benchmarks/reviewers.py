"""Every reviewer page on the demo database: the web app's (the status board with its filters and pages, the queue,
a unit's review page, the proposals, the reminders) and Datasette's (its index and database pages, the charts, every
canned query, every table with facets, the readable views, the long tables unfiltered and by one submission).

Every canned query Datasette offers (forms_app.rules.charts.canned_queries; nam=2022, ma_don_vi = the first demo
unit, DCS00001 on the 50,000-unit demo) and the page of every table with facets in
forms_app.adapters.reviewers.FACETS (the metadata facets and sort applied, as a reviewer opens it), and
the long-form tables (DETAIL: no default facets) filtered by one submission, the readable views as reviewers use them
(READABLE: one year, a facet asked for), each
requested through the whole product (forms_app.web.create_wsgi + werkzeug's test client, signed
in as the demo reviewer `vanphong`), HTML as a browser gets it. The median of several runs, after one warm-up
request. Targets (issue 18): a canned query or a facet page ≤ QUERY_TARGET (0.05) of SQL_TIME_LIMIT_MS (1000 ms),
every other page ≤ PAGE_TARGET_MS (200 ms).

The pages computed over every unit (the board, the queue, the charts) are kept until a write changes what they read
(forms_app/rules/summaries.py); their first request after a write is measured too ("after a write": the kept results
forgotten before each run), reported, not targeted.

A facet that Datasette gave up on (facet_time_limit_ms) or a query stopped at the time limit
counts as a failure too, whatever its time. For every page over the target, the SQL statements
Datasette ran for it are listed slowest first (its Database.execute timed, in this process).

    .venv/bin/python benchmarks/reviewers.py [--quick] [--data-dir DIR] [--runs 5] [--profile] [--only TEXT]

--profile adds, for every failing page, a cProfile of its Python side (rendering, facet code).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_data, demo_options, header, ratio_line  # noqa: E402

QUERY_TARGET = 0.05  # canned queries and facet pages, as a fraction of the time limit
PAGE_TARGET_MS = 200.0  # every other page


# The long-form tables have no default facets; a reviewer opens them filtered by one submission.
DETAIL = ("answers", "section_scores", "criterion_scores")
# The long tables a reviewer may open unfiltered (Datasette counts their rows on every page).
LONG = ("answers", "revisions", "section_scores", "criterion_scores", "audit_log")
# The pages computed over every unit, kept until a write (forms_app/rules/summaries.py): also measured after one.
KEPT = ("/", "/?year=all", "/board/queue", "/data/-/bieu-do")
FIRST_CLUSTER = "Cụm 1 – Khoa học Tự nhiên"
# The readable views (forms_app/data/readable.py) and tables as reviewers use them beyond their default page: a year's
# overview with its facets, a facet asked for (a word made from a code, counted by triggers as the default facets are),
# a year of a table, a cluster (a filter the kept counts do not answer).
READABLE = (
    ("ket_qua of 2022", "ket_qua?N%C4%83m=2022"),
    ("ket_qua + facet Quyết định", "ket_qua?_facet=Quy%E1%BA%BFt+%C4%91%E1%BB%8Bnh"),
    ("quyet_dinh + facet Quyết định", "quyet_dinh?_facet=Quy%E1%BA%BFt+%C4%91%E1%BB%8Bnh"),
    # A table's page filtered by its year: its default facets are read from the kept counts of that year.
    ("tong_quan of 2022", "tong_quan?cycle_year=2022"),
    ("decisions of 2022", "decisions?cycle_year=2022"),
    # Filtered otherwise: Datasette's own facet queries (forms_app/adapters/reviewers/facets.py), reported the same.
    ("ket_qua of one cluster", "ket_qua?C%E1%BB%A5m=" + quote(FIRST_CLUSTER)),
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


def pages(data_dir: Path, first_unit: str, submission: int, scored_form: str,
          other_form: str | None) -> list[tuple[str, str, str]]:
    """(label, address, kind) of every reviewer page measured; kind "query" (a canned query or a facet page: measured
    against QUERY_TARGET) or "page" (PAGE_TARGET_MS)."""
    from forms_app.adapters.reviewers import FACETS

    found = [
        ("board (default year)", "/", "page"),
        ("board, every year", "/?year=all", "page"),
        ("board, awaiting decision", "/?status=awaiting_decision", "page"),
        ("board, not submitted, page 20", "/?status=not_submitted&page=20", "page"),
        ("board, one cluster", "/?cluster=" + quote(FIRST_CLUSTER), "page"),
        ("board, search 'toan'", "/?q=toan", "page"),
        ("board, page 500", "/?page=500", "page"),
    ]
    if other_form:
        found.append(("board, the other form", f"/?form={other_form}", "page"))
    found += [
        ("queue", "/board/queue", "page"),
        ("queue, results that meet the rule", "/board/queue?meets=yes", "page"),
        ("review page of a unit", f"/review/{first_unit}/{scored_form}/2022", "page"),
        ("proposals", "/office/proposals", "page"),
        ("reminders", "/office/reminders", "page"),
        ("Datasette index", "/data/", "page"),
        ("database page /data/forms", "/data/forms", "page"),
        ("charts", "/data/-/bieu-do", "page"),
        ("charts of 2020", "/data/-/bieu-do?nam=2020", "page"),
    ]
    for name, query in canned_queries(data_dir).items():
        params = []
        if ":nam" in query["sql"]:
            params.append("nam=2022")
        if ":ma_don_vi" in query["sql"]:
            params.append(f"ma_don_vi={first_unit}")
        found.append((f"query {name}", f"/data/forms/{name}" + ("?" + "&".join(params) if params else ""), "query"))
    for table in FACETS:
        found.append((f"facets {table} ({len(FACETS[table])})", f"/data/forms/{table}", "query"))
    for label, path in READABLE:
        found.append((label, "/data/forms/" + path, "query"))
    for table in LONG:
        found.append((f"{table}, unfiltered", f"/data/forms/{table}", "page"))
    for table in DETAIL:
        found.append((f"{table} of a submission", f"/data/forms/{table}?submission_id={submission}", "page"))
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


def _touch_a_unit(data_dir: Path) -> None:
    """A write the kept results read, which changes nothing: one unit's row written again as it is (its triggers log
    a write that may concern every unit, so the charts are drawn again)."""
    from forms_app.data import connection as database

    forms = database.open_forms(data_dir)
    try:
        with database.write(forms):
            forms.execute("UPDATE units SET name = name WHERE code = (SELECT MIN(code) FROM units)")
    finally:
        forms.close()


def _wait_for_catch_up(seconds: float = 120.0) -> None:
    """Until no kept result is being computed again beside the requests."""
    from forms_app.rules import board, charts

    stop = time.monotonic() + seconds
    while (charts.drawing_again() or board.catching_up()) and time.monotonic() < stop:
        time.sleep(0.05)


def timed(client, url: str, runs: int, budget: float, before=None) -> tuple[float, int, int, str]:
    """(median ms, runs, status, body) of `url` after one warm-up request; `before()` runs before each request."""
    client.get(url, buffered=True).close()  # warm-up
    times, start = [], time.perf_counter()
    for _ in range(runs):
        if before is not None:
            before()
        t = time.perf_counter()
        response = client.get(url, buffered=True)
        body = response.get_data(as_text=True)
        response.close()
        times.append(time.perf_counter() - t)
        if time.perf_counter() - start > budget:
            break
    return statistics.median(times) * 1000, len(times), response.status_code, body


def problems_of(status: int, body: str) -> list[str]:
    """What makes a page fail whatever its time: an error, a query stopped, a facet given up."""
    problems = [f"HTTP {status}"] if status != 200 else []
    if "took too long" in body:
        problems.append("query stopped at the time limit")
    timed_out = re.search(r'class="facets-timed-out">([^<]*)<', body)
    if timed_out:
        problems.append(timed_out.group(1).strip())
    return problems


def main() -> int:
    parser = demo_options(__doc__)
    parser.add_argument("--runs", type=int, default=None, help="runs per page (5 full, 3 quick)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds at most per page")
    parser.add_argument("--profile", action="store_true", help="also cProfile the Python side of every failing page")
    parser.add_argument("--only", default="", help="only the pages whose label contains this text")
    args = parser.parse_args()
    header("every reviewer page: ms, and canned queries and facet pages as a fraction of sql_time_limit_ms", args.quick)
    runs = args.runs or (3 if args.quick else 5)
    data_dir = demo_data(args)

    from werkzeug.test import Client

    from forms_app.adapters.reviewers import SQL_TIME_LIMIT_MS
    from forms_app.adapters.web.context import SESSION_COOKIE
    from forms_app.adapters.wsgi import create_wsgi
    from forms_app.data import connection as database
    from forms_app.rules import accounts, summaries

    database.migrate(data_dir)  # a demo made by an older version gets the summaries first (not timed)
    forms = database.open_forms(data_dir)
    first_unit = forms.execute("SELECT code FROM units ORDER BY code LIMIT 1").fetchone()[0]
    submission, scored_form = forms.execute("SELECT submission_id, form_id FROM criterion_scores LIMIT 1").fetchone()
    other = forms.execute("SELECT form_id FROM form_versions WHERE form_id != ? LIMIT 1", [scored_form]).fetchone()
    counts = {t: forms.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0] for t in ("units", "submissions", "answers", "revisions")}
    forms.close()
    accounts_db = database.open_accounts(data_dir)
    token = accounts.start_session(accounts_db, "vanphong")
    accounts_db.close()
    print(f"data: {data_dir} — " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    print(f"load average before: {Path('/proc/loadavg').read_text().split()[:3]} on {os.cpu_count()} cores", flush=True)

    app = create_wsgi(data_dir)
    client = Client(app)
    client.set_cookie(SESSION_COOKIE, token, domain="localhost")
    client.get("/data/", buffered=True).close()  # Datasette's start-up

    rows, failing = [], []
    for label, url, kind in pages(data_dir, first_unit, submission, scored_form, other[0] if other else None):
        if args.only and args.only not in label:
            continue
        median_ms, n, status, body = timed(client, url, runs, args.budget)
        problems = problems_of(status, body)
        fraction = median_ms / SQL_TIME_LIMIT_MS
        ok = (fraction <= QUERY_TARGET if kind == "query" else median_ms <= PAGE_TARGET_MS) and not problems
        rows.append((label, url, kind, median_ms, n, fraction, ok, problems, len(body.encode())))
        if not ok:
            failing.append((label, url))

    # The pages kept until a write: their first request after one (what is kept forgotten before each run).
    after_write = {url: timed(client, url, min(runs, 3), args.budget, before=summaries.forget)[0]
                   for url in KEPT if any(row[1] == url for row in rows)}

    # The charts and the board after a write as a reviewer meets them (the charts after every submit; the board after
    # a change to every unit: a unit imported, a window set): computed again beside the requests, those computed
    # before shown meanwhile. A real write that changes nothing but concerns every unit, then the page; each run waits
    # for the previous computation first, and the last one is waited for, so that none runs under what comes next.
    beside = {}
    for url in ("/", "/?year=all", "/data/-/bieu-do"):
        if any(row[1] == url for row in rows):
            beside[url] = timed(client, url, min(runs, 3), args.budget,
                                before=lambda: (_wait_for_catch_up(), _touch_a_unit(data_dir)))[0]
            _wait_for_catch_up()

    # One more request per page with every SQL statement timed (after the timed runs, so they carry no overhead).
    log = SqlLog(app)
    statements = {url: log.page(client, url, top=None) for _label, url, *_rest in rows}

    print(f"\nsql_time_limit_ms = {SQL_TIME_LIMIT_MS}; page = the HTML page through create_wsgi, median of up to {runs} "
          f"runs after a warm-up; target: {QUERY_TARGET} of the limit for a canned query or a facet page ('q'), "
          f"{PAGE_TARGET_MS:.0f} ms for any other page ('p');\nSQL = the statements Datasette ran for one more "
          f"request of the page (count, sum of their times, the slowest; none for the web app's pages)\n")
    print(f"{'page':<36} {'':1} {'page ms':>9} {'runs':>4} {'÷ limit':>8} {'KiB':>6} {'SQL n':>6} {'SQL Σ ms':>9} "
          f"{'slowest':>8}  result")
    for label, url, kind, median_ms, n, fraction, ok, problems, size in rows:
        found = statements[url]
        print(f"{label:<36} {kind[0]:1} {median_ms:>9.1f} {n:>4} {fraction:>8.3f} {size / 1024:>6.0f} {len(found):>6} "
              f"{sum(e[0] for e in found):>9.1f} {(found[0][0] if found else 0):>8.1f}  {'PASS' if ok else 'FAIL'}"
              + (f"  ({'; '.join(problems)})" if problems else ""))
    if after_write:
        print("\nfirst request after a write (what is kept forgotten before each run; reported, not targeted):")
        for url, ms in after_write.items():
            print(f"  {url:<34} {ms:>9.1f} ms")
    if beside:
        print("\nafter a write that concerns every unit (what was computed before shown while it is computed again "
              "beside the requests):")
        for url, ms in beside.items():
            print(f"  {url:<34} {ms:>9.1f} ms")
    queries = [r for r in rows if r[2] == "query"]
    others = [r for r in rows if r[2] == "page"]
    print(f"\n{len(rows) - len(failing)} of {len(rows)} pages within their target")
    profiler = PythonProfiler(app, token) if failing and args.profile else None
    for label, url in failing:
        print(f"\n--- {label} ({url}): slowest SQL statements of one request ---")
        for ms, outcome, sql in statements[url][:8]:
            print(f"  {ms:8.1f} ms {'' if outcome == 'ok' else '[' + outcome + '] '}{sql[:330]}")
        if label.startswith("query "):
            print(f"--- {label}: EXPLAIN QUERY PLAN ---")
            for line in query_plan(data_dir, label.split()[1], first_unit):
                print(f"  {line}")
        if profiler and url.startswith("/data/"):
            print(f"--- {label}: Python time of one request (cProfile, Datasette's client in this thread) ---")
            print(profiler.page(url))
    ok = True
    if others:
        worst = max(others, key=lambda r: r[3])
        print(f"worst page: {worst[0]} {worst[3]:.1f} ms")
        ok = ratio_line("worst_page_ms_over_target", worst[3] / PAGE_TARGET_MS, "<=", 1.0)
    if queries:
        worst = max(queries, key=lambda r: r[5])
        print(f"worst canned query or facet page: {worst[0]} {worst[5]:.3f} of the limit")
        ok = ratio_line("worst_query_over_sql_time_limit", worst[5], "<=", QUERY_TARGET,
                        kind="CHECK" if others else "RATIO") and ok
    if failing:
        print(f"FAILING pages: {', '.join(label for label, _ in failing)}")
    return 0 if ok and not failing else 1


if __name__ == "__main__":
    sys.exit(main())
