"""`forms-app demo`: time to generate N units × 5 years, and bytes of forms.db per submission.

  measured  forms_app.adapters.operations.demo.make_demo (what `forms-app demo --units N --years 2018-2022` runs) on an
            empty data directory: units, accounts, answers drawn and scored, rows stored, decisions
  baseline  the same rows inserted with executemany into an empty data directory of the same schema
            (forms_app.data.connection.migrate), without generating or scoring them: the rows are read back
            from the generated database batch by batch (not timed) and inserted (timed) in the
            same batches and transactions as the demo's own _flush (2000 submissions), with the
            same PRAGMA synchronous = OFF, then ANALYZE as the demo does

N = 50,000 for the full run (minutes), 2,000 with --quick. The issue sets no target for this
ratio: the RATIO line says INFO. It also prints forms.db's size per submission and which
tables and indexes hold the bytes (SQLite's dbstat), and, with --profile, a cProfile of the
demo on a few hundred units.

    .venv/bin/python benchmarks/demo.py [--quick] [--units N] [--keep DIR] [--profile]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header, profile_summary  # noqa: E402

TABLES = {  # table: columns copied (the demo's own INSERTs, plus the other tables it fills)
    "units": ["code", "name", "cluster", "name_ascii", "created_at", "updated_at"],
    "submissions": ["id", "unit_code", "form_id", "cycle_year", "form_version", "status", "current_revision",
                    "submitted_revision", "total", "max_total", "band", "recognised", "created_at", "updated_at",
                    "submitted_at", "adjusted_total"],
    "revisions": ["submission_id", "number", "action", "author", "created_at", "answers", "total"],
    "answers": ["submission_id", "question_id", "section_id", "criterion", "type", "value", "points", "max_points",
                "visible", "adjusted_points"],
    "section_scores": ["submission_id", "section_id", "score", "max", "pass_min", "passed", "adjusted_score"],
    "criterion_scores": ["submission_id", "form_id", "cycle_year", "criterion", "points", "adjusted_points",
                         "max_points"],
    "decisions": None,  # every column
    "adjustments": None,
    "extensions": None,
}
BATCH = 2000


def make(data_dir: Path, units: int) -> float:
    from forms_app.adapters.operations.demo import make_demo

    t = time.perf_counter()
    make_demo(data_dir, units=units, first_year=2018, last_year=2022, seed=2018)
    return time.perf_counter() - t


def insert_only(source: Path, target: Path) -> tuple[float, dict[str, int]]:
    """Insert every row of the generated database's data tables into a fresh migrated one; (timed seconds, counts)."""
    from form_definitions import shipped_folder
    from forms_app.data import connection as database
    from forms_app.rules import registry

    database.migrate(target)
    forms = database.open_forms(target)
    registry.load_definitions_into(forms, [shipped_folder()], actor="bench")  # what the demo does first, not timed
    forms.close()
    src = sqlite3.connect(source / "forms.db")
    dst = sqlite3.connect(target / "forms.db", isolation_level=None)
    dst.execute("PRAGMA foreign_keys = ON")
    dst.execute("PRAGMA synchronous = OFF")
    columns = {}
    for table, cols in TABLES.items():
        columns[table] = cols or [r[1] for r in src.execute(f"PRAGMA table_info([{table}])") if r[1] != "id"]
    counts = {t: 0 for t in TABLES}
    elapsed = 0.0

    def insert(table: str, rows: list[tuple]) -> float:
        cols = columns[table]
        sql = f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in cols)}) VALUES ({', '.join('?' * len(cols))})"
        t = time.perf_counter()
        dst.executemany(sql, rows)
        counts[table] += len(rows)
        return time.perf_counter() - t

    def select(table: str, where: str = "", params=()) -> list[tuple]:
        return src.execute(f"SELECT {', '.join(f'[{c}]' for c in columns[table])} FROM [{table}] {where}", params).fetchall()

    # units in one transaction (the demo: insert_all in batches of 5000, in one transaction)
    rows = select("units", "ORDER BY rowid")
    t = time.perf_counter()
    dst.execute("BEGIN IMMEDIATE")
    elapsed += time.perf_counter() - t + insert("units", rows)
    t = time.perf_counter()
    dst.execute("COMMIT")
    elapsed += time.perf_counter() - t
    # submissions and their revisions, answers, section and criterion scores, 2000 submissions per transaction
    # (the demo's _flush); the triggers that keep the summaries fire here as they do in the demo
    ids = [r[0] for r in src.execute("SELECT id FROM submissions ORDER BY id")]
    for start in range(0, len(ids), BATCH):
        low, high = ids[start], ids[min(start + BATCH, len(ids)) - 1]
        batch = {table: select(table, f"WHERE {key} BETWEEN ? AND ? ORDER BY {order}", (low, high))
                 for table, key, order in (("submissions", "id", "id"), ("revisions", "submission_id", "id"),
                                           ("answers", "submission_id", "submission_id"),
                                           ("section_scores", "submission_id", "submission_id"),
                                           ("criterion_scores", "submission_id", "submission_id"))}
        t = time.perf_counter()
        dst.execute("BEGIN IMMEDIATE")
        elapsed += time.perf_counter() - t
        for table in ("submissions", "revisions", "answers", "section_scores", "criterion_scores"):
            elapsed += insert(table, batch[table])
        t = time.perf_counter()
        dst.execute("COMMIT")
        elapsed += time.perf_counter() - t
    # decisions, adjustments and extensions in one transaction, then ANALYZE (as the demo)
    rest = {table: select(table, "ORDER BY rowid") for table in ("decisions", "adjustments", "extensions")}
    t = time.perf_counter()
    dst.execute("BEGIN IMMEDIATE")
    elapsed += time.perf_counter() - t
    for table, rows in rest.items():
        elapsed += insert(table, rows)
    t = time.perf_counter()
    dst.execute("COMMIT")
    dst.execute("PRAGMA synchronous = NORMAL")
    dst.execute("ANALYZE")
    elapsed += time.perf_counter() - t
    src.close()
    dst.close()
    return elapsed, counts


def size_report(data_dir: Path, submissions: int) -> tuple[int, list[tuple[str, int]]]:
    conn = sqlite3.connect(data_dir / "forms.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = (data_dir / "forms.db").stat().st_size
    try:
        parts = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 10").fetchall()
    except sqlite3.Error:
        parts = []
    conn.close()
    return size, parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--units", type=int, default=None, help="units (50000 full, 2000 quick)")
    parser.add_argument("--keep", type=Path, help="keep the generated data directory here (must not exist)")
    parser.add_argument("--profile", action="store_true", help="cProfile make_demo on 300 units")
    args = parser.parse_args()
    units = args.units or (2000 if args.quick else 50000)
    header(f"forms-app demo: {units} units × 5 years against inserting the same rows", args.quick)

    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        tmp = Path(tmp)
        generated = args.keep or tmp / "demo"
        if generated.exists():
            raise SystemExit(f"{generated} exists; give an empty place to --keep")
        demo_s = make(generated, units)
        conn = sqlite3.connect(generated / "forms.db")
        submissions = conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
        conn.close()
        size, parts = size_report(generated, submissions)
        insert_s, counts = insert_only(generated, tmp / "baseline")
        baseline_size = (tmp / "baseline" / "forms.db").stat().st_size
        shutil.rmtree(tmp / "baseline")

        print(f"make_demo: {demo_s:.1f} s for {units} units, {submissions} submissions "
              f"({demo_s / submissions * 1e6:.0f} µs per submission)")
        print(f"executemany of the same rows: {insert_s:.1f} s ({insert_s / submissions * 1e6:.0f} µs per submission); rows: "
              + ", ".join(f"{t} {n}" for t, n in counts.items()))
        print(f"forms.db: {size / 1e6:.1f} MB, {size / submissions:.0f} bytes per submission "
              f"(the insert-only copy: {baseline_size / 1e6:.1f} MB)")
        for name, bytes_ in parts:
            print(f"   {name:<45} {bytes_ / 1e6:9.1f} MB  {bytes_ / submissions:7.0f} B/submission")
        ratio = demo_s / insert_s
        print(f"RATIO demo_over_executemany={ratio:.2f} target=none (the issue sets none)  INFO", flush=True)
        if args.profile:
            profile_dir = tmp / "profile"
            print(profile_summary(lambda: make(profile_dir, 300), top=25))
    return 0


if __name__ == "__main__":
    sys.exit(main())
