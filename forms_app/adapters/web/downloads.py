"""Reviewers' downloads: a year's results and answers (CSV or XLSX, files linked from the public address), the year-end
review and the phase review (PDF) of a scored form (`?form=ID`; the only scored form when it is not given).

Heavy documents are jobs, not requests (forms_app.rules.jobs): a download answers the kept file at once when it was
built for the data as they are now; otherwise it starts (or joins) the job that builds it, in a process of its own
(adapters/operations/jobs.py), and answers a page that follows its progress and reloads itself (no script needed),
offering the previous file meanwhile. A failed job is said in a sentence, with a button to build again.

They cover every unit, so only the roles that read every unit (`reads_every_unit`) get them: a cluster lead gets none.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, send_file

from forms_app.adapters.operations.jobs import launch
from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db
from forms_app.adapters.web.i18n import current_language
from forms_app.rules import jobs, registry, windows
from forms_app.rules.year_report import PHASE

bp = Blueprint("downloads", __name__, url_prefix="/exports")
REFRESH_SECONDS = 3  # how often the waiting page reloads itself (seconds)


def _year(year: int) -> int:
    """The year when it has a cycle (404 otherwise)."""
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


def _document(document: jobs.Document):
    """The kept file, or the page of the job that builds it (POST: build again after a failure, then that page)."""
    status = jobs.request(forms_db(), g.data_dir, document, g.user.username, again=request.method == "POST")
    if status.started:
        launch(g.data_dir, status.job["id"])
    if request.method == "POST":
        return redirect(request.full_path.rstrip("?"), code=303)
    if status.ready is not None:
        return _send(document, status.ready)
    page = render_template("exports/preparing.html", document=document, status=status,
                           sentence=status.sentence(current_language()) if status.failed else None)
    # Refresh: the header form of <meta http-equiv="refresh">, which browsers follow without a script (and which
    # no Content-Security-Policy directive governs); the page comes again until the file is answered instead.
    return page, 200, {} if status.failed else {"Refresh": str(REFRESH_SECONDS), "Cache-Control": "no-store"}


def _send(document: jobs.Document, path):
    return send_file(path, as_attachment=True, download_name=document.file_name, mimetype=document.mimetype,
                     max_age=0)


@bp.route("/<int:year>.xlsx", methods=("GET", "POST"))
@capability_required("reads_every_unit")
def xlsx(year: int):
    """The year's results, its answers for people and its answer codes for scripts, as one workbook."""
    return _document(jobs.Document("xlsx", _form_of_year(year), year))


@bp.route("/<int:year>.zip", methods=("GET", "POST"))
@capability_required("reads_every_unit")
def csv_zip(year: int):
    """The same as three CSV files (UTF-8 with a BOM; results and answers for Vietnamese Excel, codes for scripts),
    zipped."""
    return _document(jobs.Document("csv_zip", _form_of_year(year), year))


@bp.route("/<int:year>/bao-cao.pdf", methods=("GET", "POST"))
@capability_required("reads_every_unit")
def report(year: int):
    """The year-end review in official form."""
    return _document(jobs.Document("year_report", _form_of_year(year), year))


@bp.route("/giai-doan/bao-cao.pdf", methods=("GET", "POST"))
@capability_required("reads_every_unit")
def phase_report():
    """The phase review (every cycle year of the form) in official form."""
    return _document(jobs.Document("phase_report", _form(), PHASE))


@bp.route("/tep/<int:job_id>")
@capability_required("reads_every_unit")
def kept(job_id: int):
    """A file an earlier job built and that is still kept (offered while a newer one is being built)."""
    found = jobs.kept_file(forms_db(), g.data_dir, job_id)
    if found is None:
        abort(404)
    return _send(*found)


def _form_of_year(year: int) -> str:
    _year(year)
    return _form()
