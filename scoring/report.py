"""The score report of interfaces.md: a pure function of (definition, answers, adjustments)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Collection, Mapping

from form_definitions.model import Definition, Result

from .answers import AnswerError, InvalidAnswers, is_answered, is_number, missing_required, validate_answers, visibility
from .rules import fmt, score_question, words


def rounded(value: float) -> float:
    """Points as every score report and stored score keeps them: four decimals, never -0.0."""
    return round(float(value), 4) + 0.0  # + 0.0 turns -0.0 into 0.0


def _total(values) -> float:
    return rounded(math.fsum(values))


def normalise_adjustments(definition: Definition, adjustments: Mapping | None, visible: Mapping[str, bool],
                          lang: str = "vi") -> tuple[dict[str, dict], list[AnswerError]]:
    """`{question: points}` or `{question: {"points": p, "reason": r}}` → `{question: {"points", "reason"}}`."""
    clean: dict[str, dict] = {}
    errors: list[AnswerError] = []
    if adjustments is None:
        return clean, errors
    if not isinstance(adjustments, Mapping):
        return clean, [AnswerError("adjustments_not_an_object", None)]
    for qid, raw in adjustments.items():
        question = definition.question(qid)
        if question is None:
            errors.append(AnswerError("adjustment_unknown", qid, {"id": qid}))
            continue
        label = question.label.get(lang)
        points, reason = (raw.get("points"), raw.get("reason")) if isinstance(raw, Mapping) else (raw, None)
        if not is_number(points):
            errors.append(AnswerError("adjustment_value", qid, {"label": label}))
            continue
        if not visible[qid]:
            errors.append(AnswerError("adjustment_hidden", qid, {"label": label}))
            continue
        clean[qid] = {"points": _clamp_float(points), "reason": str(reason) if reason else None}
    return clean, errors


def _clamp_float(value: int | float) -> float:
    """A huge integer adjustment as a float the clamp can compare (it ends at the question's maximum anyway)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def score(definition: Definition, answers: Mapping[str, Any], adjustments: Mapping | None = None,
          lang: str = "vi") -> dict:
    """Score an answer set; raises InvalidAnswers when answers or adjustments do not fit the definition.

    Hidden questions earn nothing and their answers are not reported; adjusted points are clamped
    to [0, question maximum] with the automatic points kept beside them. A question that does not
    apply (format 1.1) has maximum 0; sections' `max`, `pass_min` and the top `max_total` are then
    what applied, and every threshold is reached as `reaches` says.
    """
    if not isinstance(answers, Mapping):
        raise InvalidAnswers(validate_answers(definition, answers, lang))
    shown = visibility(definition, answers)
    errors = validate_answers(definition, answers, lang, shown=shown)
    if errors:
        raise InvalidAnswers(errors)
    adjusted, errors = normalise_adjustments(definition, adjustments, shown, lang)
    if errors:
        raise InvalidAnswers(errors)
    kept = {qid: value for qid, value in answers.items() if shown.get(qid) and is_answered(value)}
    questions = [_question_entry(definition, question, kept, shown[question.id], adjusted.get(question.id), lang)
                 for question in definition.questions]
    limits, max_total = applied_limits(definition, {q["id"] for q in questions if not q["applicable"]})
    sections = [_section_entry(section, [q for q in questions if q["section"] == section.id], limit, lang)
                for section, limit in zip(definition.sections, limits, strict=True)]
    total = _total(s["score"] for s in sections)
    full = rounded(definition.maximum)
    return {
        "form": {"id": definition.id, "version": definition.version},
        "lang": lang,
        "total": total,
        "auto_total": _total(s["auto_score"] for s in sections),
        "max_total": max_total,
        "full_max_total": full,
        "band": band_for(definition, total, lang, full, max_total),
        "recognised": recognised(definition.result, total, [s["passed"] for s in sections], full, max_total),
        "sections": sections,
        "questions": questions,
        "missing_required": missing_required(definition, answers, shown),
    }


def _question_entry(definition: Definition, question, kept: Mapping[str, Any], visible: bool, change: dict | None,
                    lang: str) -> dict:
    """One question of the report: its automatic points and rule, and the reviewers' adjustment when there is one."""
    result = score_question(question, kept, visible, lang, definition)
    maximum = rounded(question.maximum) if result.applicable else 0.0
    auto = rounded(result.points)
    entry = {
        "id": question.id,
        "section": question.section,
        "criterion": question.criterion,
        "label": question.label.get(lang),
        "visible": visible,
        "answer": kept.get(question.id),
        "points": auto,
        "max_points": maximum,
        "applicable": result.applicable,
        "rule": result.rule,
        "auto_points": auto,
        "adjusted": False,
    }
    if change is not None:
        w = words(lang)
        points = rounded(min(max(change["points"], 0.0), maximum))
        entry.update(points=points, adjusted=True, reason=change["reason"])
        note = f"{w['adjusted']}: {fmt(points, lang)} ({w['auto']}: {fmt(auto, lang)}"
        note += f"; {w['reason']}: {change['reason']})" if change["reason"] else ")"
        entry["rule"] = f"{result.rule}; {note}"
    return entry


def _section_entry(section, questions: list[dict], limit: tuple[float, float | None], lang: str) -> dict:
    """One section of the report: its score (adjusted and automatic) against its pass mark, both scaled to what applied."""
    section_score = _total(q["points"] for q in questions)
    applicable, pass_min = limit
    full = rounded(section.maximum)
    return {
        "id": section.id,
        "title": section.title.get(lang),
        "score": section_score,
        "auto_score": _total(q["auto_points"] for q in questions),
        "max": applicable,
        "full_max": full,
        "pass_min": pass_min,
        "passed": section.pass_min is None or reaches(section_score, section.pass_min, full, applicable),
    }


Limits = tuple[tuple[tuple[float, float | None], ...], float]


def applied_limits(definition: Definition, not_applicable: Collection[str]) -> Limits:
    """Per section (applicable maximum, pass mark applied), and the form's applicable maximum.

    With nothing in `not_applicable` these are the definition's own maxima and pass marks (version 1).
    """
    limits = []
    for section in definition.sections:
        full = rounded(section.maximum)
        applicable = full
        if any(q.id in not_applicable for q in section.questions):
            applicable = _total(q.maximum for q in section.questions if q.id not in not_applicable)
        limits.append((applicable, scaled(section.pass_min, full, applicable)))
    if not not_applicable:
        return tuple(limits), rounded(definition.maximum)
    return tuple(limits), _total(q.maximum for q in definition.questions if q.id not in not_applicable)


def _exact(value: float) -> Fraction:
    """The decimal a float stands for (its shortest repr): 0.3 is 3/10, so 0.3 × 10 ≥ 1 × 3 holds."""
    return Fraction(repr(float(value)))


def scaled(mark: float | None, full: float, applicable: float) -> float | None:
    """A threshold scaled to what applied (mark × applicable / full), as the report shows it; None stays None."""
    if mark is None:
        return None
    if applicable == full:
        return float(mark)
    return rounded(_exact(mark) * _exact(applicable) / _exact(full))


def reaches(value: float, mark: float, full: float, applicable: float) -> bool:
    """Whether `value` reaches `mark` scaled to what applied: value × full ≥ mark × applicable, compared exactly.

    When everything applied it is the plain `value >= mark` of version 1.
    """
    if applicable == full:
        return value >= mark
    return _exact(value) * _exact(full) >= _exact(mark) * _exact(applicable)


def band_for(definition: Definition, total: float, lang: str = "vi", full: float | None = None,
             applicable: float | None = None) -> str | None:
    """The label of the first result band the total reaches; None for a form without bands.

    `full` and `applicable` are the form's full and applicable maxima when some question did not apply.
    """
    if definition.result is None or not definition.result.bands:
        return None
    if full is None or applicable is None:
        full = applicable = 0.0
    band = next((b for b in definition.result.bands if reaches(total, b.at_least, full, applicable)), None)
    return band.label.get(lang) if band else None


def recognised(result: Result | None, total: float, passed: list[bool], full: float = 0.0,
               applicable: float = 0.0) -> bool | None:
    """Whether every condition of a form's `recognised_if` holds (`passed`: each section's); None without that rule.

    `full` and `applicable` are the form's full and applicable maxima when some question did not apply.
    """
    if result is None or not result.has_recognition_rule:
        return None
    if result.total_at_least is not None and not reaches(total, result.total_at_least, full, applicable):
        return False
    if result.all_sections_pass and not all(passed):
        return False
    return True
