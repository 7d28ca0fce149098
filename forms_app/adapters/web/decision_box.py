"""The review page's decision box and its confirmation step: which decisions a form takes, which fields they need
(a reason only when the result does not meet the recognition rule, or to withdraw), and, before anything is written,
what the decision will do — in sentences (the rules themselves are `rules.deciding`'s, the same for every caller)."""

from __future__ import annotations

from flask import g, request, url_for
from flask_babel import gettext as _

from forms_app.adapters.web import reports
from forms_app.adapters.web.context import forms_db
from forms_app.adapters.web.i18n import current_language, format_date
from forms_app.rules import certificates, verdict
from forms_app.rules import deciding as decisions
from forms_app.rules.deciding import DecisionError, Facts
from forms_app.rules.unit_form import UnitForm

FIELDS = ("decision", "comment", "reason", "reopen_until", "decision_no", "decided_on", "commendation")


def posted_values() -> dict[str, str]:
    """The decision's fields as posted (trimmed, long texts cut just past their limit so the rule still refuses them)."""
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    values["comment"] = values["comment"][:decisions.MAX_COMMENT + 1]
    values["reason"] = values["reason"][:decisions.MAX_REASON + 1]
    values["decision_no"] = values["decision_no"][:200]
    return values


def refusal_message(refusal) -> str:
    """One sentence, in the page's language, for a refused decision."""
    return decisions.message(refusal.code, current_language(), "decision", **refusal.params)


def errors_of(exc: DecisionError) -> dict[str, str]:
    """The refusals' sentences by the field they belong beside (`decision` when none)."""
    errors: dict[str, list[str]] = {}
    for refusal in exc.refusals:
        errors.setdefault(refusal.field or "decision", []).append(refusal_message(refusal))
    return {field: " ".join(sentences) for field, sentences in errors.items()}


def facts_of(form: UnitForm) -> Facts:
    """What a decision on this unit's form depends on (its submission, its final result)."""
    key = (form.unit_code, form.definition.id, form.year)
    return decisions.read_facts(forms_db(), [key])[key]


def kind_label(kind: str) -> str:
    """A decision as the box offers it."""
    return {
        "recognised": _("Công nhận"), "not_recognised": _("Không công nhận"), "returned": _("Trả lại để bổ sung"),
        "withdrawn": _("Thu hồi công nhận"), "accepted": _("Tiếp nhận"),
    }[kind]


def box(form: UnitForm, values: dict | None = None, errors: dict | None = None) -> dict | None:
    """What the decision box shows for this form, or None for whoever does not record decisions.

    A form with a result offers recognised, not recognised, returned (and withdrawn while it is recognised), with a
    number and a date; one without (a registration) accepted or returned, nothing else. The reason field is there
    only when a recognition needs one (the result does not meet the rule) or a withdrawal is possible.
    """
    if g.user is None or not g.user.decides:
        return None
    facts = facts_of(form)
    scored = form.definition.scored
    recognised_now = bool(form.decision and form.decision["decision"] == "recognised")
    kinds = [k for k in decisions.kinds_for(form.definition) if k != "withdrawn" or recognised_now]
    needs_reason = verdict.meets(facts.standing) is False
    lang = current_language()
    if needs_reason and recognised_now:
        reason_label = _("Lý do (bắt buộc khi công nhận đơn vị chưa đạt điều kiện, và khi thu hồi công nhận)")
    elif needs_reason:
        reason_label = _("Lý do công nhận (bắt buộc vì đơn vị chưa đạt điều kiện công nhận)")
    elif recognised_now or (errors or {}).get("reason") or (values or {}).get("reason"):
        reason_label = _("Lý do thu hồi công nhận (bắt buộc khi thu hồi)")
    else:
        reason_label = None
    return {
        "url": url_for("review.decide", unit_code=form.unit_code, form_id=form.definition.id, year=form.year),
        "kinds": [(kind, kind_label(kind)) for kind in kinds], "scored": scored, "submitted": facts.submitted,
        "why": facts.why(lang) if facts.submitted else None, "needs_reason": needs_reason,
        "reason_label": reason_label, "values": values or {}, "errors": errors or {},
    }


def consequences(form: UnitForm, row: dict, facts: Facts) -> list[str]:
    """What recording `row` will do, one sentence each: the decision on whom, its result's standing, what the unit
    reads, what becomes of its form and its certificate."""
    kind = row["decision"]
    who = _("%(unit)s (%(code)s) — %(form)s năm %(year)s", unit=form.unit["name"] if form.unit else form.unit_code,
            code=form.unit_code, form=form.definition.title.get(current_language()), year=form.year)
    said = [_("Quyết định: %(decision)s cho %(who)s.", decision=reports.decision_label(kind), who=who)]
    if row["decision_no"] or row["decided_on"]:
        said.append(_("Theo Quyết định số %(no)s ngày %(date)s.", no=row["decision_no"] or "—",
                      date=format_date(row["decided_on"]) or "—"))
    if kind in decisions.VERDICTS and (why := facts.why(current_language())):
        said.append(why)
    if row["reason"]:
        said.append(_("Lý do: %(reason)s", reason=row["reason"]))
    if row["comment"]:
        said.append(_("Nhận xét gửi đơn vị: %(comment)s", comment=row["comment"]))
    said += _what_follows(form, row)
    return said


def _what_follows(form: UnitForm, row: dict) -> list[str]:
    kind = row["decision"]
    if kind == "returned":
        closes = max(form.window.closes, decisions.parse_date(row["reopen_until"]))
        return [_("Biểu mẫu mở lại cho đơn vị sửa và nộp lại đến hết ngày %(date)s.", date=format_date(closes))]
    said = [_("Đơn vị không sửa được biểu mẫu này nữa; đơn vị thấy quyết định trên trang của mình.")]
    if kind == "recognised" and certificates.issues_certificates(forms_db(), form.definition.id):
        said.append(_("Giấy chứng nhận được cấp ngay để đơn vị tải về."))
        if row["commendation"]:
            said.append(_("Đơn vị được đề nghị tuyên dương."))
    if kind == "withdrawn":
        said.append(_("Giấy chứng nhận đã cấp (nếu có) được ghi là đã thu hồi trên trang kiểm tra."))
    return said
