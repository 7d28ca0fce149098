"""Facet counts kept by triggers (issue 18): what Datasette's default facets and the word facets of the readable views
show, counted once per write instead of once per page.

A facet over a 200,000–440,000-row table is a scan of an index of that size: 12–85 ms each on the 50,000-unit demo,
several per page, when a page must stay under 50 ms (a twentieth of the time limit). `facet_counts` holds, per table
counted, count, year and value, the number of rows; triggers on the counted tables add and take back each row's part,
whoever writes (the web app, the demo, `decisions import`, a restore), as `criterion_totals` and `year_counts` do.
The demo's bulk load writes through them as it does through those (no trigger is dropped for it, so nothing is to be
counted again after it); on a submit they add 8 % to SQLite's work (VM steps: 6,490 → 7,040 on the small demo), on
a draft saved one count (its revision's action), on a decision the counts of the decision and of its report.

- COUNTED says what is counted: per table, the year of a row (0 when the table has none, or the row none) and, per
  count, the value as the page shows it. A word made from a code ("Quyết định" of the readable views) is counted as
  the word, built by the same `readable.case` expression the view is made of: one home for the words.
- PAGES says which page reads which count: a readable view counts the rows of the table it shows (`ket_qua` is one
  row per row of `tong_quan`, `quyet_dinh` of `decisions`, `kiem_tra` of `inspections`), so its year, cluster and
  band facets read the table's counts; the views add nothing to count.
- `diem_tieu_chi` is not counted: it is a few rows per year (one per form and criterion), which Datasette counts in
  well under a millisecond, and its table changes at every submit.

A value that is NULL is not counted: Datasette's facets leave it out. A count that falls to 0 keeps its row (0 is
never shown). What a page may read from here, and when (an unfiltered page, or one filtered by its year column
only), is the reviewers' Datasette's business (`forms_app/adapters/reviewers/facets.py`).
"""

from __future__ import annotations

from typing import NamedTuple

from forms_app.data import readable
from forms_app.data.reporting import Readable


class Counted(NamedTuple):
    """A table whose rows are counted: its year column (None: none), and per count the column counted, or the column
    and the kind of WORDS its code is shown as."""

    year: str | None
    counts: dict[str, str | tuple[str, str]]


COUNTED: dict[str, Counted] = {
    "tong_quan": Counted("cycle_year", {"cycle_year": "cycle_year", "cluster": "cluster", "band": "band",
                                        "decision": "decision", "Quyết định": ("decision", "decision")}),
    "decisions": Counted("cycle_year", {"cycle_year": "cycle_year", "decision": "decision",
                                        "Quyết định": ("decision", "decision")}),
    "inspections": Counted("cycle_year", {"cycle_year": "cycle_year"}),
    "submissions": Counted("cycle_year", {"form_id": "form_id"}),
    "units": Counted(None, {"cluster": "cluster"}),
    "revisions": Counted(None, {"action": "action"}),
    "audit_log": Counted("cycle_year", {"action": "action"}),
}


def value_sql(table: str, count: str, row: str) -> str:
    """The value a row (`row`: NEW, OLD or the table's name) adds to a count, as the page shows it."""
    counted = COUNTED[table].counts[count]
    if isinstance(counted, tuple):
        column, kind = counted
        return readable.case(f"{row}.{column}", kind)
    return f"{row}.{counted}"


def year_sql(table: str, row: str) -> str:
    """The year a row is counted in: its year column, 0 when it has none."""
    year = COUNTED[table].year
    return f"COALESCE({row}.{year}, 0)" if year else "0"


def _columns(table: str, count: str) -> list[str]:
    """The columns whose change moves a row from one value or year of a count to another."""
    counted, year = COUNTED[table].counts[count], COUNTED[table].year
    column = counted[0] if isinstance(counted, tuple) else counted
    return list(dict.fromkeys([column, *([year] if year else [])]))


class Page(NamedTuple):
    """A table or view whose facets can be read from the counts: the table counted, the page's year column (None:
    none) and, per column of the page, the count that is its facet."""

    counted: str
    year_column: str | None
    columns: dict[str, str]


PAGES: dict[str, Page] = {
    "ket_qua": Page("tong_quan", "Năm", {"Năm": "cycle_year", "Cụm": "cluster", "Xếp loại": "band",
                                         "Quyết định": "Quyết định"}),
    "tong_quan": Page("tong_quan", "cycle_year", {c: c for c in ("cycle_year", "cluster", "band", "decision")}),
    "quyet_dinh": Page("decisions", "Năm", {"Năm": "cycle_year", "Quyết định": "Quyết định"}),
    "decisions": Page("decisions", "cycle_year", {"cycle_year": "cycle_year", "decision": "decision"}),
    "kiem_tra": Page("inspections", "Năm", {"Năm": "cycle_year"}),
    "submissions": Page("submissions", "cycle_year", {"form_id": "form_id"}),
    "units": Page("units", None, {"cluster": "cluster"}),
    "revisions": Page("revisions", None, {"action": "action"}),
    "audit_log": Page("audit_log", "cycle_year", {"action": "action"}),
}

DESCRIPTIONS = {
    "facet_counts": {
        "title": "Số dòng theo từng giá trị (cho các bộ lọc nhanh)",
        "description": "Số dòng của mỗi bảng theo năm và theo từng giá trị của các cột có bộ lọc nhanh (facet), giữ "
                       "đúng bằng trigger mỗi khi dữ liệu được ghi: trang của bảng đọc số ở đây thay vì đếm lại "
                       "mọi dòng.",
        "columns": {"table_name": "Bảng được đếm", "column_name": "Cột (hoặc từ tiếng Việt của một mã) được đếm",
                    "year": "Năm của các dòng (0: bảng hoặc dòng không có năm)", "value": "Giá trị",
                    "n": "Số dòng có giá trị này"},
    },
}

_TABLE = """
    CREATE TABLE facet_counts (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL, year INTEGER NOT NULL, value NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (table_name, column_name, year, value)
    ) WITHOUT ROWID"""
_ADD = ("INSERT INTO facet_counts (table_name, column_name, year, value, n) {select} "
        "ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n;")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _part(table: str, count: str, row: str, sign: int) -> str:
    """One row's part in one count: a SELECT of (table, count, year, value, ±1), nothing when its value is NULL."""
    value = value_sql(table, count, row)
    return (f"SELECT {_literal(table)}, {_literal(count)}, {year_sql(table, row)}, {value}, {sign} "
            f"WHERE {value} IS NOT NULL")


def migration_statements() -> list[str]:
    """facet_counts, filled with one GROUP BY per count from the rows already there, and its triggers (m021): per
    counted table one for an insert and one for a delete (every count of the row), and per count one for an update
    of its column or the row's year that changes either (`UPDATE OF`: an update that sets neither, as most do —
    a draft saved, a decision marked no longer in force — does not even test it)."""
    found = [_TABLE]
    for table, counted in COUNTED.items():
        for count in counted.counts:
            value = value_sql(table, count, table)
            found.append(f"INSERT INTO facet_counts (table_name, column_name, year, value, n) "
                         f"SELECT {_literal(table)}, {_literal(count)}, {year_sql(table, table)}, {value}, COUNT(*) "
                         f"FROM {table} WHERE {value} IS NOT NULL GROUP BY 3, 4")
        for operation, (row, sign) in {"INSERT": ("NEW", 1), "DELETE": ("OLD", -1)}.items():
            parts = " UNION ALL ".join(_part(table, count, row, sign) for count in counted.counts)
            found.append(f"CREATE TRIGGER facet_counts_{table}_{operation.lower()} AFTER {operation} ON {table} BEGIN "
                         f"{_ADD.format(select=f'SELECT * FROM ({parts}) WHERE true')} END")
        for number, count in enumerate(counted.counts):
            columns = _columns(table, count)
            changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
            parts = f"{_part(table, count, 'OLD', -1)} UNION ALL {_part(table, count, 'NEW', 1)}"
            found.append(f"CREATE TRIGGER facet_counts_{table}_update_{number} AFTER UPDATE OF {', '.join(columns)} "
                         f"ON {table} WHEN {changed} BEGIN "
                         f"{_ADD.format(select=f'SELECT * FROM ({parts}) WHERE true')} END")
    return found


def facet_rows(db: Readable, table: str, count: str, year: int | None, limit: int) -> list[tuple]:
    """(value, count) of the rows of `table` (a counted table) by the value of `count`, of one year or all, as
    Datasette's facet orders them (most rows first, then by value), at most `limit`."""
    where = "" if year is None else " AND year = ?"
    return db.execute(
        "SELECT value, SUM(n) AS count FROM facet_counts WHERE table_name = ? AND column_name = ?" + where
        + " GROUP BY value HAVING SUM(n) > 0 ORDER BY count DESC, value LIMIT ?",
        [table, count, *([] if year is None else [year]), limit]).fetchall()


def counted_rows(db: Readable, table: str, count: str) -> dict[tuple, int]:
    """{(year, value): rows} of `count` as kept (counts of 0 left out): what a test compares with the rows."""
    return {(year, value): n for year, value, n in db.execute(
        "SELECT year, value, n FROM facet_counts WHERE table_name = ? AND column_name = ? AND n != 0", [table, count])}
