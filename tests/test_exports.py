"""Exports read back equal what is stored; the XLSX opens in LibreOffice; the year-end report renders.
(How answers read for people and for scripts: test_readable_exports.py.)"""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import subprocess
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from support.web import downloaded
from test_certificates import pdf_text, recognised  # noqa: F401  (the fixture)

from forms_app.adapters.cli import cli

SELF = "tu-danh-gia-3-chu-dong"


def _stored(data_dir) -> dict:
    conn = sqlite3.connect(data_dir / "forms.db")
    conn.row_factory = sqlite3.Row
    rows = {r["unit_code"]: dict(r) for r in conn.execute(
        "SELECT s.unit_code, s.total, s.band, s.id, d.decision, d.decision_no, c.serial FROM submissions s "
        "LEFT JOIN current_decisions d ON d.unit_code = s.unit_code AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year "
        "LEFT JOIN certificates c ON c.unit_code = s.unit_code AND c.cycle_year = s.cycle_year "
        "WHERE s.form_id = ? AND s.cycle_year = 2022", [SELF])}
    for row in rows.values():
        row["sections"] = dict(conn.execute("SELECT section_id, score FROM section_scores WHERE submission_id = ?", [row["id"]]))
        row["answers"] = dict(conn.execute("SELECT question_id, value FROM answers WHERE submission_id = ? AND visible = 1", [row["id"]]))
    conn.close()
    return rows


@pytest.fixture
def exported(recognised, tmp_path):  # noqa: F811
    from forms_app.data import connection as database
    from forms_app.rules import certificates

    data_dir = recognised.config["DATA_DIR"]
    forms = database.open_forms(data_dir)
    certificates.issue(forms, data_dir, "TOAN", 2022)
    forms.close()
    return data_dir


def test_xlsx_export_reads_back_equal_to_what_is_stored(exported, tmp_path):
    out = tmp_path / "ket-qua.xlsx"
    result = CliRunner().invoke(cli, ["export", "--year", "2022", "--format", "xlsx", "--out", str(out), "--data-dir", str(exported)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    summary, answers, codes = book.worksheets
    assert [sheet.title for sheet in book.worksheets] == ["Kết quả 2022", "Câu trả lời 2022", "Mã (cho máy)"]
    header = [c.value for c in summary[1]]
    assert header[:3] == ["Mã đơn vị", "Tên đơn vị", "Cụm thi đua"]
    assert {"Điểm 2.1", "Điểm 2.2", "Điểm 2.3", "Tổng điểm tự động", "Xếp loại", "Quyết định", "Số hiệu giấy chứng nhận"} <= set(header)
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in summary.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"TOAN", "VAN", "LY"}
    stored = _stored(exported)
    for unit, row in stored.items():
        assert rows[unit]["Tổng điểm tự động"] == row["total"]
        assert rows[unit]["Xếp loại"] == row["band"]
        assert rows[unit]["Điểm 2.1"] == row["sections"]["nhom_2_1"]
        assert rows[unit]["Số quyết định"] == row["decision_no"]
    assert rows["TOAN"]["Số hiệu giấy chứng nhận"] == stored["TOAN"]["serial"] and stored["TOAN"]["serial"]
    assert rows["TOAN"]["Quyết định"] == "Công nhận" and rows["LY"]["Quyết định"] == "Không công nhận"
    assert rows["VAN"]["Tên đơn vị"].startswith("<img")  # exported as typed, never interpreted
    a_header = [c.value for c in answers[1]]
    assert "Tổng số đoàn viên của Đoàn cơ sở [so_doan_vien]" in a_header
    a_rows = {r[0]: dict(zip(a_header, r, strict=True)) for r in answers.iter_rows(min_row=2, values_only=True)}
    assert a_rows["TOAN"]["Tổng số đoàn viên của Đoàn cơ sở [so_doan_vien]"] == stored["TOAN"]["answers"]["so_doan_vien"]


def test_csv_export_has_a_bom_and_reads_back_equal(exported, tmp_path):
    out = tmp_path / "ket-qua.csv"
    result = CliRunner().invoke(cli, ["export", "--year", "2022", "--format", "csv", "--out", str(out), "--data-dir", str(exported)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))  # for Vietnamese Excel
    stored = _stored(exported)
    by_unit = {r["Mã đơn vị"]: r for r in rows}
    assert by_unit["VAN"]["Tên đơn vị"].endswith("Đoàn khoa Ngữ văn")
    for unit, row in stored.items():
        assert float(by_unit[unit]["Tổng điểm tự động"].replace(",", ".")) == row["total"]
    second = tmp_path / "ket-qua-cau-tra-loi.csv"
    answers = list(csv.DictReader(io.StringIO(second.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert int(answers[0]["Tổng số đoàn viên của Đoàn cơ sở [so_doan_vien]"]) == stored[answers[0]["Mã đơn vị"]]["answers"]["so_doan_vien"]
    codes = list(csv.DictReader(io.StringIO((tmp_path / "ket-qua-cau-tra-loi-ma.csv").read_bytes().decode("utf-8-sig"))))
    assert int(codes[0]["so_doan_vien"]) == stored[codes[0]["unit_code"]]["answers"]["so_doan_vien"]


def test_question_headers_stay_the_same_when_a_new_version_rewords_a_label(exported, tmp_path):
    from support.definitions import next_version_folder

    from forms_app.data import connection as database
    from forms_app.rules import registry
    from forms_app.rules.exporting import question_headers
    from forms_app.rules.registry import load_definitions_into

    def reword(document: dict) -> None:
        document["sections"][0]["questions"][2]["label"] = {"vi": "Số đoàn viên (đã đổi cách hỏi)", "en": "Members"}

    forms = database.open_forms(exported)
    folder = tmp_path / "newer"
    document = next_version_folder(forms, SELF, folder, reword)
    before = question_headers(forms, SELF)
    load_definitions_into(forms, [folder])
    assert registry.definition(forms, SELF).version == document["version"]
    assert question_headers(forms, SELF) == before
    forms.close()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by scripts/setup.sh --test")
def test_the_xlsx_opens_in_libreoffice_without_repair(exported, tmp_path):
    out = tmp_path / "ket-qua.xlsx"
    CliRunner().invoke(cli, ["export", "--year", "2022", "--format", "xlsx", "--out", str(out), "--data-dir", str(exported)])
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
         "--outdir", str(tmp_path / "lo"), str(out)], capture_output=True, text=True, timeout=180)
    converted = tmp_path / "lo" / "ket-qua.csv"
    assert converted.exists(), result.stdout + result.stderr
    text = converted.read_text("utf-8", errors="replace")
    assert "Mã đơn vị" in text and "Đoàn khoa Toán – Tin" in text


def test_the_year_end_report_renders_with_a_chart(exported, tmp_path):
    out = tmp_path / "bao-cao.pdf"
    result = CliRunner().invoke(cli, ["report", "--year", "2022", "--out", str(out), "--data-dir", str(exported)])
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(out, tmp_path).split())
    assert "BÁO CÁO Tổng kết năm 2022 Báo cáo tự đánh giá kết quả xây dựng Đoàn cơ sở “3 chủ động”" in text  # its title
    assert "Toàn trường 3 3 0 3 2 66,7%" in text  # units, registered and committing, not committing, submitted, recognised, rate
    assert "Các tiêu chí còn yếu" in text
    assert "Tỉ lệ được công nhận" in text  # the chart's legend, drawn as SVG


def test_reviewers_download_exports_and_the_report_and_units_cannot(exported):
    from support.web import sign_in

    from forms_app.adapters.web.app import create_app

    app = create_app({"DATA_DIR": exported, "TESTING": True})
    reviewer = app.test_client()
    sign_in(reviewer, "vanphong")
    book = downloaded(reviewer, "/exports/2022.xlsx")  # built by a job (test_export_jobs.py), then answered
    assert book.status_code == 200 and load_workbook(io.BytesIO(book.data)).worksheets[0]["A1"].value == "Mã đơn vị"
    archive = downloaded(reviewer, "/exports/2022.zip")
    assert archive.status_code == 200 and archive.data.startswith(b"PK")
    assert sorted(zipfile.ZipFile(io.BytesIO(archive.data)).namelist()) == [
        f"ket-qua-{SELF}-2022-cau-tra-loi-ma.csv", f"ket-qua-{SELF}-2022-cau-tra-loi.csv", f"ket-qua-{SELF}-2022.csv"]
    pdf = downloaded(reviewer, "/exports/2022/bao-cao.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert reviewer.get("/exports/1999.xlsx").status_code == 404
    unit = app.test_client()
    sign_in(unit, "toan")
    for url in ("/exports/2022.xlsx", "/exports/2022.zip", "/exports/2022/bao-cao.pdf"):
        assert unit.get(url).status_code == 403
        assert app.test_client().get(url).status_code == 302


def test_every_kind_of_cell_reads_back_from_the_xlsx_as_written():
    """The answer sheets' XML is written by exports.tables itself (not cell by cell through openpyxl): each kind of value
    reads back as it was given, text always as text."""
    import datetime as dt

    from exports.cells import Link
    from exports.tables import xlsx_bytes

    given = [7, 29.0, 29.5, -3, 1e20, True, dt.date(2022, 3, 5), dt.datetime(2022, 3, 5, 14, 30),
             Link("kế hoạch.pdf", "https://h.example/files/t"), Link("a.pdf", "/files/t"), None, "", "=1+1", "#N/A",
             "a < b & c > d", "  spaced ", "line\r\nbreak", "bell\x07", "x" * 40_000, "Đoàn khoa Toán – Tin",
             Link("b.pdf", 'https://h.example/files/t?a=1&b="2"')]
    header = [f"=cột {index}" for index in range(len(given))]
    sheet = load_workbook(io.BytesIO(xlsx_bytes([("Bảng", header, [given, [1] * len(given)])])))["Bảng"]
    assert [c.value for c in sheet[1]] == header and all(c.font.b and c.data_type == "s" for c in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.max_row == 3
    cells = {index: cell for index, cell in enumerate(sheet[2])}
    values = [cells[i].value if i in cells else None for i in range(len(given))]
    assert values == [7, 29, 29.5, -3, 1e20, True, dt.datetime(2022, 3, 5), dt.datetime(2022, 3, 5, 14, 30),
                      "kế hoạch.pdf", "a.pdf (/files/t)", None, None, "=1+1", "#N/A", "a < b & c > d", "  spaced ",
                      "line\r\nbreak", "bell", "x" * 32_767, "Đoàn khoa Toán – Tin", "b.pdf"]
    assert isinstance(values[1], int) and cells[6].number_format == cells[7].number_format == "DD/MM/YYYY"
    assert cells[8].hyperlink.target == "https://h.example/files/t" and cells[8].style == "Hyperlink"
    assert cells[9].hyperlink is None and cells[20].hyperlink.target == 'https://h.example/files/t?a=1&b="2"'
    assert [cells[i].data_type for i in (12, 13, 14)] == ["s", "s", "s"]  # never a formula nor an error code
