"""Cycles in forms.db: each form's window per cycle year (`cycles`) and per-unit deadlines (`extensions`)."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

DESCRIPTIONS = {
    "cycles": {
        "title": "Chu kỳ (năm)",
        "description": "Thời hạn mở và đóng của mỗi biểu mẫu trong từng năm; mặc định theo định nghĩa, quản trị viên có thể đổi.",
        "columns": {
            "form_id": "Mã biểu mẫu", "cycle_year": "Năm", "opens": "Ngày mở (bao gồm)", "closes": "Ngày đóng (bao gồm, hết ngày)",
            "changed_by": "Người thay đổi gần nhất", "changed_at": "Thời điểm thay đổi (UTC)",
        },
    },
    "extensions": {
        "title": "Gia hạn theo đơn vị",
        "description": "Hạn nộp riêng được gia hạn cho một đơn vị.",
        "columns": {
            "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm", "closes": "Hạn mới (bao gồm)",
            "reason": "Lý do", "granted_by": "Người gia hạn", "granted_at": "Thời điểm gia hạn (UTC)",
        },
    },
}


def dates(db: Database, form_id: str, cycle_year: int) -> tuple[dt.date, dt.date] | None:
    """(opens, closes) of a form's cycle, or None when the form has no such cycle."""
    row = db.execute("SELECT opens, closes FROM cycles WHERE form_id = ? AND cycle_year = ?", [form_id, cycle_year]).fetchone()
    return (dt.date.fromisoformat(row[0]), dt.date.fromisoformat(row[1])) if row else None


def exists(db: Database, form_id: str, cycle_year: int) -> bool:
    return db.execute("SELECT 1 FROM cycles WHERE form_id = ? AND cycle_year = ?", [form_id, cycle_year]).fetchone() is not None


def year_exists(db: Database, cycle_year: int) -> bool:
    """Whether any form has a cycle in this year."""
    return db.execute("SELECT 1 FROM cycles WHERE cycle_year = ? LIMIT 1", [cycle_year]).fetchone() is not None


def years(db: Database, form_id: str) -> list[int]:
    """The form's cycle years, newest first."""
    return [r[0] for r in db.execute("SELECT cycle_year FROM cycles WHERE form_id = ? ORDER BY cycle_year DESC", [form_id])]


def all_cycles(db: Database) -> list[dict]:
    """Every form's window per year, newest first."""
    return list(db.query("SELECT * FROM cycles ORDER BY cycle_year DESC, form_id"))


def pairs(db: Database) -> list[tuple[str, int]]:
    """Every (form, year) that has a cycle, oldest year first."""
    return [(form_id, year) for form_id, year in db.execute("SELECT form_id, cycle_year FROM cycles ORDER BY cycle_year")]


def add_default(db: Database, form_id: str, cycle_year: int, opens: dt.date, closes: dt.date) -> None:
    """A window from the definition's schedule, unless one is already set (an admin's change is kept)."""
    db.execute("INSERT OR IGNORE INTO cycles (form_id, cycle_year, opens, closes) VALUES (?, ?, ?, ?)",
               [form_id, cycle_year, opens.isoformat(), closes.isoformat()])


def replace_default(db: Database, form_id: str, cycle_year: int, opens: dt.date, closes: dt.date) -> None:
    """A window from the definition's schedule in place of an earlier default one (an admin's change is kept)."""
    db.execute("INSERT INTO cycles (form_id, cycle_year, opens, closes) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (form_id, cycle_year) DO UPDATE SET opens = excluded.opens, closes = excluded.closes "
               "WHERE changed_by IS NULL", [form_id, cycle_year, opens.isoformat(), closes.isoformat()])


def years_of_all(db: Database) -> list[int]:
    """Every year some form has a cycle in, newest first."""
    return [r[0] for r in db.execute("SELECT DISTINCT cycle_year FROM cycles ORDER BY cycle_year DESC")]


def change(db: Database, form_id: str, cycle_year: int, opens: dt.date, closes: dt.date, actor: str, now: str) -> bool:
    """Set a cycle's window; False when there is no such cycle."""
    return db.execute(
        "UPDATE cycles SET opens = ?, closes = ?, changed_by = ?, changed_at = ? WHERE form_id = ? AND cycle_year = ?",
        [opens.isoformat(), closes.isoformat(), actor, now, form_id, cycle_year]).rowcount > 0


def extension(db: Database, unit_code: str, form_id: str, cycle_year: int) -> dt.date | None:
    """The unit's extended deadline, or None."""
    row = db.execute("SELECT closes FROM extensions WHERE unit_code = ? AND form_id = ? AND cycle_year = ?",
                     [unit_code, form_id, cycle_year]).fetchone()
    return dt.date.fromisoformat(row[0]) if row else None


def unit_deadline(db: Database, unit_code: str, form_id: str, cycle_year: int) -> dt.date | None:
    """The last day of the unit's window: its extension if it has one, else the cycle's closing day."""
    row = db.execute(
        "SELECT COALESCE(e.closes, c.closes) FROM cycles c LEFT JOIN extensions e ON e.unit_code = ? "
        "AND e.form_id = c.form_id AND e.cycle_year = c.cycle_year WHERE c.form_id = ? AND c.cycle_year = ?",
        [unit_code, form_id, cycle_year]).fetchone()
    return dt.date.fromisoformat(row[0]) if row else None


def all_extensions(db: Database) -> list[dict]:
    return list(db.query("SELECT * FROM extensions ORDER BY cycle_year DESC, unit_code"))


def save_extension(db: Database, unit_code: str, form_id: str, cycle_year: int, closes: dt.date, reason: str | None,
                   actor: str, now: str) -> None:
    """Record or replace one unit's extended deadline."""
    db.execute(
        "INSERT INTO extensions (unit_code, form_id, cycle_year, closes, reason, granted_by, granted_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (unit_code, form_id, cycle_year) DO UPDATE SET "
        "closes = excluded.closes, reason = excluded.reason, granted_by = excluded.granted_by, granted_at = excluded.granted_at",
        [unit_code, form_id, cycle_year, closes.isoformat(), reason or None, actor, now])
