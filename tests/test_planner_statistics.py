"""The demo's statistics (ANALYZE after its bulk load) are kept only for the tables it filled: a table it left nearly
empty is planned on its indexes as it grows by use, as in production, where nothing is analysed."""

from __future__ import annotations

import sqlite3

from support.data import REGISTRATION, SELF, TEMPLATES
from test_facet_counts import _demo

from forms_app.data import statistics


def _plan(conn, sql: str) -> str:
    return " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))


def test_the_demo_keeps_statistics_of_what_it_filled_only_and_uploads_are_looked_up_by_token(tmp_path):
    data_dir = TEMPLATES.copy("facet-counts-demo", _demo, tmp_path / "data")
    conn = sqlite3.connect(data_dir / "forms.db")
    analysed = {row[0]: int(row[1].split()[0]) for row in conn.execute("SELECT tbl, stat FROM sqlite_stat1")}
    assert analysed.get("answers", 0) >= statistics.SMALL  # the long tables keep theirs
    assert "uploads" not in analysed and all(rows >= statistics.SMALL for rows in analysed.values())
    conn.executemany("INSERT INTO uploads (token, unit_code, form_id, cycle_year, question_id, original_name, sha256, "
                     "size, uploaded_by, uploaded_at) SELECT ?, code, 'f', 2022, 'q', 'a.pdf', ?, 1, 'x', 't' "
                     "FROM units LIMIT 1", [(f"t{n}", f"{n:064x}") for n in range(5000)])
    conn.commit()
    conn.close()
    conn = sqlite3.connect(data_dir / "forms.db")  # statistics are read when a connection loads the schema
    assert "USING INDEX" in _plan(conn, "SELECT * FROM uploads WHERE token IN ('t1', 't2')")
    # the files a unit already holds: one index entry each, not every row of the same content
    held = _plan(conn, "SELECT h.value FROM json_each('[\"a\"]') h WHERE EXISTS (SELECT 1 FROM uploads "
                       "WHERE sha256 = h.value AND unit_code = 'U')")
    assert "idx_uploads_sha256_unit (sha256=? AND unit_code=?)" in held, held
    conn.close()


def test_a_database_analysed_with_a_nearly_empty_table_forgets_that_tables_statistics(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, k TEXT)")
    conn.execute("CREATE INDEX idx_big_k ON big(k)")
    conn.execute("CREATE TABLE small (token TEXT PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO big (k) VALUES (?)", [(str(n % 7),) for n in range(3000)])
    conn.executemany("INSERT INTO small VALUES (?, 'x')", [("a",), ("b",)])
    conn.execute("ANALYZE")
    conn.executemany("INSERT INTO small VALUES (?, 'x')", [(f"t{n}",) for n in range(20000)])
    conn.commit()
    assert {row[0] for row in conn.execute("SELECT tbl FROM sqlite_stat1")} == {"big", "small"}
    conn.close()
    from sqlite_utils import Database

    db = Database(tmp_path / "t.db")
    assert statistics.forget_small(db) == ["small"]
    assert {row[0] for row in db.execute("SELECT tbl FROM sqlite_stat1")} == {"big"}
    db.close()
    conn = sqlite3.connect(tmp_path / "t.db")
    assert "USING INDEX" in _plan(conn, "SELECT * FROM small WHERE token IN ('t1', 't2')")
    conn.close()


def test_chua_nop_reads_the_few_extensions_first_whatever_the_statistics_say(tmp_path):
    """With statistics for units (50,000) and none for extensions (forgotten: too few rows), SQLite walked every unit
    and looked for an extension of each (72 ms on the 50,000-unit demo) unless the query fixes the order."""
    from forms_app.data import reviewer_queries

    data_dir = TEMPLATES.copy("facet-counts-demo", _demo, tmp_path / "data")
    conn = sqlite3.connect(data_dir / "forms.db")
    conn.execute("DELETE FROM sqlite_stat1 WHERE tbl IN ('units', 'extensions')")
    conn.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('units', ?, ?)",
                     [(name, "50000 1" if "autoindex" in name else "50000 6250 1 1")
                      for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                  "AND tbl_name = 'units'")])
    conn.commit()
    conn.close()
    conn = sqlite3.connect(data_dir / "forms.db")
    sql = reviewer_queries.canned_queries([reviewer_queries.ScoredForm(SELF, "T", 100.0, REGISTRATION)])["chua_nop"]["sql"]
    scans = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, {"nam": "2022", "cum": "", "so_dong": ""})
             if row[3].startswith("SCAN")]
    assert scans[0] == "SCAN e", scans
    conn.close()
