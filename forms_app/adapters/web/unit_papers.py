"""The unit's report as a PDF to sign and stamp: the unit downloads its own, reviewers any unit they may review."""

from __future__ import annotations

import io

from flask import Blueprint, abort, g, render_template, send_file
from flask_babel import gettext as _

from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db, may_review
from forms_app.rules import unit_paper

bp = Blueprint("unit_papers", __name__)


def _send(unit_code: str, form_id: str, year: int):
    """The PDF of the unit's submitted revision; 404 when nothing was submitted or nothing such exists."""
    try:
        pdf = unit_paper.paper_pdf(forms_db(), g.data_dir, unit_code, form_id, year)
    except unit_paper.NotSubmitted:
        return render_template("errors/error.html", code=404,
                               message=_("Bản nháp, chưa nộp.")), 404
    if pdf is None:
        abort(404)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"bao-cao-{form_id}-{year}-{unit_code}.pdf")


@bp.route("/forms/<form_id>/<int:year>/report.pdf")
@capability_required("is_unit")
def own(form_id: str, year: int):
    """The signed-in unit's report of its submitted form for a year."""
    return _send(g.user.unit_code, form_id, year)


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/report.pdf")
@capability_required("is_reviewer")
def any_unit(unit_code: str, form_id: str, year: int):
    """A reviewer downloads the report of a unit they may review (a cluster lead: their clusters only)."""
    if not may_review(unit_code):
        abort(403)
    return _send(unit_code, form_id, year)
