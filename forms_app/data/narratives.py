"""The office's narrative of the year-end and phase reviews in forms.db: `report_narratives`, appended row by row (the
current text of a section is its latest row; the older ones are its history)."""

from __future__ import annotations

from sqlite_utils import Database

DESCRIPTIONS = {
    "report_narratives": {
        "title": "Nội dung báo cáo tổng kết do Văn phòng viết",
        "description": "Các phần lời của báo cáo tổng kết năm và báo cáo tổng kết giai đoạn (kết quả, ưu điểm, hạn chế, "
                       "nguyên nhân, bài học, phương hướng, đề xuất, số báo cáo); mỗi lần ghi là một dòng mới, "
                       "dòng mới nhất của một phần là nội dung hiện hành.",
        "columns": {
            "id": "Mã", "form_id": "Mã biểu mẫu được báo cáo", "cycle_year": "Năm (0: cả giai đoạn)",
            "section": "Phần của báo cáo", "body": "Nội dung", "written_by": "Người viết",
            "written_at": "Thời điểm (UTC)",
        },
    },
}


def append(db: Database, rows: list[tuple]) -> None:
    """Append (form id, cycle year, section, body, written by, written at) rows."""
    db.conn.executemany("INSERT INTO report_narratives (form_id, cycle_year, section, body, written_by, written_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)", rows)


def current(db: Database, form_id: str, cycle_year: int) -> dict[str, str]:
    """{section: its latest text} of one report."""
    return {r[0]: r[1] for r in db.execute(
        "SELECT n.section, n.body FROM report_narratives n WHERE n.form_id = ? AND n.cycle_year = ? AND n.id = "
        "(SELECT MAX(m.id) FROM report_narratives m WHERE m.form_id = n.form_id AND m.cycle_year = n.cycle_year "
        "AND m.section = n.section)", [form_id, cycle_year])}


def history(db: Database, form_id: str, cycle_year: int) -> list[dict]:
    """Every row of one report, the latest first."""
    return list(db.query("SELECT * FROM report_narratives WHERE form_id = ? AND cycle_year = ? ORDER BY id DESC",
                         [form_id, cycle_year]))
