"""Certificates, exports, the year-end report and the reviewers' charts read and write through the data layer."""

from __future__ import annotations

import json
import sqlite3

import pytest
from support.data import SELF, issue_certificate, recognised_app


@pytest.fixture
def recognised(tmp_path):
    return recognised_app(tmp_path / "data")


def _forms(app):
    from forms_app.data import connection as database

    return database.open_forms(app.config["DATA_DIR"])


def test_an_issued_certificate_is_audited_once_with_its_serial_and_decision(recognised):
    issued = issue_certificate(recognised, "TOAN")
    issue_certificate(recognised, "TOAN")  # served as stored: no second entry
    forms = _forms(recognised)
    try:
        decision_id = forms.execute("SELECT id FROM current_decisions WHERE unit_code = 'TOAN'").fetchone()[0]
        entries = forms.execute("SELECT actor, unit_code, form_id, cycle_year, detail FROM audit_log "
                                "WHERE action = 'certificate_issued'").fetchall()
    finally:
        forms.close()
    assert [entry[:4] for entry in entries] == [("system", "TOAN", SELF, 2022)]
    assert json.loads(entries[0][4]) == {"serial": issued.serial, "decision_id": decision_id}


def test_only_units_recognised_now_get_certificates_in_code_order(recognised):
    from forms_app.rules import certificates

    forms = _forms(recognised)
    try:
        assert certificates.recognised_units(forms, 2022) == ["TOAN", "VAN"]
        assert certificates.recognised_units(forms, 2021) == []
        assert certificates.recognition(forms, "LY", 2022) is None
        assert certificates.recognition(forms, "TOAN", 2022)["decision_no"] == "45-QĐ/ĐTN"
    finally:
        forms.close()


def test_the_charts_read_the_same_through_datasettes_raw_connection_as_through_sqlite_utils(recognised):
    from forms_app.rules.charts import charts

    raw = sqlite3.connect(recognised.config["DATA_DIR"] / "forms.db")
    raw.row_factory = sqlite3.Row  # as Datasette's connections are
    forms = _forms(recognised)
    try:
        through_datasette, through_app = charts(raw, "2022"), charts(forms, "2022")
    finally:
        raw.close()
        forms.close()
    [form] = through_datasette  # the one scored form, by its title
    assert form["form"] == "Báo cáo tự đánh giá kết quả xây dựng Đoàn cơ sở “3 chủ động”"
    assert [figure["title"] for figure in form["figures"]] == [
        "Phân bố tổng điểm theo năm", "Điểm trung bình từng phần theo cụm — năm 2022", "Tỉ lệ công nhận theo năm"]
    assert through_datasette == through_app


def test_the_year_report_counts_the_recognised_units_of_the_year(recognised):
    from forms_app.rules.year_report import report_data

    forms = _forms(recognised)
    try:
        data = report_data(forms, 2022)
    finally:
        forms.close()
    assert data["totals"]["submitted"] == 3 and data["totals"]["recognised"] == 2
    assert [row["year"] for row in data["trend"]] == sorted(row["year"] for row in data["trend"])
    assert {"year": 2022, "submitted": 3, "recognised": 2}.items() <= next(
        row for row in data["trend"] if row["year"] == 2022).items()
    assert data["criteria"] and all(set(row) == {"criterion", "label", "ratio"} for row in data["criteria"])


def test_a_year_without_any_cycle_has_no_downloads(recognised):
    from support.web import sign_in

    reviewer = recognised.test_client()
    sign_in(reviewer, "vanphong")
    assert reviewer.get("/exports/1999.zip").status_code == 404
    assert reviewer.get("/exports/1999/bao-cao.pdf").status_code == 404
    assert reviewer.get("/exports/2022.zip").status_code == 200
