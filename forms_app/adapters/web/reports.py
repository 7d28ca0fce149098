"""A unit's score report as the pages show it: answers as a person reads them, decisions in a few words."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from forms_app.adapters.web.context import forms_db
from forms_app.adapters.web.i18n import current_language, format_date
from forms_app.rules import submitting
from forms_app.rules.unit_form import UnitForm
from scoring import score
from scoring.rules import fmt


def decision_label(kind: str | None) -> str:
    """A decision in a few words, to sit inside a sentence."""
    return {
        "recognised": _("công nhận"), "not_recognised": _("không công nhận"),
        "returned": _("trả lại để bổ sung"), "withdrawn": _("thu hồi công nhận"), "accepted": _("tiếp nhận"),
    }.get(kind or "", kind or "")


def answer_text(question, value: Any, lang: str) -> str | None:
    """Choice labels instead of values, Có/Không for booleans, dates as 30/09/2022; None when unanswered."""
    if value is None:
        return None
    if question.type == "boolean":
        return _("Có") if value else _("Không")
    if question.type in ("single_choice", "multi_choice"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(c.label.get(lang) if (c := question.choice(v)) else str(v) for v in values)
    if question.type == "date":
        return format_date(value)
    if question.type in ("integer", "number"):
        unit = f" {question.unit.get(lang)}" if question.unit else ""
        return fmt(value, lang, 4) + unit
    return str(value)


def report(form: UnitForm, answers: dict, adjustments: dict | None = None) -> dict:
    """The score report, each question carrying `shown`: its answer as a person reads it (labels, not values)."""
    lang = current_language()
    found = score(form.definition, answers, adjustments, lang=lang)
    for entry in found["questions"]:
        entry["shown"] = answer_text(form.definition.question(entry["id"]), entry["answer"], lang)
    return found


def scored_report(form: UnitForm) -> tuple[int, dict, dict]:
    """The scored revision's number, its answers and its report with the reviewers' current adjustments."""
    db = forms_db()
    number = submitting.scored_revision(form.submission)
    answers = submitting.revision_answers(db, form.submission["id"], number) or {}
    adjustments = submitting.effective_adjustments(db, form.submission["id"], form.definition, answers)
    return number, answers, report(form, answers, adjustments)
