"""Reviewers' downloads: a year's results and answers (CSV or XLSX, files linked from the public address), the year-end
review and the phase review (PDF) of a scored form (`?form=ID`; the only scored form when it is not given).

They cover every unit, so a cluster lead (a reviewer limited to some clusters) gets none of them.
"""

from __future__ import annotations

import io
import zipfile

from flask import Blueprint, abort, g, render_template, request, send_file

from exports.report import report_pdf
from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db, limited_clusters
from forms_app.adapters.web.i18n import current_language
from forms_app.rules import certificates, exporting, registry, windows
from forms_app.rules.year_report import phase_data, report_data

bp = Blueprint("downloads", __name__, url_prefix="/exports")


def _year(year: int) -> int:
    """The year when it has a cycle (404 otherwise); 403 for a cluster lead, whose units are not the whole year's."""
    if limited_clusters():
        abort(403)
    if not windows.year_exists(forms_db(), year):
        abort(404)
    return year


class _NoForm(Exception):
    """`?form=` names no scored form (or none was given where several are scored)."""


@bp.errorhandler(_NoForm)
def _no_form(exc: _NoForm):
    return render_template("errors/error.html", code=404, message=exc.args[0]), 404


def _form() -> str:
    """The scored form of `?form=ID` (the only scored form when none is given); a 404 with a sentence otherwise."""
    try:
        return registry.the_scored_form(forms_db(), (request.args.get("form") or "").strip()[:100] or None).id
    except registry.FormChoice as exc:
        raise _NoForm(exc.message(current_language())) from None


def _chosen(year: int) -> tuple[str, str]:
    """(form id, where its files' links start: the public address, "" for the path alone) of an existing cycle year
    (404 otherwise)."""
    _year(year)
    _issuer, public_url = certificates.settings(g.data_dir)
    return _form(), public_url


@bp.route("/<int:year>.xlsx")
@capability_required("reads_every_unit")
def xlsx(year: int):
    """The year's results, its answers for people and its answer codes for scripts, as one workbook."""
    form_id, files_at = _chosen(year)
    data = exporting.workbook(forms_db(), year, form_id, files_at)
    return send_file(io.BytesIO(data), as_attachment=True, download_name=exporting.default_name(form_id, year, "xlsx"),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<int:year>.zip")
@capability_required("reads_every_unit")
def csv_zip(year: int):
    """The same as three CSV files (UTF-8 with a BOM; results and answers for Vietnamese Excel, codes for scripts),
    zipped."""
    form_id, files_at = _chosen(year)
    name = exporting.default_name(form_id, year, "csv")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, data in exporting.csv_files(forms_db(), year, form_id, name, files_at):
            archive.writestr(file_name, data)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=name.removesuffix(".csv") + "-csv.zip",
                     mimetype="application/zip")


@bp.route("/<int:year>/bao-cao.pdf")
@capability_required("reads_every_unit")
def report(year: int):
    """The year-end review in official form."""
    issuer, _url = certificates.settings(g.data_dir)
    year = _year(year)
    data = report_pdf(report_data(forms_db(), year, issuer, _form()))
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"bao-cao-tong-ket-{year}.pdf",
                     mimetype="application/pdf")


@bp.route("/giai-doan/bao-cao.pdf")
@capability_required("reads_every_unit")
def phase_report():
    """The phase review (every cycle year of the form) in official form."""
    if limited_clusters():
        abort(403)
    issuer, _url = certificates.settings(g.data_dir)
    data = report_pdf(phase_data(forms_db(), issuer, _form()))
    return send_file(io.BytesIO(data), as_attachment=True, download_name="bao-cao-tong-ket-giai-doan.pdf",
                     mimetype="application/pdf")
