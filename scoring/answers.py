"""Answer sets: type checks against a definition, visibility, and the hidden answers dropped."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from form_definitions.model import Condition, Definition, Question

from .numbers import fmt

# One sentence per code and language; `{label}` is the question's label, so a unit reads which field.
MESSAGES: dict[str, dict[str, str]] = {
    "not_an_object": {"vi": "Câu trả lời phải là một đối tượng JSON {{\"id câu hỏi\": giá trị}}.",
                      "en": "The answers must be a JSON object {{\"question id\": value}}."},
    "adjustments_not_an_object": {
        "vi": "Điều chỉnh điểm phải là một đối tượng JSON {{\"id câu hỏi\": điểm}} "
              "hoặc {{\"id câu hỏi\": {{\"points\": p, \"reason\": \"…\"}}}}.",
        "en": "Adjustments must be a JSON object {{\"question id\": points}} "
              "or {{\"question id\": {{\"points\": p, \"reason\": \"…\"}}}}."},
    "unknown_question": {"vi": "\"{id}\" không phải là câu hỏi của biểu mẫu này.",
                         "en": "\"{id}\" is not a question of this form."},
    "required": {"vi": "Câu hỏi \"{label}\" là bắt buộc.", "en": "\"{label}\" is required."},
    "boolean": {"vi": "\"{label}\": hãy chọn Có hoặc Không.", "en": "\"{label}\": choose yes or no."},
    "integer": {"vi": "\"{label}\": hãy nhập một số nguyên.", "en": "\"{label}\": enter a whole number."},
    "number": {"vi": "\"{label}\": hãy nhập một số.", "en": "\"{label}\": enter a number."},
    "too_large": {"vi": "\"{label}\": giá trị quá lớn (tối đa {limit}).", "en": "\"{label}\": the value is too large (at most {limit})."},
    "below_min": {"vi": "\"{label}\": giá trị phải ≥ {limit}.", "en": "\"{label}\": the value must be ≥ {limit}."},
    "above_max": {"vi": "\"{label}\": giá trị phải ≤ {limit}.", "en": "\"{label}\": the value must be ≤ {limit}."},
    "text": {"vi": "\"{label}\": hãy nhập văn bản.", "en": "\"{label}\": enter text."},
    "too_long": {"vi": "\"{label}\": tối đa {limit} ký tự (hiện có {length}).",
                 "en": "\"{label}\": at most {limit} characters ({length} given)."},
    "date": {"vi": "\"{label}\": hãy nhập ngày dạng YYYY-MM-DD.", "en": "\"{label}\": enter a date as YYYY-MM-DD."},
    "date_before_min": {"vi": "\"{label}\": ngày phải từ {limit} trở đi.", "en": "\"{label}\": the date must be on or after {limit}."},
    "date_after_max": {"vi": "\"{label}\": ngày phải đến {limit} là muộn nhất.",
                       "en": "\"{label}\": the date must be on or before {limit}."},
    "choice": {"vi": "\"{label}\": {value} không phải là một lựa chọn; hãy chọn một trong: {allowed}.",
               "en": "\"{label}\": {value} is not a choice; pick one of: {allowed}."},
    "choices_list": {"vi": "\"{label}\": hãy gửi danh sách các lựa chọn.", "en": "\"{label}\": send a list of choices."},
    "choice_repeated": {"vi": "\"{label}\": lựa chọn {value} bị lặp lại.", "en": "\"{label}\": the choice {value} is repeated."},
    "too_few": {"vi": "\"{label}\": hãy chọn ít nhất {limit} mục.", "en": "\"{label}\": select at least {limit}."},
    "too_many": {"vi": "\"{label}\": chỉ được chọn tối đa {limit} mục.", "en": "\"{label}\": select at most {limit}."},
    "file": {"vi": "\"{label}\": tham chiếu tệp phải là một chuỗi không rỗng.",
             "en": "\"{label}\": a file reference must be a non-empty string."},
    "at_most": {"vi": "\"{label}\" ({value}) không được lớn hơn \"{other}\" ({limit}).",
                "en": "\"{label}\" ({value}) must not be greater than \"{other}\" ({limit})."},
    "adjustment_unknown": {"vi": "Điều chỉnh điểm cho \"{id}\": không có câu hỏi này.",
                           "en": "Adjustment for \"{id}\": no such question."},
    "adjustment_hidden": {"vi": "Không thể điều chỉnh điểm cho \"{label}\": câu hỏi này không hiển thị với các câu trả lời đã nộp.",
                          "en": "Cannot adjust \"{label}\": the question is not shown for the submitted answers."},
    "adjustment_value": {"vi": "Điều chỉnh điểm cho \"{label}\" phải là một số.",
                         "en": "The adjustment for \"{label}\" must be a number."},
}


# Beside the field the page shows the question's label already; these codes still name the other question.
BESIDE_FIELD: dict[str, dict[str, str]] = {
    "required": {"vi": "Câu này là bắt buộc.", "en": "This question is required."},
    "at_most": {"vi": "Giá trị {value} không được lớn hơn \"{other}\" ({limit}).",
                "en": "The value {value} must not be greater than \"{other}\" ({limit})."},
}

LARGEST = 10**15  # counts and amounts never come near; beyond it floats lose whole units


@dataclass(frozen=True)
class AnswerError:
    """A problem with one answer (or with the answer set when `question` is None)."""

    code: str
    question: str | None
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def message(self, lang: str = "vi", *, beside_field: bool = False) -> str:
        """The sentence; `beside_field` leaves out the question's label (the page shows it already)."""
        texts = MESSAGES[self.code]
        template = texts.get(lang) or texts["vi"]
        if beside_field:
            if self.code in BESIDE_FIELD:
                template = BESIDE_FIELD[self.code]["en" if lang == "en" else "vi"]
            elif template.startswith('"{label}": '):
                template = template[len('"{label}": '):]
                template = template[0].upper() + template[1:]
        return template.format(**self.params)


class InvalidAnswers(ValueError):
    """Raised by scoring when the answers do not fit the definition."""

    def __init__(self, errors: list[AnswerError]):
        super().__init__("; ".join(e.message("en") for e in errors))
        self.errors = errors


def is_answered(value: Any) -> bool:
    """Absent, null, an empty string and an empty selection all mean 'not answered'."""
    return not (value is None or value == "" or value == [] or value == ())


def is_number(value: Any) -> bool:
    """A JSON number Python can compare: not a boolean, not NaN or infinite (any int is finite)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _show(value: Any) -> str:
    import json

    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def check_value(question: Question, value: Any, lang: str = "vi") -> list[AnswerError]:
    """Problems with one answered value: type, range, choices, counts, length."""
    label = question.label.get(lang)

    def error(code: str, **params) -> list[AnswerError]:
        return [AnswerError(code, question.id, {"label": label, "id": question.id, **params})]

    kind = question.type
    if kind == "boolean":
        return [] if isinstance(value, bool) else error("boolean")
    if kind in ("integer", "number"):
        if kind == "integer" and not (isinstance(value, int) and not isinstance(value, bool)
                                      or isinstance(value, float) and value.is_integer()):
            return error("integer")
        if kind == "number" and not is_number(value):
            return error("number")
        if abs(value) > LARGEST:
            return error("too_large", limit=f"{LARGEST:.0e}")
        if question.min is not None and value < question.min:
            return error("below_min", limit=question.min)
        if question.max is not None and value > question.max:
            return error("above_max", limit=question.max)
        return []
    if kind == "text":
        if not isinstance(value, str):
            return error("text")
        if question.max_length is not None and len(value) > question.max_length:
            return error("too_long", limit=question.max_length, length=len(value))
        return []
    if kind == "date":
        parsed = parse_date(value)
        if parsed is None:
            return error("date")
        if question.min and parsed < dt.date.fromisoformat(question.min):
            return error("date_before_min", limit=question.min)
        if question.max and parsed > dt.date.fromisoformat(question.max):
            return error("date_after_max", limit=question.max)
        return []
    if kind == "file":
        return [] if isinstance(value, str) and value.strip() else error("file")
    if kind == "single_choice":
        return [] if question.choice(value) is not None else error("choice", value=_show(value), allowed=_allowed(question))
    # multi_choice
    if not isinstance(value, (list, tuple)):
        return error("choices_list")
    seen: list[Any] = []
    for item in value:
        if question.choice(item) is None:
            return error("choice", value=_show(item), allowed=_allowed(question))
        if item in seen:
            return error("choice_repeated", value=_show(item))
        seen.append(item)
    if question.min_selected is not None and len(value) < question.min_selected:
        return error("too_few", limit=question.min_selected)
    if question.max_selected is not None and len(value) > question.max_selected:
        return error("too_many", limit=question.max_selected)
    return []


def _allowed(question: Question) -> str:
    return ", ".join(_show(c.value) for c in question.choices)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value: Any) -> dt.date | None:
    """A YYYY-MM-DD date (Python would also take ISO week dates like 2020-W01-1: they are refused)."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def holds(condition: Condition, answers: Mapping[str, Any]) -> bool:
    """Whether a `visible_if` condition holds for these (already visibility-filtered) answers."""
    op = condition.op
    if op == "all":
        return all(holds(c, answers) for c in condition.children)
    if op == "any":
        return any(holds(c, answers) for c in condition.children)
    if op == "not":
        return not holds(condition.children[0], answers)
    value = answers.get(condition.question)
    if op == "answered":
        return is_answered(value) == bool(condition.value)
    if not is_answered(value):
        return False
    if op == "at_least":
        return is_number(value) and value >= condition.value
    wanted = condition.value if op == "in" else (condition.value,)
    chosen = value if isinstance(value, (list, tuple)) else (value,)
    return any(_same(a, w) for a in chosen for w in wanted)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, but 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def visibility(definition: Definition, answers: Mapping[str, Any]) -> dict[str, bool]:
    """Which questions are shown; a hidden question's answer counts as unanswered for later conditions."""
    visible: dict[str, bool] = {}
    kept: dict[str, Any] = {}
    for question in definition.questions:
        shown = question.visible_if is None or holds(question.visible_if, kept)
        visible[question.id] = shown
        if shown and question.id in answers:
            kept[question.id] = answers[question.id]
    return visible


def visible_answers(definition: Definition, answers: Mapping[str, Any],
                    shown: Mapping[str, bool] | None = None) -> dict[str, Any]:
    """The answers with those of hidden questions and unanswered ones dropped: what a submit keeps.

    `shown` is the visibility map when the caller has it already.
    """
    if shown is None:
        shown = visibility(definition, answers)
    return {qid: value for qid, value in answers.items() if shown.get(qid) and is_answered(value)}


def validate_answers(definition: Definition, answers: Any, lang: str = "vi", *, require: bool = False,
                     shown: Mapping[str, bool] | None = None) -> list[AnswerError]:
    """Every problem in an answer set; hidden questions are neither checked nor required.

    With `require`, visible required questions left unanswered are problems too (a submit);
    without it (a draft, or a report listing them in `missing_required`) they are not.
    `shown` is the visibility map when the caller has it already.
    """
    if not isinstance(answers, Mapping):
        return [AnswerError("not_an_object", None)]
    errors = [AnswerError("unknown_question", qid, {"id": qid}) for qid in answers if definition.question(qid) is None]
    if shown is None:
        shown = visibility(definition, answers)
    for question in definition.questions:
        if not shown[question.id]:
            continue
        value = answers.get(question.id)
        if is_answered(value) or (question.type == "file" and value == ""):  # a file reference is a non-empty string or null
            errors.extend(check_value(question, value, lang))
        elif require and question.required:
            errors.append(AnswerError("required", question.id, {"label": question.label.get(lang), "id": question.id}))
    return errors + _parts_above_wholes(definition, answers, shown, errors, lang)


def parts_above_wholes(definition: Definition, answers: Mapping[str, Any], lang: str = "vi",
                       shown: Mapping[str, bool] | None = None) -> list[AnswerError]:
    """The `at_most` errors `validate_answers` gives, checking only the questions of a part and its whole (the form
    page says them as it is shown, where the rest of the checks would be work for nothing)."""
    pairs = {q.id for q in definition.questions if q.at_most} | {q.at_most for q in definition.questions if q.at_most}
    if not pairs:
        return []
    if shown is None:
        shown = visibility(definition, answers)
    found = [error for qid in sorted(pairs) if (question := definition.question(qid)) is not None and shown.get(qid)
             and is_answered(answers.get(qid)) for error in check_value(question, answers.get(qid), lang)]
    return _parts_above_wholes(definition, answers, shown, found, lang)


def _parts_above_wholes(definition: Definition, answers: Mapping[str, Any], shown: Mapping[str, bool],
                        found: list[AnswerError], lang: str) -> list[AnswerError]:
    """`at_most` (format 1.1): a visible, answered part larger than its visible, answered whole.

    Only values that passed their own checks are compared: a wrong type is said once, by its own error.
    """
    wrong = {e.question for e in found}
    errors = []
    for question in definition.questions:
        whole = definition.question(question.at_most) if question.at_most else None
        if whole is None or not (shown.get(question.id) and shown.get(whole.id)) or {question.id, whole.id} & wrong:
            continue
        part, most = answers.get(question.id), answers.get(whole.id)
        if is_number(part) and is_number(most) and part > most:
            errors.append(AnswerError("at_most", question.id, {
                "label": question.label.get(lang), "id": question.id, "other": whole.label.get(lang),
                "value": fmt(part, lang, 9), "limit": fmt(most, lang, 9)}))
    return errors


def missing_required(definition: Definition, answers: Mapping[str, Any],
                     shown: Mapping[str, bool] | None = None) -> list[str]:
    """Ids of visible required questions left unanswered, in form order."""
    if shown is None:
        shown = visibility(definition, answers)
    return [q.id for q in definition.questions if q.required and shown[q.id] and not is_answered(answers.get(q.id))]
