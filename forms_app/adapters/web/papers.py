"""The office's papers: a recognition decision's document (PDF), the year's certificate register (PDF or XLSX) and the
year's issued certificates merged into one PDF for printing.

They cover every unit a decision or a year names, so only those who read every unit get them (the office, the
inspection committee, admins); a cluster lead gets 403. Every route only reads: the merged file is made from the
certificates already issued (the decision's page issues those still missing, a bounded time per click).
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, g, render_template, request, send_file
from flask_babel import gettext as _

from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db
from forms_app.rules import papers, registry, windows

bp = Blueprint("papers", __name__, url_prefix="/papers")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _no_certificate():
    return render_template("errors/error.html", code=404, message=_("Biểu mẫu này không cấp giấy chứng nhận.")), 404


def _certificate_form() -> str | None:
    """The certificate-issuing form of `?form=ID` (the only one when none is given); None when there is no such form."""
    try:
        return registry.the_certificate_form(forms_db(), (request.args.get("form") or "").strip()[:100] or None).id
    except registry.FormChoice:
        return None


def _year(year: int) -> int:
    if not windows.year_exists(forms_db(), year):
        abort(404)
    return year


@bp.route("/decision.pdf")
@capability_required("reads_every_unit")
def decision():
    """The decision `?no=` (narrowed by `form`, `year` and `on` when given, as the decision's page links it)."""
    number = (request.args.get("no") or "").strip()[:200]
    year = request.args.get("year", type=int)
    narrowing = {"form_id": (request.args.get("form") or "").strip()[:100] or None, "year": year,
                 "decided_on": (request.args.get("on") or "").strip()[:10] or None}
    if not number:
        abort(404)
    try:
        rows = papers.decision_rows(forms_db(), number, **narrowing)
        pdf = papers.decision_pdf(forms_db(), g.data_dir, number, **narrowing)
    except (papers.NoDecision, papers.SeveralDecisions):
        abort(404)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=papers.decision_file_name(number, rows[0]["cycle_year"]))


@bp.route("/<int:year>/register.pdf")
@capability_required("reads_every_unit")
def register_pdf(year: int):
    """The year's certificate register, A4 landscape, a column for each receiver's signature."""
    form_id = _certificate_form()
    if form_id is None:
        return _no_certificate()
    pdf = papers.register_pdf(forms_db(), g.data_dir, _year(year), form_id)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"so-cap-giay-chung-nhan-{year}.pdf")


@bp.route("/<int:year>/register.xlsx")
@capability_required("reads_every_unit")
def register_xlsx(year: int):
    """The same register as a workbook."""
    form_id = _certificate_form()
    if form_id is None:
        return _no_certificate()
    data = papers.register_xlsx(forms_db(), _year(year), form_id)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"so-cap-giay-chung-nhan-{year}.xlsx")


@bp.route("/<int:year>/certificates.pdf")
@capability_required("reads_every_unit")
def certificates_merged(year: int):
    """Every certificate of the year already issued and current, in unit order, in one PDF for printing."""
    form_id = _certificate_form()
    if form_id is None:
        return _no_certificate()
    merged = papers.merged_certificates(forms_db(), g.data_dir, _year(year), form_id)
    if merged is None:
        abort(404)
    return send_file(io.BytesIO(merged), mimetype="application/pdf", as_attachment=True,
                     download_name=f"giay-chung-nhan-{year}-tat-ca.pdf")
