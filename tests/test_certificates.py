"""Certificates: only for recognised units, read back with every diacritic, QR decoded from the page, verifiable."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import pytest
from support.data import PUBLIC_URL, SELF, TRICKY, issue_certificate, opened, recognised_app, set_public_url
from support.web import csrf_token, sign_in

from forms_app.rules import certificates, registry, submitting


def pdf_text(path_or_bytes, tmp_path: Path) -> str:
    """The text of a PDF as pdftotext (poppler) reads it back."""
    path = path_or_bytes
    if isinstance(path_or_bytes, bytes):
        path = tmp_path / "read.pdf"
        path.write_bytes(path_or_bytes)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def qr_of(path: Path, tmp_path: Path) -> list[str]:
    """The QR codes found on the rendered page: pdftoppm makes a PNG, zbarimg decodes it."""
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(path), str(tmp_path / "page")], check=True)
    result = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    return [line for line in result.stdout.splitlines() if line]


@pytest.fixture
def recognised(tmp_path):
    """TOAN recognised for 2022; VAN (renamed to an injection attempt) recognised; LY submitted, not recognised."""
    return recognised_app(tmp_path / "data")


def test_certificate_reads_back_with_every_diacritic(recognised, tmp_path):
    from support.data import opened

    from forms_app.rules import registry

    issued = issue_certificate(recognised, "TOAN")
    text = " ".join(pdf_text(issued.path, tmp_path).split())
    with opened(recognised.config["DATA_DIR"]) as forms:
        title = registry.definition(forms, SELF).certificate_title.get("vi")  # the definition's, not the program's
    for expected in ["GIẤY CHỨNG NHẬN", "ĐOÀN TNCS HỒ CHÍ MINH", "Đoàn khoa Toán – Tin", f"{title} năm 2022",
                     "Quyết định số 45-QĐ/ĐTN ngày 20 tháng 10 năm 2022", "BAN THƯỜNG VỤ ĐOÀN TRƯỜNG", issued.serial,
                     "Hà Nội, ngày"]:
        assert expected in text, expected
    first = subprocess.run(["pdfinfo", str(issued.path)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+", first)  # A4 landscape


def test_the_qr_code_leads_to_the_verification_page(recognised, tmp_path):
    issued = issue_certificate(recognised, "TOAN")
    assert qr_of(issued.path, tmp_path) == [f"{PUBLIC_URL}/verify/{issued.serial}"]


def test_serial_is_unguessable_and_stable(recognised):
    first = issue_certificate(recognised, "TOAN")
    again = issue_certificate(recognised, "TOAN")
    other = issue_certificate(recognised, "VAN")
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", first.serial)
    assert first.serial == again.serial and first.path == again.path and not again.created
    assert first.serial != other.serial
    assert first.path.read_bytes() == again.path.read_bytes()


def test_a_unit_name_with_markup_prints_as_those_characters(recognised, tmp_path):
    issued = issue_certificate(recognised, "VAN")
    text = " ".join(pdf_text(issued.path, tmp_path).split())
    assert TRICKY in text


def test_the_renderer_fetches_nothing_but_data_uris():
    from exports.certificate import fetcher

    fetch = fetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1:1/x.png", "https://example.org/f.woff"):
        with pytest.raises(ValueError):
            fetch(url)
    assert fetch("data:text/plain,abc") is not None



def _sample_certificate(name: str):
    from exports.certificate import Certificate, Issuer

    return Certificate(unit_name=name, title="Đoàn cơ sở “3 chủ động”", cycle_year=2021, decision_no="12/QĐ-ĐTN",
                       decided_on=dt.date(2021, 11, 20),
                       serial="ABCD-EFGH-JKLM", verify_url="https://doan.example/verify/ABCD-EFGH-JKLM",
                       issued_on=dt.date(2021, 11, 20), issuer=Issuer())


def test_pdfs_reuse_one_font_configuration_per_thread_and_process_and_render_the_same(tmp_path):
    import os
    import threading
    import time

    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from exports.certificate import fetcher, font_config, render_html, render_pdf

    threads_before = len(os.listdir("/proc/self/task"))
    html = render_html(_sample_certificate("Chi đoàn Khoa Ngữ văn — Đoàn trường"))
    first = render_pdf(html)
    assert render_pdf(html) == first  # the second PDF, on the kept configuration, is the same bytes
    fresh = HTML(string=html, base_url="about:blank", url_fetcher=fetcher()).write_pdf(font_config=FontConfiguration())
    assert fresh == first  # and the same as WeasyPrint with a configuration of its own
    assert "Ngữ văn" in pdf_text(first, tmp_path)

    mine = font_config()
    assert font_config() is mine
    other = []
    worker = threading.Thread(target=lambda: other.append(font_config()))
    worker.start()
    worker.join()
    assert other and other[0] is not mine  # a Pango font map is never shared between threads

    # Fork only once Pango's font-loading threads of the renders above have ended: a fork while one of them holds
    # fontconfig's lock leaves the child waiting for it forever (the batch's workers are forked before any render).
    deadline = time.monotonic() + 30
    while len(os.listdir("/proc/self/task")) > threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a forked process makes its own (the parent's font map may have had threads)
        os.write(write, b"new" if font_config() is not mine else b"inherited")
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    assert os.read(read, 16) == b"new"
    os.close(read)
def test_no_certificate_for_a_unit_not_recognised(recognised):
    from forms_app.rules import certificates

    with pytest.raises(certificates.NotRecognised):
        issue_certificate(recognised, "LY")
    with pytest.raises(certificates.NotRecognised):
        issue_certificate(recognised, "TOAN", 2021)


def _download(client, url: str) -> bytes:
    """GET a certificate: when it is not issued yet the page offers a POST that issues it, then the PDF comes."""
    response = client.get(url)
    if not response.data.startswith(b"%PDF"):
        assert response.status_code == 200 and b'method="post"' in response.data
        issued = client.post(url.removesuffix(".pdf"), data={"csrf_token": csrf_token(client, url)})
        assert issued.status_code == 303 and issued.headers["Location"].endswith(url)
        response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    return response.data


def test_the_unit_downloads_its_own_and_reviewers_any(recognised):
    client = recognised.test_client()
    sign_in(client, "toan")
    own = _download(client, f"/forms/{SELF}/2022/certificate.pdf")
    assert client.get(f"/units/VAN/forms/{SELF}/2022/certificate.pdf").status_code == 403
    van = recognised.test_client()
    sign_in(van, "van")
    assert _download(van, f"/forms/{SELF}/2022/certificate.pdf") != own  # its own, not TOAN's
    reviewer = recognised.test_client()
    sign_in(reviewer, "vanphong")
    assert reviewer.get(f"/units/TOAN/forms/{SELF}/2022/certificate.pdf").data == own
    assert reviewer.get(f"/units/LY/forms/{SELF}/2022/certificate.pdf").status_code == 404
    anonymous = recognised.test_client()
    assert anonymous.get(f"/forms/{SELF}/2022/certificate.pdf").status_code == 302


def test_a_get_never_issues_a_certificate(recognised):
    from support.data import forms_sql

    client = recognised.test_client()
    sign_in(client, "toan")
    page = client.get(f"/forms/{SELF}/2022/certificate.pdf")
    assert page.status_code == 200 and not page.data.startswith(b"%PDF")
    reviewer = recognised.test_client()
    sign_in(reviewer, "vanphong")
    assert not reviewer.get(f"/units/VAN/forms/{SELF}/2022/certificate.pdf").data.startswith(b"%PDF")
    assert forms_sql(recognised, "SELECT COUNT(*) FROM certificates") == [(0,)]
    assert forms_sql(recognised, "SELECT COUNT(*) FROM audit_log WHERE action = 'certificate_issued'") == [(0,)]
    assert client.post(f"/forms/{SELF}/2022/certificate").status_code == 400  # a POST without its CSRF token


def test_verification_confirms_unit_year_and_decision_only(recognised):
    issued = issue_certificate(recognised, "TOAN")
    page = recognised.test_client().get(f"/verify/{issued.serial}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Giấy chứng nhận hợp lệ" in html and "Đoàn khoa Toán – Tin" in html and "2022" in html
    assert "45-QĐ/ĐTN" in html and "20/10/2022" in html
    for private in ("TOAN", "Cụm", "Tổng điểm", "Xếp loại", "so_doan_vien"):
        assert private not in html
    typed = issued.serial.lower().replace("-", " ")
    assert recognised.test_client().get(f"/verify/{typed}").status_code == 200


def test_an_unknown_serial_gives_a_vietnamese_404(recognised):
    page = recognised.test_client().get("/verify/AAAA-BBBB-CCCC-DDDD")
    assert page.status_code == 404
    assert "Không tìm thấy giấy chứng nhận" in page.get_data(as_text=True)


def test_a_withdrawn_decision_shows_as_withdrawn(recognised):
    from forms_app.data import connection as database
    from forms_app.rules.deciding import record_decision

    issued = issue_certificate(recognised, "TOAN")
    forms = database.open_forms(recognised.config["DATA_DIR"])
    record_decision(forms, "TOAN", SELF, 2022, "withdrawn", "vanphong", reason="Kiểm tra phát hiện sai lệch",
                    decision_no="60-QĐ/ĐTN", decided_on=dt.date(2022, 12, 1), today=dt.date(2022, 12, 1))
    forms.close()
    html = recognised.test_client().get(f"/verify/{issued.serial}").get_data(as_text=True)
    assert "đã bị thu hồi" in html and "Giấy chứng nhận hợp lệ" not in html


def test_batch_writes_every_recognised_unit_and_a_merged_file_reusing_serials(recognised, tmp_path):
    import pikepdf
    from click.testing import CliRunner

    from forms_app.adapters.cli import cli

    data_dir = str(recognised.config["DATA_DIR"])
    out = tmp_path / "in"
    result = CliRunner().invoke(cli, ["certificates", "--year", "2022", "--out", str(out), "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.glob("*.pdf"))
    assert files == ["giay-chung-nhan-2022-TOAN.pdf", "giay-chung-nhan-2022-VAN.pdf", "giay-chung-nhan-2022-tat-ca.pdf"]
    with pikepdf.open(out / "giay-chung-nhan-2022-tat-ca.pdf") as merged:
        assert len(merged.pages) == 2
    serial = issue_certificate(recognised, "TOAN").serial
    again = tmp_path / "again"
    assert CliRunner().invoke(cli, ["certificates", "--year", "2022", "--out", str(again), "--data-dir", data_dir]).exit_code == 0
    assert (again / "giay-chung-nhan-2022-TOAN.pdf").read_bytes() == (out / "giay-chung-nhan-2022-TOAN.pdf").read_bytes()
    assert issue_certificate(recognised, "TOAN").serial == serial


def test_the_batch_counts_only_the_cores_it_may_run_on():
    import os

    from forms_app.rules.certificates import usable_cores

    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})  # as taskset or a container's CPU set would
    try:
        assert usable_cores() == 1
    finally:
        os.sched_setaffinity(0, allowed)
    assert usable_cores() == len(allowed)


def test_batch_on_two_workers_keeps_unit_order_and_reuses_stored_certificates(recognised, tmp_path):
    from forms_app.data import connection as database
    from forms_app.rules import certificates

    data_dir = recognised.config["DATA_DIR"]
    stored = issue_certificate(recognised, "VAN")  # current before the batch: reused, not rendered again
    ticks = []
    files, merged = certificates.batch(data_dir, 2022, tmp_path / "out", workers=2, progress=ticks.append)
    assert [p.name for p in files] == ["giay-chung-nhan-2022-TOAN.pdf", "giay-chung-nhan-2022-VAN.pdf"]
    assert sum(ticks) == 2
    assert files[1].read_bytes() == stored.path.read_bytes()
    toan = issue_certificate(recognised, "TOAN")
    assert not toan.created and files[0].read_bytes() == toan.path.read_bytes()
    pages = [" ".join(subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(merged), "-"], check=True,
                                     capture_output=True, text=True).stdout.split()) for n in (1, 2)]
    assert toan.serial in pages[0] and stored.serial in pages[1]
    forms = database.open_forms(data_dir)
    try:
        issued = [r[0] for r in forms.execute(
            "SELECT unit_code FROM audit_log WHERE action = 'certificate_issued' ORDER BY id")]
        rows = [r[0] for r in forms.execute("SELECT unit_code FROM certificates WHERE cycle_year = 2022 ORDER BY unit_code")]
    finally:
        forms.close()
    assert issued == ["VAN", "TOAN"] and rows == ["TOAN", "VAN"]


def test_a_recognition_on_the_web_issues_the_certificate_its_form_gives_and_none_for_a_form_without_one(tmp_path):
    """A form with `result.certificate` (the foreign pair's) gets its certificate on recognition; a scored form without
    it (the same assessment under another id, its certificate removed) is recognised but issues none."""
    import json

    from support.data import forms_sql
    from support.foreign import ASSESSMENT, FOREIGN, NOW, SIGNUP, YEAR, build_foreign_data_dir, init, sign_up
    from support.web import csrf_token, start_session

    from forms_app.adapters.web.app import create_app

    data_dir = build_foreign_data_dir(tmp_path / "data")
    plain = json.loads((FOREIGN / f"{ASSESSMENT}.json").read_text("utf-8"))
    plain["id"], plain["title"] = "danh-gia-khong-giay", {"vi": "Đánh giá không cấp giấy", "en": "No certificate"}
    del plain["result"]["certificate"]
    folder = tmp_path / "them"
    folder.mkdir()
    (folder / f"{SIGNUP}.json").write_text((FOREIGN / f"{SIGNUP}.json").read_text("utf-8"), "utf-8")
    (folder / "danh-gia-khong-giay.json").write_text(json.dumps(plain, ensure_ascii=False), "utf-8")
    init(data_dir, folder)
    set_public_url(data_dir)
    sign_up(data_dir, "TOAN")
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": NOW})
    answers = {"so_doi_vien": 10, "so_doi_vien_tich_cuc": 9, "co_so_tay": True, "tep_so_tay": "so-tay.pdf",
               "so_truong_hop": 2, "so_truong_hop_duoc_giup": 2, "co_quy_ho_tro": "co"}
    reviewer = app.test_client()
    start_session(app, reviewer, "vanphong")
    for form_id in (ASSESSMENT, "danh-gia-khong-giay"):
        with opened(data_dir) as forms:
            submitting.record(forms, unit_code="TOAN", definition=registry.definition(forms, form_id), cycle_year=YEAR,
                              answers=answers, action="submit", author="toan", base_revision=None, request_token=None)
        url = f"/review/TOAN/{form_id}/{YEAR}"
        decided = reviewer.post(url + "/decision", data={
            "decision": "recognised", "decision_no": "9-QĐ/ĐTN", "decided_on": "2025-06-10", "step": "confirm",
            "csrf_token": csrf_token(reviewer, url)})
        assert decided.status_code == 303, decided.get_data(as_text=True)[:500]
    assert forms_sql(app, "SELECT form_id FROM certificates") == [(ASSESSMENT,)]
    unit = app.test_client()
    start_session(app, unit, "toan")
    assert unit.get(f"/forms/{ASSESSMENT}/{YEAR}/certificate.pdf").data.startswith(b"%PDF")
    refused = unit.get(f"/forms/danh-gia-khong-giay/{YEAR}/certificate.pdf")
    assert refused.status_code == 404 and "Biểu mẫu này không cấp giấy chứng nhận." in refused.get_data(as_text=True)
    assert unit.post(f"/forms/danh-gia-khong-giay/{YEAR}/certificate",
                     data={"csrf_token": csrf_token(unit, "/")}).status_code == 404
    assert unit.get("/").get_data(as_text=True).count("Tải giấy chứng nhận") == 1  # the form that issues one
    with opened(data_dir) as forms:
        with pytest.raises(certificates.NoCertificate):
            certificates.issue(forms, data_dir, "TOAN", YEAR, "danh-gia-khong-giay")


def test_the_certificate_is_in_official_form_dated_with_its_decision(recognised, tmp_path):
    """The heading once, the decision's date (not the day it is rendered) zero-padded, the recognition's wording, the
    register number beside the serial, the signer's name under room for signature and stamp."""
    from forms_app.rules.deciding import record_decision

    data_dir = recognised.config["DATA_DIR"]
    with opened(data_dir) as forms:  # a decision of 5 March 2023, rendered years later
        record_decision(forms, "TOAN", SELF, 2022, "recognised", "vanphong", decision_no="7-QĐ/ĐTN",
                        decided_on=dt.date(2023, 3, 5), today=dt.date(2023, 3, 5))
        title = registry.definition(forms, SELF).certificate_title.get("vi")
    (data_dir / "certificate.json").write_text(json.dumps({
        "public_url": PUBLIC_URL, "superior": "BCH ĐOÀN TP HÀ NỘI", "signer_name": "Nguyễn Thị Ánh Dương"},
        ensure_ascii=False), "utf-8")
    issued = issue_certificate(recognised, "TOAN")
    layout = pdf_text(issued.path, tmp_path)
    text = " ".join(layout.split())
    assert text.count("ĐOÀN TNCS HỒ CHÍ MINH") == 1
    assert "BAN CHẤP HÀNH ĐOÀN TRƯỜNG ĐẠI HỌC SƯ PHẠM HÀ NỘI" in layout  # one line: the name never breaks
    assert "BCH ĐOÀN TP HÀ NỘI" in text
    assert f"Đã được công nhận {title} năm 2022" in text and "Đạt danh hiệu" not in text
    assert "Hà Nội, ngày 05 tháng 03 năm 2023" in text and "Quyết định số 7-QĐ/ĐTN ngày 05 tháng 03 năm 2023" in text
    assert dt.date.today() != dt.date(2023, 3, 5)
    assert re.search(r"Số vào sổ: 0001/2022", text) and f"Số hiệu: {issued.serial}" in text
    assert "TM. BAN THƯỜNG VỤ ĐOÀN TRƯỜNG BÍ THƯ" in text and "Nguyễn Thị Ánh Dương" in text
    pages = subprocess.run(["pdfinfo", str(issued.path)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", pages)


def test_register_numbers_follow_the_order_of_issue_per_year_and_are_kept_when_reissued(recognised):
    from support.data import forms_sql

    from forms_app.rules.deciding import record_decision

    issue_certificate(recognised, "VAN")
    issue_certificate(recognised, "TOAN")
    assert forms_sql(recognised, "SELECT unit_code, register_no FROM certificates ORDER BY register_no") == [
        ("VAN", 1), ("TOAN", 2)]
    with opened(recognised.config["DATA_DIR"]) as forms:  # a new decision: the certificate is made again
        record_decision(forms, "VAN", SELF, 2022, "recognised", "vanphong", decision_no="50-QĐ/ĐTN",
                        decided_on=dt.date(2022, 11, 2), today=dt.date(2022, 11, 2))
    again = issue_certificate(recognised, "VAN")
    assert again.created
    assert forms_sql(recognised, "SELECT unit_code, register_no FROM certificates ORDER BY register_no") == [
        ("VAN", 1), ("TOAN", 2)]


def test_a_batch_numbers_new_certificates_in_unit_order_after_those_issued(recognised, tmp_path):
    from support.data import forms_sql

    issue_certificate(recognised, "VAN")
    certificates.batch(recognised.config["DATA_DIR"], 2022, tmp_path / "out", workers=1)
    assert forms_sql(recognised, "SELECT unit_code, register_no FROM certificates ORDER BY register_no") == [
        ("VAN", 1), ("TOAN", 2)]
