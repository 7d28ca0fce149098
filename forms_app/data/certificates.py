"""Certificates in forms.db: the `certificates` table, and which units a year's certificates are issued to."""

from __future__ import annotations

from sqlite_utils import Database

DESCRIPTIONS = {
    "certificates": {
        "title": "Giấy chứng nhận",
        "description": "Giấy chứng nhận Đoàn cơ sở “3 chủ động” đã cấp; số hiệu dùng để kiểm tra tại /verify/<số hiệu>.",
        "columns": {
            "serial": "Số hiệu (in trên giấy, không đoán được)", "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu",
            "cycle_year": "Năm", "decision_id": "Mã quyết định công nhận đã in trên giấy",
            "file": "Tệp PDF trong thư mục dữ liệu", "created_at": "Thời điểm cấp lần đầu (UTC)",
            "register_no": "Số vào sổ cấp giấy chứng nhận của năm (theo thứ tự cấp; giữ nguyên khi cấp lại)",
        },
    },
}


def recognised_units(db: Database, form_id: str, cycle_year: int) -> list[str]:
    """The codes of the units whose current decision for the form and year recognises them, in code order."""
    return [r[0] for r in db.execute(
        "SELECT unit_code FROM current_decisions WHERE form_id = ? AND cycle_year = ? AND decision = 'recognised' "
        "ORDER BY unit_code", [form_id, cycle_year])]


def find(db: Database, unit_code: str, form_id: str, cycle_year: int) -> dict | None:
    """The certificate issued to a unit for a form and year, or None."""
    rows = list(db.query("SELECT * FROM certificates WHERE unit_code = ? AND form_id = ? AND cycle_year = ?",
                         [unit_code, form_id, cycle_year]))
    return rows[0] if rows else None


def next_register_no(db: Database, cycle_year: int) -> int:
    """The next number of the year's register of certificates (1 for the year's first)."""
    return db.execute("SELECT COALESCE(MAX(register_no), 0) + 1 FROM certificates WHERE cycle_year = ?",
                      [cycle_year]).fetchone()[0]


def save(db: Database, serial: str, unit_code: str, form_id: str, cycle_year: int, decision_id: int, file: str,
         now: str, register_no: int) -> None:
    """Record a certificate (inside the caller's transaction); one already issued keeps its serial, register number
    and first date."""
    db.execute(
        "INSERT INTO certificates (serial, unit_code, form_id, cycle_year, decision_id, file, created_at, register_no) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (unit_code, form_id, cycle_year) "
        "DO UPDATE SET decision_id = excluded.decision_id, file = excluded.file, "
        "register_no = COALESCE(certificates.register_no, excluded.register_no)",
        [serial, unit_code, form_id, cycle_year, decision_id, file, now, register_no])


def by_serial(db: Database, serial: str) -> dict | None:
    """A certificate with its unit's name and the number and date of the decision it printed, or None."""
    rows = list(db.query(
        "SELECT c.serial, c.cycle_year, c.form_id, c.unit_code, u.name AS unit_name, d.decision_no, d.decided_on "
        "FROM certificates c JOIN units u ON u.code = c.unit_code JOIN decisions d ON d.id = c.decision_id "
        "WHERE c.serial = ?", [serial]))
    return rows[0] if rows else None


def register(db: Database, form_id: str, cycle_year: int) -> list[dict]:
    """The certificates of a form and year in order of issue (by `register_no` when the table has one), each with its
    unit's name and the number and date of the decision it printed: the rows of the certificate register."""
    numbered = "register_no" in db["certificates"].columns_dict
    return list(db.query(
        "SELECT c.serial, c.unit_code, c.created_at, u.name AS unit_name, u.cluster, d.decision_no, d.decided_on"
        + (", c.register_no" if numbered else ", NULL AS register_no")
        + " FROM certificates c JOIN units u ON u.code = c.unit_code JOIN decisions d ON d.id = c.decision_id "
        "WHERE c.form_id = ? AND c.cycle_year = ? ORDER BY "
        + ("c.register_no IS NULL, c.register_no, " if numbered else "") + "c.created_at, c.rowid",
        [form_id, cycle_year]))
