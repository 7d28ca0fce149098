"""Heavy documents are jobs, not requests (issue 18): a download starts (or joins) a job built in a process of its own,
answers a page that follows it and reloads itself, then the kept file at once until the data change; a failure is a
sentence with a button to build again; an export's work grows linearly with the rows it writes."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.data import opened, recognised_app
from support.web import csrf_token, downloaded, start_session, unescape

from forms_app.data import clock
from forms_app.rules import exporting, jobs

SELF = "tu-danh-gia-3-chu-dong"
def _jobs(data_dir: Path) -> list[dict]:
    conn = sqlite3.connect(data_dir / "forms.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM jobs ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture
def office(tmp_path):
    """The app on recognised data (TOAN, VAN, LY for 2022), and a client signed in as the Union office."""
    app = recognised_app(tmp_path / "data")
    client = app.test_client()
    start_session(app, client, "vanphong")
    return app, client


def test_a_download_is_a_job_then_the_kept_file_answers_at_once(office):
    app, client = office
    data_dir = app.config["DATA_DIR"]
    first = client.get("/exports/2022.xlsx")
    assert first.status_code == 200 and "Content-Disposition" not in first.headers
    assert first.headers["Refresh"] == "3"  # reloads itself, no script needed
    assert "Đang chuẩn bị tệp" in unescape(first.get_data(as_text=True))
    book = downloaded(client, "/exports/2022.xlsx")
    assert book.headers["Content-Disposition"].endswith(f"ket-qua-{SELF}-2022.xlsx")
    assert load_workbook(io.BytesIO(book.data)).worksheets[0]["A1"].value == "Mã đơn vị"
    [job] = _jobs(data_dir)
    assert job["state"] == "done" and job["rows_done"] == job["rows_total"] > 0 and job["pid"]
    assert (data_dir / job["file"]).read_bytes() == book.data and job["file"].startswith("exports/")
    again = client.get("/exports/2022.xlsx")
    assert again.data == book.data and len(_jobs(data_dir)) == 1  # kept: no new job for the same data


def test_the_csv_zip_and_both_reviews_are_jobs_too(office):
    _app, client = office
    archive = downloaded(client, "/exports/2022.zip")
    assert sorted(zipfile.ZipFile(io.BytesIO(archive.data)).namelist()) == [
        f"ket-qua-{SELF}-2022-cau-tra-loi-ma.csv", f"ket-qua-{SELF}-2022-cau-tra-loi.csv", f"ket-qua-{SELF}-2022.csv"]
    assert downloaded(client, "/exports/2022/bao-cao.pdf").data.startswith(b"%PDF")
    phase = downloaded(client, "/exports/giai-doan/bao-cao.pdf")
    assert phase.data.startswith(b"%PDF") and phase.headers["Content-Disposition"].endswith("giai-doan.pdf")


def test_the_year_review_job_counts_its_parts_as_steps(office):
    app, client = office
    downloaded(client, "/exports/2022/bao-cao.pdf")
    [job] = _jobs(app.config["DATA_DIR"])
    assert job["state"] == "done" and job["rows_done"] == job["rows_total"] == 1 + 1 + 1  # figures, 1 part, joined


def test_a_long_review_is_rendered_in_parts_by_processes_of_their_own(office, tmp_path):
    from exports import report
    from forms_app.rules import year_report

    app, _client = office
    with opened(app.config["DATA_DIR"]) as forms:
        data = year_report.report_data(forms, 2022)
    commended = [{"code": code, "name": f"Đoàn {code}", "cluster": "Cụm 1", "decision_no": "45-QĐ/ĐTN", "selected": False}
                 for code in ("TOAN", "VAN", "LY")]
    data = data | {"commended": commended}  # a list of 3 commended units, in parts of 1 row as thousands would be
    renderers = []
    out = tmp_path / "review.pdf"
    with out.open("wb") as stream:
        report.write_pdf(data, stream, rows_at_once=1, parts_per_process=1,
                         done=lambda part, parts, pid: renderers.append((part, parts, pid)))
    # TOAN; VAN with the commended units' title and first row; their 2nd row; their 3rd
    assert [(part, parts) for part, parts, _pid in renderers] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    pids = [pid for *_rest, pid in renderers]
    assert os.getpid() not in pids and len(set(pids)) == 4  # never this process; a new one after each part
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert flat.count("PHỤ LỤC 2. DANH SÁCH ĐƠN VỊ ĐƯỢC TUYÊN DƯƠNG") == 1
    assert "1 TOAN Đoàn TOAN" in flat and "2 VAN Đoàn VAN" in flat and "3 LY Đoàn LY" in flat  # numbered on
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True,
                                                              text=True).stdout)[1])
    assert [f"{n}/{pages}" in flat for n in range(1, pages + 1)] == [True] * pages  # numbered as one document


def test_a_change_of_the_data_builds_again_and_offers_the_previous_file_meanwhile(office):
    app, client = office
    data_dir = app.config["DATA_DIR"]
    old = downloaded(client, "/exports/2022/bao-cao.pdf")
    saved = client.post("/office/narrative/2022", data={"csrf_token": csrf_token(client, "/office/narrative/2022"),
                                                        "results": "Một câu mới của văn phòng.", "number": "7"})
    assert saved.status_code == 303
    waiting = client.get("/exports/2022/bao-cao.pdf")
    assert "Content-Disposition" not in waiting.headers
    first, second = _jobs(data_dir)
    assert first["stamp"] != second["stamp"]
    page = unescape(waiting.get_data(as_text=True))
    assert f"/exports/tep/{first['id']}" in page and "Tải bản lập trước" in page
    assert client.get(f"/exports/tep/{first['id']}").data == old.data  # the previous file, meanwhile
    new = downloaded(client, "/exports/2022/bao-cao.pdf")
    assert new.data != old.data
    assert not (data_dir / first["file"]).exists()  # replaced: only the latest file is kept
    assert client.get(f"/exports/tep/{first['id']}").status_code == 404


def test_a_failed_job_is_a_sentence_and_a_button_to_build_again(office):
    app, client = office
    data_dir = app.config["DATA_DIR"]
    (data_dir / "exports").write_text("a file where the folder of exports should be")  # the job cannot write
    deadline = time.monotonic() + 60
    while True:
        page = client.get("/exports/2022.zip")
        if _jobs(data_dir)[-1]["state"] == "failed":
            break
        assert time.monotonic() < deadline
        time.sleep(0.3)
    page = client.get("/exports/2022.zip")
    text = unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and "Refresh" not in page.headers
    assert "Có lỗi không lường trước khi lập tệp (FileExistsError)" in text and "Lập lại" in text
    assert len(_jobs(data_dir)) == 1  # a failure is said, not retried on every reload
    (data_dir / "exports").unlink()
    again = client.post("/exports/2022.zip", data={"csrf_token": csrf_token(client, "/exports/2022.zip")})
    assert again.status_code == 303 and again.location.endswith("/exports/2022.zip")
    assert downloaded(client, "/exports/2022.zip").data.startswith(b"PK")
    assert [j["state"] for j in _jobs(data_dir)] == ["failed", "done"]


def test_a_job_whose_process_stopped_is_said_and_not_waited_for_forever(office):
    app, client = office
    data_dir = app.config["DATA_DIR"]
    with opened(data_dir) as forms:
        version = jobs.data_version(forms, data_dir)
        long_ago = clock.stamp(clock.utcnow() - jobs.STALE * 2)
        forms.execute("INSERT INTO jobs (kind, form_id, cycle_year, stamp, state, pid, created_at, updated_at) "
                      "VALUES ('xlsx', ?, 2022, ?, 'running', 999999, ?, ?)", [SELF, version, long_ago, long_ago])
        forms.conn.commit()
    page = client.get("/exports/2022.xlsx")
    assert "Việc lập tệp đã dừng giữa chừng" in unescape(page.get_data(as_text=True))
    assert [j["state"] for j in _jobs(data_dir)] == ["failed"]


def test_a_cluster_lead_and_a_unit_get_no_job(office):
    app, _client = office
    for username in ("phutrachcum", "toan"):
        other = app.test_client()
        start_session(app, other, username)
        assert other.get("/exports/2022.xlsx").status_code == 403
        assert other.get("/exports/giai-doan/bao-cao.pdf").status_code == 403
    assert _jobs(app.config["DATA_DIR"]) == []


def test_the_waiting_page_follows_the_jobs_progress(office):
    app, client = office
    data_dir = app.config["DATA_DIR"]
    with opened(data_dir) as forms:
        status = jobs.request(forms, data_dir, jobs.Document("xlsx", SELF, 2022), "vanphong")
        forms.execute("UPDATE jobs SET state = 'running', rows_done = 1200, rows_total = 4500 WHERE id = ?",
                      [status.job["id"]])
        forms.conn.commit()
    page = unescape(client.get("/exports/2022.xlsx").get_data(as_text=True))
    assert "Đang chuẩn bị tệp… (1.200/4.500 dòng)" in page and 'value="1200"' in page


# Linear work: the rows read from SQLite and the cells written, counted for a year of N and of 2N submissions.


def _demo(data_dir: Path, units: int) -> Path:
    from forms_app.adapters.operations.demo import make_demo

    make_demo(data_dir, units=units, first_year=2022, last_year=2022, seed=18)
    return data_dir


def _work(data_dir: Path, kind: str) -> tuple[int, int, int]:
    """(SQL statements run, rows read by them, cells written) by the year's export of `kind` to a file."""
    from forms_app.data import connection

    forms = connection.open_forms(data_dir)
    statements, rows_read, cells = [0], [0], [0]
    forms.conn.set_trace_callback(lambda sql: statements.__setitem__(0, statements[0] + 1))

    def counted(rows):
        for row in rows:
            cells[0] += len(row)
            yield row

    original = forms.execute

    def execute(sql, params=None):  # every row any statement hands to the export, counted as it is read
        cursor = original(sql, params) if params is not None else original(sql)
        return _Counting(cursor, rows_read)

    forms.execute = execute
    writer = exporting.write_workbook if kind == "xlsx" else exporting.write_csv_zip
    with (data_dir / f"out.{kind}").open("wb") as out:
        writer(forms, 2022, SELF, out, "", counted)
    forms.close()
    return statements[0], rows_read[0], cells[0]


class _Counting:
    """A cursor that counts the rows read through it."""

    def __init__(self, cursor, counter):
        self.cursor, self.counter, self.description = cursor, counter, cursor.description

    def __iter__(self):
        for row in self.cursor:
            self.counter[0] += 1
            yield row

    def fetchone(self):
        self.counter[0] += 1
        return self.cursor.fetchone()

    def fetchall(self):
        rows = self.cursor.fetchall()
        self.counter[0] += len(rows)
        return rows


@pytest.mark.parametrize("kind", ["xlsx", "csv_zip"])
def test_an_export_of_twice_the_rows_does_twice_the_work(tmp_path, kind):
    small = _work(_demo(tmp_path / "n", 60), kind)
    large = _work(_demo(tmp_path / "2n", 120), kind)
    for what, n, two_n in zip(("statements", "rows read", "cells written"), small, large, strict=True):
        assert 1.6 * n <= two_n <= 2.4 * n, f"{what}: {n} for N, {two_n} for 2N"


def _signed_in(browser, base: str, **options):
    from support.browser import sign_in

    context = browser.new_context(viewport={"width": 360, "height": 740}, **options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, base, "vanphong")
    return page


@pytest.mark.slow
def test_the_waiting_page_reloads_itself_without_script_until_the_file_comes(tmp_path):
    from support.browser import launched, no_serious_violations
    from support.server import Server

    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    data_dir = tmp_path / "data"
    recognised_app(data_dir)
    server = Server(data_dir, tmp_path / "serve.log")
    browsers = launched()
    try:
        browser = next(browsers)
        page = _signed_in(browser, server.base, java_script_enabled=False, accept_downloads=True)
        page.goto(server.base + "/exports/2022.xlsx")
        assert "Đang chuẩn bị tệp" in page.inner_text("main")
        page.screenshot(path=str(artifacts / "export-waiting-360.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        with page.expect_download(timeout=90_000) as download:  # the Refresh header reloads it: the file comes
            pass
        assert download.value.suggested_filename == f"ket-qua-{SELF}-2022.xlsx"
        saved = tmp_path / "saved.xlsx"
        download.value.save_as(saved)
        assert load_workbook(saved).worksheets[0]["A1"].value == "Mã đơn vị"
        checked = _signed_in(browser, server.base)  # axe runs as a script: on a page of its own
        checked.goto(server.base + "/exports/2022.zip")
        assert "Đang chuẩn bị tệp" in checked.inner_text("main")
        no_serious_violations(checked, "export waiting page")
    finally:
        next(browsers, None)
        server.stop()
