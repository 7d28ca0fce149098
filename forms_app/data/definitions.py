"""Definitions in forms.db: every loaded version of every form (`form_versions`), its questions and its criteria."""

from __future__ import annotations

from sqlite_utils import Database

from form_definitions import Definition

DESCRIPTIONS = {
    "form_versions": {
        "title": "Phiên bản biểu mẫu",
        "description": "Mỗi phiên bản định nghĩa biểu mẫu đã nạp; bài nộp luôn ghi phiên bản đã dùng.",
        "columns": {
            "form_id": "Mã biểu mẫu", "version": "Phiên bản", "sha256": "Mã băm SHA-256 của định nghĩa",
            "title": "Tên biểu mẫu", "max_total": "Tổng điểm tối đa", "definition": "Toàn văn định nghĩa (JSON)",
            "loaded_at": "Thời điểm nạp (UTC)",
        },
    },
    "questions": {
        "title": "Câu hỏi",
        "description": "Các câu hỏi của từng phiên bản biểu mẫu, với phần, tiêu chí và điểm tối đa.",
        "columns": {
            "form_id": "Mã biểu mẫu", "version": "Phiên bản biểu mẫu", "question_id": "Mã câu hỏi",
            "position": "Thứ tự trong biểu mẫu", "section_id": "Mã phần (nhóm tiêu chí)",
            "criterion": "Tiêu chí của Kế hoạch (ví dụ 2.1.3)", "type": "Kiểu câu hỏi", "label": "Nội dung câu hỏi",
            "max_points": "Điểm tối đa",
        },
    },
    "criteria": {
        "title": "Tiêu chí",
        "description": "13 tiêu chí của Kế hoạch, theo phiên bản biểu mẫu.",
        "columns": {"form_id": "Mã biểu mẫu", "version": "Phiên bản biểu mẫu", "criterion": "Mã tiêu chí",
                    "label": "Nội dung tiêu chí"},
    },}


def stored_hash(db: Database, form_id: str, version: int | None = None) -> tuple[str, int] | None:
    """(sha256, version) of a stored version (the latest when none is given), or None."""
    if version is None:
        row = db.execute("SELECT sha256, version FROM form_versions WHERE form_id = ? ORDER BY version DESC LIMIT 1",
                         [form_id]).fetchone()
    else:
        row = db.execute("SELECT sha256, version FROM form_versions WHERE form_id = ? AND version = ?",
                         [form_id, version]).fetchone()
    return (row[0], row[1]) if row else None


def source(db: Database, form_id: str, version: int) -> str:
    """The JSON text of a stored version."""
    return db.execute("SELECT definition FROM form_versions WHERE form_id = ? AND version = ?",
                      [form_id, version]).fetchone()[0]


def form_ids(db: Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT DISTINCT form_id FROM form_versions ORDER BY form_id")]


def store(db: Database, definition: Definition, now: str) -> None:
    """A new version with its questions and criteria, in the default language (inside the caller's transaction)."""
    lang = definition.default_language
    db.execute("INSERT INTO form_versions (form_id, version, sha256, title, max_total, definition, loaded_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
               [definition.id, definition.version, definition.sha256, definition.title.get(lang), definition.maximum,
                definition.source, now])
    db.conn.executemany(
        "INSERT INTO questions (form_id, version, question_id, position, section_id, criterion, type, label, max_points) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(definition.id, definition.version, q.id, q.index, q.section, q.criterion, q.type, q.label.get(lang), q.maximum)
         for q in definition.questions])
    db.conn.executemany(
        "INSERT INTO criteria (form_id, version, criterion, label) VALUES (?, ?, ?, ?)",
        [(definition.id, definition.version, c.id, c.label.get(lang)) for c in definition.criteria])
