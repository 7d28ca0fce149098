"""The office's papers, read back: the recognition decision (heading, number, the date line equal to the decision's
date, articles 1–3, signer, an annex listing exactly the recognised units), the certificate register (numbers, serials,
units, decisions; PDF and XLSX), the year's certificates merged, from the command line and the office's pages."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from support.data import SELF, TEMPLATES, issue_certificate, opened, recognised_app
from support.web import start_session

from forms_app.adapters.cli import cli
from forms_app.adapters.web.app import create_app
from forms_app.rules import papers

NUMBER = "45-QĐ/ĐTN"
SIGNER = "Nguyễn Thị Thu Hà"
SETTINGS = {"signer_name": SIGNER, "superior": "THÀNH ĐOÀN HÀ NỘI", "public_url": "https://doan.example.edu.vn"}


def _build(data_dir: Path) -> Path:
    """TOAN and VAN recognised for 2022 under NUMBER (LY not), the issuer's lines set, TOAN's certificate issued
    before VAN's."""
    app = recognised_app(data_dir)
    (data_dir / "certificate.json").write_text(json.dumps(SETTINGS, ensure_ascii=False), "utf-8")
    for unit in ("TOAN", "VAN"):
        issue_certificate(app, unit)
    return data_dir


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return TEMPLATES.copy("papers", _build, tmp_path / "data")


def pdf_text(data: bytes, tmp_path: Path, name: str = "read.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def words(text: str) -> str:
    return " ".join(text.split())


def serials(data_dir: Path) -> dict[str, str]:
    with opened(data_dir) as forms:
        return dict(forms.execute("SELECT unit_code, serial FROM certificates"))


def test_the_decision_reads_as_a_recognition_decision(data_dir, tmp_path):
    with opened(data_dir) as forms:
        pdf = papers.decision_pdf(forms, data_dir, NUMBER)
    text = pdf_text(pdf, tmp_path)
    flat = words(text)
    assert "THÀNH ĐOÀN HÀ NỘI" in flat and "BAN CHẤP HÀNH ĐOÀN TRƯỜNG" in flat and "ĐOÀN TNCS HỒ CHÍ MINH" in flat
    assert f"Số: {NUMBER}" in flat
    assert "Hà Nội, ngày 20 tháng 10 năm 2022" in flat  # the decision's date, zero-padded
    assert "QUYẾT ĐỊNH Về việc công nhận các đơn vị đạt chuẩn Đoàn cơ sở “3 chủ động” năm 2022" in flat
    assert SELF not in flat  # the form's certificate title, never its id
    assert "BAN THƯỜNG VỤ ĐOÀN TRƯỜNG ĐẠI HỌC SƯ PHẠM HÀ NỘI" in flat and "Căn cứ Điều lệ Đoàn" in flat
    assert "Xét đề nghị của Văn phòng" in flat and "QUYẾT ĐỊNH:" in flat
    assert "Điều 1. Công nhận 2 đơn vị có tên trong danh sách kèm theo" in flat
    assert "Điều 2." in flat and "được cấp giấy chứng nhận" in flat
    assert "Điều 3. Văn phòng, các đơn vị có tên tại Điều 1 chịu trách nhiệm thi hành" in flat
    assert "Nơi nhận:" in flat and "BÍ THƯ" in flat and SIGNER in flat
    annex = words(text.split("DANH SÁCH", 1)[1])
    assert f"(Kèm theo Quyết định số {NUMBER} ngày 20/10/2022" in annex
    rows = [line.split() for line in text.split("DANH SÁCH", 1)[1].splitlines() if line.split()[:1] in (["1"], ["2"])]
    assert [row[:2] for row in rows] == [["1", "TOAN"], ["2", "VAN"]]  # the recognised units, by cluster: not LY
    assert "LY" not in annex.split() and "Đoàn khoa Toán – Tin" in annex and "Khá" in annex
    assert '<img src="file:///etc/' in annex  # a unit's name printed as text, never markup


def test_the_decision_narrows_and_refuses(data_dir):
    with opened(data_dir) as forms:
        assert [r["unit_code"] for r in papers.decision_rows(forms, NUMBER, form_id=SELF, year=2022,
                                                              decided_on="2022-10-20")] == ["TOAN", "VAN"]
        with pytest.raises(papers.NoDecision):
            papers.decision_rows(forms, NUMBER, year=2021)
        with pytest.raises(papers.NoDecision):
            papers.decision_rows(forms, "46-QĐ/ĐTN")
    assert papers.decision_file_name(NUMBER, 2022) == "quyet-dinh-45-QD-DTN-2022.pdf"


def test_the_register_numbers_the_certificates_in_order_of_issue(data_dir, tmp_path):
    issued = serials(data_dir)
    with opened(data_dir) as forms:
        pdf = papers.register_pdf(forms, data_dir, 2022)
        workbook = load_workbook(io.BytesIO(papers.register_xlsx(forms, 2022)))
    text = pdf_text(pdf, tmp_path)
    flat = words(text)
    assert "SỔ CẤP GIẤY CHỨNG NHẬN" in flat and "Đoàn cơ sở “3 chủ động” năm 2022" in flat
    assert "Người nhận (ký, ghi rõ họ tên)" in flat
    lines = [line.split() for line in text.splitlines() if line.split()[:1] in (["1"], ["2"])]
    assert [(row[0], row[1]) for row in lines] == [("1", issued["TOAN"]), ("2", issued["VAN"])]
    assert flat.count(f"Số {NUMBER}") == 2 and flat.count("ngày 20/10/2022") == 2  # each line's decision
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == papers.REGISTER_HEADER
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in rows[1:]] == [
        (1, issued["TOAN"], "TOAN", NUMBER, "20/10/2022"), (2, issued["VAN"], "VAN", NUMBER, "20/10/2022")]
    assert all(r[7] is None for r in rows[1:])  # the receiver signs on paper


def test_the_commands_write_the_decision_and_the_register(data_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "qd.pdf"
    result = runner.invoke(cli, ["decision-paper", "--number", NUMBER, "--data-dir", str(data_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Số: {NUMBER}" in words(pdf_text(out.read_bytes(), tmp_path))
    missing = runner.invoke(cli, ["decision-paper", "--number", "99-QĐ", "--data-dir", str(data_dir)])
    assert missing.exit_code == 1 and "99-QĐ" in missing.output
    for fmt in ("pdf", "xlsx"):
        target = tmp_path / f"so.{fmt}"
        result = runner.invoke(cli, ["register", "--year", "2022", "--format", fmt, "--data-dir", str(data_dir),
                                     "--out", str(target)])
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 1000


def test_the_office_downloads_the_papers_and_a_cluster_lead_does_not(data_dir, tmp_path):
    app = create_app({"DATA_DIR": data_dir, "TESTING": True})
    office, lead = app.test_client(), app.test_client()
    start_session(app, office, "vanphong")
    start_session(app, lead, "phutrachcum")
    decision = f"/papers/decision.pdf?form={SELF}&year=2022&no={NUMBER}&on=2022-10-20"
    response = office.get(decision)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Hà Nội, ngày 20 tháng 10 năm 2022" in words(pdf_text(response.data, tmp_path))
    assert office.get("/papers/decision.pdf?no=99").status_code == 404
    assert office.get("/papers/2022/register.xlsx").status_code == 200
    merged = office.get("/papers/2022/certificates.pdf")
    assert merged.status_code == 200
    pages = pdf_text(merged.data, tmp_path, "merged.pdf").count("\f")
    assert pages == 2  # TOAN's and VAN's certificates
    for url in (decision, "/papers/2022/register.pdf", "/papers/2022/certificates.pdf"):
        assert lead.get(url).status_code == 403
    page = office.get(f"/board/decision?form={SELF}&year=2022&no={NUMBER}&on=2022-10-20").get_data(as_text=True)
    assert "/papers/decision.pdf?" in page


def test_every_page_renders(data_dir, tmp_path):
    """Each paper's pages as PNGs (the layout looked at by eye when the templates change): the decision on two
    pages (articles, annex), the register on one landscape page."""
    with opened(data_dir) as forms:
        documents = {"decision": papers.decision_pdf(forms, data_dir, NUMBER),
                     "register": papers.register_pdf(forms, data_dir, 2022)}
    for name, pdf in documents.items():
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["decision-1.png", "decision-2.png", "register-1.png"]
