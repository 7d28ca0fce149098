"""Units (Đoàn cơ sở) in forms.db: the `units` table and its diacritic-free search."""

from __future__ import annotations

from typing import Iterable

from sqlite_utils import Database

from forms_app.data.text import fold

DESCRIPTIONS = {
    "units": {
        "title": "Đơn vị (Đoàn cơ sở)",
        "description": "Các Đoàn cơ sở trực thuộc, theo cụm thi đua.",
        "columns": {
            "code": "Mã đơn vị", "name": "Tên đơn vị", "cluster": "Cụm thi đua",
            "name_ascii": "Tên đơn vị viết không dấu (để tìm kiếm)",
            "created_at": "Thời điểm tạo (UTC)", "updated_at": "Thời điểm cập nhật gần nhất (UTC)",
            "email": "Địa chỉ thư điện tử của đơn vị (nhận thư nhắc hạn)",
        },
    },
}


def find(db: Database, code: str) -> dict | None:
    """One unit's row, or None."""
    columns = ("code", "name", "cluster", "name_ascii", "created_at", "updated_at", "email")
    row = db.execute(f"SELECT {', '.join(columns)} FROM units WHERE code = ?", [code]).fetchone()
    if row is None:
        return None
    return dict(zip(columns, row, strict=True))


def exists(db: Database, code: str) -> bool:
    return db.execute("SELECT 1 FROM units WHERE code = ?", [code]).fetchone() is not None


def count(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM units").fetchone()[0]


def save(db: Database, units: Iterable[dict], now: str) -> tuple[int, int]:
    """Insert new units and update the name and cluster of known ones, and the address of those given an `email`
    (inside the caller's transaction): (added, updated)."""
    added = updated = 0
    for unit in units:
        changed = db.execute(
            "UPDATE units SET name = ?, name_ascii = ?, cluster = ?, updated_at = ? WHERE code = ?",
            [unit["name"], fold(unit["name"]), unit["cluster"], now, unit["code"]]).rowcount
        if changed:
            updated += 1
        else:
            db.execute("INSERT INTO units (code, name, cluster, name_ascii, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", [unit["code"], unit["name"], unit["cluster"], fold(unit["name"]), now, now])
            added += 1
        if "email" in unit:  # only an import with the e-mail column changes the address (an empty cell clears it)
            db.execute("UPDATE units SET email = ? WHERE code = ?", [unit["email"] or None, unit["code"]])
    return added, updated


def set_email(db: Database, code: str, email: str | None, now: str) -> bool:
    """Store one unit's address (None clears it), inside the caller's transaction: False for an unknown unit."""
    return db.execute("UPDATE units SET email = ?, updated_at = ? WHERE code = ?", [email, now, code]).rowcount > 0


def insert_many(db: Database, units: Iterable[dict], now: str) -> None:
    """Insert new units in one statement per batch (the demo's thousands)."""
    db.conn.executemany(
        "INSERT INTO units (code, name, cluster, name_ascii, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(u["code"], u["name"], u["cluster"], fold(u["name"]), now, now) for u in units])


def cluster_names(db: Database) -> list[str]:
    """The emulation clusters the units belong to."""
    return [row[0] for row in db.execute("SELECT DISTINCT cluster FROM units WHERE cluster != '' ORDER BY cluster")]


def cluster_of(db: Database, code: str) -> str | None:
    row = db.execute("SELECT cluster FROM units WHERE code = ?", [code]).fetchone()
    return row[0] if row else None


def unit_filter(clusters: list[str], query: str) -> tuple[str, list]:
    """(a WHERE clause on the units `u`, its parameters): in one of `clusters` (when given), and `query` (when given)
    found in the code, the name or the cluster, with or without diacritics ("toan" finds "Toán": the name is
    compared folded, through `name_ascii`)."""
    conditions, params = [], []
    if clusters:
        conditions.append(f"u.cluster IN ({','.join('?' * len(clusters))})")
        params += clusters
    if query:
        conditions.append("(u.code LIKE ? ESCAPE '\\' OR u.name_ascii LIKE ? ESCAPE '\\' OR u.name LIKE ? ESCAPE '\\' "
                          "OR u.cluster LIKE ? ESCAPE '\\')")
        params += [_like(query), _like(fold(query)), _like(query), _like(query)]
    return ("WHERE " + " AND ".join(conditions)) if conditions else "", params


def _like(text: str) -> str:
    """`text` anywhere, as a LIKE pattern (its own % and _ taken literally)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(db: Database, *, clusters: list[str], query: str, limit: int, offset: int) -> tuple[int, list[dict]]:
    """(how many units match, one page of them by cluster and name), limited to `clusters` when given."""
    where, params = unit_filter(clusters, query)
    total = db.execute(f"SELECT COUNT(*) FROM units u {where}", params).fetchone()[0]
    units = list(db.query(f"SELECT u.code, u.name, u.cluster FROM units u {where} ORDER BY u.cluster, u.name "
                          "LIMIT ? OFFSET ?", params + [limit, offset]))
    return total, units


def search_addresses(db: Database, *, query: str, without_email: bool, limit: int,
                     offset: int) -> tuple[int, list[dict]]:
    """(how many units match, one page of them by code with their address): `query` as `unit_filter` finds it, and
    only the units with no address yet when `without_email`."""
    where, params = unit_filter([], query)
    if without_email:
        where = (where + " AND " if where else "WHERE ") + "COALESCE(TRIM(u.email), '') = ''"
    total = db.execute(f"SELECT COUNT(*) FROM units u {where}", params).fetchone()[0]
    units = list(db.query(f"SELECT u.code, u.name, u.cluster, u.email FROM units u {where} ORDER BY u.code "
                          "LIMIT ? OFFSET ?", params + [limit, offset]))
    return total, units
