"""Reviewers read one unit's report, adjust points with a reason, and record the standing committee's decision."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms_app.adapters.web import board, decision_box, office, reports
from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db, limited_clusters, today
from forms_app.adapters.web.fill import reviewed_form
from forms_app.adapters.web.i18n import current_language, format_date
from forms_app.rules import certificates, inspections, proposals, uploads
from forms_app.rules import deciding as decisions
from forms_app.rules import submitting as store
from forms_app.rules.deciding import DecisionError, OutsideClusters
from forms_app.rules.unit_form import UnitForm

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("/<unit_code>/<form_id>/<int:year>")
@capability_required("is_reviewer")
def review(unit_code: str, form_id: str, year: int):
    """A unit's report with its automatic and adjusted points, the decision history and the decision form."""
    return _page(reviewed_form(form_id, year, unit_code))


@bp.route("/<unit_code>/<form_id>/<int:year>/decision", methods=["POST"])
@capability_required("decides")
def decide(unit_code: str, form_id: str, year: int):
    """A decision in two steps (CSRF-checked): first checked and said back — what it will do — then recorded once
    confirmed (`step=confirm`); `step=edit` goes back to the box with what was typed. A refused one comes back with a
    sentence beside the field, nothing recorded."""
    ctx = reviewed_form(form_id, year, unit_code)
    values = decision_box.posted_values()
    step = request.form.get("step")
    if step == "edit":
        return _page(ctx, decision_values=values)
    if step != "confirm":
        return _confirm(ctx, values)
    kind = values["decision"]
    try:
        decisions.record_decision(
            forms_db(), unit_code, form_id, year, kind, g.user.username, comment=values["comment"],
            reason=values["reason"], reopen_until=values["reopen_until"], decision_no=values["decision_no"],
            decided_on=values["decided_on"], commendation=bool(values["commendation"]), source="web",
            clusters=limited_clusters(), today=today())
    except OutsideClusters:
        abort(403)
    except DecisionError as exc:
        return _page(ctx, decision_errors=decision_box.errors_of(exc), decision_values=values, status=422)
    if kind == "recognised" and certificates.issues_certificates(forms_db(), form_id):
        try:
            certificates.issue(forms_db(), g.data_dir, unit_code, year, form_id)  # ready for the unit to download
        except certificates.NoPublicAddress as exc:  # the decision stands; the certificate waits for the address
            flash(exc.message(current_language()), "error")
    flash(_("Đã ghi quyết định: %(decision)s.", decision=reports.decision_label(kind)), "ok")
    return redirect(url_for("review.review", unit_code=unit_code, form_id=form_id, year=year), 303)


def _confirm(ctx: UnitForm, values: dict):
    """The confirmation step: the decision checked by the rules (nothing written) and what it will do, or the box
    again with the refusals."""
    facts = decision_box.facts_of(ctx)
    row, refusals = decisions.check_decision(
        forms_db(), ctx.unit_code, ctx.definition.id, ctx.year, values["decision"], comment=values["comment"],
        reason=values["reason"], reopen_until=values["reopen_until"], decision_no=values["decision_no"],
        decided_on=values["decided_on"], commendation=bool(values["commendation"]), today=today(), facts=facts)
    if refusals:
        errors = decision_box.errors_of(DecisionError(refusals))
        return _page(ctx, decision_errors=errors, decision_values=values, status=422)
    return render_template("review/confirm.html", ctx=ctx, values=values, row=row,
                           said=decision_box.consequences(ctx, row, facts),
                           url=url_for("review.decide", unit_code=ctx.unit_code, form_id=ctx.definition.id, year=ctx.year))


@bp.route("/<unit_code>/<form_id>/<int:year>/adjust", methods=["POST"])
@capability_required("inspects")
def adjust(unit_code: str, form_id: str, year: int):
    """Every adjustment of the page in one form, saved at once (one transaction): points with a reason, empty points
    removing an adjustment. Points outside 0 … the question's maximum are refused, not clamped; if any row is
    refused nothing is saved and the page comes back with a sentence beside each refused row and everything typed."""
    ctx = reviewed_form(form_id, year, unit_code)
    if ctx.submission is None:
        abort(404)
    kept, changes, errors = office.posted_adjustments(ctx)
    target = url_for("review.review", unit_code=unit_code, form_id=form_id, year=year) + "#adjustments"
    if not changes and not errors:
        flash(_("Không có điểm nào thay đổi; chưa ghi gì."), "ok")
        return redirect(target, 303)
    try:
        refusals = decisions.check_adjustments(forms_db(), ctx.submission["id"], changes, clusters=limited_clusters())
        if not refusals and not errors:
            decisions.record_adjustments(forms_db(), ctx.submission["id"], changes, g.user.username,
                                         clusters=limited_clusters())
    except OutsideClusters:
        abort(403)
    except DecisionError as exc:  # the submission changed between the check and the write
        refusals = exc.refusals
    if refusals or errors:
        found = {**office.adjustment_errors(ctx, refusals), **errors}
        return _page(ctx, adjust_errors=found, adjust_values=kept, status=422)
    flash(_("Đã ghi %(n)s điều chỉnh điểm.", n=len(changes)), "ok")
    return redirect(target, 303)


@bp.route("/<unit_code>/<form_id>/<int:year>/inspection", methods=["POST"])
@capability_required("inspects")
def inspect(unit_code: str, form_id: str, year: int):
    """Record an inspection: its date, team, conclusion and minutes (a file); refused fields come back with a sentence
    beside them and what was typed, the file already received kept."""
    ctx = reviewed_form(form_id, year, unit_code)
    values = office.posted_inspection()
    try:
        inspections.record_inspection(
            forms_db(), g.data_dir, unit_code=unit_code, form_id=form_id, cycle_year=year,
            inspected_on=values["inspected_on"], members=values["members"], conclusion=values["conclusion"],
            actor=g.user.username, minutes_upload=request.files.get("minutes"), minutes=values["minutes_kept"] or None,
            today=today())
    except inspections.InspectionError as exc:
        values["minutes_kept"] = exc.minutes or ""
        return _page(ctx, kept={"inspection_values": values, "inspection_errors": office.inspection_errors(exc)},
                     status=422)
    flash(_("Đã ghi kết quả kiểm tra ngày %(date)s.", date=format_date(values["inspected_on"][:10])), "ok")
    return redirect(url_for("review.review", unit_code=unit_code, form_id=form_id, year=year) + "#inspections", 303)


@bp.route("/<unit_code>/<form_id>/<int:year>/comment", methods=["POST"])
@capability_required("proposes")
def comment(unit_code: str, form_id: str, year: int):
    """A cluster lead's comment on the unit's year (their clusters only)."""
    ctx = reviewed_form(form_id, year, unit_code)
    text = (request.form.get("comment") or "").strip()[:proposals.MAX_COMMENT + 1]
    try:
        proposals.add_comment(forms_db(), unit_code, year, text, g.user.username, clusters=limited_clusters())
    except OutsideClusters:
        abort(403)
    except proposals.ProposalError as exc:
        return _page(ctx, kept={"comment_values": {"comment": text},
                                "comment_errors": office.proposal_errors(exc.refusals)}, status=422)
    flash(_("Đã ghi nhận xét."), "ok")
    return redirect(url_for("review.review", unit_code=unit_code, form_id=form_id, year=year) + "#proposals", 303)


@bp.route("/<unit_code>/<form_id>/<int:year>/proposal", methods=["POST"])
@capability_required("proposes")
def propose(unit_code: str, form_id: str, year: int):
    """A cluster lead proposes the unit (for recognition, commendation or a forum) or withdraws their proposal."""
    ctx = reviewed_form(form_id, year, unit_code)
    values = {"kind": (request.form.get("kind") or "")[:20],
              "reason": (request.form.get("reason") or "").strip()[:proposals.MAX_REASON + 1]}
    withdrawing = request.form.get("action") == "withdraw"
    try:
        if withdrawing:
            proposals.withdraw(forms_db(), unit_code, year, values["kind"], g.user.username, clusters=limited_clusters())
        else:
            proposals.propose(forms_db(), unit_code, year, values["kind"], values["reason"], g.user.username,
                              clusters=limited_clusters())
    except OutsideClusters:
        abort(403)
    except proposals.ProposalError as exc:
        return _page(ctx, kept={"proposal_values": values, "proposal_errors": office.proposal_errors(exc.refusals)},
                     status=422)
    label = office.kind_labels()[values["kind"]].lower()
    flash(_("Đã rút đề xuất: %(kind)s.", kind=label) if withdrawing else _("Đã ghi đề xuất: %(kind)s.", kind=label), "ok")
    return redirect(url_for("review.review", unit_code=unit_code, form_id=form_id, year=year) + "#proposals", 303)


def _page(form: UnitForm, *, decision_errors=None, decision_values=None, adjust_errors=None, adjust_values=None,
          kept: dict | None = None, status: int = 200):
    db = forms_db()
    report, number, described, adjustments = None, None, {}, []
    if form.has_answers:
        number, answers, report = reports.scored_report(form)
        described = uploads.describe(db, [v for v in answers.values() if isinstance(v, str)])
        adjustments = decisions.adjustment_history(db, form.submission["id"])
    key = (form.unit_code, form.definition.id, form.year)
    resubmitted = (form.decision is not None and form.decision["decision"] == "returned"
                   and decisions.submitted_since_decision(db, *key))
    lang = current_language()
    return render_template(
        "review/page.html", ctx=form, report=report, number=number, described=described, decision=form.decision,
        history=decisions.history(db, *key), adjustments=adjustments,
        labels={q.id: q.label.get(lang) for q in form.definition.questions}, reviewing=report is not None,
        resubmitted=resubmitted, adjust_url=url_for("review.adjust", unit_code=key[0], form_id=key[1], year=key[2]),
        adjust_errors=adjust_errors or {}, adjust_values=adjust_values or {},
        decision_errors=decision_errors or {}, decision_values=decision_values or {},
        box=decision_box.box(form, decision_values, decision_errors),
        newer_draft=store.has_unsubmitted_draft(form.submission), format_date=format_date,
        clusters=limited_clusters(), **office.unit_year_parts(form, kept), **board.review_summary(form, report),
    ), status
