"""Uploaded files in forms.db: one row per upload (`uploads`); the bytes live in the data directory, by hash."""

from __future__ import annotations

from sqlite_utils import Database

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
}


def insert(db: Database, row: dict) -> None:
    """One upload's row: token, unit_code, form_id, cycle_year, question_id, original_name, sha256, size, uploaded_by/at."""
    columns = ("token", "unit_code", "form_id", "cycle_year", "question_id", "original_name", "sha256", "size",
               "uploaded_by", "uploaded_at")
    db.execute(f"INSERT INTO uploads ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
               [row[c] for c in columns])


def find(db: Database, token: str) -> dict | None:
    rows = list(db.query("SELECT * FROM uploads WHERE token = ?", [token]))
    return rows[0] if rows else None


def by_tokens(db: Database, tokens: list[str]) -> dict[str, dict]:
    """{token: row} of these uploads (unknown tokens left out)."""
    if not tokens:
        return {}
    marks = ",".join("?" * len(tokens))
    return {r["token"]: r for r in db.query(f"SELECT * FROM uploads WHERE token IN ({marks})", tokens)}
