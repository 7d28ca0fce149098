"""`forms-app decisions import FILE`: the committee's written decisions from CSV or XLSX, every row checked, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.data import EXAMPLE_ANSWERS, REGISTRATION, SELF, forms_sql, opened, register
from support.web import complete_self_assessment, post_answers

HEADER = "unit,form,year,decision,decision_no,decided_on,comment,commendation,reason\n"
# VAN's answers earn 0/100: recognising it needs a reason.
VAN_WHY = ("Đơn vị chưa đạt điều kiện công nhận: tổng điểm 0/100 < 70; nhóm 2.1 đạt 0/40 < 28; nhóm 2.2 đạt 0/40 < 28; "
           "nhóm 2.3 đạt 0/20 < 14")


def run(app, file: Path, *extra: str):
    from forms_app.adapters.cli import cli

    result = CliRunner().invoke(cli, ["decisions", "import", str(file), "--data-dir", str(app.config["DATA_DIR"]), *extra])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def submitted(app, signed_in):
    """TOAN (the shipped example answers, meeting the recognition rule) and VAN (below it) submitted their 2022
    self-assessment; LY did not; every unit registered."""
    from forms_app.rules import registry, submitting

    for unit in ("TOAN", "VAN", "LY"):
        register(app, unit)
    with opened(app.config["DATA_DIR"]) as db:
        submitting.record(db, unit_code="TOAN", definition=registry.definition(db, SELF), cycle_year=2022,
                          answers=EXAMPLE_ANSWERS, action="submit", author="toan", base_revision=None, request_token=None)
    assert post_answers(signed_in("van"), complete_self_assessment(), "submit").status_code == 303
    return app


def counts(app) -> tuple:
    """How many decisions and audit entries there are: a refused file changes neither."""
    return forms_sql(app, "SELECT (SELECT COUNT(*) FROM decisions), (SELECT COUNT(*) FROM audit_log)")[0]


def csv_file(tmp_path: Path, body: str, name: str = "quyet-dinh.csv") -> Path:
    """HEADER and these rows, each given as many cells as the header (the empty last ones added)."""
    width = HEADER.count(",")
    rows = "".join(line + "," * (width - line.count(",")) + "\n" for line in body.splitlines())
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8-sig")
    return path


def decisions(app) -> list[tuple]:
    return forms_sql(app, "SELECT unit_code, form_id, cycle_year, decision, decision_no, decided_on, comment, commendation, "
                          "source, recorded_by FROM decisions ORDER BY id")


def test_a_valid_csv_is_recorded_in_one_go_with_source_import(submitted, tmp_path):
    path = csv_file(tmp_path, f"TOAN,{SELF},2022,recognised,123-QĐ/ĐTN,2022-10-20,,1\n"
                              f"VAN,{SELF},2022,not_recognised,123-QĐ/ĐTN,20/10/2022,Chưa đạt nhóm 2.3,\n")
    result = run(submitted, path)
    assert result.exit_code == 0, result.output
    assert "Đã ghi 2 quyết định." in result.output
    assert decisions(submitted) == [
        ("TOAN", SELF, 2022, "recognised", "123-QĐ/ĐTN", "2022-10-20", None, 1, "import", "cli"),
        ("VAN", SELF, 2022, "not_recognised", "123-QĐ/ĐTN", "2022-10-20", "Chưa đạt nhóm 2.3", 0, "import", "cli"),
    ]
    actions = forms_sql(submitted, "SELECT actor, action FROM audit_log WHERE action LIKE 'decision%' ORDER BY id")
    assert actions == [("cli", "decision_recorded"), ("cli", "decision_recorded"), ("cli", "decisions_imported")]


def test_an_xlsx_workbook_with_vietnamese_headers_is_recorded(submitted, tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Mã đơn vị", "Biểu mẫu", "Năm", "Quyết định", "Số quyết định", "Ngày quyết định", "Tuyên dương"])
    sheet.append(["TOAN", SELF, 2022, "Công nhận", "45-QĐ/ĐTN", dt.datetime(2022, 10, 18), "có"])
    sheet.append(["VAN", SELF, 2022, "không công nhận", "45-QĐ/ĐTN", "18/10/2022", None])
    path = tmp_path / "quyet-dinh.xlsx"
    book.save(path)
    result = run(submitted, path)
    assert result.exit_code == 0, result.output
    assert [row[:6] + row[7:8] for row in decisions(submitted)] == [
        ("TOAN", SELF, 2022, "recognised", "45-QĐ/ĐTN", "2022-10-18", 1),
        ("VAN", SELF, 2022, "not_recognised", "45-QĐ/ĐTN", "2022-10-18", 0),
    ]


def test_an_unknown_unit_or_form_is_named_by_its_row_and_nothing_is_recorded(submitted, tmp_path):
    path = csv_file(tmp_path, f"TOAN,{SELF},2022,recognised,1-QĐ/ĐTN,2022-10-20,,\n"
                              f"KHONGCO,{SELF},2022,recognised,1-QĐ/ĐTN,2022-10-20,,\n"
                              f"VAN,bieu-mau-la,2022,recognised,1-QĐ/ĐTN,2022-10-20,,\n")
    result = run(submitted, path)
    assert result.exit_code == 1
    assert "Dòng 3: Không có đơn vị mang mã \"KHONGCO\"." in result.stderr
    assert "Dòng 4: Không có biểu mẫu \"bieu-mau-la\"." in result.stderr
    assert "Dòng 2" not in result.stderr
    assert "Không ghi quyết định nào: 2 lỗi." in result.stderr
    assert decisions(submitted) == []


@pytest.mark.parametrize("row, expected", [
    (f"TOAN,{SELF},2031,recognised,1,2022-10-20,,", "Năm \"2031\" không phải một chu kỳ"),
    (f"TOAN,{SELF},2022,approved,1,2022-10-20,,", "Quyết định \"approved\" không hợp lệ"),
    (f"TOAN,{SELF},2022,recognised,1,20.10.2022,,", "Ngày \"20.10.2022\" không hợp lệ"),
    (f"TOAN,{SELF},2022,recognised,,2022-10-20,,", "Thiếu số quyết định: công nhận và thu hồi công nhận luôn ghi số"),
    (f"TOAN,{SELF},2022,recognised,1,,,", "Thiếu ngày quyết định: công nhận và thu hồi công nhận luôn ghi ngày"),
    (f"LY,{SELF},2022,recognised,1,2022-10-20,,", "Đơn vị LY chưa nộp biểu mẫu"),
    (f"TOAN,{SELF},2022,withdrawn,1,2022-10-20,,", "Chỉ thu hồi được khi đơn vị đang được công nhận."),
    (f"TOAN,{SELF},2022,not_recognised,1,2022-10-20,,1", "Chỉ đơn vị được công nhận mới được đề nghị tuyên dương."),
    (f"TOAN,{SELF},2022,recognised,1,2022-10-20,,maybe", "Cột tuyên dương \"maybe\" không hợp lệ"),
])
def test_each_bad_row_is_refused_with_its_row_number(submitted, tmp_path, row, expected):
    path = csv_file(tmp_path, f"VAN,{SELF},2022,not_recognised,1-QĐ/ĐTN,2022-10-20,,\n{row}\n")
    before = counts(submitted)
    result = run(submitted, path)
    assert result.exit_code == 1
    assert f"Dòng 3: {expected}" in result.stderr, result.stderr
    assert "Dòng 2" not in result.stderr
    assert decisions(submitted) == [] and counts(submitted) == before


# The spec's refusals, the same as the review page's (one rule: deciding.check_decision)

@pytest.mark.parametrize("row, expected", [
    (f"VAN,{SELF},2022,recognised,7-QĐ/ĐTN,2022-10-20,,,", VAN_WHY + " — cần ghi lý do công nhận ở cột reason (lý do)."),
    (f"TOAN,{SELF},2022,withdrawn,7-QĐ/ĐTN,2022-10-20,Sai phạm,,", "Khi thu hồi công nhận, hãy ghi lý do ở cột reason"),
    (f"TOAN,{SELF},2022,withdrawn,,,,,Sai phạm", "Thiếu số quyết định"),
    (f"TOAN,{REGISTRATION},2022,recognised,7-QĐ/ĐTN,2022-10-20,,,",
     f"Biểu mẫu {REGISTRATION} không tính điểm nên không xét công nhận; dùng accepted (tiếp nhận)."),
    (f"TOAN,{REGISTRATION},2022,not_recognised,7-QĐ/ĐTN,2022-10-20,,,", f"Biểu mẫu {REGISTRATION} không tính điểm"),
    (f"TOAN,{SELF},2022,accepted,,,,,", "Biểu mẫu này được chấm điểm: hãy công nhận, không công nhận hoặc trả lại"),
    (f"LY,{SELF},2022,not_recognised,7-QĐ/ĐTN,2022-10-20,,,", f"Đơn vị LY chưa nộp biểu mẫu {SELF} năm 2022"),
])
def test_each_refused_decision_of_the_spec_is_refused_in_a_file_and_nothing_is_recorded(submitted, tmp_path, row,
                                                                                        expected):
    path = csv_file(tmp_path, f"LY,{REGISTRATION},2022,accepted,,,,,\n{row}\n")
    before = counts(submitted)
    result = run(submitted, path)
    assert result.exit_code == 1
    assert f"Dòng 3: {expected}" in result.stderr, result.stderr
    assert decisions(submitted) == [] and counts(submitted) == before


def test_a_reason_column_lets_a_unit_below_the_rule_be_recognised_and_a_registration_be_accepted(submitted, tmp_path):
    path = tmp_path / "quyet-dinh.csv"
    path.write_text("Mã đơn vị,Biểu mẫu,Năm,Quyết định,Số quyết định,Ngày quyết định,Lý do\n"
                    f"VAN,{SELF},2022,công nhận,9-QĐ/ĐTN,2022-10-20,Đơn vị mới thành lập\n"
                    f"LY,{REGISTRATION},2022,tiếp nhận,,,\n", encoding="utf-8")
    result = run(submitted, path)
    assert result.exit_code == 0, result.output
    assert forms_sql(submitted, "SELECT unit_code, form_id, decision, decision_no, reason FROM decisions ORDER BY id") == [
        ("VAN", SELF, "recognised", "9-QĐ/ĐTN", "Đơn vị mới thành lập"), ("LY", REGISTRATION, "accepted", None, None)]


def test_the_same_unit_twice_in_a_file_is_refused_but_a_withdrawal_after_an_earlier_recognition_is_not(submitted, tmp_path):
    twice = csv_file(tmp_path, f"TOAN,{SELF},2022,recognised,1,2022-10-20,,\nTOAN,{SELF},2022,recognised,2,2022-10-21,,\n")
    result = run(submitted, twice)
    assert result.exit_code == 1 and "Dòng 3: Đơn vị, biểu mẫu và năm này đã có ở dòng 2." in result.stderr
    assert run(submitted, csv_file(tmp_path, f"TOAN,{SELF},2022,recognised,1,2022-10-20,,\n")).exit_code == 0
    withdrawal = run(submitted, csv_file(tmp_path, f"TOAN,{SELF},2022,thu hồi,2,2022-10-25,,,Sai phạm\n"))
    assert withdrawal.exit_code == 0, withdrawal.output
    assert [row[3] for row in decisions(submitted)] == ["recognised", "withdrawn"]


def test_a_missing_column_is_named_and_english_is_available(submitted, tmp_path):
    path = tmp_path / "thieu.csv"
    path.write_text(f"unit,form,year,decision\nTOAN,{SELF},2022,recognised\n", encoding="utf-8")
    result = run(submitted, path, "--lang", "en")
    assert result.exit_code == 1
    assert "Row 1: Missing column decision_no, decided_on" in result.stderr
    assert "No decision recorded: 1 problem(s)." in result.stderr
    assert decisions(submitted) == []


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_one_sentence(submitted, tmp_path):
    path = tmp_path / "hong.xlsx"
    path.write_bytes(b"not a workbook")
    result = run(submitted, path)
    assert result.exit_code == 1 and "Không đọc được tệp" in result.stderr
    assert decisions(submitted) == []


def test_a_registration_may_be_accepted_only_when_submitted(submitted, tmp_path):
    result = run(submitted, csv_file(tmp_path, f"VAN,{REGISTRATION},2031,accepted,,,,\n"
                                               f"TOAN,{REGISTRATION},2021,accepted,,,,\n"))
    assert result.exit_code == 1 and f"Dòng 3: Đơn vị TOAN chưa nộp biểu mẫu {REGISTRATION} năm 2021" in result.stderr
