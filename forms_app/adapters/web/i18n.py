"""Language: Flask-Babel for the pages (Vietnamese source text, English catalogue) and WTForms' own messages in Vietnamese."""

from __future__ import annotations

import datetime as dt

from flask import request
from flask_babel import get_locale

from forms_app.data import clock
from scoring.rules import fmt

# WTForms ships no Vietnamese catalogue: its messages used by this app, in Vietnamese.
WTFORMS_VI = {
    "Not a valid integer value.": "Hãy nhập một số nguyên.",
    "Not a valid float value.": "Hãy nhập một số (dùng dấu chấm hoặc dấu phẩy cho phần thập phân).",
    "Not a valid decimal value.": "Hãy nhập một số.",
    "Not a valid date value.": "Hãy nhập ngày dạng năm-tháng-ngày, ví dụ 2022-09-30.",
    "Not a valid datetime value.": "Hãy nhập ngày giờ hợp lệ.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Not a valid choice": "Lựa chọn không hợp lệ.",
    "'%(value)s' is not a valid choice for this field.": "“%(value)s” không phải là một lựa chọn của câu này.",
    "'%(value)s' are not valid choices for this field.": "“%(value)s” không phải là các lựa chọn của câu này.",
    "This field is required.": "Câu này là bắt buộc.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không được dài quá %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Không được dài quá %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": "Độ dài phải từ %(min)d đến %(max)d ký tự.",
    "Number must be at least %(min)s.": "Giá trị phải ≥ %(min)s.",
    "Number must be at most %(max)s.": "Giá trị phải ≤ %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Giá trị phải từ %(min)s đến %(max)s.",
    "Invalid CSRF Token.": "Mã bảo mật của biểu mẫu không hợp lệ; hãy tải lại trang.",
    "The CSRF token is missing.": "Thiếu mã bảo mật của biểu mẫu; hãy tải lại trang.",
    "The CSRF token has expired.": "Mã bảo mật của biểu mẫu đã hết hạn; hãy tải lại trang.",
    "The CSRF tokens do not match.": "Mã bảo mật của biểu mẫu không khớp; hãy tải lại trang.",
    "File does not have an approved extension: {extensions}": "Loại tệp không được chấp nhận; chỉ nhận: {extensions}.",
}


class VietnameseWTForms:
    """A translations object for WTForms' Meta: Vietnamese unless the page is in English."""

    def gettext(self, text: str) -> str:
        return text if current_language() == "en" else WTFORMS_VI.get(text, text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


wtforms_translations = VietnameseWTForms()


def current_language() -> str:
    try:
        return str(get_locale() or "vi")
    except (RuntimeError, AttributeError):
        return "vi"


def format_date(value: dt.date | str | None) -> str:
    """30/09/2022 as Vietnamese write dates (and the same in English pages)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def format_moment(value: str | None) -> str:
    """A stored UTC timestamp as local time, 30/09/2022 14:05."""
    if not value:
        return ""
    return clock.local(value).strftime("%d/%m/%Y %H:%M")


def template_helpers() -> dict:
    lang = current_language()
    return {
        "lang": lang,
        "fmt": lambda value: fmt(value, lang) if value is not None else "—",
        "format_date": format_date,
        "format_moment": format_moment,
        "other_language": "en" if lang == "vi" else "vi",
        "request_path": request.path,
    }


class VietnameseMeta:
    """Mixed into a form's `Meta`: WTForms' messages come from `wtforms_translations`."""

    def get_translations(self, form):
        return wtforms_translations
