"""Re-scoring every stored submission, against just reading its answers out of SQLite.

On a demo database (`forms-app demo --units 50000 --years 2018-2022` for the full run, 2000 units
with --quick; made once and kept under $FORMS_APP_BENCH_DIR, or given with --data-dir):

  baseline  SELECT the scored revision's answers of every submission, json.loads each
  measured  the same query and json.loads, then scoring.points(definition, answers) — the
            numbers of the score report, from the definition compiled once — with the
            submission's own definition version (forms_app.rules.registry.definition, looked up once
            per (form, version); the per-row lookup and the whole report, scoring.score, are
            timed on fewer rows and printed for information)

Target: measured ÷ baseline ≤ 3. Both loops are bounded by --budget seconds: when scoring
every row would take longer, the rows scored in the budget are compared with the baseline
on the same rows (same query with LIMIT).

    .venv/bin/python benchmarks/rescoring.py [--quick] [--data-dir DIR] [--budget 300] [--profile]
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_data, demo_options, header, profile_summary, ratio_line  # noqa: E402

QUERY = """
SELECT s.id, s.form_id, s.form_version, r.answers
FROM submissions s
JOIN revisions r ON r.submission_id = s.id AND r.number = COALESCE(s.submitted_revision, s.current_revision)
ORDER BY s.id
"""


def read_only(conn: sqlite3.Connection, limit: int | None) -> tuple[float, int]:
    t = time.perf_counter()
    n = 0
    for _sid, _form, _version, answers in conn.execute(QUERY + (f" LIMIT {limit}" if limit else "")):
        json.loads(answers)
        n += 1
    return time.perf_counter() - t, n


def rescore(db, conn: sqlite3.Connection, limit: int | None, budget: float, per_row_lookup: bool = False,
            full_report: bool = False) -> tuple[float, int, float]:
    """(seconds, rows scored, checksum of totals); stops after `budget` seconds."""
    from forms_app.rules import registry
    from scoring import points, score

    definitions: dict[tuple[str, int], object] = {}
    t = time.perf_counter()
    n, checksum = 0, 0.0
    for _sid, form_id, version, answers in conn.execute(QUERY + (f" LIMIT {limit}" if limit else "")):
        if per_row_lookup:
            definition = registry.definition(db, form_id, version)
        else:
            key = (form_id, version)
            definition = definitions.get(key)
            if definition is None:
                definition = definitions[key] = registry.definition(db, form_id, version)
        if full_report:
            checksum += score(definition, json.loads(answers))["total"]
        else:
            checksum += points(definition, json.loads(answers)).total
        n += 1
        if n % 256 == 0 and time.perf_counter() - t > budget:
            break
    return time.perf_counter() - t, n, checksum


def main() -> int:
    parser = demo_options(__doc__)
    parser.add_argument("--budget", type=float, default=None, help="seconds at most for the scoring loop (300 full, 60 quick)")
    parser.add_argument("--profile", action="store_true", help="cProfile the scoring of the first 3000 submissions")
    args = parser.parse_args()
    header("re-scoring every stored submission against reading its answers", args.quick)
    budget = args.budget or (60.0 if args.quick else 300.0)
    data_dir = demo_data(args)

    from forms_app.data import connection as database

    db = database.open_forms(data_dir)
    conn = db.conn
    total = conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    print(f"data: {data_dir} — {total} submissions, forms.db {(Path(data_dir) / 'forms.db').stat().st_size / 1e6:.0f} MB")

    read_only(conn, None)  # warm the page cache: both loops then read from memory
    base_all, n_all = read_only(conn, None)
    scored_s, scored_n, checksum = rescore(db, conn, None, budget)
    limit = None if scored_n == n_all else scored_n
    if limit:
        print(f"scoring stopped after the {budget:g}-s budget: {scored_n} of {n_all} submissions scored")
    # the baseline on the same rows, twice (before and after the scoring loop when it covered every row): the faster
    base = min(base_all if limit is None else read_only(conn, limit)[0], read_only(conn, limit)[0])
    lookup_n = min(scored_n, 20000)
    lookup_s, _, _ = rescore(db, conn, lookup_n, budget, per_row_lookup=True)
    cached_s, _, cached_sum = rescore(db, conn, lookup_n, budget)
    report_s, _, report_sum = rescore(db, conn, lookup_n, budget, full_report=True)
    if report_sum != cached_sum:
        print(f"MISMATCH: scoring.score and scoring.points disagree on the first {lookup_n} rows")
        return 1
    print(f"read answers + json.loads:       {base:.2f} s for {scored_n} submissions ({base / scored_n * 1e6:.1f} µs each)")
    print(f"… + scoring.points:              {scored_s:.2f} s ({scored_s / scored_n * 1e6:.1f} µs each; total of totals {checksum:.1f})")
    print(f"scoring.score (the whole report with its words) instead: {report_s / cached_s:.2f}× scoring.points "
          f"({report_s / lookup_n * 1e6:.1f} µs vs {cached_s / lookup_n * 1e6:.1f} µs per row, same totals, on {lookup_n} rows)")
    print(f"registry.definition on every row: {lookup_s / cached_s:.2f}× the cached lookup "
          f"({(lookup_s - cached_s) / lookup_n * 1e6:.1f} µs more per row, on {lookup_n} rows)")
    if scored_n < n_all:
        print(f"projected time to re-score all {n_all}: {scored_s / scored_n * n_all:.0f} s")
    ok = ratio_line("rescore_over_read", scored_s / base, "<=", 3.0)
    if args.profile or not ok:
        print(profile_summary(lambda: rescore(db, conn, 3000, budget), top=22))
    db.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
