"""The audit log: the one writer of `audit_log` (who did what, when, to which unit, form and year)."""

from __future__ import annotations

import json

from sqlite_utils import Database

from forms_app.data.clock import stamp

DESCRIPTIONS = {
    "audit_log": {
        "title": "Nhật ký",
        "description": "Mọi thay đổi quan trọng: ai, khi nào, làm gì.",
        "columns": {
            "id": "Mã", "at": "Thời điểm (UTC)", "actor": "Người thực hiện", "action": "Hành động",
            "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm", "detail": "Chi tiết (JSON)",
        },
    },
}


def record(db: Database, actor: str, action: str, unit_code: str | None = None, form_id: str | None = None,
           cycle_year: int | None = None, detail: dict | None = None, *, at: str | None = None) -> None:
    """Append one entry (inside the caller's transaction, when there is one)."""
    db.execute(
        "INSERT INTO audit_log (at, actor, action, unit_code, form_id, cycle_year, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [at or stamp(), actor, action, unit_code, form_id, cycle_year, json.dumps(detail or {}, ensure_ascii=False)])


def submitted_since_last_decision(db: Database, unit_code: str, form_id: str, cycle_year: int) -> bool:
    """Whether a 'submitted' entry follows the last 'decision_recorded' one for this unit, form and year."""
    key = [unit_code, form_id, cycle_year]
    row = db.execute(
        "SELECT 1 FROM audit_log WHERE action = 'submitted' AND unit_code = ? AND form_id = ? AND cycle_year = ? "
        "AND id > (SELECT MAX(id) FROM audit_log WHERE action = 'decision_recorded' AND unit_code = ? AND form_id = ? "
        "AND cycle_year = ?) LIMIT 1", key + key).fetchone()
    return row is not None
