"""Reviewers read one unit's report, adjust points with a reason, and record the standing committee's decision."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms_app.rules import accounts, deciding as decisions
from forms_app.adapters.web.context import accounts_db, forms_db
from forms_app.adapters.web import fill
from forms_app.rules import submitting as store
from forms_app.rules import uploads
from forms_app.adapters.web.auth import role_required
from forms_app.rules.deciding import DecisionError, OutsideClusters, Refusal
from forms_app.adapters.web.forms import parse_number
from forms_app.adapters.web.i18n import current_language, format_date

bp = Blueprint("review", __name__, url_prefix="/review")

DECISION_FIELDS = ("decision", "comment", "reopen_until", "decision_no", "decided_on", "commendation")


def limited_clusters() -> list[str]:
    """The clusters the signed-in reviewer is limited to (a cluster lead); empty for every unit (and for admins)."""
    if g.user is None or g.user.role != "reviewer":
        return []
    if "reviewer_clusters" not in g:
        g.reviewer_clusters = accounts.reviewer_clusters(accounts_db(), g.user.username)
    return g.reviewer_clusters


def may_review(unit_code: str) -> bool:
    """Whether the signed-in reviewer or admin may decide for this unit."""
    clusters = limited_clusters()
    if not clusters:
        return True
    row = forms_db().execute("SELECT cluster FROM units WHERE code = ?", [unit_code]).fetchone()
    return row is not None and row[0] in clusters


def _context(unit_code: str, form_id: str, year: int) -> dict:
    """fill's context for the unit's form and year: 403 outside the reviewer's clusters, 404 for what does not exist."""
    if not may_review(unit_code):
        abort(403)
    if forms_db().execute("SELECT 1 FROM units WHERE code = ?", [unit_code]).fetchone() is None:
        abort(404)
    return fill._context(form_id, year, unit_code)


def refusal_message(refusal: Refusal, about: str = "decision") -> str:
    """One sentence for a refused decision (`about="decision"`) or adjustment (`about="adjustment"`)."""
    p = refusal.params
    if refusal.code == "not_submitted":
        return (_("Đơn vị chưa nộp biểu mẫu này nên chưa thể điều chỉnh điểm.") if about == "adjustment"
                else _("Đơn vị chưa nộp biểu mẫu này nên chưa thể công nhận, không công nhận hay trả lại."))
    messages = {
        "kind": lambda: _("Hãy chọn một quyết định: công nhận, không công nhận, trả lại để bổ sung hoặc thu hồi công nhận."),
        "unknown_unit": lambda: _("Không có đơn vị này."),
        "unknown_cycle": lambda: _("Biểu mẫu này không có chu kỳ năm %(year)s.", year=p.get("year")),
        "comment_long": lambda: _("Nhận xét dài quá %(max)s ký tự.", max=p.get("max")),
        "decision_no_long": lambda: _("Số quyết định dài quá %(max)s ký tự.", max=p.get("max")),
        "date": lambda: _("Ngày không hợp lệ; hãy nhập dạng ngày/tháng/năm, ví dụ 20/10/2022."),
        "decided_in_future": lambda: _("Ngày quyết định không thể sau hôm nay."),
        "reopen_needed": lambda: _("Khi trả lại, hãy cho biết biểu mẫu được mở lại đến hết ngày nào."),
        "reopen_past": lambda: _("Ngày mở lại phải từ hôm nay trở đi."),
        "comment_needed": lambda: _("Khi trả lại, hãy ghi nhận xét để đơn vị biết cần bổ sung gì."),
        "not_recognised_now": lambda: _("Chỉ thu hồi được khi đơn vị đang được công nhận."),
        "commendation_needs_recognition": lambda: _("Chỉ đơn vị được công nhận mới được đề nghị tuyên dương."),
        "outside_clusters": lambda: _("Đơn vị này không thuộc cụm thi đua bạn phụ trách."),
        "no_submission": lambda: _("Đơn vị chưa có bài nộp."),
        "unknown_question": lambda: _("Biểu mẫu không có câu hỏi “%(question)s”.", question=p.get("question")),
        "hidden_question": lambda: _("Câu hỏi “%(question)s” đang bị ẩn theo câu trả lời của đơn vị nên không có điểm để điều chỉnh.",
                                     question=p.get("question")),
        "unscored_question": lambda: _("Câu hỏi “%(question)s” không tính điểm.", question=p.get("question")),
        "nothing_to_remove": lambda: _("Hãy nhập điểm sau điều chỉnh (chỉ để trống khi huỷ một điều chỉnh đã có)."),
        "points": lambda: _("Hãy nhập một số, ví dụ 2,5."),
        "reason_needed": lambda: _("Hãy ghi lý do điều chỉnh."),
        "reason_long": lambda: _("Lý do dài quá %(max)s ký tự.", max=p.get("max")),
    }
    return messages[refusal.code]() if refusal.code in messages else refusal.code


@bp.route("/<unit_code>/<form_id>/<int:year>")
@role_required("reviewer", "admin")
def review(unit_code: str, form_id: str, year: int):
    """A unit's report with its automatic and adjusted points, the decision history and the decision form."""
    return _page(_context(unit_code, form_id, year))


@bp.route("/<unit_code>/<form_id>/<int:year>/decision", methods=["POST"])
@role_required("reviewer", "admin")
def decide(unit_code: str, form_id: str, year: int):
    """Record one decision (CSRF-checked); refused ones come back with a sentence beside the field."""
    ctx = _context(unit_code, form_id, year)
    values = {name: (request.form.get(name) or "").strip() for name in DECISION_FIELDS}
    values["comment"] = values["comment"][:decisions.MAX_COMMENT + 1]
    kind = values["decision"]
    try:
        decisions.record_decision(
            forms_db(), unit_code, form_id, year, kind, g.user.username, comment=values["comment"],
            reopen_until=values["reopen_until"], decision_no=values["decision_no"][:200],
            decided_on=values["decided_on"], commendation=bool(values["commendation"]), source="web",
            clusters=limited_clusters(), today=store.today(fill._now()))
    except OutsideClusters:
        abort(403)
    except DecisionError as exc:
        errors: dict[str, list[str]] = {}
        for refusal in exc.refusals:
            errors.setdefault(refusal.field or "decision", []).append(refusal_message(refusal))
        return _page(ctx, decision_errors={k: " ".join(v) for k, v in errors.items()}, decision_values=values, status=422)
    flash(_("Đã ghi quyết định: %(decision)s.", decision=fill.decision_label(kind)), "ok")
    return redirect(url_for("review.review", unit_code=unit_code, form_id=form_id, year=year), 303)


@bp.route("/<unit_code>/<form_id>/<int:year>/adjust", methods=["POST"])
@role_required("reviewer", "admin")
def adjust(unit_code: str, form_id: str, year: int):
    """Adjust one question's points with a reason (empty points remove the adjustment); CSRF-checked."""
    ctx = _context(unit_code, form_id, year)
    if ctx["submission"] is None:
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
        row = decisions.record_adjustment(forms_db(), ctx["submission"]["id"], question_id, points, reason,
                                          g.user.username, clusters=limited_clusters())
    except OutsideClusters:
        abort(403)
    except DecisionError as exc:
        refusal = exc.refusals[0]
        message = " ".join(refusal_message(r, "adjustment") for r in exc.refusals)
        return _page(ctx, adjust_errors={question_id: {"field": refusal.field, "message": message}},
                     adjust_values=kept, status=422)
    question = ctx["definition"].question(question_id)
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
    from scoring.rules import fmt

    return fmt(value, current_language())


def _page(ctx: dict, *, decision_errors=None, decision_values=None, adjust_errors=None, adjust_values=None,
          status: int = 200):
    db = forms_db()
    submission = ctx["submission"]
    report, number, described, adjustments = None, None, {}, []
    if submission is not None and submission["current_revision"]:
        number, answers, report = fill.scored_report(ctx)
        described = uploads.describe(db, [v for v in answers.values() if isinstance(v, str)])
        adjustments = decisions.adjustment_history(db, submission["id"])
    decision = ctx["decision"]
    resubmitted = (decision is not None and decision["decision"] == "returned"
                   and decisions.submitted_since_decision(db, ctx["unit_code"], ctx["definition"].id, ctx["year"]))
    lang = current_language()
    labels = {q.id: q.label.get(lang) for q in ctx["definition"].questions}
    return render_template(
        "review/page.html", ctx=ctx, report=report, number=number, described=described, decision=decision,
        history=decisions.history(db, ctx["unit_code"], ctx["definition"].id, ctx["year"]), adjustments=adjustments,
        labels=labels, reviewing=report is not None, resubmitted=resubmitted,
        adjust_url=url_for("review.adjust", unit_code=ctx["unit_code"], form_id=ctx["definition"].id, year=ctx["year"]),
        adjust_errors=adjust_errors or {}, adjust_values=adjust_values or {},
        decision_errors=decision_errors or {}, decision_values=decision_values or {},
        newer_draft=store.has_unsubmitted_draft(submission), format_date=format_date,
        clusters=limited_clusters(),
    ), status
