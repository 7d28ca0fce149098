"""The score report of interfaces.md: a pure function of (definition, answers, adjustments)."""

from __future__ import annotations

import math
from typing import Any, Mapping

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
    to [0, question maximum] with the automatic points kept beside them.
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
    questions = [_question_entry(question, kept, shown[question.id], adjusted.get(question.id), lang)
                 for question in definition.questions]
    sections = [_section_entry(section, [q for q in questions if q["section"] == section.id], lang)
                for section in definition.sections]
    total = _total(s["score"] for s in sections)
    return {
        "form": {"id": definition.id, "version": definition.version},
        "lang": lang,
        "total": total,
        "auto_total": _total(s["auto_score"] for s in sections),
        "max_total": rounded(definition.maximum),
        "band": band_for(definition, total, lang),
        "recognised": recognised(definition.result, total, [s["passed"] for s in sections]),
        "sections": sections,
        "questions": questions,
        "missing_required": missing_required(definition, answers, shown),
    }


def _question_entry(question, kept: Mapping[str, Any], visible: bool, change: dict | None, lang: str) -> dict:
    """One question of the report: its automatic points and rule, and the reviewers' adjustment when there is one."""
    result = score_question(question, kept, visible, lang)
    maximum = rounded(question.maximum)
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


def _section_entry(section, questions: list[dict], lang: str) -> dict:
    """One section of the report: its score (adjusted and automatic) against its pass mark."""
    section_score = _total(q["points"] for q in questions)
    pass_min = None if section.pass_min is None else float(section.pass_min)
    return {
        "id": section.id,
        "title": section.title.get(lang),
        "score": section_score,
        "auto_score": _total(q["auto_points"] for q in questions),
        "max": rounded(section.maximum),
        "pass_min": pass_min,
        "passed": pass_min is None or section_score >= pass_min,
    }


def band_for(definition: Definition, total: float, lang: str = "vi") -> str | None:
    """The label of the first result band the total reaches; None for a form without bands."""
    if definition.result is None or not definition.result.bands:
        return None
    band = next((b for b in definition.result.bands if total >= b.at_least), None)
    return band.label.get(lang) if band else None


def recognised(result: Result | None, total: float, passed: list[bool]) -> bool | None:
    """Whether every condition of a form's `recognised_if` holds (`passed`: each section's); None without that rule."""
    if result is None or not result.has_recognition_rule:
        return None
    if result.total_at_least is not None and total < result.total_at_least:
        return False
    if result.all_sections_pass and not all(passed):
        return False
    return True
