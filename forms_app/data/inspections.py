"""The inspection committee's inspections in forms.db (`inspections`): appended, never changed; the minutes are an
upload (`uploads`, read through `forms_app.data.uploads`) that the cleanup keeps while an inspection names it."""

from __future__ import annotations

from sqlite_utils import Database

DESCRIPTIONS = {
    "inspections": {
        "title": "Kiểm tra của Ủy ban Kiểm tra",
        "description": "Mỗi đợt kiểm tra một đơn vị trong một năm: ngày, thành phần đoàn kiểm tra, kết luận và "
                       "biên bản (tệp). Mỗi lần ghi là một dòng mới, không ghi đè.",
        "columns": {
            "id": "Mã đợt kiểm tra", "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu được kiểm tra",
            "cycle_year": "Năm", "inspected_on": "Ngày kiểm tra", "members": "Thành phần đoàn kiểm tra",
            "conclusion": "Kết luận", "minutes_token": "Mã tệp biên bản (bí mật: không đọc được)",
            "recorded_by": "Người ghi", "recorded_at": "Thời điểm ghi (UTC)",
        },
    },
}

COLUMNS = ("unit_code", "form_id", "cycle_year", "inspected_on", "members", "conclusion", "minutes_token",
           "recorded_by", "recorded_at")
_INSERT = f"INSERT INTO inspections ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def insert(db: Database, row: dict) -> int:
    """Append one inspection ({column: value} of COLUMNS); its id."""
    return db.execute(_INSERT, [row[column] for column in COLUMNS]).lastrowid


def insert_many(db: Database, rows: list[tuple]) -> None:
    """Append inspections at once (the demo), each a tuple in the order of COLUMNS."""
    db.conn.executemany(_INSERT, rows)


def of_unit(db: Database, unit_code: str, form_id: str, cycle_year: int) -> list[dict]:
    """Every inspection of a unit's form and year, with its minutes' file name and size; the latest first."""
    return list(db.query(
        "SELECT i.*, u.original_name AS minutes_name, u.size AS minutes_size FROM inspections i "
        "LEFT JOIN uploads u ON u.token = i.minutes_token "
        "WHERE i.unit_code = ? AND i.form_id = ? AND i.cycle_year = ? ORDER BY i.inspected_on DESC, i.id DESC",
        [unit_code, form_id, cycle_year]))
