"""Reviewers' downloads: a year's results (CSV or XLSX) and the year-end conference report (PDF).

They cover every unit, so a cluster lead (a reviewer limited to some clusters) gets none of them.
"""

from __future__ import annotations

import io
import zipfile

from flask import Blueprint, abort, g, send_file

from exports.report import report_pdf
from exports.tables import csv_bytes, xlsx_bytes
from forms_app.adapters.web.auth import role_required
from forms_app.adapters.web.context import forms_db, limited_clusters
from forms_app.rules import certificates, windows
from forms_app.rules.exporting import answers, summary
from forms_app.rules.year_report import report_data

bp = Blueprint("downloads", __name__, url_prefix="/exports")


def _year(year: int) -> int:
    """The year when it has a cycle (404 otherwise); 403 for a cluster lead, whose units are not the whole year's."""
    if limited_clusters():
        abort(403)
    if not windows.year_exists(forms_db(), year):
        abort(404)
    return year


def _tables(year: int):
    """The results table and the answers table of an existing cycle year (404 otherwise)."""
    db = forms_db()
    return summary(db, _year(year)), answers(db, year)


@bp.route("/<int:year>.xlsx")
@role_required("reviewer", "admin")
def xlsx(year: int):
    """The year's results and answers as one workbook with two sheets."""
    (head, rows), (a_head, a_rows) = _tables(year)
    data = xlsx_bytes([(f"Kết quả {year}", head, rows), (f"Câu trả lời {year}", a_head, a_rows)])
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"ket-qua-3-chu-dong-{year}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<int:year>.zip")
@role_required("reviewer", "admin")
def csv_zip(year: int):
    """The same as two CSV files (UTF-8 with a BOM), zipped."""
    (head, rows), (a_head, a_rows) = _tables(year)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"ket-qua-3-chu-dong-{year}.csv", csv_bytes(head, rows))
        archive.writestr(f"ket-qua-3-chu-dong-{year}-cau-tra-loi.csv", csv_bytes(a_head, a_rows))
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"ket-qua-3-chu-dong-{year}-csv.zip", mimetype="application/zip")


@bp.route("/<int:year>/bao-cao.pdf")
@role_required("reviewer", "admin")
def report(year: int):
    """The year-end conference report."""
    issuer, _url = certificates.settings(g.data_dir)
    data = report_pdf(report_data(forms_db(), _year(year), issuer.union, issuer.organisation))
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"bao-cao-so-ket-{year}.pdf", mimetype="application/pdf")
