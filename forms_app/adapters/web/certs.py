"""Certificate downloads (the unit its own, reviewers any unit of theirs) and the public verification page.

A GET only serves a certificate already issued; making one (the PDF, its serial, its audit entry) is a POST.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, send_file
from flask_babel import gettext as _

from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db, may_review
from forms_app.adapters.web.i18n import current_language
from forms_app.rules import certificates

bp = Blueprint("certs", __name__)


def _not_recognised():
    return render_template("errors/error.html", code=404,
                           message=_("Chưa có giấy chứng nhận: đơn vị chưa được Ban Thường vụ công nhận cho năm này.")), 404


def _no_certificate():
    return render_template("errors/error.html", code=404,
                           message=_("Biểu mẫu này không cấp giấy chứng nhận.")), 404


def _send(unit_code: str, form_id: str, year: int):
    """The issued certificate's PDF, or the page that offers to issue it."""
    try:
        issued = certificates.current(forms_db(), g.data_dir, unit_code, year, form_id)
    except certificates.NoCertificate:
        return _no_certificate()
    except certificates.NotRecognised:
        return _not_recognised()
    if issued is None:
        return render_template("certs/to_issue.html", year=year, action=request.path.removesuffix(".pdf"))
    return send_file(issued.path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"giay-chung-nhan-{form_id}-{year}-{unit_code}.pdf")


def _issue(unit_code: str, form_id: str, year: int):
    """Issue the certificate (once per recognising decision; the same file afterwards), then download it."""
    try:
        certificates.issue(forms_db(), g.data_dir, unit_code, year, form_id)
    except certificates.NoCertificate:
        return _no_certificate()
    except certificates.NotRecognised:
        return _not_recognised()
    except certificates.NoPublicAddress as exc:  # what to set and where, for the admin to do
        return render_template("errors/error.html", code=409, message=exc.message(current_language())), 409
    return redirect(request.path + ".pdf", 303)


def _reviewable(unit_code: str) -> str:
    if not may_review(unit_code):  # a cluster lead, outside their clusters
        abort(403)
    return unit_code


@bp.route("/forms/<form_id>/<int:year>/certificate.pdf")
@capability_required("is_unit")
def own(form_id: str, year: int):
    """The signed-in unit's certificate for a year."""
    return _send(g.user.unit_code, form_id, year)


@bp.route("/forms/<form_id>/<int:year>/certificate", methods=["POST"])
@capability_required("is_unit")
def issue_own(form_id: str, year: int):
    """The unit has its certificate made (CSRF-checked), then downloads it."""
    return _issue(g.user.unit_code, form_id, year)


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/certificate.pdf")
@capability_required("is_reviewer")
def any_unit(unit_code: str, form_id: str, year: int):
    """A reviewer downloads the certificate of a unit they may review."""
    return _send(_reviewable(unit_code), form_id, year)


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/certificate", methods=["POST"])
@capability_required("decides")
def issue_any(unit_code: str, form_id: str, year: int):
    """A reviewer has a unit's certificate made (CSRF-checked), then downloads it."""
    return _issue(_reviewable(unit_code), form_id, year)


@bp.route("/verify/<serial>")
def verify(serial: str):
    """Public: confirms the unit, the year, the decision number and date — nothing else."""
    if len(serial) > 40:
        abort(404)
    found = certificates.verify(forms_db(), serial)
    if found is None:
        return render_template("certs/verify.html", found=None, serial=serial), 404
    return render_template("certs/verify.html", found=found, serial=found["serial"])
