"""A year's results as tables: one row per unit, and one column per question with stable Vietnamese headers."""

from __future__ import annotations

from pathlib import Path

from exports.tables import csv_bytes, write, xlsx_bytes
from forms_app.data import reporting
from forms_app.data.connection import Database
from forms_app.rules import registry

DECISIONS_VI = {"recognised": "Công nhận", "not_recognised": "Không công nhận", "returned": "Trả lại để bổ sung",
                "withdrawn": "Thu hồi công nhận", "accepted": "Tiếp nhận"}


def section_ids(db: Database, form_id: str) -> list[tuple[str, str]]:
    """(section id, header) in form order, from the latest version: "Điểm 2.1" for a title that starts with its number."""
    definition = registry.definition(db, form_id)
    if definition is None:
        return []
    return [(section.id, f"Điểm {section_number(section.title.get(definition.default_language)) or section.id}")
            for section in definition.sections]


def section_number(title: str) -> str | None:
    """The number a section's title starts with ("2.1. Chủ động…" → "2.1"), or None."""
    first = title.split(" ")[0].rstrip(".")
    return first if first[:1].isdigit() else None


def summary(db: Database, year: int, form_id: str) -> tuple[list[str], list[list]]:
    """One row per unit: code, name, cluster, section scores, total, band, decision, certificate serial."""
    sections = section_ids(db, form_id)
    header = ["Mã đơn vị", "Tên đơn vị", "Cụm thi đua", "Trạng thái"] + [h for _, h in sections] + [
        "Tổng điểm tự động", "Tổng điểm sau điều chỉnh", "Xếp loại", "Quyết định", "Số quyết định", "Ngày quyết định",
        "Số hiệu giấy chứng nhận"]
    scores = reporting.section_scores(db, form_id, year)
    rows = []
    for r in reporting.unit_results(db, form_id, year):
        status = {"submitted": "Đã nộp", "draft": "Bản nháp"}.get(r["status"], "Chưa có bài")
        rows.append([r["code"], r["name"], r["cluster"], status]
                    + [scores.get((r["sid"], sid)) for sid, _ in sections]
                    + [r["total"], r["adjusted_total"], r["band"], DECISIONS_VI.get(r["decision"]), r["decision_no"],
                       r["decided_on"], r["serial"] if r["decision"] == "recognised" else None])
    return header, rows


def question_headers(db: Database, form_id: str) -> list[tuple[str, str]]:
    """(question id, header) in the latest version's order; a header is the label of the FIRST version that asked
    the question, so it never changes when a new version rewords a label."""
    first_label: dict[str, str] = {}
    for qid, label in reporting.question_labels(db, form_id):
        first_label.setdefault(qid, label)
    order = reporting.latest_question_order(db, form_id)
    order += [q for q in first_label if q not in order]  # asked only by older versions: kept, at the end
    return [(qid, f"{first_label[qid]} [{qid}]") for qid in order]


def answers(db: Database, year: int, form_id: str) -> tuple[list[str], list[list]]:
    """One row per submission of the year, one column per question (the value as stored)."""
    headers = question_headers(db, form_id)
    header = ["Mã đơn vị", "Tên đơn vị", "Phiên bản biểu mẫu", "Trạng thái"] + [h for _, h in headers]
    values: dict[int, dict[str, object]] = {}
    for sid, qid, value in reporting.visible_answers(db, form_id, year):
        values.setdefault(sid, {})[qid] = value
    rows = []
    for r in reporting.submissions_of_year(db, form_id, year):
        mine = values.get(r["id"], {})
        rows.append([r["code"], r["name"], r["form_version"], "Đã nộp" if r["status"] == "submitted" else "Bản nháp"]
                    + [mine.get(qid) for qid, _ in headers])
    return header, rows


def export(db: Database, year: int, fmt: str, out: Path | None = None, form_id: str | None = None) -> list[Path]:
    """Write the year's export of a scored form (the only one when none is given; registry.FormChoice otherwise):
    an XLSX with two sheets, or two CSV files (results, and answers beside it)."""
    form_id = registry.the_scored_form(db, form_id).id
    head, rows = summary(db, year, form_id)
    a_head, a_rows = answers(db, year, form_id)
    if fmt == "xlsx":
        path = Path(out or default_name(form_id, year, "xlsx"))
        return [write(path, xlsx_bytes([(f"Kết quả {year}", head, rows), (f"Câu trả lời {year}", a_head, a_rows)]))]
    path = Path(out or default_name(form_id, year, "csv"))
    second = path.with_name(path.stem + "-cau-tra-loi" + path.suffix)
    return [write(path, csv_bytes(head, rows)), write(second, csv_bytes(a_head, a_rows))]


def default_name(form_id: str, year: int, suffix: str) -> str:
    """The export's file name when none is given: ket-qua-<form id>-<year>.<suffix>."""
    return f"ket-qua-{form_id}-{year}.{suffix}"
