"""The unit's report on paper: its submitted self-assessment as a PDF to sign and stamp, every answer as a person reads
it, downloadable by the unit and by the office; and every page prints without the site's navigation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.browser import launched, sign_in
from support.data import (
    EXAMPLE_ANSWERS,
    OPEN_DAY,
    REGISTRATION,
    REGISTRATION_ANSWERS,
    SELF,
    TEMPLATES,
    build_data_dir,
    opened,
    recognised_app,
    register,
    submission_row,
)
from support.server import Server
from support.web import signed_in_clients, start_session

from forms_app.adapters.web.app import create_app
from forms_app.data import clock
from forms_app.rules import registry
from scoring import visibility
from scoring.numbers import fmt

OWN_REPORT = f"/forms/{SELF}/2022/report.pdf"
TOAN_REPORT = f"/units/TOAN/forms/{SELF}/2022/report.pdf"
VAN_REPORT = f"/units/VAN/forms/{SELF}/2022/report.pdf"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _build(data_dir: Path) -> Path:
    recognised_app(data_dir)  # TOAN, VAN and LY registered and submitted the example answers for 2022
    return data_dir


@pytest.fixture
def site(tmp_path):
    data_dir = TEMPLATES.copy("unit-paper", _build, tmp_path / "data")
    return create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": OPEN_DAY})


@pytest.fixture
def as_user(site):
    return signed_in_clients(site)


def pdf_text(pdf: bytes, tmp_path: Path, *options: str) -> str:
    """The PDF's text as pdftotext (poppler) reads it back."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *options, str(path), "-"], check=True, capture_output=True, text=True).stdout


def readable(question, value) -> list[str]:
    """What a person reads for an answer, by the spec: labels, Có/Không, numbers with units, dd/mm/yyyy, file names."""
    if question.type == "boolean":
        return ["Có" if value else "Không"]
    if question.type in ("single_choice", "multi_choice"):
        return [question.choice(v).label.get("vi") for v in (value if isinstance(value, list) else [value])]
    if question.type == "date":
        year, month, day = value.split("-")
        return [f"{day}/{month}/{year}"]
    if question.type in ("integer", "number"):
        return [fmt(value, "vi", 4) + (f" {question.unit.get('vi')}" if question.unit else "")]
    return [str(value)]


def squashed(text: str) -> str:
    return "".join(text.split())


def _every_answer_is_printed(site, form_id: str, answers: dict, text: str) -> int:
    """Each visible answered question's readable answer is in the text (read cell by cell, whitespace ignored)."""
    with opened(site.config["DATA_DIR"]) as forms:
        definition = registry.definition(forms, form_id)
    shown = visibility(definition, answers)
    missing, count = [], 0
    for question in definition.questions:
        if question.id in answers and shown[question.id]:
            count += 1
            missing += [(question.id, line) for line in readable(question, answers[question.id])
                        if squashed(line) not in squashed(text)]
    assert not missing, missing
    return count


def test_unit_report_carries_every_answer_points_heading_and_signature(as_user, site, tmp_path):
    response = as_user("toan").get(OWN_REPORT)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert _every_answer_is_printed(site, SELF, EXAMPLE_ANSWERS, pdf_text(response.data, tmp_path, "-raw")) > 40
    text = pdf_text(response.data, tmp_path, "-layout")
    assert "BCH ĐOÀN KHOA TOÁN – TIN" in text and "ĐOÀN TNCS HỒ CHÍ MINH" in text
    assert "BAN CHẤP HÀNH ĐOÀN TRƯỜNG" in text and "-BC/ĐTN" in text and "BÁO CÁO" in text
    day = clock.local(submission_row(site, "TOAN")["submitted_at"]).date()
    assert f"Hà Nội, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}" in text
    assert "TM. BAN CHẤP HÀNH" in text and "BÍ THƯ" in text and "Nơi nhận:" in text
    flat = " ".join(text.split())
    assert "Tổng điểm tự đánh giá: 76/98, xếp loại Khá" in flat  # the example's total and band
    assert "Cộng phần 2.1 (điểm đạt: 26,6)" in flat and "5/6" in flat and "→" in flat  # points and the rule's words


def test_registration_report_has_answers_and_no_points(as_user, site, tmp_path):
    response = as_user("toan").get(f"/forms/{REGISTRATION}/2022/report.pdf")
    assert response.status_code == 200
    _every_answer_is_printed(site, REGISTRATION, REGISTRATION_ANSWERS, pdf_text(response.data, tmp_path, "-raw"))
    text = pdf_text(response.data, tmp_path, "-layout")
    assert "Điểm" not in text and "Cách tính" not in text and "Tổng điểm" not in text
    assert "TM. BAN CHẤP HÀNH" in text


def test_unit_cannot_download_another_units_report(as_user):
    toan = as_user("toan")
    assert toan.get(VAN_REPORT).status_code == 403
    assert toan.get(TOAN_REPORT).status_code == 403  # the reviewers' address, even for its own unit


def test_unit_gets_only_its_own_through_its_address(as_user, tmp_path):
    text = pdf_text(as_user("van").get(OWN_REPORT).data, tmp_path, "-layout")
    assert "NGỮ" in text and "TOÁN – TIN" not in text


def test_a_draft_has_no_report(tmp_path):
    app = create_app({"DATA_DIR": build_data_dir(tmp_path / "data"), "TESTING": True, "NOW": OPEN_DAY})
    client = app.test_client()
    start_session(app, client, "toan")
    assert client.get(OWN_REPORT).status_code == 404  # nothing at all
    register(app, "TOAN")
    assert client.get(f"/forms/{REGISTRATION}/2022/report.pdf").status_code == 200
    assert client.get(OWN_REPORT).status_code == 404  # the self-assessment not submitted


def test_reviewers_download_a_units_report_cluster_leads_of_theirs_only(as_user, tmp_path):
    response = as_user("vanphong").get(TOAN_REPORT)
    assert response.status_code == 200
    assert "BCH ĐOÀN KHOA TOÁN – TIN" in pdf_text(response.data, tmp_path, "-layout")
    assert as_user("phutrachcum").get(TOAN_REPORT).status_code == 200
    assert as_user("phutrachcum").get(VAN_REPORT).status_code == 403


def test_result_and_review_pages_link_to_the_report(as_user):
    assert OWN_REPORT in as_user("toan").get(f"/forms/{SELF}/2022/result").get_data(as_text=True)
    assert TOAN_REPORT in as_user("vanphong").get(f"/units/TOAN/forms/{SELF}/2022/result").get_data(as_text=True)
    assert TOAN_REPORT in as_user("vanphong").get(f"/review/TOAN/{SELF}/2022").get_data(as_text=True)


@pytest.fixture
def browser():
    yield from launched()


@pytest.mark.slow
def test_a_printed_result_page_has_no_navigation(tmp_path, browser):
    data_dir = TEMPLATES.copy("unit-paper", _build, tmp_path / "data")
    server = Server(data_dir, data_dir / "serve.log")
    try:
        page = browser.new_context(viewport={"width": 1024, "height": 900}).new_page()
        sign_in(page, server.base, "toan")
        page.goto(f"{server.base}/forms/{SELF}/2022/result")
        assert page.locator("header.top").is_visible()
        page.emulate_media(media="print")
        for hidden in ("header.top", "footer.foot", "p.actions", "text=Đăng xuất", "text=English"):
            assert not page.locator(hidden).first.is_visible(), hidden
        assert page.locator("h1").is_visible() and page.locator("table.report").first.is_visible()
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "result-print.png"), full_page=True)
    finally:
        server.stop()
