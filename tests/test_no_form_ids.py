"""No form is known by its id: the program reads what a form is from its definition, so a questionnaire pair written
elsewhere (tests/data/foreign, every key of format 1.1) gets its export, certificates, report, canned queries and
charts with no line of the program changed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.data import SELF, opened, recognised_app
from support.foreign import ASSESSMENT, FOREIGN, SIGNUP, YEAR, build_foreign_data_dir, sign_up
from support.web import ProductClient, downloaded, start_session

from forms_app.adapters.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ("forms_app", "exports", "scoring", "form_definitions")
SOURCES = (".py", ".html", ".js", ".css", ".sql")
ANSWERS = {"so_doi_vien": 10, "so_doi_vien_tich_cuc": 9, "co_so_tay": True, "tep_so_tay": "so-tay.pdf",
           "so_truong_hop": 2, "so_truong_hop_duoc_giup": 2, "co_quy_ho_tro": "co"}


def shipped_ids() -> list[str]:
    """The id of every definition shipped in form_definitions/ (read now, so a new one is covered too)."""
    return sorted({json.loads(path.read_text("utf-8"))["id"] for path in (ROOT / "form_definitions").glob("*.json")})


def naming(root: Path, ids: list[str]) -> list[str]:
    """Every `file:line` of the program's code and templates under `root` that names one of `ids`."""
    pattern = re.compile("|".join(re.escape(form_id) for form_id in ids))
    found = []
    for package in PROGRAM:
        for path in sorted((root / package).rglob("*")):
            if path.suffix not in SOURCES or not path.is_file():
                continue
            for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), start=1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(root)}:{number}: {line.strip()[:100]}")
    return found


def test_the_program_names_no_shipped_form_by_its_id():
    ids = shipped_ids()
    assert len(ids) >= 2  # the registration and the self-assessment at least
    found = naming(ROOT, ids)
    assert found == [], "the program names a form by its id (read it from the definitions instead):\n" + "\n".join(found)


def test_the_grep_catches_an_id_in_code_and_in_a_template(tmp_path):
    (tmp_path / "forms_app" / "rules").mkdir(parents=True)
    (tmp_path / "forms_app" / "templates").mkdir(parents=True)
    (tmp_path / "exports").mkdir()
    (tmp_path / "forms_app" / "rules" / "rule.py").write_text('"""Scores."""\n\nFORM = "mau-a"\n', "utf-8")
    (tmp_path / "forms_app" / "templates" / "page.html").write_text("<p>\n{% if f == 'mau-b' %}x{% endif %}</p>\n")
    (tmp_path / "exports" / "notes.txt").write_text("mau-a\n")  # not code: not read
    assert [line.split(": ")[0] for line in naming(tmp_path, ["mau-a", "mau-b"])] == [
        "forms_app/rules/rule.py:3", "forms_app/templates/page.html:2"]


# A questionnaire pair written elsewhere, driven only through the product's public surface.


def run(*args) -> object:
    """`forms-app ARGS` (each argument as text), as click's runner gives its result."""
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def foreign(tmp_path_factory) -> Path:
    """Only the foreign pair loaded (`forms-app init --definitions`), WEB_UNITS and their accounts; TOAN and VAN signed
    up (committing, plan attached) and submitted their assessment, TOAN recognised, LY did nothing."""
    from forms_app.rules import registry, submitting
    from forms_app.rules.deciding import record_decision

    data_dir = build_foreign_data_dir(tmp_path_factory.mktemp("foreign") / "data")
    for code in ("TOAN", "VAN"):
        sign_up(data_dir, code)
    with opened(data_dir) as forms:
        assessment = registry.definition(forms, ASSESSMENT)
        for code in ("TOAN", "VAN"):
            submitting.record(forms, unit_code=code, definition=assessment, cycle_year=YEAR, answers=ANSWERS,
                              action="submit", author=code.lower(), base_revision=None, request_token=None)
        record_decision(forms, "TOAN", ASSESSMENT, YEAR, "recognised", "vanphong", decision_no="7-QĐ/ĐTN",
                        decided_on=dt.date(YEAR, 12, 20), today=dt.date(YEAR, 12, 20))
    return data_dir


def test_a_foreign_pair_is_exported_without_naming_the_form(foreign, tmp_path):
    out = tmp_path / "ket-qua.csv"
    result = run("export", "--year", YEAR, "--format", "csv", "--out", out, "--data-dir", foreign)
    assert result.exit_code == 0, result.output
    rows = {r["Mã đơn vị"]: r for r in csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";")}
    assert set(rows) == {"TOAN", "VAN", "LY"}
    assert rows["TOAN"]["Trạng thái"] == "Đã nộp" and rows["LY"]["Trạng thái"] == "Chưa có bài"
    assert float(rows["TOAN"]["Tổng điểm tự động"].replace(",", ".")) > 0 and rows["TOAN"]["Quyết định"] == "Công nhận"
    answers = list(csv.DictReader(io.StringIO((tmp_path / "ket-qua-cau-tra-loi.csv").read_bytes().decode("utf-8-sig")),
                                  delimiter=";"))
    assert {r["Tổng số đội viên [so_doi_vien]"] for r in answers} == {"10"}


def test_a_foreign_certificate_carries_the_title_its_definition_gives(foreign, tmp_path):
    out = tmp_path / "giay"
    result = run("certificates", "--year", YEAR, "--out", out, "--data-dir", foreign)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == [f"giay-chung-nhan-{YEAR}-TOAN.pdf",
                                                         f"giay-chung-nhan-{YEAR}-tat-ca.pdf"]
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(out / f"giay-chung-nhan-{YEAR}-TOAN.pdf"), "-"],
                                   check=True, capture_output=True, text=True).stdout.split())
    assert f"Đội tình nguyện tiêu biểu năm {YEAR}" in text
    assert "Đoàn khoa Toán – Tin" in text and "3 CHỦ ĐỘNG" not in text.upper()
    again = run("certificates", "--year", YEAR, "--form", ASSESSMENT, "--out", tmp_path / "lai", "--data-dir", foreign)
    assert again.exit_code == 0, again.output
    from forms_app.adapters.web.app import create_app
    from forms_app.rules import certificates

    with opened(foreign) as forms:
        serial = certificates.issue(forms, foreign, "TOAN", YEAR, ASSESSMENT).serial  # as stored by the batch
    page = create_app({"DATA_DIR": foreign, "TESTING": True}).test_client().get(f"/verify/{serial}")
    assert f"Đội tình nguyện tiêu biểu năm {YEAR}" in page.get_data(as_text=True)


def test_the_foreign_year_report_counts_the_registration_the_form_requires(foreign, tmp_path):
    from forms_app.rules.year_report import report_data

    with opened(foreign) as forms:
        data = report_data(forms, YEAR)
    assert data["form_title"] == "Đánh giá Đội tình nguyện"
    assert data["registration_title"] == "Ghi danh Đội tình nguyện"
    assert data["totals"] == {"units": 3, "registered": 2, "committed": 2, "not_committed": 0, "submitted": 2, "recognised": 1}
    out = tmp_path / "bao-cao.pdf"
    result = run("report", "--year", YEAR, "--out", out, "--data-dir", foreign)
    assert result.exit_code == 0, result.output
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True, text=True).stdout.split())
    assert f"BÁO CÁO Tổng kết năm {YEAR}" in text and "Đánh giá Đội tình nguyện" in text


def test_a_foreign_form_has_its_canned_queries_and_charts(foreign):
    from forms_app.adapters.wsgi import create_wsgi

    product = create_wsgi(foreign, {"TESTING": True})
    reviewer = ProductClient(product)
    start_session(product.flask_app, reviewer, "vanphong")
    titles = {q["name"]: q["title"] for q in reviewer.get("/data/forms.json").get_json()["queries"]}
    assert titles["chua_nop"] == "Đơn vị chưa nộp trong năm — Đánh giá Đội tình nguyện"
    not_submitted = reviewer.get("/data/forms/chua_nop.json",
                                 query_string={"nam": YEAR, "_shape": "objects"}).get_json()["rows"]
    assert [(r["Mã đơn vị"], r["Đăng ký"]) for r in not_submitted] == [("LY", "chưa đăng ký")]
    ranking = reviewer.get("/data/forms/xep_hang_trong_cum.json",
                           query_string={"nam": YEAR, "_shape": "objects"}).get_json()["rows"]
    assert {r["Mã đơn vị"] for r in ranking} == {"TOAN", "VAN"}
    page = reviewer.get("/data/-/bieu-do").get_data(as_text=True)
    assert "Đánh giá Đội tình nguyện" in page and page.count('<svg class="chart"') == 3
    unit = ProductClient(product)
    start_session(product.flask_app, unit, "toan")
    assert unit.get(f"/data/forms/chua_nop.json?nam={YEAR}").status_code == 403


def test_a_form_without_a_certificate_issues_none_on_the_web(foreign):
    from forms_app.adapters.web.app import create_app

    app = create_app({"DATA_DIR": foreign, "TESTING": True})
    unit = app.test_client()
    start_session(app, unit, "toan")
    page = unit.get(f"/forms/{SIGNUP}/{YEAR}/certificate.pdf")
    assert page.status_code == 404 and "không cấp giấy chứng nhận" in page.get_data(as_text=True)
    assert unit.get(f"/forms/{ASSESSMENT}/{YEAR}/certificate.pdf").status_code == 200  # offers to issue it


@pytest.mark.parametrize("args, sentence", [
    (["export", "--year", YEAR, "--format", "csv", "--form", SIGNUP], "không được chấm điểm"),
    (["export", "--year", YEAR, "--format", "csv", "--form", "khong-co"], "Không có biểu mẫu \"khong-co\""),
    (["certificates", "--year", YEAR, "--form", SIGNUP], "không cấp giấy chứng nhận"),
    (["report", "--year", YEAR, "--form", "khong-co"], "Không có biểu mẫu \"khong-co\""),
])
def test_a_form_that_cannot_be_chosen_exits_1_with_one_sentence(foreign, args, sentence):
    result = run(*args, "--data-dir", foreign, "--lang", "vi")
    assert result.exit_code == 1
    assert sentence in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


# The foreign pair beside the shipped one: two scored forms, each issuing certificates.


@pytest.fixture(scope="module")
def both(tmp_path_factory, foreign) -> Path:
    """The shipped forms (TOAN and VAN recognised for 2022) and the foreign pair loaded beside them."""
    from forms_app.rules import registry, submitting
    from forms_app.rules.deciding import record_decision

    data_dir = recognised_app(tmp_path_factory.mktemp("both") / "data").config["DATA_DIR"]
    result = run("init", "--definitions", FOREIGN, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    sign_up(data_dir, "LY")
    with opened(data_dir) as forms:
        submitting.record(forms, unit_code="LY", definition=registry.definition(forms, ASSESSMENT), cycle_year=YEAR,
                          answers=ANSWERS, action="submit", author="ly", base_revision=None, request_token=None)
        record_decision(forms, "LY", ASSESSMENT, YEAR, "recognised", "vanphong", decision_no="8-QĐ/ĐTN",
                        decided_on=dt.date(YEAR, 12, 20), today=dt.date(YEAR, 12, 20))
    return data_dir


def test_with_two_scored_forms_the_commands_ask_which(both, tmp_path):
    result = run("export", "--year", 2022, "--format", "csv", "--out", tmp_path / "x.csv", "--data-dir", both)
    assert result.exit_code == 1 and "Có nhiều biểu mẫu được chấm điểm" in result.output
    assert f"Đánh giá Đội tình nguyện ({ASSESSMENT})" in result.output and f"({SELF})" in result.output
    assert not (tmp_path / "x.csv").exists()
    chosen = run("export", "--year", 2022, "--format", "csv", "--form", SELF, "--out", tmp_path / "x.csv",
                 "--data-dir", both)
    assert chosen.exit_code == 0, chosen.output
    assert run("report", "--year", 2022, "--out", tmp_path / "r.pdf", "--data-dir", both).exit_code == 1


def test_with_two_certifying_forms_every_one_gets_its_folder_of_certificates(both, tmp_path):
    out = tmp_path / "giay"
    result = run("certificates", "--year", YEAR, "--out", out, "--data-dir", both)
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == [
        f"{ASSESSMENT}/giay-chung-nhan-{YEAR}-LY.pdf", f"{ASSESSMENT}/giay-chung-nhan-{YEAR}-tat-ca.pdf"]
    assert "Đánh giá Đội tình nguyện: 1 giấy chứng nhận" in result.output
    result = run("certificates", "--year", 2022, "--out", tmp_path / "cu", "--data-dir", both)
    assert sorted(p.name for p in (tmp_path / "cu" / SELF).glob("*.pdf")) == [
        "giay-chung-nhan-2022-TOAN.pdf", "giay-chung-nhan-2022-VAN.pdf", "giay-chung-nhan-2022-tat-ca.pdf"]


def test_with_two_scored_forms_each_has_its_queries_and_charts(both):
    from forms_app.rules.charts import canned_queries, charts

    with opened(both) as forms:
        queries, drawn = canned_queries(forms), charts(forms, None)
    assert {name for name in queries if name.startswith("chua_nop")} == {f"chua_nop__{ASSESSMENT}", f"chua_nop__{SELF}"}
    assert queries[f"xep_hang_trong_cum__{ASSESSMENT}"]["title"].endswith("— Đánh giá Đội tình nguyện")
    assert sorted(form["form"] for form in drawn) == [
        "Báo cáo tự đánh giá kết quả xây dựng Đoàn cơ sở “3 chủ động”", "Đánh giá Đội tình nguyện"]
    assert all(len(form["figures"]) == 3 for form in drawn)


def visible_text(html: str) -> str:
    """A page's text as a person reads it (no tag, no attribute)."""
    return re.sub(r"<[^>]*>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S))


def test_admin_and_reviewer_pages_name_forms_by_title_and_choose_them_from_a_list(both):
    from forms_app.adapters.web.app import create_app

    app = create_app({"DATA_DIR": both, "TESTING": True})
    admin = app.test_client()
    start_session(app, admin, "admin")
    cycles = admin.get("/admin/cycles").get_data(as_text=True)
    select = re.search(r'<select id="ext-form" name="form_id">(.*?)</select>', cycles, re.S).group(1)
    assert re.findall(r'<option value="([^"]+)">', select)[:2] == sorted([ASSESSMENT, SELF])  # scored forms first
    assert "Đánh giá Đội tình nguyện" in select and "Ghi danh Đội tình nguyện" in select
    reviewer = app.test_client()
    start_session(app, reviewer, "vanphong")
    dashboard = reviewer.get("/").get_data(as_text=True)
    assert "Đánh giá Đội tình nguyện" in dashboard
    assert f"/exports/{YEAR}.xlsx?form={ASSESSMENT}" in dashboard
    for page in (cycles, dashboard):
        ids = [form_id for form_id in (SELF, ASSESSMENT, SIGNUP, *shipped_ids()) if form_id in visible_text(page)]
        assert ids == []
    book = downloaded(reviewer, f"/exports/{YEAR}.xlsx?form={ASSESSMENT}")
    assert book.status_code == 200 and book.headers["Content-Disposition"].endswith(f"ket-qua-{ASSESSMENT}-{YEAR}.xlsx")
    several = reviewer.get(f"/exports/{YEAR}.xlsx")
    assert several.status_code == 404 and "Có nhiều biểu mẫu được chấm điểm" in several.get_data(as_text=True)
    assert reviewer.get(f"/exports/{YEAR}.xlsx?form={SIGNUP}").status_code == 404
