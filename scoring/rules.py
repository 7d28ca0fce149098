"""Points for one answer, with the human-readable reason: every point traced to a question and a rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from form_definitions.model import Band, Question

from .answers import is_answered

WORDS = {
    "vi": {
        "points": "điểm", "yes": "Có", "no": "Không", "unanswered": "Chưa trả lời", "hidden": "Không hiển thị",
        "not_scored": "Không tính điểm", "below": "chưa đạt bậc thấp nhất", "provided": "Đã nộp tệp",
        "not_provided": "Chưa nộp tệp", "zero_denominator": "mẫu số \"{other}\" bằng 0 hoặc chưa trả lời",
        "capped": "tối đa", "none_chosen": "Không chọn mục nào", "adjusted": "điều chỉnh của người đánh giá",
        "auto": "tự động", "reason": "lý do",
    },
    "en": {
        "points": "points", "yes": "Yes", "no": "No", "unanswered": "Not answered", "hidden": "Not shown",
        "not_scored": "Not scored", "below": "below the lowest band", "provided": "File provided",
        "not_provided": "No file provided", "zero_denominator": "the denominator \"{other}\" is 0 or unanswered",
        "capped": "capped at", "none_chosen": "Nothing chosen", "adjusted": "reviewer's adjustment",
        "auto": "automatic", "reason": "reason",
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["vi"])


def fmt(value: float, lang: str = "vi", digits: int = 2) -> str:
    """A number as people write it: 5, 2.5 (en) or 2,5 (vi)."""
    value = round(float(value), digits)
    text = str(int(value)) if value.is_integer() else f"{value:.{digits}f}".rstrip("0")
    return text.replace(".", ",") if lang == "vi" else text


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


def _pts(value: float, lang: str) -> str:
    unit = "point" if lang == "en" and float(value) == 1 else words(lang)["points"]
    return f"{fmt(value, lang)} {unit}"


def _band(bands: tuple[Band, ...], value: float) -> Band | None:
    """The highest band `value` reaches (bands are listed from the highest down)."""
    return next((b for b in bands if value >= b.at_least), None)


def score_question(question: Question, answers: Mapping[str, Any], visible: bool, lang: str = "vi") -> Scored:
    """Points for one question given every (visibility-filtered) answer of the form."""
    w = words(lang)
    if not question.has_rule:
        return Scored(0.0, w["not_scored"])
    if not visible:
        return Scored(0.0, f"{w['hidden']} → {_pts(0, lang)}")
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


def describe_rule(question: Question, lang: str = "vi") -> str:
    """The whole rule of a question, for a form page or a report: "≥ 50% → 5 điểm; ≥ 20% → 3 điểm"."""
    w = words(lang)
    kind = question.type
    if not question.has_rule:
        return w["not_scored"]
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
