"""Points for one answer, with the human-readable reason: every point traced to a question and a rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from form_definitions.model import Band, Definition, Question

from .answers import is_answered, is_number
from .numbers import fmt

WORDS = {
    "vi": {
        "points": "điểm", "yes": "Có", "no": "Không", "unanswered": "Chưa trả lời", "hidden": "Không hiển thị",
        "not_scored": "Không tính điểm", "below": "chưa đạt bậc thấp nhất", "provided": "Đã nộp tệp",
        "not_provided": "Chưa nộp tệp", "zero_denominator": "mẫu số \"{other}\" bằng 0 hoặc chưa trả lời",
        "capped": "tối đa", "none_chosen": "Không chọn mục nào", "adjusted": "điều chỉnh của người đánh giá",
        "auto": "tự động", "reason": "lý do",
        # format 1.1: points bound to a proof, a ratio that may not apply
        "proof_missing": "cần minh chứng: {proof} — chưa có", "proof_given": "minh chứng: đã nộp",
        "needs_proof": "cần minh chứng: {proof}", "needs_a_proof": "cần minh chứng",
        "not_applicable": "Không phát sinh: \"{other}\" = 0 → không tính",
        "may_not_apply": "\"{other}\" = 0 → không phát sinh, không tính",
        "may_not_apply_any": "mẫu số bằng 0 → không phát sinh, không tính",
    },
    "en": {
        "points": "points", "yes": "Yes", "no": "No", "unanswered": "Not answered", "hidden": "Not shown",
        "not_scored": "Not scored", "below": "below the lowest band", "provided": "File provided",
        "not_provided": "No file provided", "zero_denominator": "the denominator \"{other}\" is 0 or unanswered",
        "capped": "capped at", "none_chosen": "Nothing chosen", "adjusted": "reviewer's adjustment",
        "auto": "automatic", "reason": "reason",
        "proof_missing": "needs proof: {proof} — missing", "proof_given": "proof: provided",
        "needs_proof": "needs proof: {proof}", "needs_a_proof": "needs proof",
        "not_applicable": "Did not arise: \"{other}\" = 0 → not counted",
        "may_not_apply": "\"{other}\" = 0 → did not arise, not counted",
        "may_not_apply_any": "a denominator of 0 → did not arise, not counted",
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["vi"])


def pct(value: float, lang: str = "vi", digits: int = 2) -> str:
    return fmt(value * 100, lang, digits) + "%"


def _distinct(value: float, thresholds, show) -> str:
    """`value` shown with enough decimals never to read as equal to a threshold it is not equal to."""
    for digits in (2, 4, 6, 9):
        text = show(value, digits)
        if all(value == t or text != show(t, digits) for t in thresholds):
            return text
    return text


@dataclass(frozen=True)
class Scored:
    """The points one question earned and why."""

    points: float
    rule: str
    applicable: bool = True  # False: a ratio whose denominator was answered 0 did not apply (format 1.1)


def _pts(value: float, lang: str) -> str:
    unit = "point" if lang == "en" and float(value) == 1 else words(lang)["points"]
    return f"{fmt(value, lang)} {unit}"


def _band(bands: tuple[Band, ...], value: float) -> Band | None:
    """The highest band `value` reaches (bands are listed from the highest down)."""
    return next((b for b in bands if value >= b.at_least), None)


def _label(definition: Definition | None, question_id: str, lang: str) -> str:
    """The label of another question of the form (its id when the definition is not at hand)."""
    other = definition.question(question_id) if definition is not None else None
    return other.label.get(lang) if other is not None else question_id


def does_not_apply(question: Question, answers: Mapping[str, Any]) -> bool:
    """A visible `not_applicable` ratio whose denominator is visible and answered 0 (`answers`: the kept ones)."""
    if not (question.may_not_apply and question.has_rule):
        return False
    other = answers.get(question.ratio_to)
    return is_number(other) and other == 0


def score_question(question: Question, answers: Mapping[str, Any], visible: bool, lang: str = "vi",
                   definition: Definition | None = None) -> Scored:
    """Points for one question given every (visibility-filtered) answer of the form.

    `definition` lets a rule name the other questions it depends on (the proof, the denominator).
    """
    w = words(lang)
    if not question.has_rule:
        return Scored(0.0, w["not_scored"])
    if not visible:
        return Scored(0.0, f"{w['hidden']} → {_pts(0, lang)}")
    if does_not_apply(question, answers):
        return Scored(0.0, w["not_applicable"].format(other=_label(definition, question.ratio_to, lang)), False)
    earned = _earned(question, answers, lang)
    if question.evidence is None or earned.points <= 0:
        return earned
    if is_answered(answers.get(question.evidence)):
        return Scored(earned.points, f"{earned.rule} ({w['proof_given']})")
    missing = w["proof_missing"].format(proof=_label(definition, question.evidence, lang))
    return Scored(0.0, f"{earned.rule}; {missing} → {_pts(0, lang)}")


def _earned(question: Question, answers: Mapping[str, Any], lang: str) -> Scored:
    """What a visible question's answer earns by its rule alone."""
    w = words(lang)
    value = answers.get(question.id)
    kind = question.type
    if kind == "file":
        if is_answered(value):
            return Scored(float(question.if_provided), f"{w['provided']} → {_pts(question.if_provided, lang)}")
        return Scored(0.0, f"{w['not_provided']} → {_pts(0, lang)}")
    if not is_answered(value):
        return Scored(0.0, f"{w['unanswered']} → {_pts(0, lang)}")
    if kind == "boolean":
        points = float((question.points_true if value else question.points_false) or 0)
        return Scored(points, f"{w['yes'] if value else w['no']} → {_pts(points, lang)}")
    if kind == "single_choice":
        choice = question.choice(value)
        points = float(choice.points or 0) if choice else 0.0
        label = choice.label.get(lang) if choice else str(value)
        return Scored(points, f"{label} → {_pts(points, lang)}")
    if kind == "multi_choice":
        return _multi(question, value, lang)
    return _numeric(question, value, answers, lang)


def _multi(question: Question, value: list, lang: str) -> Scored:
    w = words(lang)
    parts = []
    total = 0.0
    for item in value:
        choice = question.choice(item)
        if choice is None:
            continue
        points = float(choice.points or 0)
        total += points
        parts.append(f"{choice.label.get(lang)} ({fmt(points, lang)})")
    if not parts:
        return Scored(0.0, f"{w['none_chosen']} → {_pts(0, lang)}")
    rule = " + ".join(parts)
    if len(parts) > 1:
        rule += f" = {fmt(total, lang)}"
    if question.max_points is not None and total > question.max_points:
        total = float(question.max_points)
        rule += f", {w['capped']} {fmt(total, lang)}"
    return Scored(total, f"{rule} → {_pts(total, lang)}")


def _numeric(question: Question, value: float, answers: Mapping[str, Any], lang: str) -> Scored:
    w = words(lang)
    if question.ratio_to is not None:
        other = answers.get(question.ratio_to)
        if not is_answered(other) or isinstance(other, bool) or not isinstance(other, (int, float)) or other <= 0:
            reason = w["zero_denominator"].format(other=question.ratio_to)
            return Scored(0.0, f"{reason} → {_pts(0, lang)}")
        ratio = value / other
        thresholds = [b.at_least for b in question.bands]
        shown = f"{fmt(value, lang)}/{fmt(other, lang)} = {_distinct(ratio, thresholds, lambda v, d: pct(v, lang, d))}"
        band = _band(question.bands, ratio)
        if band is None:
            lowest = question.bands[-1].at_least
            return Scored(0.0, f"{shown} < {pct(lowest, lang)} ({w['below']}) → {_pts(0, lang)}")
        return Scored(float(band.points), f"{shown} ≥ {pct(band.at_least, lang)} → {_pts(band.points, lang)}")
    unit = f" {question.unit.get(lang)}" if question.unit else ""
    band = _band(question.bands, value)
    shown = _distinct(value, [b.at_least for b in question.bands], lambda v, d: fmt(v, lang, d))
    if band is None:
        lowest = question.bands[-1].at_least
        return Scored(0.0, f"{shown}{unit} < {fmt(lowest, lang)} ({w['below']}) → {_pts(0, lang)}")
    return Scored(float(band.points), f"{shown}{unit} ≥ {fmt(band.at_least, lang)} → {_pts(band.points, lang)}")


def describe_rule(question: Question, lang: str = "vi", definition: Definition | None = None) -> str:
    """The whole rule of a question, for a form page or a report: "≥ 50% → 5 điểm; ≥ 20% → 3 điểm".

    A proof the points need and a denominator that may make the question not apply are said too,
    naming those questions when `definition` is given.
    """
    if not question.has_rule:
        return words(lang)["not_scored"]
    text = _describe_points(question, lang)
    w = words(lang)
    if question.may_not_apply:
        text += "; " + (w["may_not_apply"].format(other=_label(definition, question.ratio_to, lang))
                        if definition is not None else w["may_not_apply_any"])
    if question.evidence is not None:
        text += "; " + (w["needs_proof"].format(proof=_label(definition, question.evidence, lang))
                        if definition is not None else w["needs_a_proof"])
    return text


def _describe_points(question: Question, lang: str) -> str:
    w = words(lang)
    kind = question.type
    if kind == "boolean":
        return f"{w['yes']} → {_pts(question.points_true or 0, lang)}; {w['no']} → {_pts(question.points_false or 0, lang)}"
    if kind in ("single_choice", "multi_choice"):
        text = "; ".join(f"{c.label.get(lang)} → {_pts(c.points or 0, lang)}" for c in question.choices)
        if question.max_points is not None:
            text += f" ({w['capped']} {_pts(question.max_points, lang)})"
        return text
    if kind == "file":
        return f"{w['provided']} → {_pts(question.if_provided, lang)}"
    show = (lambda v: pct(v, lang)) if question.ratio_to else (lambda v: fmt(v, lang))
    return "; ".join(f"≥ {show(b.at_least)} → {_pts(b.points, lang)}" for b in question.bands)
