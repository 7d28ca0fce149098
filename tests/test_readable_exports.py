"""A year's export reads as people read it — choices by their labels (from the version each submission was answered
on), "Có"/"Không", dates dd/mm/yyyy, files by their names with a link a reviewer opens, whole numbers without ".0", a
decimal comma in the Vietnamese CSV — and still hands scripts the stored codes ("Mã (cho máy)", NAME-cau-tra-loi-ma.csv)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from support.data import EXAMPLE_ANSWERS, PUBLIC_URL, SELF, opened, recognised_app, register, set_public_url
from support.definitions import next_version_folder
from support.web import PDF, sign_in
from werkzeug.datastructures import FileStorage

from forms_app.adapters.cli import cli
from forms_app.rules import registry, submitting, units, uploads

CHANGED_LABEL = "Mỗi quý một lần (nhãn của phiên bản mới)"
FILE_NAME = "Báo cáo tình hình tư tưởng.pdf"
FORMULA = '=HYPERLINK("http://evil.example","bấm vào")'
HOA = {"code": "HOA", "name": "Đoàn khoa Hóa học", "cluster": "Cụm 1 – Khoa học Tự nhiên"}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """TOAN, VAN, LY submitted on the shipped version with its example answers; HOA submitted on a newer version
    that relabels the choice "hang_quy", with a real upload, one "no" and a text that looks like a formula."""
    monkeypatch.delenv("FORMS_APP_PUBLIC_URL", raising=False)
    app = recognised_app(tmp_path / "data")
    directory = app.config["DATA_DIR"]
    with opened(directory) as forms:
        newer = _load_relabelled_version(forms, tmp_path / "newer")
        units.save_units(forms, [HOA])
        register(app, "HOA")
        token = uploads.store(forms, directory, unit_code="HOA", form_id=SELF, cycle_year=2022,
                              question=newer.question("file_nam_bat_tinh_hinh"),
                              upload=FileStorage(io.BytesIO(PDF), filename=FILE_NAME), author="hoa")
        answers = {**EXAMPLE_ANSWERS, "file_nam_bat_tinh_hinh": token, "dung_quy_trinh_chuyen_sinh_hoat": False,
                   "tu_nhan_xet": FORMULA}
        submitting.record(forms, unit_code="HOA", definition=newer, cycle_year=2022, answers=answers, action="submit",
                          author="hoa", base_revision=None, request_token=None)
    return directory


def _load_relabelled_version(forms, folder):
    def relabel(document: dict) -> None:
        question = next(q for s in document["sections"] for q in s["questions"] if q["id"] == "tan_suat_tong_hop_tinh_hinh")
        next(c for c in question["choices"] if c["value"] == "hang_quy")["label"] = {"vi": CHANGED_LABEL, "en": "Quarterly"}

    document = next_version_folder(forms, SELF, folder, relabel)
    registry.load_definitions_into(forms, [folder])
    return registry.definition(forms, SELF, document["version"])


def _export(data_dir, tmp_path, fmt: str):
    out = tmp_path / f"ket-qua.{fmt}"
    result = CliRunner().invoke(cli, ["export", "--year", "2022", "--format", fmt, "--out", str(out),
                                      "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return out


def _sheet(book, title: str) -> tuple[list[str], dict[str, dict]]:
    """(header, {unit code: {header: cell}}) of one sheet."""
    sheet = book[title]
    header = [c.value for c in sheet[1]]
    return header, {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}


def _column(header: list[str], question_id: str) -> str:
    return next(h for h in header if h.endswith(f"[{question_id}]"))


def _labels(data_dir, version: int, question_id: str, codes: list) -> list[str]:
    """The labels of these choice codes in one version of the definition (read through the product's registry)."""
    with opened(data_dir) as forms:
        question = registry.definition(forms, SELF, version).question(question_id)
    return [question.choice(code).label.get("vi") for code in codes]


def _stored_answers(data_dir) -> dict[str, dict[str, object]]:
    """{unit: {question: value as stored}} of the year's visible answers."""
    conn = sqlite3.connect(data_dir / "forms.db")
    found: dict[str, dict[str, object]] = {}
    for unit, question, value in conn.execute(
            "SELECT s.unit_code, a.question_id, a.value FROM answers a JOIN submissions s ON s.id = a.submission_id "
            "WHERE s.form_id = ? AND s.cycle_year = 2022 AND a.visible = 1", [SELF]):
        found.setdefault(unit, {})[question] = value
    conn.close()
    return found


def _token(data_dir) -> str:
    return _stored_answers(data_dir)["HOA"]["file_nam_bat_tinh_hinh"]


def test_the_answers_sheet_shows_labels_yes_no_dates_and_linked_file_names(data_dir, tmp_path):
    book = load_workbook(_export(data_dir, tmp_path, "xlsx"))
    assert book.sheetnames == ["Kết quả 2022", "Câu trả lời 2022", "Mã (cho máy)"]
    header, rows = _sheet(book, "Câu trả lời 2022")
    channels = _column(header, "kenh_nam_bat_tinh_hinh")
    assert rows["TOAN"][channels].value == "; ".join(
        _labels(data_dir, 2, "kenh_nam_bat_tinh_hinh", EXAMPLE_ANSWERS["kenh_nam_bat_tinh_hinh"]))
    assert "Nhóm Zalo; Trang, nhóm Facebook" in rows["TOAN"][channels].value
    frequency = _column(header, "tan_suat_tong_hop_tinh_hinh")
    assert rows["TOAN"][frequency].value == "Hằng quý hoặc mỗi học kỳ"  # the label of version 2, which TOAN answered
    assert rows["HOA"][frequency].value == CHANGED_LABEL  # the label of the version HOA answered on
    assert rows["TOAN"][_column(header, "dung_quy_trinh_chuyen_sinh_hoat")].value == "Có"
    assert rows["HOA"][_column(header, "dung_quy_trinh_chuyen_sinh_hoat")].value == "Không"
    issued = rows["TOAN"][_column(header, "ngay_ban_hanh_ke_hoach_cong_tac")]
    assert issued.is_date and issued.value.date() == dt.date(2020, 10, 15) and issued.number_format == "DD/MM/YYYY"
    members = rows["TOAN"][_column(header, "so_doan_vien")]
    assert members.value == 1240 and isinstance(members.value, int)
    assert rows["TOAN"][_column(header, "gia_tri_ho_tro")].value == 62.5
    document = rows["HOA"][_column(header, "file_nam_bat_tinh_hinh")]
    assert document.value == FILE_NAME
    assert document.hyperlink.target == f"{PUBLIC_URL}/files/{_token(data_dir)}"
    remark = rows["HOA"][_column(header, "tu_nhan_xet")]
    assert remark.value == FORMULA and remark.data_type == "s"  # as typed, never run
    shown = [c.value for row in rows.values() for c in row.values() if isinstance(c.value, str)]
    assert not [v for v in shown if v.startswith('["')]  # no multiple choice as its JSON list


def test_the_results_sheet_writes_whole_scores_as_integers_and_the_decision_date_as_a_date(data_dir, tmp_path):
    book = load_workbook(_export(data_dir, tmp_path, "xlsx"))
    header, rows = _sheet(book, "Kết quả 2022")
    for row in rows.values():
        for name in ("Điểm 2.1", "Điểm 2.2", "Điểm 2.3", "Tổng điểm tự động"):
            value = row[name].value
            assert not (isinstance(value, float) and value.is_integer()), (name, value)
    decided = rows["TOAN"]["Ngày quyết định"]
    assert decided.is_date and decided.value.date() == dt.date(2022, 10, 20) and decided.number_format == "DD/MM/YYYY"


def test_a_reviewer_opens_the_linked_file_and_another_unit_cannot(data_dir, tmp_path):
    from forms_app.adapters.web.app import create_app

    book = load_workbook(_export(data_dir, tmp_path, "xlsx"))
    header, rows = _sheet(book, "Câu trả lời 2022")
    link = rows["HOA"][_column(header, "file_nam_bat_tinh_hinh")].hyperlink.target
    path = link.removeprefix(PUBLIC_URL)
    app = create_app({"DATA_DIR": data_dir, "TESTING": True})
    reviewer = app.test_client()
    sign_in(reviewer, "vanphong")
    opened_file = reviewer.get(path)
    assert opened_file.status_code == 200 and opened_file.data == PDF
    to_sign_in = app.test_client().get(path)  # clicked in the spreadsheet before signing in: the file comes after
    assert to_sign_in.status_code == 302 and "/login?next=/files/" in to_sign_in.headers["Location"]
    other_unit = app.test_client()
    sign_in(other_unit, "toan")
    assert other_unit.get(path).status_code == 404


def test_without_a_public_address_a_file_shows_its_name_and_path(data_dir, tmp_path):
    set_public_url(data_dir, None)
    book = load_workbook(_export(data_dir, tmp_path, "xlsx"))
    header, rows = _sheet(book, "Câu trả lời 2022")
    document = rows["HOA"][_column(header, "file_nam_bat_tinh_hinh")]
    assert document.value == f"{FILE_NAME} (/files/{_token(data_dir)})" and document.hyperlink is None


def test_the_vietnamese_csv_has_labels_dates_and_decimal_commas(data_dir, tmp_path):
    out = _export(data_dir, tmp_path, "csv")
    results = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";"))
    by_unit = {r["Mã đơn vị"]: r for r in results}
    assert by_unit["TOAN"]["Ngày quyết định"] == "20/10/2022"
    for row in results:
        for name in ("Điểm 2.1", "Điểm 2.2", "Điểm 2.3", "Tổng điểm tự động"):
            assert row[name] == "" or not row[name].endswith((".0", ",0")), (name, row[name])
    raw = (tmp_path / "ket-qua-cau-tra-loi.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";")
    answers = {r["Mã đơn vị"]: r for r in reader}
    header = reader.fieldnames
    assert answers["TOAN"][_column(header, "gia_tri_ho_tro")] == "62,5"
    assert answers["TOAN"][_column(header, "so_doan_vien")] == "1240"
    assert answers["TOAN"][_column(header, "ngay_ban_hanh_ke_hoach_cong_tac")] == "15/10/2020"
    assert answers["TOAN"][_column(header, "dung_quy_trinh_chuyen_sinh_hoat")] == "Có"
    assert answers["HOA"][_column(header, "tan_suat_tong_hop_tinh_hinh")] == CHANGED_LABEL
    assert answers["TOAN"][_column(header, "kenh_nam_bat_tinh_hinh")].startswith("Nhóm Zalo; Trang, nhóm Facebook")
    assert answers["HOA"][_column(header, "file_nam_bat_tinh_hinh")] == (
        f"{FILE_NAME} ({PUBLIC_URL}/files/{_token(data_dir)})")
    assert answers["HOA"][_column(header, "tu_nhan_xet")] == "'" + FORMULA  # a spreadsheet will not run it


def _parsed(text: str):
    """A cell of the codes file read back as a script would: a number when it is one, text otherwise (the leading
    apostrophe that keeps a formula-like text from running taken off)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text[1:] if text.startswith("'") and text[1:2] in ("=", "+", "-", "@") else text


def test_the_codes_sheet_and_file_read_back_as_the_stored_answers(data_dir, tmp_path):
    stored = _stored_answers(data_dir)
    book = load_workbook(_export(data_dir, tmp_path, "xlsx"))
    header, rows = _sheet(book, "Mã (cho máy)")
    assert header[:3] == ["unit_code", "form_version", "status"]
    assert {unit: {q: rows[unit][q].value for q in header[3:] if rows[unit][q].value is not None} for unit in rows} == stored
    assert rows["HOA"]["form_version"].value == 3 and rows["TOAN"]["form_version"].value == 2
    assert json.loads(rows["TOAN"]["kenh_nam_bat_tinh_hinh"].value) == EXAMPLE_ANSWERS["kenh_nam_bat_tinh_hinh"]
    _export(data_dir, tmp_path, "csv")
    codes = list(csv.DictReader(io.StringIO((tmp_path / "ket-qua-cau-tra-loi-ma.csv").read_text("utf-8-sig"))))
    assert {r["unit_code"]: {q: _parsed(v) for q, v in r.items() if q in header[3:] and v != ""} for r in codes} == stored


def test_the_vietnamese_csv_writes_each_kind_of_cell_for_excel():
    from exports.cells import Link
    from exports.tables import csv_bytes

    row = [29.0, 29.5, -3, dt.date(2022, 3, 5), Link("kế hoạch.pdf", "https://h.example/files/t"), None, "=1+1", "a;b"]
    text = csv_bytes(["a"] * len(row), [row], readable=True).decode("utf-8-sig")
    assert text.splitlines()[1] == "29;29,5;-3;05/03/2022;kế hoạch.pdf (https://h.example/files/t);;'=1+1;\"a;b\""
    plain = csv_bytes(["a"] * 3, [[29.5, "2022-03-05", None]]).decode("utf-8-sig")
    assert plain.splitlines()[1] == "29.5,2022-03-05,"
