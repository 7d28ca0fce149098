"""Reviewers read one unit's report, adjust points with a reason, and record the standing committee's decision."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms_app.adapters.web import reports
from forms_app.adapters.web.auth import role_required
from forms_app.adapters.web.context import forms_db, limited_clusters, today
from forms_app.adapters.web.fill import reviewed_form
from forms_app.adapters.web.forms import parse_number
from forms_app.adapters.web.i18n import current_language, format_date
from forms_app.rules import certificates, uploads
from forms_app.rules import deciding as decisions
from forms_app.rules import submitting as store
from forms_app.rules.deciding import DecisionError, OutsideClusters, Refusal
from forms_app.rules.unit_form import UnitForm
from scoring.rules import fmt

bp = Blueprint("review", __name__, url_prefix="/review")

DECISION_FIELDS = ("decision", "comment", "reopen_until", "decision_no", "decided_on", "commendation")


def refusal_message(refusal: Refusal, about: str = "decision") -> str:
    """One sentence, in the page's language, for a refused decision (`about="decision"`) or adjustment (`"adjustment"`)."""
    return decisions.message(refusal.code, current_language(), about, **refusal.params)


@bp.route("/<unit_code>/<form_id>/<int:year>")
@role_required("reviewer", "admin")
def review(unit_code: str, form_id: str, year: int):
    """A unit's report with its automatic and adjusted points, the decision history and the decision form."""
    return _page(reviewed_form(form_id, year, unit_code))


@bp.route("/<unit_code>/<form_id>/<int:year>/decision", methods=["POST"])
@role_required("reviewer", "admin")
def decide(unit_code: str, form_id: str, year: int):
    """Record one decision (CSRF-checked); refused ones come back with a sentence beside the field."""
    ctx = reviewed_form(form_id, year, unit_code)
    values = {name: (request.form.get(name) or "").strip() for name in DECISION_FIELDS}
    values["comment"] = values["comment"][:decisions.MAX_COMMENT + 1]
    kind = values["decision"]
    try:
        decisions.record_decision(
            forms_db(), unit_code, form_id, year, kind, g.user.username, comment=values["comment"],
            reopen_until=values["reopen_until"], decision_no=values["decision_no"][:200],
            decided_on=values["decided_on"], commendation=bool(values["commendation"]), source="web",
            clusters=limited_clusters(), today=today())
    except OutsideClusters:
        abort(403)
    except DecisionError as exc:
        errors: dict[str, list[str]] = {}
        for refusal in exc.refusals:
            errors.setdefault(refusal.field or "decision", []).append(refusal_message(refusal))
        return _page(ctx, decision_errors={k: " ".join(v) for k, v in errors.items()}, decision_values=values, status=422)
    if kind == "recognised" and certificates.issues_certificates(forms_db(), form_id):
        certificates.issue(forms_db(), g.data_dir, unit_code, year, form_id)  # ready for the unit to download
    flash(_("Đã ghi quyết định: %(decision)s.", decision=reports.decision_label(kind)), "ok")
    return redirect(url_for("review.review", unit_code=unit_code, form_id=form_id, year=year), 303)


@bp.route("/<unit_code>/<form_id>/<int:year>/adjust", methods=["POST"])
@role_required("reviewer", "admin")
def adjust(unit_code: str, form_id: str, year: int):
    """Adjust one question's points with a reason (empty points remove the adjustment); CSRF-checked."""
    ctx = reviewed_form(form_id, year, unit_code)
    if ctx.submission is None:
        abort(404)
    question_id = (request.form.get("question") or "").strip()[:100]
    text = (request.form.get("points") or "").strip()[:40]
    reason = (request.form.get("reason") or "").strip()[:decisions.MAX_REASON + 1]
    kept = {question_id: {"points": text, "reason": reason}}
    points = None
    if text:
        try:
            points = parse_number(text, current_language())
        except ValueError:
            error = {"field": "points", "message": refusal_message(Refusal("points", "points"), "adjustment")}
            return _page(ctx, adjust_errors={question_id: error}, adjust_values=kept, status=422)
    try:
        row = decisions.record_adjustment(forms_db(), ctx.submission["id"], question_id, points, reason,
                                          g.user.username, clusters=limited_clusters())
    except OutsideClusters:
        abort(403)
    except DecisionError as exc:
        refusal = exc.refusals[0]
        message = " ".join(refusal_message(r, "adjustment") for r in exc.refusals)
        return _page(ctx, adjust_errors={question_id: {"field": refusal.field, "message": message}},
                     adjust_values=kept, status=422)
    question = ctx.definition.question(question_id)
    label = question.label.get(current_language())
    if row["points"] is None:
        flash(_("Đã huỷ điều chỉnh điểm của câu “%(question)s”.", question=label), "ok")
    elif row["points"] != points:
        flash(_("Đã ghi điều chỉnh câu “%(question)s”: %(points)s điểm (điểm nhập %(typed)s được đưa về trong khoảng 0–%(max)s).",
                question=label, points=_fmt(row["points"]), typed=text, max=_fmt(question.maximum)), "ok")
    else:
        flash(_("Đã ghi điều chỉnh câu “%(question)s”: %(points)s điểm.", question=label, points=_fmt(row["points"])), "ok")
    return redirect(url_for("review.review", unit_code=unit_code, form_id=form_id, year=year) + f"#row-{question_id}", 303)


def _fmt(value: float) -> str:
    return fmt(value, current_language())


def _page(form: UnitForm, *, decision_errors=None, decision_values=None, adjust_errors=None, adjust_values=None,
          status: int = 200):
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
        newer_draft=store.has_unsubmitted_draft(form.submission), format_date=format_date,
        clusters=limited_clusters(),
    ), status
