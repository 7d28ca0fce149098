"""A WTForms form class built at run time from a definition: one field per question, named by its id."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from form_definitions import Definition, Question
from forms_app.adapters.web.i18n import VietnameseMeta, current_language
from forms_app.rules.registry import built_once

_GROUPED = re.compile(r"^-?\d{1,3}([ .,\u00a0]\d{3})+$")


def file_error_message(code: str, params: dict) -> str:
    """The sentence beside a file field for an upload `rules.uploads` refused as `type`, `size`, `empty` or `content`."""
    return {
        "type": _("Loại tệp không được nhận; chỉ nhận: %(accept)s.", accept=params.get("accept", "")),
        "size": _("Tệp quá lớn; tối đa %(max_mb)s MB.", max_mb=params.get("max_mb", "")),
        "empty": _("Tệp rỗng."),
        "content": _("Nội dung tệp không phải là tệp %(ext)s thật.", ext=params.get("ext", "")),
    }[code]


def parse_integer(text: str) -> int:
    """'1240', '1 240' or '1.240' (Vietnamese thousands) → 1240; ValueError otherwise."""
    text = text.strip()
    if _GROUPED.match(text):
        text = re.sub(r"[ .,\u00a0]", "", text)
    if not re.fullmatch(r"-?\d{1,15}", text):
        raise ValueError(_("Hãy nhập một số nguyên, ví dụ 120."))
    return int(text)


def parse_number(text: str, lang: str = "vi") -> int | float:
    """A number as the page's language writes it.

    Vietnamese: "1.000" and "1 000" are one thousand, "12,5" is twelve and a half. English: "1,000"
    and "12.5". A lone separator that cannot be grouping ("12.5" on a Vietnamese page, typed on a
    phone's keypad) is read as the decimal point.
    """
    text = text.strip().replace("\u00a0", " ")
    group, decimal = (".", ",") if lang != "en" else (",", ".")
    grouped = re.fullmatch(rf"-?\d{{1,3}}([{re.escape(group)} ]\d{{3}})+({re.escape(decimal)}\d+)?", text)
    if grouped:
        text = text.replace(group, "").replace(" ", "").replace(decimal, ".")
    else:
        text = text.replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
    if len(text) > 30 or not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise ValueError(_("Hãy nhập một số, ví dụ 12,5."))
    value = Decimal(text)
    return int(value) if "." not in text else float(value)


class NumberInput(TextInput):
    """`<input inputmode=…>`: a phone shows its number pad; no browser-side rounding of what was typed."""

    def __init__(self, decimal: bool):
        super().__init__()
        self.decimal = decimal

    def __call__(self, field, **kwargs):
        kwargs.setdefault("inputmode", "decimal" if self.decimal else "numeric")
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(field, **kwargs)


class AnswerField(Field):
    """A text input whose data is the typed answer (None when left empty); parse errors become field errors."""

    widget = TextInput()
    parser = None

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if self.raw.strip():
            self.data = type(self).parser(self.raw)  # ValueError → process_errors, shown beside the field

    def _value(self):
        if getattr(self, "raw", None) is not None and self.raw != "":
            return self.raw
        return "" if self.data is None else str(self.data)


class IntegerAnswerField(AnswerField):
    widget = NumberInput(decimal=False)
    parser = staticmethod(parse_integer)


class NumberAnswerField(AnswerField):
    widget = NumberInput(decimal=True)

    @staticmethod
    def parser(text: str) -> int | float:
        return parse_number(text, current_language())


def _parse_date(text: str) -> str:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(_("Hãy nhập ngày dạng ngày/tháng/năm, ví dụ 30/09/2022."))


class DateAnswerField(AnswerField):
    widget = TextInput(input_type="date")
    parser = staticmethod(_parse_date)

    def _value(self):
        # A browser date input needs ISO; what was typed without one is kept as typed.
        if self.data:
            return self.data
        return getattr(self, "raw", "") or ""


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass  # choices are checked by scoring.validate_answers, with a sentence naming the question


class ChoiceField(RadioField):
    def pre_validate(self, form):
        pass


class AnswerForm(FlaskForm):
    """Base of every generated form: CSRF, the revision it was loaded on, and an idempotency token."""

    class Meta(VietnameseMeta):
        pass

    base_revision = HiddenField()
    request_token = HiddenField()

    definition: Definition

    def question_fields(self):
        return [(q, self[q.id]) for q in self.definition.questions]

    def answers(self) -> dict[str, Any]:
        """The typed answers (files excluded): only fields that parsed and hold something."""
        out: dict[str, Any] = {}
        for question, field in self.question_fields():
            if question.type == "file" or field.process_errors and any(field.process_errors):
                continue
            value = typed_value(question, field.data)
            if value is not None:
                out[question.id] = value
        return out


def typed_value(question: Question, data: Any) -> Any:
    """A field's data as the JSON value the definition expects."""
    if data in (None, "", []):
        return None
    if question.type == "boolean":
        return {"true": True, "false": False}.get(data)
    if question.type == "single_choice":
        return _choice_value(question, data)
    if question.type == "multi_choice":
        values = [_choice_value(question, item) for item in data]
        return [v for v in values if v is not None] or None
    if question.type == "text":
        return data.replace("\r\n", "\n")
    return data


def _choice_value(question: Question, raw: str) -> Any:
    for choice in question.choices:
        if str(choice.value) == raw:
            return choice.value
    return raw  # unknown: validate_answers names it


def form_value(question: Question, value: Any) -> Any:
    """A stored answer as a field's data (the inverse of typed_value)."""
    if value is None:
        return None
    if question.type == "boolean":
        return "true" if value else "false"
    if question.type == "single_choice":
        return str(value)
    if question.type == "multi_choice":
        return [str(v) for v in value]
    return value


def build_form_class(definition: Definition, lang: str) -> type[AnswerForm]:
    """A form class with one field per question of this definition version, built once per version and language.

    Building it took 1.5 ms of every form request (docs/benchmarks.md); a class holds no request data.
    """
    return built_once("form_class", definition, lang, _form_class)


def _form_class(definition: Definition, lang: str) -> type[AnswerForm]:
    attrs: dict[str, Any] = {"definition": definition}
    for question in definition.questions:
        attrs[question.id] = _field(question, lang)
    return type(f"Form_{definition.id}_{definition.version}", (AnswerForm,), attrs)


def _field(question: Question, lang: str) -> Field:
    label = question.label.get(lang)
    choices = [SelectChoice(str(c.value), c.label.get(lang)) for c in question.choices]
    kind = question.type
    if kind == "boolean":
        return ChoiceField(label, choices=[SelectChoice("true", _("Có")), SelectChoice("false", _("Không"))],
                           validate_choice=False)
    if kind == "single_choice":
        return ChoiceField(label, choices=choices, validate_choice=False)
    if kind == "multi_choice":
        return CheckboxesField(label, choices=choices, validate_choice=False)
    if kind == "integer":
        return IntegerAnswerField(label)
    if kind == "number":
        return NumberAnswerField(label)
    if kind == "date":
        return DateAnswerField(label)
    if kind == "file":
        return FileField(label)
    limit = question.max_length or 20000
    field_class = TextAreaField if question.multiline else StringField
    return field_class(label, validators=[Length(max=limit)], filters=[lambda v: v.strip() if isinstance(v, str) else v])
