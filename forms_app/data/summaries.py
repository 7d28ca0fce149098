"""What reviewers' pages read instead of every row: the log of writes that says when a result computed over every unit
must be computed again, and for which units (`summary_changes`); the board's year summary kept by triggers
(`year_counts`); the units recognised year by year (`recognised_years`, for the canned query `cong_nhan_moi_nam`);
the facet counts of Datasette's pages are `facet_counts.py`'s.

The status board's statuses, the queue and the charts are computed from a few tables (`VERSIONED`); triggers
(migration m019) add a row to `summary_changes` at every insert, update or delete on them, whoever writes: the unit
written (NULL when the write may change every unit's rows: a unit added or renamed, a window, a definition). The
version of the data is the number of its last row. A result kept with the (file, version) it was computed at
(`forms_app.rules.summaries`) is right as long as the version has not moved, and is brought up to date by computing
again only the units written since (`changed_units`). `answers` and `section_scores` are written together with their
submission's row (a submit, an adjustment), which logs its unit; a section's adjusted score logs it too. The log
keeps its last KEPT_CHANGES rows.

Decisions are appended, never changed or deleted (`rules.deciding`): `year_counts` follows their inserts only.
"""

from __future__ import annotations

import os

from forms_app.data import facet_counts
from forms_app.data.directory import file_identity
from forms_app.data.reporting import Readable

VERSIONED = ("units", "cycles", "extensions", "submissions", "decisions", "form_versions")
# A submission's columns a summary reads. A draft saved (autosaved: every few seconds while a unit types) changes only
# current_revision and updated_at, which change no status, count or chart: it is not logged.
SUMMARISED_SUBMISSION_COLUMNS = ("unit_code", "form_id", "cycle_year", "form_version", "status", "submitted_at",
                                 "total", "max_total", "band", "recognised", "adjusted_total")
KEPT_CHANGES = 100_000

DESCRIPTIONS = {
    "summary_changes": {
        "title": "Nhật ký ghi dữ liệu cho các trang tổng hợp",
        "description": "Mỗi lần đơn vị, đợt, gia hạn, bài nộp, quyết định hay biểu mẫu được ghi là một dòng (đơn vị được "
                       "ghi; trống khi thay đổi có thể chạm mọi đơn vị): bảng theo dõi, bảng tổng hợp theo năm và biểu "
                       "đồ chỉ tính lại những gì đã đổi. Giữ 100.000 dòng gần nhất.",
        "columns": {"version": "Số thứ tự lần ghi (tăng dần)", "unit_code": "Mã đơn vị được ghi (trống: mọi đơn vị)"},
    },
    "recognised_years": {
        "title": "Số năm được công nhận của từng đơn vị",
        "description": "Mỗi dòng một đơn vị và một biểu mẫu: số năm có quyết định công nhận đang có hiệu lực, điểm "
                       "trung bình của các năm đó; giữ đúng bằng trigger, để truy vấn “công nhận mọi năm” không phải "
                       "đọc lại mọi kết quả.",
        "columns": {"form_id": "Mã biểu mẫu", "unit_code": "Mã đơn vị", "years": "Số năm được công nhận",
                    "average": "Tổng điểm trung bình của các năm được công nhận (làm tròn một chữ số thập phân)",
                    "commendation": "1: có năm được đề nghị tuyên dương"},
    },
    **facet_counts.DESCRIPTIONS,
    "section_titles": {
        "title": "Tên các phần của từng phiên bản biểu mẫu",
        "description": "Mỗi dòng một phần của một phiên bản biểu mẫu, theo thứ tự trong biểu mẫu, với tên phần bằng "
                       "ngôn ngữ đầu tiên của biểu mẫu: cột “Điểm từng phần” của “Kết quả từng đơn vị theo năm” đọc "
                       "tên ở đây.",
        "columns": {"form_id": "Mã biểu mẫu", "version": "Phiên bản", "position": "Thứ tự của phần (từ 0)",
                    "section_id": "Mã phần", "title": "Tên phần"},
    },
    "year_counts": {
        "title": "Số bài nộp theo biểu mẫu, năm và cụm",
        "description": "Bảng tổng hợp đầu trang theo dõi, giữ đúng bằng trigger mỗi khi bài nộp, quyết định hay cụm "
                       "của đơn vị thay đổi: mỗi dòng một biểu mẫu, một năm, một cụm thi đua.",
        "columns": {"form_id": "Mã biểu mẫu", "cycle_year": "Năm", "cluster": "Cụm thi đua",
                    "submitted": "Số bài đã nộp", "drafts": "Số bài còn là bản nháp",
                    "total_sum": "Tổng các tổng điểm của bài đã nộp", "total_n": "Số bài đã nộp có tổng điểm",
                    "recognised": "Số bài có quyết định công nhận đang có hiệu lực"},
    },
}

# The unit a write concerns, by table ({row}: NEW, or OLD for a delete); NULL: possibly every unit.
_UNIT = {"submissions": "{row}.unit_code", "decisions": "{row}.unit_code", "extensions": "{row}.unit_code",
         "units": "NULL", "cycles": "NULL", "form_versions": "NULL"}


def migration_statements() -> list[str]:
    """The log and the triggers that write it (m019): one per table of VERSIONED and operation (a submission's update
    only when a column of SUMMARISED_SUBMISSION_COLUMNS changed); one for a section's adjusted score (the charts'
    section averages), which an adjustment can change without changing its submission's total; one keeping the log's
    last KEPT_CHANGES rows."""
    found = ["CREATE TABLE summary_changes (version INTEGER PRIMARY KEY, unit_code TEXT)",
             "INSERT INTO summary_changes (version, unit_code) VALUES (1, NULL)",
             f"CREATE TRIGGER summary_changes_kept AFTER INSERT ON summary_changes BEGIN "
             f"DELETE FROM summary_changes WHERE version <= NEW.version - {KEPT_CHANGES}; END"]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in SUMMARISED_SUBMISSION_COLUMNS)
    for table in VERSIONED:
        for operation in ("INSERT", "UPDATE", "DELETE"):
            unit, when = _UNIT[table].format(row="OLD" if operation == "DELETE" else "NEW"), ""
            if (table, operation) == ("submissions", "UPDATE"):
                unit, when = "CASE WHEN OLD.unit_code IS NEW.unit_code THEN NEW.unit_code END", f" WHEN {changed}"
            found.append(f"CREATE TRIGGER summary_changes_{table}_{operation.lower()} AFTER {operation} ON {table}{when} "
                         f"BEGIN INSERT INTO summary_changes (unit_code) VALUES ({unit}); END")
    found.append("CREATE TRIGGER summary_changes_section_scores_adjusted AFTER UPDATE OF adjusted_score ON section_scores "
                 "WHEN OLD.adjusted_score IS NOT NEW.adjusted_score BEGIN INSERT INTO summary_changes (unit_code) "
                 "VALUES ((SELECT unit_code FROM submissions WHERE id = NEW.submission_id)); END")
    return found


# year_counts: per form, year and cluster, the sums the board's year summary shows (`year_summary`), kept by triggers
# as criterion_totals is: each submission adds its part — submitted or draft, its total when submitted, whether the
# decision in force recognises it — and takes it back when it changes, moves to another cluster or is deleted.
_YEAR_COUNTS = """
    CREATE TABLE year_counts (
        form_id TEXT NOT NULL, cycle_year INTEGER NOT NULL, cluster TEXT NOT NULL,
        submitted INTEGER NOT NULL, drafts INTEGER NOT NULL, total_sum REAL NOT NULL, total_n INTEGER NOT NULL,
        recognised INTEGER NOT NULL,
        PRIMARY KEY (form_id, cycle_year, cluster)
    ) WITHOUT ROWID"""
_ADD = ("INSERT INTO year_counts (form_id, cycle_year, cluster, submitted, drafts, total_sum, total_n, recognised) "
        "SELECT form_id, cycle_year, cluster, {sign} * submitted, {sign} * drafts, {sign} * total_sum, {sign} * total_n, "
        "{sign} * recognised FROM ({part}) WHERE true ON CONFLICT (form_id, cycle_year, cluster) DO UPDATE SET "
        "submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts, "
        "total_sum = total_sum + excluded.total_sum, total_n = total_n + excluded.total_n, "
        "recognised = recognised + excluded.recognised;")
# The part of the submissions `{where}` keeps, by form, year and cluster (`{cluster}`: the unit's, or the one it left).
_PART = ("SELECT s.form_id, s.cycle_year, {cluster} AS cluster, SUM(s.status = 'submitted') AS submitted, "
         "SUM(s.status = 'draft') AS drafts, "
         "TOTAL(CASE WHEN s.status = 'submitted' THEN s.total END) AS total_sum, "
         "SUM(s.status = 'submitted' AND s.total IS NOT NULL) AS total_n, "
         "SUM(COALESCE(d.decision = 'recognised', 0)) AS recognised "
         "FROM submissions s JOIN units u ON u.code = s.unit_code "
         "LEFT JOIN decisions d ON d.unit_code = s.unit_code AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year "
         "AND d.is_current = 1 WHERE {where} GROUP BY s.form_id, s.cycle_year")
# One submission row as a part (its columns from OLD or NEW, its recognition from the decision in force).
_ROW = ("SELECT {r}.form_id AS form_id, {r}.cycle_year AS cycle_year, u.cluster AS cluster, "
        "{r}.status = 'submitted' AS submitted, {r}.status = 'draft' AS drafts, "
        "CASE WHEN {r}.status = 'submitted' THEN COALESCE({r}.total, 0) ELSE 0 END AS total_sum, "
        "{r}.status = 'submitted' AND {r}.total IS NOT NULL AS total_n, "
        "COALESCE((SELECT decision = 'recognised' FROM decisions WHERE unit_code = {r}.unit_code "
        "AND form_id = {r}.form_id AND cycle_year = {r}.cycle_year AND is_current = 1), 0) AS recognised "
        "FROM units u WHERE u.code = {r}.unit_code")
# A decision recorded for a unit with a submission: its recognition in, the one it replaces (the latest before) out.
_DECIDED = ("SELECT s.form_id, s.cycle_year, u.cluster, 0 AS submitted, 0 AS drafts, 0 AS total_sum, 0 AS total_n, "
            "(NEW.decision = 'recognised') - COALESCE((SELECT decision = 'recognised' FROM decisions "
            "WHERE unit_code = NEW.unit_code AND form_id = NEW.form_id AND cycle_year = NEW.cycle_year AND id < NEW.id "
            "ORDER BY id DESC LIMIT 1), 0) AS recognised FROM submissions s JOIN units u ON u.code = s.unit_code "
            "WHERE s.unit_code = NEW.unit_code AND s.form_id = NEW.form_id AND s.cycle_year = NEW.cycle_year")


def year_counts_statements() -> list[str]:
    """year_counts, filled from the data already there, and its triggers (m019)."""
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("unit_code", "form_id", "cycle_year", "status", "total"))
    return [
        _YEAR_COUNTS,
        _ADD.format(sign=1, part=_PART.format(cluster="u.cluster", where="true")).replace(
            "GROUP BY s.form_id, s.cycle_year", "GROUP BY s.form_id, s.cycle_year, u.cluster"),
        f"CREATE TRIGGER year_counts_insert AFTER INSERT ON submissions BEGIN "
        f"{_ADD.format(sign=1, part=_ROW.format(r='NEW'))} END",
        f"CREATE TRIGGER year_counts_update AFTER UPDATE ON submissions WHEN {changed} BEGIN "
        f"{_ADD.format(sign=-1, part=_ROW.format(r='OLD'))} {_ADD.format(sign=1, part=_ROW.format(r='NEW'))} END",
        f"CREATE TRIGGER year_counts_delete AFTER DELETE ON submissions BEGIN "
        f"{_ADD.format(sign=-1, part=_ROW.format(r='OLD'))} END",
        f"CREATE TRIGGER year_counts_decision AFTER INSERT ON decisions BEGIN {_ADD.format(sign=1, part=_DECIDED)} END",
        f"CREATE TRIGGER year_counts_cluster AFTER UPDATE OF cluster ON units WHEN OLD.cluster IS NOT NEW.cluster BEGIN "
        f"{_ADD.format(sign=-1, part=_PART.format(cluster='OLD.cluster', where='s.unit_code = NEW.code'))} "
        f"{_ADD.format(sign=1, part=_PART.format(cluster='NEW.cluster', where='s.unit_code = NEW.code'))} END",
    ]


# recognised_years: per scored form and unit, the years the decision in force recognises it, the average of their
# totals and whether any proposes a commendation — what `cong_nhan_moi_nam` (units recognised every year) lists, best
# average first. The query grouped every recognised report of the phase (92,000 on the 50,000-unit demo, 35–45 ms) to
# show 200 of them; here an index in its order stops at the 200th. A unit's row is computed again from its few rows of
# tong_quan (one range of idx_tong_quan_recognition) whenever one of them is or was recognised and changes — with the
# same aggregates as the query had, so the values are the query's own, never sums carried along.
_RECOGNISED_YEARS = """
    CREATE TABLE recognised_years (
        form_id TEXT NOT NULL, unit_code TEXT NOT NULL, years INTEGER NOT NULL, average REAL, commendation INTEGER,
        PRIMARY KEY (form_id, unit_code)
    ) WITHOUT ROWID"""
_RECOGNISED_UNIT = ("DELETE FROM recognised_years WHERE form_id = {r}.form_id AND unit_code = {r}.unit_code; "
                    "INSERT INTO recognised_years (form_id, unit_code, years, average, commendation) "
                    "SELECT form_id, unit_code, COUNT(*), ROUND(AVG(final_total), 1), MAX(commendation) FROM tong_quan "
                    "WHERE form_id = {r}.form_id AND decision = 'recognised' AND unit_code = {r}.unit_code "
                    "GROUP BY form_id, unit_code;")


def recognised_years_statements() -> list[str]:
    """recognised_years, filled from tong_quan, its index in the order `cong_nhan_moi_nam` lists, and its triggers
    on tong_quan (m021)."""
    columns = ("decision", "final_total", "commendation", "unit_code", "form_id")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    return [
        _RECOGNISED_YEARS,
        "INSERT INTO recognised_years (form_id, unit_code, years, average, commendation) "
        "SELECT form_id, unit_code, COUNT(*), ROUND(AVG(final_total), 1), MAX(commendation) FROM tong_quan "
        "WHERE decision = 'recognised' GROUP BY form_id, unit_code",
        "CREATE INDEX idx_recognised_years_rank ON recognised_years(form_id, years, average DESC, unit_code)",
        f"CREATE TRIGGER recognised_years_insert AFTER INSERT ON tong_quan WHEN NEW.decision = 'recognised' BEGIN "
        f"{_RECOGNISED_UNIT.format(r='NEW')} END",
        f"CREATE TRIGGER recognised_years_delete AFTER DELETE ON tong_quan WHEN OLD.decision = 'recognised' BEGIN "
        f"{_RECOGNISED_UNIT.format(r='OLD')} END",
        f"CREATE TRIGGER recognised_years_update AFTER UPDATE OF {', '.join(columns)} ON tong_quan "
        f"WHEN (OLD.decision = 'recognised' OR NEW.decision = 'recognised') AND ({changed}) BEGIN "
        f"{_RECOGNISED_UNIT.format(r='OLD')} {_RECOGNISED_UNIT.format(r='NEW')} END",
    ]


def year_summary(db: Readable, clusters: list[str]) -> list[dict]:
    """Per form and year: submitted, drafts, average total of the submitted, recognised (units of `clusters` only when
    given), newest year first — read from year_counts (`submissions.year_summary` computes the same from the rows)."""
    where = f"WHERE cluster IN ({','.join('?' * len(clusters))})" if clusters else ""
    cursor = db.execute(
        "SELECT form_id, cycle_year, SUM(submitted) AS submitted, SUM(drafts) AS drafts, "
        "ROUND(SUM(total_sum) / NULLIF(SUM(total_n), 0), 1) AS average, SUM(recognised) AS recognised "
        f"FROM year_counts {where} GROUP BY form_id, cycle_year HAVING SUM(submitted) + SUM(drafts) > 0 "
        "ORDER BY cycle_year DESC, form_id", clusters)
    keys = [column[0] for column in cursor.description]
    return [dict(zip(keys, row, strict=True)) for row in cursor]


def version(db: Readable, file: str | os.PathLike | None = None) -> tuple[object, int]:
    """(which forms.db, the version of its data): what a kept result is valid for. The database is named by its file as
    it is now (path, device, inode: a backup restored in its place is another file), or, when that cannot be told
    (a reviewer's connection, whose authorizer answers nothing about files; a database in memory), by the connection
    itself: Datasette keeps each of its connections for its whole life, on one file. `file`: the database's path, when
    the caller knows it (then every connection to the file, a reviewer's too, has the same identity)."""
    if file is None:
        main = db.execute("PRAGMA database_list").fetchone()
        file = main[2] if main and main[2] else None
    # the real path: the same identity for a relative path, an absolute one and SQLite's own name of the file
    identity = (file_identity(os.path.realpath(file)) if file else None) or db
    return identity, db.execute("SELECT MAX(version) FROM summary_changes").fetchone()[0]


def changed_units(db: Readable, since: int, limit: int) -> set[str] | None:
    """The units written after version `since`; None when that cannot be told unit by unit (a write that may change
    every unit, a log that no longer reaches back so far) or when they are more than `limit`."""
    first = db.execute("SELECT MIN(version) FROM summary_changes").fetchone()[0]
    if first is None or first > since + 1:
        return None
    rows = db.execute("SELECT DISTINCT unit_code FROM summary_changes WHERE version > ? LIMIT ?", [since, limit + 1])
    found = [row[0] for row in rows]
    if len(found) > limit or None in found:
        return None
    return set(found)


# The tables whose rows are never counted whole for a page. SQLite counts a table in one step of its program
# (OP_Count), which Datasette's time limit (a progress handler, called between steps) cannot stop: on the 50,000-unit
# demo `select count(*) from answers` (17.7 M rows) takes 0.5–0.8 s whatever the limit, on the database page (where
# each count is given 5 ms) as on the table's own page; criterion_scores 50 ms, section_scores 15 ms.
LONG_TABLES = ("answers", "criterion_scores", "section_scores")
_WHOLE_COUNTS = frozenset(f"select count(*) from {name}" for table in LONG_TABLES for name in (table, f"[{table}]"))


def counts_a_long_table_whole(sql: str) -> bool:
    """Whether a statement is the count of every row of one of LONG_TABLES, as Datasette writes it."""
    return " ".join(sql.split()).lower() in _WHOLE_COUNTS
