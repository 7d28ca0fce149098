"""Certificate downloads (the unit its own, reviewers any) and the public verification page."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, send_file
from flask_babel import gettext as _

from forms_app.adapters.web.auth import role_required
from forms_app.adapters.web.context import forms_db
from forms_app.rules import certificates

bp = Blueprint("certs", __name__)


def _send(unit_code: str, form_id: str, year: int):
    try:
        issued = certificates.issue(forms_db(), g.data_dir, unit_code, year, form_id)
    except certificates.NotRecognised:
        return render_template("errors/error.html", code=404,
                               message=_("Chưa có giấy chứng nhận: đơn vị chưa được Ban Thường vụ công nhận cho năm này.")), 404
    return send_file(issued.path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"giay-chung-nhan-3-chu-dong-{year}-{unit_code}.pdf")


@bp.route("/forms/<form_id>/<int:year>/certificate.pdf")
@role_required("unit")
def own(form_id: str, year: int):
    """The signed-in unit's certificate for a year, made on first download and the same file afterwards."""
    return _send(g.user.unit_code, form_id, year)


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/certificate.pdf")
@role_required("reviewer", "admin")
def any_unit(unit_code: str, form_id: str, year: int):
    """A reviewer downloads any unit's certificate."""
    return _send(unit_code, form_id, year)


@bp.route("/verify/<serial>")
def verify(serial: str):
    """Public: confirms the unit, the year, the decision number and date — nothing else."""
    if len(serial) > 40:
        abort(404)
    found = certificates.verify(forms_db(), serial)
    if found is None:
        return render_template("certs/verify.html", found=None, serial=serial), 404
    return render_template("certs/verify.html", found=found, serial=found["serial"])
