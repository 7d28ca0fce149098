"""Export jobs in forms.db (`jobs`): each heavy document (a year's XLSX or CSV zip, a review in PDF) built by a process
of its own for one version of the data, with its progress, its file under <data dir>/exports/ and why it failed.

`data_stamp` is that version: a few indexed MAX() and COUNT() reads that change whenever something a document shows
is written (a revision, a decision, an adjustment, a certificate, an upload, a narrative, a definition, anything
audited: units, windows, proposals).
"""

from __future__ import annotations

from forms_app.data.connection import Database

STATES = ("queued", "running", "done", "failed")

DESCRIPTIONS = {
    "jobs": {
        "title": "Tệp xuất đang lập và đã lập",
        "description": "Mỗi lần lập một tệp nặng (bảng kết quả XLSX, CSV, báo cáo tổng kết PDF) là một dòng; tệp được "
                       "lập một lần cho mỗi lần dữ liệu thay đổi rồi giữ lại để tải.",
        "columns": {
            "id": "Mã", "kind": "Loại tệp (xlsx, csv_zip, year_report: báo cáo năm, phase_report: báo cáo giai đoạn)",
            "form_id": "Mã biểu mẫu", "cycle_year": "Năm (0: cả giai đoạn)",
            "stamp": "Phiên bản dữ liệu mà tệp được lập cho", "state": "Tình trạng (queued: chờ, running: đang lập, "
                                                                      "done: xong, failed: không lập được)",
            "rows_done": "Số dòng đã ghi", "rows_total": "Tổng số dòng cần ghi", "file": "Tệp (trong thư mục dữ liệu)",
            "size": "Dung lượng tệp (byte)", "pid": "Số hiệu tiến trình lập tệp", "requested_by": "Người yêu cầu",
            "created_at": "Thời điểm yêu cầu (UTC)", "started_at": "Thời điểm bắt đầu lập (UTC)",
            "updated_at": "Lần cập nhật tiến độ gần nhất (UTC)", "finished_at": "Thời điểm xong (UTC)",
            "error": "Mã lỗi khi không lập được",
        },
    },
}

# Every table whose last row id (or row count) moves when something an export or a review shows is written. Each is
# an indexed MAX() (the rowid's b-tree end) or a COUNT() of a small table: microseconds, whatever the data's size.
_STAMP_PARTS = (
    "SELECT MAX(rowid) FROM revisions", "SELECT MAX(rowid) FROM decisions", "SELECT MAX(rowid) FROM adjustments",
    "SELECT MAX(rowid) FROM audit_log", "SELECT MAX(rowid) FROM certificates", "SELECT MAX(rowid) FROM uploads",
    "SELECT MAX(rowid) FROM report_narratives", "SELECT MAX(rowid) FROM units", "SELECT COUNT(*) FROM units",
    "SELECT COUNT(*) FROM form_versions", "SELECT MAX(rowid) FROM cycles", "SELECT MAX(rowid) FROM selections",
    "SELECT MAX(rowid) FROM proposals",
)


def data_stamp(db: Database) -> str:
    """The version of the data: "r.d.a.l.c.u.n.m.k.v.y.s.p", the last row ids and counts of _STAMP_PARTS."""
    sql = "SELECT " + ", ".join(f"({part})" for part in _STAMP_PARTS)
    return ".".join("0" if value is None else str(value) for value in db.execute(sql).fetchone())


def _job(db: Database, where: str, params: list) -> dict | None:
    rows = list(db.query(f"SELECT * FROM jobs WHERE {where}", params))
    return rows[0] if rows else None


def get(db: Database, job_id: int) -> dict | None:
    """One job by its id."""
    return _job(db, "id = ?", [job_id])


def latest(db: Database, kind: str, form_id: str, cycle_year: int, stamp: str) -> dict | None:
    """The latest job of a document for one version of the data."""
    return _job(db, "kind = ? AND form_id = ? AND cycle_year = ? AND stamp = ? ORDER BY id DESC LIMIT 1",
                [kind, form_id, cycle_year, stamp])


def latest_done(db: Database, kind: str, form_id: str, cycle_year: int) -> dict | None:
    """The latest job of a document that left a file, whatever version of the data it was built for."""
    return _job(db, "kind = ? AND form_id = ? AND cycle_year = ? AND state = 'done' AND file IS NOT NULL "
                    "ORDER BY id DESC LIMIT 1", [kind, form_id, cycle_year])


def add(db: Database, kind: str, form_id: str, cycle_year: int, stamp: str, requested_by: str | None,
        at: str) -> int:
    """A queued job; its id."""
    return db.execute(
        "INSERT INTO jobs (kind, form_id, cycle_year, stamp, state, requested_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)", [kind, form_id, cycle_year, stamp, requested_by, at, at]).lastrowid


def start(db: Database, job_id: int, pid: int, at: str) -> bool:
    """A queued job taken by the process `pid`: False when it was not queued any more (taken, or given up)."""
    return db.execute("UPDATE jobs SET state = 'running', pid = ?, started_at = ?, updated_at = ? "
                      "WHERE id = ? AND state = 'queued'", [pid, at, at, job_id]).rowcount == 1


def progress(db: Database, job_id: int, done: int, total: int | None, at: str) -> None:
    """How far a running job is: rows written of the rows to write."""
    db.execute("UPDATE jobs SET rows_done = ?, rows_total = ?, updated_at = ? WHERE id = ? AND state = 'running'",
               [done, total, at, job_id])


def touch(db: Database, job_id: int, at: str) -> None:
    """A queued or running job's process is alive (its heartbeat): `updated_at` moves on."""
    db.execute("UPDATE jobs SET updated_at = ? WHERE id = ? AND state IN ('queued', 'running')", [at, job_id])


def finish(db: Database, job_id: int, file: str, size: int, at: str) -> None:
    """A job done: its file (relative to the data directory) and size."""
    db.execute("UPDATE jobs SET state = 'done', file = ?, size = ?, rows_done = COALESCE(rows_total, rows_done), "
               "finished_at = ?, updated_at = ? WHERE id = ?", [file, size, at, at, job_id])


def fail(db: Database, job_id: int, error: str, at: str) -> None:
    """A job that could not finish, with the code of why (queued or running jobs only: a done job stays done)."""
    db.execute("UPDATE jobs SET state = 'failed', error = ?, finished_at = ?, updated_at = ? "
               "WHERE id = ? AND state IN ('queued', 'running')", [error, at, at, job_id])


def older_files(db: Database, kind: str, form_id: str, cycle_year: int, newer_than: int) -> list[tuple[int, str]]:
    """(id, file) of the document's done jobs before job `newer_than` whose file is still listed."""
    return [tuple(r) for r in db.execute(
        "SELECT id, file FROM jobs WHERE kind = ? AND form_id = ? AND cycle_year = ? AND id < ? AND file IS NOT NULL",
        [kind, form_id, cycle_year, newer_than])]


def forget_file(db: Database, job_id: int) -> None:
    """A job's file, removed from the disk, no longer listed."""
    db.execute("UPDATE jobs SET file = NULL WHERE id = ?", [job_id])
