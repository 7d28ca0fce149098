"""The units' private calendar feeds in forms.db: `calendar_tokens`, one row per token a unit created (only its
SHA-256 is kept; the token itself is shown to the unit once, in its feed's address)."""

from __future__ import annotations

from sqlite_utils import Database

DESCRIPTIONS = {
    "calendar_tokens": {
        "title": "Mã lịch riêng của các đơn vị",
        "description": "Mỗi đơn vị có thể tạo một địa chỉ lịch (.ics) riêng có thời hạn mở và hạn nộp các biểu mẫu "
                       "của mình; chỉ lưu mã băm của mã bí mật. Tạo mã mới hoặc thu hồi thì mã cũ hết hiệu lực.",
        "columns": {
            "id": "Mã", "unit_code": "Mã đơn vị", "token_hash": "Mã băm SHA-256 của mã lịch (bí mật: không đọc được)",
            "created_at": "Thời điểm tạo (UTC)", "revoked_at": "Thời điểm thu hồi (UTC; trống: còn hiệu lực)",
        },
    },
}


def revoke_all(db: Database, unit_code: str, moment: str) -> int:
    """Revoke every live token of the unit; how many were revoked."""
    return db.execute("UPDATE calendar_tokens SET revoked_at = ? WHERE unit_code = ? AND revoked_at IS NULL",
                      [moment, unit_code]).rowcount


def add(db: Database, unit_code: str, token_hash: str, moment: str) -> None:
    db.execute("INSERT INTO calendar_tokens (unit_code, token_hash, created_at) VALUES (?, ?, ?)",
               [unit_code, token_hash, moment])


def unit_of(db: Database, token_hash: str) -> str | None:
    """The unit whose live token has this hash; None when unknown or revoked."""
    row = db.execute("SELECT unit_code FROM calendar_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                     [token_hash]).fetchone()
    return row[0] if row else None


def live_since(db: Database, unit_code: str) -> str | None:
    """When the unit's live token was created; None when it has none."""
    row = db.execute("SELECT MAX(created_at) FROM calendar_tokens WHERE unit_code = ? AND revoked_at IS NULL",
                     [unit_code]).fetchone()
    return row[0] if row else None
