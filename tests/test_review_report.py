"""The year-end review and the phase review in official form (exports/report.py, rules/year_report.py), read back with
pdftotext, and the office's page for their narrative (adapters/web/narrative.py)."""

from __future__ import annotations

import re
import subprocess

import pytest
from click.testing import CliRunner
from support.data import REGISTRATION, REGISTRATION_ANSWERS, SELF, opened, recognised_app
from support.web import csrf_token, downloaded, start_session, unescape

from forms_app.adapters.cli import cli
from forms_app.data import clock
from forms_app.rules import proposals, registry, submitting, units, year_report

RESULTS = "Năm 2022, các cơ sở Đoàn đã chủ động xây dựng kế hoạch.\nMọi khoa đều tham gia.\n\nĐoạn thứ hai của kết quả."


def _text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _lines_with(text: str, code: str) -> list[str]:
    """The lines of a PDF's -layout text where `code` stands as a word: a table's rows."""
    return [line for line in text.splitlines() if re.search(rf"(^|\s){code}(\s|$)", line)]


def _flat(path) -> str:
    return " ".join(_text(path).split())


@pytest.fixture
def reviewed(tmp_path):
    """TOAN and VAN recognised for 2022, LY not; HOA submitted the registration answering it does not commit; the
    office selected TOAN for commendation."""
    app = recognised_app(tmp_path / "data")
    with opened(app.config["DATA_DIR"]) as forms:
        units.save_units(forms, [{"code": "HOA", "name": "Đoàn khoa Hóa học", "cluster": "Cụm 1 – Khoa học Tự nhiên"}])
        submitting.record(forms, unit_code="HOA", definition=registry.definition(forms, REGISTRATION), cycle_year=2022,
                          answers={**REGISTRATION_ANSWERS, "cam_ket_xay_dung": False}, action="submit", author="hoa",
                          base_revision=None, request_token=None)
        proposals.set_selected(forms, "TOAN", 2022, "commendation", True, "vanphong")
    return app


def _post(client, url: str, values: dict):
    return client.post(url, data={"csrf_token": csrf_token(client, url), **values})


def test_the_year_review_is_an_official_report_with_the_narrative_the_office_wrote(reviewed, tmp_path):
    client = reviewed.test_client()
    start_session(reviewed, client, "vanphong")
    saved = _post(client, "/office/narrative/2022", {"results": RESULTS, "lessons": "Bài học: lắng nghe đoàn viên.",
                                                     "number": "12"})
    assert saved.status_code == 303
    pdf = downloaded(client, "/exports/2022/bao-cao.pdf")  # built by a job, for the narrative just saved
    assert pdf.status_code == 200
    out = tmp_path / "nam.pdf"
    out.write_bytes(pdf.data)
    text, flat = _text(out), _flat(out)
    assert "ĐOÀN TNCS HỒ CHÍ MINH" in text and "BAN CHẤP HÀNH ĐOÀN TRƯỜNG" in text
    assert "Số: 12-BC/ĐTN" in text
    day = clock.today()
    assert f"Hà Nội, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}" in flat
    assert "BÁO CÁO Tổng kết năm 2022 Báo cáo tự đánh giá kết quả xây dựng Đoàn cơ sở “3 chủ động”" in flat
    assert "Năm 2022, các cơ sở Đoàn đã chủ động xây dựng kế hoạch. Mọi khoa đều tham gia." in flat
    assert "Đoạn thứ hai của kết quả." in flat and "Bài học: lắng nghe đoàn viên." in flat
    # units, committing, registered without committing (HOA), submitted, recognised, rate
    assert "Toàn trường 4 3 1 3 2 66,7%" in flat
    assert "3 2 1 2 1 50,0%" in flat  # Cụm 1: TOAN, LY, and HOA that did not commit
    assert "PHỤ LỤC 1. DANH SÁCH ĐƠN VỊ ĐƯỢC CÔNG NHẬN" in flat
    recognised, commended = _lines_with(text, "TOAN")  # annex 1, annex 2
    assert all(cell in recognised for cell in ("1 TOAN", "Đoàn khoa Toán –", "76,0", "Khá", "45-QĐ/ĐTN,"))
    assert "1 TOAN" in commended and "Ban Thường vụ" in commended
    assert "PHỤ LỤC 2. DANH SÁCH ĐƠN VỊ ĐƯỢC TUYÊN DƯƠNG" in flat and "chọn tuyên dương" in flat
    assert "Nơi nhận:" in text and "TM. BAN THƯỜNG VỤ ĐOÀN TRƯỜNG" in text and "BÍ THƯ" in text


def test_the_year_figures_count_registrations_that_do_not_commit_apart(reviewed):
    with opened(reviewed.config["DATA_DIR"]) as forms:
        data = year_report.report_data(forms, 2022)
    assert data["totals"] == {"units": 4, "registered": 4, "committed": 3, "not_committed": 1, "submitted": 3,
                              "recognised": 2}
    assert [u["code"] for u in data["recognised"]] == ["TOAN", "VAN"]


def test_the_narrative_page_keeps_every_save_and_refuses_too_long_text_with_a_sentence(reviewed):
    client = reviewed.test_client()
    start_session(reviewed, client, "vanphong")
    url = "/office/narrative/2022"
    assert _post(client, url, {"strengths": "Bản đầu."}).status_code == 303
    assert _post(client, url, {"strengths": "Bản sau."}).status_code == 303
    too_long = "x" * (year_report.MAX_SECTION + 1)
    refused = _post(client, url, {"strengths": too_long, "causes": "Không được ghi."})
    page = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert f"Phần “Ưu điểm” dài {year_report.MAX_SECTION + 1} ký tự, quá {year_report.MAX_SECTION} ký tự cho phép" in page
    shown = unescape(client.get(url).get_data(as_text=True))
    assert "Bản đầu." in shown and "Bản sau." in shown  # the history
    with opened(reviewed.config["DATA_DIR"]) as forms:
        assert year_report.narrative(forms, SELF, 2022) == {"strengths": "Bản sau."}
        assert [row["body"] for row in year_report.narrative_history(forms, SELF, 2022)] == ["Bản sau.", "Bản đầu."]


def test_the_narrative_page_needs_the_office_and_a_csrf_token(reviewed):
    unit = reviewed.test_client()
    start_session(reviewed, unit, "toan")
    assert unit.get("/office/narrative/2022").status_code == 403
    office = reviewed.test_client()
    start_session(reviewed, office, "vanphong")
    assert office.post("/office/narrative/2022", data={"results": "Không có mã."}).status_code == 400
    assert office.get("/office/narrative/1999").status_code == 404
    with opened(reviewed.config["DATA_DIR"]) as forms:
        assert year_report.narrative(forms, SELF, 2022) == {}


def test_the_phase_review_comes_from_the_cli_with_one_row_per_year(reviewed, tmp_path):
    client = reviewed.test_client()
    start_session(reviewed, client, "vanphong")
    assert _post(client, "/office/narrative/giai-doan", {"directions": "Giai đoạn tới: nhân rộng mô hình."}).status_code == 303
    out = tmp_path / "giai-doan.pdf"
    result = CliRunner().invoke(cli, ["report", "--phase", "--out", str(out), "--data-dir", str(reviewed.config["DATA_DIR"])])
    assert result.exit_code == 0, result.output
    text, flat = _text(out), _flat(out)
    assert "Tổng kết giai đoạn 2018–2022" in flat and "Số: ……-BC/ĐTN" in text
    assert "Giai đoạn tới: nhân rộng mô hình." in flat
    for year in range(2018, 2022):
        assert f"{year} 4 0 0 0 0 — —" in flat
    assert "2022 4 3 1 3 2 66,7% 76,0" in flat
    assert "1 TOAN Đoàn khoa Toán – Tin Cụm 1 – Khoa học 2022 Tự nhiên" in flat  # recognised in 2022
    assert "1 2022 TOAN" in " ".join(_lines_with(text, "TOAN")[-1].split()) and "chọn tuyên dương" in flat  # commended
    assert "Nơi nhận:" in text and "BÍ THƯ" in text
    both = CliRunner().invoke(cli, ["report", "--phase", "--year", "2022", "--data-dir", str(reviewed.config["DATA_DIR"])])
    assert both.exit_code == 2 and "Give either --year YEAR or --phase." in both.output


def test_a_long_list_of_recognised_units_is_rendered_in_parts_and_numbered_as_one_document(reviewed, tmp_path):
    from exports.report import report_pdf

    with opened(reviewed.config["DATA_DIR"]) as forms:
        data = year_report.report_data(forms, 2022)
    whole, parts = tmp_path / "whole.pdf", tmp_path / "parts.pdf"
    whole.write_bytes(report_pdf(data))
    parts.write_bytes(report_pdf(data, rows_at_once=1))  # TOAN, then VAN with the commended units: three parts
    pages = subprocess.run(["pdfinfo", str(parts)], check=True, capture_output=True, text=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", pages)[1])
    text, flat = _text(parts), _flat(parts)
    assert [f"{n}/{count}" in flat for n in range(1, count + 1)] == [True] * count  # numbered over the whole
    assert f"{count + 1}/" not in flat and "1/1 " not in flat
    rows = [" ".join(line.split()) for line in text.splitlines() if re.match(r"\s*[12] (TOAN|VAN) ", line)]
    assert [row.split()[:2] for row in rows] == [["1", "TOAN"], ["2", "VAN"], ["1", "TOAN"]]  # annex 1, annex 2
    for words in ("PHỤ LỤC 1. DANH SÁCH ĐƠN VỊ ĐƯỢC CÔNG NHẬN", "PHỤ LỤC 2. DANH SÁCH ĐƠN VỊ ĐƯỢC TUYÊN DƯƠNG",
                  "Toàn trường 4 3 1 3 2 66,7%", "Nơi nhận:"):
        assert flat.count(words) == _flat(whole).count(words) == 1, words
