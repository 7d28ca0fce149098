"""Uploaded files in forms.db: one row per upload (`uploads`), each unit's quota (`upload_quotas`); the bytes live in
the data directory, by hash, shared by every row of the same content."""

from __future__ import annotations

import json

from sqlite_utils import Database

from forms_app.data.connection import insert_rows

DESCRIPTIONS = {
    "uploads": {
        "title": "Tệp minh chứng",
        "description": "Tệp đơn vị tải lên; nội dung lưu theo mã băm, chỉ đơn vị và người đánh giá được xem.",
        "columns": {
            "token": "Mã tệp", "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm",
            "question_id": "Mã câu hỏi", "original_name": "Tên tệp gốc", "sha256": "Mã băm SHA-256",
            "size": "Kích thước (byte)", "uploaded_by": "Người tải lên", "uploaded_at": "Thời điểm tải lên (UTC)",
        },
    },
    "upload_quotas": {
        "title": "Hạn mức dung lượng tệp",
        "description": "Dung lượng tệp minh chứng tối đa của mỗi đơn vị, do quản trị viên đặt; tệp giống hệt nhau "
                       "chỉ tính một lần. Đơn vị không có dòng riêng dùng dòng '*' (hoặc mức mặc định của hệ thống).",
        "columns": {
            "unit_code": "Mã đơn vị ('*': mọi đơn vị chưa có hạn mức riêng)", "quota_mb": "Hạn mức (MB)",
            "changed_by": "Người đặt", "changed_at": "Thời điểm đặt (UTC)",
        },
    },
}

EVERY_UNIT = "*"  # the unit_code of the quota row that counts for every unit without its own
# A revision refers to an upload by its token inside its answers (JSON): a match of the token text is a reference;
# an inspection refers to its minutes by their token.
_REFERENCED = ("(EXISTS (SELECT 1 FROM submissions s JOIN revisions r ON r.submission_id = s.id "
               "WHERE s.unit_code = uploads.unit_code AND s.form_id = uploads.form_id "
               "AND s.cycle_year = uploads.cycle_year AND instr(r.answers, uploads.token) > 0) "
               "OR EXISTS (SELECT 1 FROM inspections i WHERE i.minutes_token = uploads.token))")


_COLUMNS = ("token", "unit_code", "form_id", "cycle_year", "question_id", "original_name", "sha256", "size",
            "uploaded_by", "uploaded_at")


def insert_many(db: Database, rows: list[dict]) -> None:
    """Upload rows in one statement, each with token, unit_code, form_id, cycle_year, question_id, original_name,
    sha256, size, uploaded_by and uploaded_at."""
    insert_rows(db, f"INSERT INTO uploads ({', '.join(_COLUMNS)})", [[row[c] for c in _COLUMNS] for row in rows])


def find(db: Database, token: str) -> dict | None:
    rows = list(db.query("SELECT * FROM uploads WHERE token = ?", [token]))
    return rows[0] if rows else None


def by_tokens(db: Database, tokens: list[str]) -> dict[str, dict]:
    """{token: row} of these uploads (unknown tokens left out)."""
    if not tokens:
        return {}
    marks = ",".join("?" * len(tokens))
    return {r["token"]: r for r in db.query(f"SELECT * FROM uploads WHERE token IN ({marks})", tokens)}


# Space and quotas

def unit_usage(db: Database, unit_code: str) -> int:
    """Bytes a unit's uploads take, each distinct content counted once."""
    return db.execute("SELECT COALESCE(SUM(size), 0) FROM (SELECT MAX(size) AS size FROM uploads WHERE unit_code = ? "
                      "GROUP BY sha256)", [unit_code]).fetchone()[0]


def unit_blobs(db: Database, unit_code: str, hashes: list[str]) -> set[str]:
    """Those of `hashes` the unit already has an upload of (which then take no more of its quota): one look-up that
    stops at the first row of each, however often the unit sent the same file again."""
    if not hashes:
        return set()
    return {row[0] for row in db.execute(
        "SELECT h.value FROM json_each(?) h WHERE EXISTS (SELECT 1 FROM uploads WHERE sha256 = h.value "
        "AND unit_code = ?)", [json.dumps(hashes), unit_code])}


def recent_same(db: Database, unit_code: str, form_id: str, cycle_year: int, uploaded_by: str, since: str,
                hashes: list[str]) -> dict[tuple[str, str, str], str]:
    """{(question, name, content hash): token} of the unit's uploads of these contents for this form and year that
    this person sent since `since` (the newest when several match)."""
    if not hashes:
        return {}
    rows = db.execute(
        "SELECT question_id, original_name, sha256, token FROM uploads WHERE sha256 IN (SELECT value FROM json_each(?)) "
        "AND unit_code = ? AND form_id = ? AND cycle_year = ? AND uploaded_by = ? AND uploaded_at >= ? "
        "ORDER BY uploaded_at", [json.dumps(hashes), unit_code, form_id, cycle_year, uploaded_by, since])
    return {(question, name, digest): token for question, name, digest, token in rows}


def quota_mb(db: Database, unit_code: str) -> int | None:
    """The unit's own quota, else the one set for every unit, else None (the product's default)."""
    row = db.execute("SELECT quota_mb FROM upload_quotas WHERE unit_code IN (?, ?) ORDER BY unit_code = ? LIMIT 1",
                     [unit_code, EVERY_UNIT, EVERY_UNIT]).fetchone()
    return row[0] if row else None


def own_quota_mb(db: Database, unit_code: str) -> int | None:
    """The quota stored under exactly this unit_code ('*' for every unit), or None."""
    row = db.execute("SELECT quota_mb FROM upload_quotas WHERE unit_code = ?", [unit_code]).fetchone()
    return row[0] if row else None


def set_quota(db: Database, unit_code: str, quota_mb: int | None, actor: str, now: str) -> None:
    """Store a quota for a unit (or '*'); None removes it, back to the general one."""
    if quota_mb is None:
        db.execute("DELETE FROM upload_quotas WHERE unit_code = ?", [unit_code])
        return
    db.execute("INSERT INTO upload_quotas (unit_code, quota_mb, changed_by, changed_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (unit_code) DO UPDATE SET quota_mb = excluded.quota_mb, changed_by = excluded.changed_by, "
               "changed_at = excluded.changed_at", [unit_code, quota_mb, actor, now])


def usage_rows(db: Database, limit: int) -> list[dict]:
    """The units that hold uploads or have their own quota, most space first: code, name, used (bytes), files,
    own quota_mb."""
    return list(db.query(
        "WITH blobs AS (SELECT unit_code, sha256, MAX(size) AS size FROM uploads GROUP BY unit_code, sha256), "
        "used AS (SELECT unit_code, SUM(size) AS used, COUNT(*) AS files FROM blobs GROUP BY unit_code) "
        "SELECT u.code, u.name, COALESCE(used.used, 0) AS used, COALESCE(used.files, 0) AS files, q.quota_mb "
        "FROM units u LEFT JOIN used ON used.unit_code = u.code LEFT JOIN upload_quotas q ON q.unit_code = u.code "
        "WHERE used.unit_code IS NOT NULL OR q.unit_code IS NOT NULL ORDER BY used DESC, u.code LIMIT ?", [limit]))


# Cleanup: rows no revision refers to, then the blobs no row points at

def unreferenced(db: Database, uploaded_before: str) -> list[tuple[str, str]]:
    """(token, sha256) of the uploads older than `uploaded_before` that no revision of their submission refers to."""
    return [tuple(row) for row in db.execute(
        f"SELECT token, sha256 FROM uploads WHERE uploaded_at < ? AND NOT {_REFERENCED} ORDER BY uploaded_at",
        [uploaded_before])]


def delete_unreferenced(db: Database, token: str, uploaded_before: str) -> bool:
    """Delete one upload's row if it is still old enough and still unreferenced (checked in the same statement)."""
    return db.execute(f"DELETE FROM uploads WHERE token = ? AND uploaded_at < ? AND NOT {_REFERENCED}",
                      [token, uploaded_before]).rowcount > 0


def hashes_in_use(db: Database, hashes: list[str]) -> set[str]:
    """Those of `hashes` that some upload row still points at."""
    if not hashes:
        return set()
    marks = ",".join("?" * len(hashes))
    return {row[0] for row in db.execute(f"SELECT DISTINCT sha256 FROM uploads WHERE sha256 IN ({marks})", hashes)}
