"""The office's page for the narrative of the year-end review and the phase review: the sections it writes before
printing (kept with their history: every save appends), the report's number, and the link to the PDF."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db
from forms_app.adapters.web.i18n import current_language
from forms_app.rules import messages, registry, year_report

bp = Blueprint("narrative", __name__, url_prefix="/office/narrative")

PHASE_SLUG = "giai-doan"  # the address of the phase review's narrative, beside the years'


def _form():
    """The scored form of `?form=ID` (the only one when none is given); 404 when there is no such choice."""
    try:
        return registry.the_scored_form(forms_db(), (request.args.get("form") or "").strip()[:100] or None)
    except registry.FormChoice:
        abort(404)


def _scope(form, scope: str) -> int:
    """The cycle year named by `scope` (a year of the form, or PHASE_SLUG: year_report.PHASE); 404 otherwise."""
    if scope == PHASE_SLUG:
        return year_report.PHASE
    if not scope.isdigit() or int(scope) not in year_report.report_years(forms_db(), form.id):
        abort(404)
    return int(scope)


@bp.route("/<scope>", methods=["GET", "POST"])
@capability_required("decides")
def edit(scope: str):
    """The narrative of one review (a year, or the phase): its sections to write, saved with their history."""
    form = _form()
    year = _scope(form, scope)
    if request.method == "GET":
        return _page(form, year, scope, year_report.narrative(forms_db(), form.id, year), {})
    keys = [key for key, _heading in year_report.SECTIONS] + [year_report.NUMBER]
    # Whole, so an overlong text is refused with its length instead of cut (the request's size is bounded by the app)
    values = {key: request.form.get(key) or "" for key in keys}
    too_long = year_report.check_narrative(values)
    if too_long:
        lang = current_language()
        return _page(form, year, scope, values, {t.section: t.sentence(lang) for t in too_long}), 422
    saved = year_report.save_narrative(forms_db(), form.id, year, values, g.user.username)
    flash(messages.text(year_report.MESSAGES, "saved" if saved else "unchanged", current_language(), count=len(saved)),
          "ok")
    return redirect(url_for("narrative.edit", scope=scope, form=request.args.get("form") or None), 303)


def _page(form, year: int, scope: str, values: dict, errors: dict):
    db = forms_db()
    lang = current_language()
    years = year_report.report_years(db, form.id)
    phase = year == year_report.PHASE
    period = messages.text(year_report.MESSAGES, "period_phase" if phase else "period_year", lang,
                           first=years[0] if years else "", last=years[-1] if years else "", year=year)
    texts = year_report.page_texts(lang, max=year_report.MAX_SECTION, period=period)
    links = [(messages.text(year_report.MESSAGES, "year", lang, year=y), url_for("narrative.edit", scope=y, form=form.id),
              y == year) for y in years]
    links.append((texts["phase"], url_for("narrative.edit", scope=PHASE_SLUG, form=form.id), phase))
    pdf = (url_for("downloads.phase_report", form=form.id) if phase
           else url_for("downloads.report", year=year, form=form.id))
    return render_template(
        "office/narrative.html", t=texts, form_title=form.title.get(form.default_language), form_id=form.id,
        scope=scope, links=links, sections=year_report.SECTIONS, number_key=year_report.NUMBER, values=values,
        errors=errors, history=year_report.narrative_history(db, form.id, year), pdf=pdf)
