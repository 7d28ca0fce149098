"""A year's results as tables: one row per unit, one column per question with stable Vietnamese headers.

Answers are exported twice: for people ("Câu trả lời": choices by their labels, "Có"/"Không", dates, files by their
names with a link) and for scripts ("Mã (cho máy)": each answer as stored — choice codes, a multiple choice as its JSON
list, 1/0, ISO dates, file tokens — under the question ids).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from exports.cells import Link
from exports.tables import csv_bytes, write_csv, write_xlsx, written
from form_definitions import Definition
from form_definitions.model import Question
from forms_app.data import export_rows, reporting
from forms_app.data.connection import Database
from forms_app.data.readable import WORDS
from forms_app.data.submissions import answer_value
from forms_app.rules import registry
from forms_app.rules.uploads import clean_name
from scoring.answers import parse_date

# The words of the codes, from their one home (the readable views use the same); a unit without a decision: empty.
DECISIONS_VI = {code: word for code, word in WORDS["decision"].items() if code is not None}
STATUS_VI = WORDS["status"]
YES_NO = WORDS["yes_no"]  # True == 1 and False == 0 as keys
# Where the web app serves an uploaded file to its unit and to reviewers (adapters/web/fill.py `download`).
FILE_PATH = "/files/{token}"
CODE_COLUMNS = ["unit_code", "form_version", "status"]

Table = tuple[list[str], list[list]]
Streamed = tuple[list[str], Iterator[list]]
# What a job passes each table's rows through to count them as they are written (None: nothing counts them).
Counted = Callable[[Iterable[list]], Iterable[list]] | None


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


def summary(db: Database, year: int, form_id: str) -> Table:
    """One row per unit: code, name, cluster, section scores, total, band, decision, its date, certificate serial."""
    header, rows = summary_table(db, year, form_id)
    return header, list(rows)


def summary_table(db: Database, year: int, form_id: str) -> tuple[list[str], Iterator[list]]:
    """`summary` with its rows yielded one by one as they are read."""
    sections = section_ids(db, form_id)
    header = ["Mã đơn vị", "Tên đơn vị", "Cụm thi đua", "Trạng thái"] + [h for _, h in sections] + [
        "Tổng điểm tự động", "Tổng điểm sau điều chỉnh", "Xếp loại", "Quyết định", "Số quyết định", "Ngày quyết định",
        "Số hiệu giấy chứng nhận"]

    def rows() -> Iterator[list]:
        scores = reporting.section_scores(db, form_id, year)
        for r in reporting.unit_results(db, form_id, year):
            status = STATUS_VI.get(r["status"], "Chưa có bài")
            yield ([r["code"], r["name"], r["cluster"], status]
                   + [scores.get((r["sid"], sid)) for sid, _ in sections]
                   + [r["total"], r["adjusted_total"], r["band"], DECISIONS_VI.get(r["decision"]), r["decision_no"],
                      parse_date(r["decided_on"]) or r["decided_on"],
                      r["serial"] if r["decision"] == "recognised" else None])

    return header, rows()


def question_headers(db: Database, form_id: str) -> list[tuple[str, str]]:
    """(question id, header) in the latest version's order; a header is the label of the FIRST version that asked
    the question, so it never changes when a new version rewords a label."""
    first_label: dict[str, str] = {}
    for qid, label in reporting.question_labels(db, form_id):
        first_label.setdefault(qid, label)
    order = reporting.latest_question_order(db, form_id)
    order += [q for q in first_label if q not in order]  # asked only by older versions: kept, at the end
    return [(qid, f"{first_label[qid]} [{qid}]") for qid in order]


def answers(db: Database, year: int, form_id: str, files_at: str = "") -> tuple[Table, Table]:
    """The year's answers, one row per submission and one column per question, twice: (for people, for scripts).

    For people, each answer is read with the definition version it was answered on (a label may differ between
    versions, the code never does): a choice by its label (several joined by "; "), yes/no as "Có"/"Không", a date as
    a date, a file as its name linked to `files_at` + /files/<token> (`files_at`: the public address, "" for the path
    alone). For scripts, each answer as stored, under the question ids.
    """
    (header, readable), (code_header, codes) = answer_tables(db, year, form_id, files_at)
    return (header, list(readable)), (code_header, list(codes))


def answer_tables(db: Database, year: int, form_id: str, files_at: str = "") -> tuple[Streamed, Streamed]:
    """`answers` with the rows of each table yielded one submission at a time, as they are read: a writer holds one
    submission's answers, never the year's."""
    headers = question_headers(db, form_id)

    def readable() -> Iterator[list]:
        files = {token: clean_name(name) for token, name in reporting.upload_names(db, form_id, year).items()}
        versions: dict[int, list[tuple[str, Callable[[Any], Any]]]] = {}  # per version: each column, how it is shown
        for r in reporting.submissions_of_year(db, form_id, year):
            mine = export_rows.submission_answers(db, r["id"])
            columns = versions.get(r["form_version"])
            if columns is None:
                questions = _questions(registry.definition(db, form_id, r["form_version"]))
                columns = versions[r["form_version"]] = [(qid, showing(questions.get(qid), files, files_at))
                                                         for qid, _ in headers]
            yield ([r["code"], r["name"], r["form_version"], STATUS_VI.get(r["status"], r["status"])]
                   + [show(mine.get(qid)) for qid, show in columns])

    def codes() -> Iterator[list]:
        for r in reporting.submissions_of_year(db, form_id, year):
            mine = export_rows.submission_answers(db, r["id"])
            yield [r["code"], r["form_version"], r["status"]] + [mine.get(qid) for qid, _ in headers]

    header = ["Mã đơn vị", "Tên đơn vị", "Phiên bản biểu mẫu", "Trạng thái"] + [h for _, h in headers]
    return (header, readable()), (CODE_COLUMNS + [qid for qid, _ in headers], codes())


def _questions(definition: Definition | None) -> dict[str, Question]:
    return {q.id: q for q in definition.questions} if definition else {}


def showing(question: Question | None, files: dict[str, str], files_at: str) -> Callable[[Any], Any]:
    """How a person reads the stored answers of one question of one version, by its type (as stored when the version
    lacks the question), worked out once per version rather than for every answer of the year: a choice by its label
    (several joined by "; "), yes/no as "Có"/"Không", a date as a date, an uploaded file as its name linked to
    `files_at` + /files/<token>."""
    kind = question.type if question is not None else None
    if kind == "boolean":
        return lambda stored: None if stored is None else YES_NO[bool(stored)]
    if kind in ("single_choice", "multi_choice"):
        labels = {(type(c.value), c.value): c.label.get() for c in question.choices}

        def label(value: Any) -> str:
            try:
                return labels[(type(value), value)]
            except (KeyError, TypeError):  # a code this version does not list (or not a code at all)
                return str(value)

        if kind == "single_choice":
            return lambda stored: None if stored is None else label(stored)

        def chosen(stored: Any) -> Any:
            value = answer_value(kind, stored)
            return "; ".join(label(v) for v in value) if isinstance(value, list) else stored

        return lambda stored: None if stored is None else chosen(stored)
    if kind == "date":
        return lambda stored: None if stored is None else parse_date(stored) or stored
    if kind == "file":
        return lambda stored: (Link(files[stored], files_at + FILE_PATH.format(token=stored))
                               if stored in files else stored)
    return _as_stored


def _as_stored(stored: Any) -> Any:
    return stored


def export(db: Database, year: int, fmt: str, out: Path | None = None, form_id: str | None = None,
           files_at: str = "") -> list[Path]:
    """Write the year's export of a scored form (the only one when none is given; registry.FormChoice otherwise):
    an XLSX with three sheets, or three CSV files (results, answers and answer codes beside it)."""
    form_id = registry.the_scored_form(db, form_id).id
    if fmt == "xlsx":
        path = Path(out or default_name(form_id, year, "xlsx"))
        return [written(path, lambda stream: write_workbook(db, year, form_id, stream, files_at))]
    path = Path(out or default_name(form_id, year, "csv"))
    return [written(path.with_name(name), lambda stream, t=table: write_csv(stream, t[0], t[1], readable=t[2]))
            for name, table in csv_tables(db, year, form_id, path.name, files_at)]


def workbook(db: Database, year: int, form_id: str, files_at: str = "") -> bytes:
    """The year's XLSX: "Kết quả <year>", "Câu trả lời <year>" and "Mã (cho máy)"."""
    buffer = io.BytesIO()
    write_workbook(db, year, form_id, buffer, files_at)
    return buffer.getvalue()


def write_workbook(db: Database, year: int, form_id: str, target: Path | BinaryIO, files_at: str = "",
                   counted: Counted = None) -> None:
    """`workbook` written to a file or stream as its rows are read (`counted`: each table's rows pass through it)."""
    count = counted or _as_read
    head, rows = summary_table(db, year, form_id)
    (a_head, a_rows), (c_head, c_rows) = answer_tables(db, year, form_id, files_at)
    write_xlsx(target, [(f"Kết quả {year}", head, count(rows)), (f"Câu trả lời {year}", a_head, count(a_rows)),
                        ("Mã (cho máy)", c_head, count(c_rows))])


def csv_tables(db: Database, year: int, form_id: str, name: str, files_at: str = "") -> list[tuple[str, tuple]]:
    """The year's CSV files as (file name, (header, rows yielded as read, readable)): the results and the answers for
    Vietnamese Excel (NAME.csv, NAME-cau-tra-loi.csv) and the answer codes for scripts (NAME-cau-tra-loi-ma.csv)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    head, rows = summary_table(db, year, form_id)
    (a_head, a_rows), (c_head, c_rows) = answer_tables(db, year, form_id, files_at)
    return [(name, (head, rows, True)), (f"{stem}-cau-tra-loi{suffix}", (a_head, a_rows, True)),
            (f"{stem}-cau-tra-loi-ma{suffix}", (c_head, c_rows, False))]


def csv_files(db: Database, year: int, form_id: str, name: str, files_at: str = "") -> list[tuple[str, bytes]]:
    """The year's CSV files as (file name, bytes): see `csv_tables`."""
    return [(file_name, csv_bytes(head, rows, readable=readable))
            for file_name, (head, rows, readable) in csv_tables(db, year, form_id, name, files_at)]


def write_csv_zip(db: Database, year: int, form_id: str, target: Path | BinaryIO, files_at: str = "",
                  counted: Counted = None) -> None:
    """The year's CSV files zipped into a file or stream, each written into the archive as its rows are read."""
    count = counted or _as_read
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, (head, rows, readable) in csv_tables(db, year, form_id, default_name(form_id, year, "csv"),
                                                             files_at):
            with archive.open(file_name, "w", force_zip64=True) as entry:
                write_csv(entry, head, count(rows), readable=readable)


def zip_name(form_id: str, year: int) -> str:
    """The CSV zip's file name: ket-qua-<form id>-<year>-csv.zip."""
    return default_name(form_id, year, "csv").removesuffix(".csv") + "-csv.zip"


def rows_to_write(db: Database, year: int, form_id: str) -> int:
    """How many rows a year's export writes: one per unit (results), two per submission (answers and codes)."""
    units, submissions = export_rows.row_counts(db, form_id, year)
    return units + 2 * submissions


def _as_read(rows: Iterable[list]) -> Iterable[list]:
    return rows


def default_name(form_id: str, year: int, suffix: str) -> str:
    """The export's file name when none is given: ket-qua-<form id>-<year>.<suffix>."""
    return f"ket-qua-{form_id}-{year}.{suffix}"
