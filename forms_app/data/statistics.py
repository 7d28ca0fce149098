"""The query planner's statistics (`sqlite_stat1`, written by ANALYZE): kept only for tables that were big when
analysed.

A database of the product is never analysed in use; `forms-app demo` analyses the one it loads in bulk
(`connection.bulk_load`). A table it leaves nearly empty — `uploads` has two rows — then keeps statistics saying so
while units add to it: the planner, told two rows, scanned 65,000 uploads for each form page (14 ms of a 25-ms page on
the 50,000-unit demo) instead of looking its files up by token. Without statistics it plans as it does in production,
on the indexes.
"""

from __future__ import annotations

from sqlite_utils import Database

SMALL = 1000  # rows: a table analysed with fewer is planned without statistics


def forget_small(db: Database) -> list[str]:
    """Drop the statistics of every table that had fewer than SMALL rows when analysed; the tables, sorted."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        return []
    tables = sorted(row[0] for row in db.execute(
        "SELECT DISTINCT tbl FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) < ?", [SMALL]))
    for table in tables:
        db.execute("DELETE FROM sqlite_stat1 WHERE tbl = ?", [table])
    return tables
