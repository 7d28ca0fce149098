"""Who issues the certificates, set by an admin on /admin/settings (certificate.json), and the public address they
carry: no certificate is issued while it is unset or loopback, on the web or by `forms-app certificates`."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner
from support.data import PUBLIC_URL, SELF, forms_sql, issue_certificate, recognised_app, set_public_url
from support.web import csrf_token, sign_in

from forms_app.adapters.cli import cli
from forms_app.rules import certificates

LOOPBACK = ["http://127.0.0.1:8000", "http://localhost:5000/", "http://[::1]:8000", "http://0.0.0.0:8000",
            "https://127.8.9.10", "http://app.localhost"]


@pytest.fixture
def unset(tmp_path, monkeypatch):
    """TOAN and VAN recognised for 2022, no public address set anywhere."""
    monkeypatch.delenv("FORMS_APP_PUBLIC_URL", raising=False)
    app = recognised_app(tmp_path / "data")
    set_public_url(app.config["DATA_DIR"], None)
    return app


def _nothing_issued(app) -> None:
    assert forms_sql(app, "SELECT COUNT(*) FROM certificates") == [(0,)]
    assert not (app.config["DATA_DIR"] / "certificates").exists()


def test_the_command_refuses_without_a_public_address_and_says_what_to_set(unset, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["certificates", "--year", "2022", "--data-dir", str(unset.config["DATA_DIR"]),
                                      "--out", str(out)])
    assert result.exit_code == 1
    assert "địa chỉ công khai" in result.output and "/admin/settings" in result.output
    assert "certificate.json" in result.output and "FORMS_APP_PUBLIC_URL" in result.output
    assert not out.exists()
    _nothing_issued(unset)


@pytest.mark.parametrize("address", LOOPBACK)
def test_a_loopback_address_is_refused_by_the_rule_and_the_command(unset, tmp_path, address):
    data_dir = unset.config["DATA_DIR"]
    set_public_url(data_dir, address)
    with pytest.raises(certificates.NoPublicAddress) as refused:
        issue_certificate(unset, "TOAN")
    assert refused.value.code == "loopback_public_url" and address.rstrip("/") in refused.value.message("vi")
    result = CliRunner().invoke(cli, ["certificates", "--year", "2022", "--data-dir", str(data_dir),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and address.rstrip("/") in result.output
    _nothing_issued(unset)


def test_the_environment_variable_wins_over_the_file(unset, monkeypatch):
    set_public_url(unset.config["DATA_DIR"], "http://127.0.0.1:8000")
    monkeypatch.setenv("FORMS_APP_PUBLIC_URL", "https://xac-thuc.example.edu.vn/")
    issued = issue_certificate(unset, "TOAN")
    assert certificates.settings(unset.config["DATA_DIR"])[1] == "https://xac-thuc.example.edu.vn"
    assert issued.created


def test_the_web_refuses_to_issue_and_says_what_to_set(unset):
    reviewer = unset.test_client()
    sign_in(reviewer, "vanphong")
    url = f"/units/TOAN/forms/{SELF}/2022/certificate"
    response = reviewer.post(url, data={"csrf_token": csrf_token(reviewer, url + ".pdf")})
    assert response.status_code == 409
    assert "/admin/settings" in response.get_data(as_text=True)
    unit = unset.test_client()
    sign_in(unit, "toan")
    own = f"/forms/{SELF}/2022/certificate"
    assert unit.post(own, data={"csrf_token": csrf_token(unit, own + ".pdf")}).status_code == 409
    _nothing_issued(unset)


def test_admin_pages_warn_while_the_address_is_unset(unset):
    admin = unset.test_client()
    sign_in(admin, "admin")
    for url in ("/", "/admin/settings", "/admin/users"):
        html = admin.get(url).get_data(as_text=True)
        assert "Chưa cấp giấy chứng nhận: chưa đặt địa chỉ công khai" in html, url
    set_public_url(unset.config["DATA_DIR"])
    assert "chưa đặt địa chỉ công khai" not in admin.get("/admin/settings").get_data(as_text=True)
    reviewer = unset.test_client()
    sign_in(reviewer, "vanphong")
    set_public_url(unset.config["DATA_DIR"], None)
    assert "chưa đặt địa chỉ công khai" not in reviewer.get("/").get_data(as_text=True)  # the admin's to set


def test_the_settings_page_saves_and_the_next_certificate_uses_it(unset, tmp_path):
    data_dir = unset.config["DATA_DIR"]
    admin = unset.test_client()
    sign_in(admin, "admin")
    values = {"superior": "BCH ĐOÀN TP HÀ NỘI", "organisation": "BCH ĐOÀN TRƯỜNG\r\nĐẠI HỌC THỬ NGHIỆM",
              "committee": "BAN THƯỜNG VỤ ĐOÀN TRƯỜNG ĐẠI HỌC THỬ NGHIỆM", "place": "Huế",
              "signer_title": "TM. BAN THƯỜNG VỤ\r\nPHÓ BÍ THƯ", "signer_name": "Trần Văn Bình",
              "public_url": "https://doan.thu-nghiem.edu.vn/"}
    response = admin.post("/admin/settings", data={**values, "csrf_token": csrf_token(admin, "/admin/settings")})
    assert response.status_code == 303
    saved = json.loads((data_dir / "certificate.json").read_text("utf-8"))
    assert saved["public_url"] == "https://doan.thu-nghiem.edu.vn/" and saved["signer_name"] == "Trần Văn Bình"
    assert saved["organisation"] == "BCH ĐOÀN TRƯỜNG\nĐẠI HỌC THỬ NGHIỆM"
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Trần Văn Bình" in page and "https://doan.thu-nghiem.edu.vn/" in page
    issued = issue_certificate(unset, "TOAN")
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(issued.path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for expected in ("BCH ĐOÀN TP HÀ NỘI", "BCH ĐOÀN TRƯỜNG ĐẠI HỌC THỬ NGHIỆM", "Huế, ngày 20 tháng 10 năm 2022",
                     "TM. BAN THƯỜNG VỤ PHÓ BÍ THƯ", "Trần Văn Bình",
                     f"https://doan.thu-nghiem.edu.vn/verify/ {issued.serial}"):  # broken only before the serial
        assert expected in text, expected


def test_the_settings_page_refuses_an_address_that_is_not_one(unset):
    admin = unset.test_client()
    sign_in(admin, "admin")
    before = (unset.config["DATA_DIR"] / "certificate.json").read_bytes()
    response = admin.post("/admin/settings", data={"public_url": "doan truong", "place": "Huế",
                                                   "csrf_token": csrf_token(admin, "/admin/settings")})
    assert response.status_code == 400 and "https://" in response.get_data(as_text=True)
    assert (unset.config["DATA_DIR"] / "certificate.json").read_bytes() == before


def test_a_public_address_is_issued_with(tmp_path):
    app = recognised_app(tmp_path / "data")
    assert certificates.settings(app.config["DATA_DIR"])[1] == PUBLIC_URL
    assert issue_certificate(app, "TOAN").created


def test_a_recognition_recorded_without_the_address_stands_and_says_what_to_set(unset):
    reviewer = unset.test_client()
    sign_in(reviewer, "vanphong")
    url = f"/review/LY/{SELF}/2022"
    response = reviewer.post(url + "/decision", data={
        "decision": "recognised", "decision_no": "46-QĐ/ĐTN", "decided_on": "2022-09-15", "step": "confirm",
        "csrf_token": csrf_token(reviewer, url)}, follow_redirects=True)
    assert response.status_code == 200
    assert "/admin/settings" in response.get_data(as_text=True)
    assert forms_sql(unset, "SELECT decision FROM decisions WHERE unit_code = 'LY' AND is_current = 1") == [
        ("recognised",)]
    _nothing_issued(unset)
