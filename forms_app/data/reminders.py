"""Reminders in forms.db: what `forms-app remind` reads to decide what is due, and `reminders_sent`, the log of every
reminder sent (one row per unit, form, year and kind: a reminder is sent once)."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from forms_app.data.connection import Database

DESCRIPTIONS = {
    "reminders_sent": {
        "title": "Thư nhắc đã gửi",
        "description": "Mỗi thư nhắc gửi cho một đơn vị là một dòng; mỗi thư chỉ gửi một lần.",
        "columns": {
            "id": "Mã", "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm",
            "kind": "Loại thư (opens: biểu mẫu mở; due-7, due-3, due-1: còn 7, 3, 1 ngày đến hạn nộp; "
                    "returned-<mã>: bài bị trả lại; decision-<mã>: có quyết định)",
            "address": "Địa chỉ thư điện tử đã gửi đến", "sent_at": "Thời điểm gửi (UTC)",
        },
    },
}


def recipients(db: Database) -> list[dict]:
    """Every unit with an e-mail address: {code, name, email}."""
    return list(db.query("SELECT code, name, email FROM units WHERE COALESCE(TRIM(email), '') != '' ORDER BY code"))


def cycles_open_by(db: Database, day: dt.date) -> list[dict]:
    """The cycles (form_id, cycle_year, opens, closes) that have opened on or before `day`, of this year or later
    (an extension or a return may keep a cycle open past its closing day)."""
    return list(db.query("SELECT form_id, cycle_year, opens, closes FROM cycles WHERE opens <= ? AND cycle_year >= ? "
                         "ORDER BY form_id, cycle_year", [day.isoformat(), day.year - 1]))


def extensions_from(db: Database, first_year: int) -> dict[tuple[str, str, int], dt.date]:
    """{(unit, form, year): extended deadline} from `first_year` on."""
    rows = db.execute("SELECT unit_code, form_id, cycle_year, closes FROM extensions WHERE cycle_year >= ?", [first_year])
    return {(u, f, y): dt.date.fromisoformat(closes) for u, f, y, closes in rows}


def submitted_from(db: Database, first_year: int) -> set[tuple[str, str, int]]:
    """(unit, form, year) of every submitted form from `first_year` on."""
    rows = db.execute("SELECT unit_code, form_id, cycle_year FROM submissions WHERE status = 'submitted' "
                      "AND cycle_year >= ?", [first_year])
    return {tuple(row) for row in rows}


def current_decisions_from(db: Database, first_year: int) -> dict[tuple[str, str, int], dict]:
    """{(unit, form, year): its current decision (id, decision, reopen_until, decision_no, decided_on, comment,
    recorded_at)} from `first_year` on."""
    rows = db.query("SELECT id, unit_code, form_id, cycle_year, decision, reopen_until, decision_no, decided_on, "
                    "comment, recorded_at FROM decisions WHERE is_current = 1 AND cycle_year >= ?", [first_year])
    return {(row["unit_code"], row["form_id"], row["cycle_year"]): row for row in rows}


def sent_keys(db: Database) -> set[tuple[str, str, int, str]]:
    """(unit, form, year, kind) of every reminder already sent."""
    return {tuple(row) for row in db.execute("SELECT unit_code, form_id, cycle_year, kind FROM reminders_sent")}


def record_sent(db: Database, rows: Iterable[tuple[str, str, int, str, str]], now: str) -> None:
    """Log reminders sent (unit, form, year, kind, address) at `now`, inside the caller's transaction; one already
    logged is kept."""
    db.conn.executemany(
        "INSERT OR IGNORE INTO reminders_sent (unit_code, form_id, cycle_year, kind, address, sent_at) "
        "VALUES (?, ?, ?, ?, ?, ?)", [(*row, now) for row in rows])


def _sent_filter(year: int | None, form_id: str | None, unit_code: str | None,
                 clusters: list[str]) -> tuple[str, list]:
    """(a WHERE clause on the log `r` joined to its unit `u`, its parameters): each filter when given."""
    conditions, params = [], []
    for column, value in (("r.cycle_year", year), ("r.form_id", form_id), ("r.unit_code", unit_code)):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if clusters:
        conditions.append(f"u.cluster IN ({','.join('?' * len(clusters))})")
        params += clusters
    return ("WHERE " + " AND ".join(conditions)) if conditions else "", params


def sent_log(db: Database, limit: int = 500, *, offset: int = 0, year: int | None = None, form_id: str | None = None,
             unit_code: str | None = None, clusters: list[str] = ()) -> list[dict]:
    """The latest reminders sent, newest first, with the unit's name (the office's view of who was reminded): of one
    year, form or unit when given, of the units of `clusters` when given (a cluster lead's)."""
    where, params = _sent_filter(year, form_id, unit_code, list(clusters))
    return list(db.query("SELECT r.unit_code, u.name AS unit_name, r.form_id, r.cycle_year, r.kind, r.address, "
                         f"r.sent_at FROM reminders_sent r JOIN units u ON u.code = r.unit_code {where} "
                         "ORDER BY r.sent_at DESC, r.id DESC LIMIT ? OFFSET ?", params + [limit, offset]))


def sent_count(db: Database, *, year: int | None = None, form_id: str | None = None, unit_code: str | None = None,
               clusters: list[str] = ()) -> int:
    """How many reminders `sent_log` lists with these filters."""
    where, params = _sent_filter(year, form_id, unit_code, list(clusters))
    return db.execute(f"SELECT COUNT(*) FROM reminders_sent r JOIN units u ON u.code = r.unit_code {where}",
                      params).fetchone()[0]


def sent_years(db: Database) -> list[int]:
    """The years reminders were sent about, newest first."""
    return [row[0] for row in db.execute("SELECT DISTINCT cycle_year FROM reminders_sent ORDER BY cycle_year DESC")]
