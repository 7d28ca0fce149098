"""Problems found in a definition: values with a code and a location, turned into sentences at the edge."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Bilingual(NamedTuple):
    """A message parameter that itself depends on the language (a type name, a hint)."""

    vi: str
    en: str

    @classmethod
    def of(cls, value: Any) -> "Bilingual | Any":
        """`{"vi": …, "en": …}` from the schema's annotations as a Bilingual; anything else unchanged."""
        if isinstance(value, dict) and "vi" in value:
            return cls(value["vi"], value.get("en", value["vi"]))
        return value

# Each code has one sentence per language saying what is wrong and what would be right.
MESSAGES: dict[str, dict[str, str]] = {
    "io.unreadable": {
        "vi": "không đọc được tệp ({reason}); hãy kiểm tra đường dẫn và quyền đọc.",
        "en": "the file cannot be read ({reason}); check the path and its permissions.",
    },
    "io.not_utf8": {
        "vi": "tệp không phải UTF-8 (byte lỗi ở vị trí {position}); hãy lưu lại tệp với mã hoá UTF-8.",
        "en": "the file is not UTF-8 (bad byte at offset {position}); save it again as UTF-8.",
    },
    "json.syntax": {
        "vi": "JSON sai cú pháp ở dòng {line}, cột {column}: {reason}.",
        "en": "malformed JSON at line {line}, column {column}: {reason}.",
    },
    "json.not_finite": {
        "vi": "số {value} quá lớn để biểu diễn; hãy dùng một số hữu hạn.",
        "en": "the number {value} is too large to represent; use a finite number.",
    },
    "json.too_deep": {
        "vi": "tài liệu lồng nhau quá sâu; một định nghĩa không cần quá vài chục tầng.",
        "en": "the document is nested too deeply; a definition needs no more than a few dozen levels.",
    },
    "json.duplicate_key": {
        "vi": "khoá \"{key}\" xuất hiện hai lần trong cùng một đối tượng; mỗi khoá chỉ được viết một lần.",
        "en": "the key \"{key}\" appears twice in the same object; write each key once.",
    },
    "schema.required": {
        "vi": "thiếu khoá bắt buộc \"{key}\"; hãy thêm nó vào đối tượng này.",
        "en": "the required key \"{key}\" is missing; add it to this object.",
    },
    "schema.unknown_key": {
        "vi": "khoá \"{key}\" không có trong định dạng ở vị trí này; các khoá được phép là: {allowed}.",
        "en": "the key \"{key}\" is not part of the format here; the allowed keys are: {allowed}.",
    },
    "schema.type": {
        "vi": "giá trị {value} là {actual}, nhưng ở đây cần {expected}.",
        "en": "the value {value} is {actual}, but {expected} is needed here.",
    },
    "schema.enum": {
        "vi": "giá trị {value} không được phép; hãy dùng một trong: {allowed}.",
        "en": "the value {value} is not allowed; use one of: {allowed}.",
    },
    "schema.pattern": {
        "vi": "giá trị {value} sai dạng; cần {hint}.",
        "en": "the value {value} has the wrong form; it should be {hint}.",
    },
    "schema.minimum": {
        "vi": "giá trị {value} quá nhỏ; giá trị phải ≥ {limit}.",
        "en": "the value {value} is too small; it must be ≥ {limit}.",
    },
    "schema.exclusive_minimum": {
        "vi": "giá trị {value} quá nhỏ; giá trị phải > {limit}.",
        "en": "the value {value} is too small; it must be > {limit}.",
    },
    "schema.maximum": {
        "vi": "giá trị {value} quá lớn; giá trị phải ≤ {limit}.",
        "en": "the value {value} is too large; it must be ≤ {limit}.",
    },
    "schema.min_items": {
        "vi": "danh sách cần ít nhất {limit} phần tử.",
        "en": "the list needs at least {limit} item(s).",
    },
    "schema.unique_items": {
        "vi": "danh sách có phần tử lặp lại; mỗi phần tử chỉ được ghi một lần.",
        "en": "the list repeats an item; list each item once.",
    },
    "schema.min_length": {
        "vi": "chuỗi không được rỗng.",
        "en": "the string must not be empty.",
    },
    "schema.min_properties": {
        "vi": "đối tượng không được rỗng.",
        "en": "the object must not be empty.",
    },
    "schema.format": {
        "vi": "giá trị {value} không phải {format} hợp lệ; hãy viết ngày dạng YYYY-MM-DD, ví dụ \"2022-10-01\".",
        "en": "the value {value} is not a valid {format}; write dates as YYYY-MM-DD, e.g. \"2022-10-01\".",
    },
    "schema.shape": {
        "vi": "{hint}.",
        "en": "{hint}.",
    },
    "schema.other": {
        "vi": "giá trị không hợp lệ theo lược đồ: {reason}.",
        "en": "the value does not match the schema: {reason}.",
    },
    "duplicate_id": {
        "vi": "id \"{id}\" đã được dùng ở {first}; id của phần và câu hỏi phải khác nhau trong cả biểu mẫu.",
        "en": "the id \"{id}\" is already used at {first}; section and question ids must be unique in the whole form.",
    },
    "unknown_question": {
        "vi": "\"{id}\" không phải là câu hỏi nào của biểu mẫu; hãy dùng id của một câu hỏi đứng trước.",
        "en": "\"{id}\" is not a question of this form; use the id of an earlier question.",
    },
    "not_earlier": {
        "vi": "câu hỏi \"{id}\" không đứng trước câu hỏi này; điều kiện, tỉ lệ và \"at_most\" chỉ được tham chiếu câu hỏi đứng trước.",
        "en": "the question \"{id}\" does not come before this one; "
              "conditions, ratios and \"at_most\" may only refer to earlier questions.",
    },
    "ratio_to_self": {
        "vi": "\"ratio_to\" trỏ tới chính câu hỏi này; hãy trỏ tới câu hỏi mẫu số đứng trước (kiểu integer hoặc number).",
        "en": "\"ratio_to\" points at this question itself; point it at an earlier denominator question (integer or number).",
    },
    "ratio_to_wrong_type": {
        "vi": "\"ratio_to\" trỏ tới câu hỏi \"{id}\" kiểu {type}; mẫu số phải là câu hỏi kiểu integer hoặc number.",
        "en": "\"ratio_to\" points at \"{id}\" of type {type}; the denominator must be an integer or number question.",
    },
    "condition_wrong_type": {
        "vi": "điều kiện \"{operator}\" không dùng được với câu hỏi \"{id}\" kiểu {type}; {hint}.",
        "en": "the condition \"{operator}\" cannot be used on \"{id}\" of type {type}; {hint}.",
    },
    "condition_unknown_choice": {
        "vi": "{value} không phải là lựa chọn của câu hỏi \"{id}\"; các giá trị có thể là: {allowed}.",
        "en": "{value} is not a choice of \"{id}\"; the possible values are: {allowed}.",
    },
    "duplicate_choice": {
        "vi": "giá trị lựa chọn {value} đã có ở {first}; giá trị các lựa chọn trong một câu hỏi phải khác nhau.",
        "en": "the choice value {value} is already used at {first}; choice values must be unique within a question.",
    },
    "bands_order": {
        "vi": "các bậc phải xếp theo \"at_least\" giảm dần; {value} đứng sau {previous}.",
        "en": "bands must be listed by decreasing \"at_least\"; {value} comes after {previous}.",
    },
    "min_above_max": {
        "vi": "\"{low_key}\" ({low}) lớn hơn \"{high_key}\" ({high}); hãy để \"{low_key}\" ≤ \"{high_key}\".",
        "en": "\"{low_key}\" ({low}) is greater than \"{high_key}\" ({high}); make \"{low_key}\" ≤ \"{high_key}\".",
    },
    "min_selected_above_choices": {
        "vi": "\"{key}\" là {value} nhưng câu hỏi chỉ có {count} lựa chọn; hãy giảm xuống tối đa {count}.",
        "en": "\"{key}\" is {value} but the question has only {count} choice(s); lower it to at most {count}.",
    },
    "pass_min_unreachable": {
        "vi": "điểm đạt của phần là {pass_min} nhưng phần này tối đa chỉ được {max} điểm; "
              "hãy hạ \"pass_min\" hoặc thêm điểm cho các câu hỏi.",
        "en": "the section's pass mark is {pass_min} but it can score at most {max}; lower \"pass_min\" or give its questions more points.",
    },
    "total_unreachable": {
        "vi": "\"total_at_least\" là {value} nhưng biểu mẫu tối đa chỉ được {max} điểm; hãy hạ ngưỡng xuống tối đa {max}.",
        "en": "\"total_at_least\" is {value} but the form can score at most {max}; lower it to at most {max}.",
    },
    "missing_default_language": {
        "vi": "văn bản thiếu ngôn ngữ mặc định \"{lang}\" (ngôn ngữ đầu tiên trong \"languages\"); hãy thêm \"{lang}\": \"…\".",
        "en": "the text lacks the default language \"{lang}\" (the first of \"languages\"); add \"{lang}\": \"…\".",
    },
    "unknown_language": {
        "vi": "ngôn ngữ \"{lang}\" không có trong \"languages\" ({languages}); hãy thêm nó vào \"languages\" hoặc bỏ bản dịch này.",
        "en": "the language \"{lang}\" is not in \"languages\" ({languages}); add it to \"languages\" or drop this translation.",
    },
    "unknown_required_form": {
        "vi": "\"requires\" nêu biểu mẫu \"{id}\" nhưng không có định nghĩa nào với id đó trong số được kiểm tra cùng; các id có: {known}.",
        "en": "\"requires\" names the form \"{id}\" but no definition checked together has that id; known ids: {known}.",
    },
    "requires_self": {
        "vi": "biểu mẫu không thể yêu cầu chính nó; hãy bỏ \"{id}\" khỏi \"requires\".",
        "en": "a form cannot require itself; remove \"{id}\" from \"requires\".",
    },
    "requires_cycle": {
        "vi": "\"requires\" tạo thành vòng: {cycle}; một biểu mẫu không thể gián tiếp yêu cầu chính nó.",
        "en": "\"requires\" forms a cycle: {cycle}; a form cannot require itself indirectly.",
    },
    "duplicate_form_version": {
        "vi": "biểu mẫu \"{id}\" phiên bản {version} đã được định nghĩa ở {first}; hãy tăng \"version\".",
        "en": "the form \"{id}\" version {version} is already defined in {first}; increase \"version\".",
    },
    "years_reversed": {
        "vi": "\"first_year\" ({first}) sau \"last_year\" ({last}); năm đầu phải ≤ năm cuối.",
        "en": "\"first_year\" ({first}) is after \"last_year\" ({last}); the first year must be ≤ the last.",
    },
    "invalid_date_rule": {
        "vi": "ngày {day}/{month} không có thật trong mọi năm; hãy chọn một ngày có thật (ngày 29/2 không có ở năm không nhuận).",
        "en": "{day}/{month} is not a real date every year; pick a real date (29 February is missing in non-leap years).",
    },
    "window_empty": {
        "vi": "ngày mở ({opens}) sau ngày đóng ({closes}) của chu kỳ {year}; ngày mở phải trước hoặc bằng ngày đóng.",
        "en": "the opening date ({opens}) is after the closing date ({closes}) for cycle {year}; it must be on or before it.",
    },
    "unknown_criterion": {
        "vi": "tiêu chí \"{id}\" không có trong danh sách \"criteria\" của biểu mẫu; các tiêu chí có: {known}.",
        "en": "the criterion \"{id}\" is not in the form's \"criteria\"; known criteria: {known}.",
    },
    "duplicate_criterion": {
        "vi": "tiêu chí \"{id}\" đã được khai báo ở {first}; mỗi tiêu chí chỉ khai báo một lần.",
        "en": "the criterion \"{id}\" is already declared at {first}; declare each criterion once.",
    },
    "at_most_self": {
        "vi": "\"at_most\" trỏ tới chính câu hỏi này; "
              "hãy trỏ tới câu hỏi tổng đứng trước (kiểu integer hoặc number) mà câu trả lời này không được vượt quá.",
        "en": "\"at_most\" points at this question itself; "
              "point it at the earlier whole (an integer or number question) this answer must not exceed.",
    },
    "at_most_wrong_type": {
        "vi": "\"at_most\" trỏ tới câu hỏi \"{id}\" kiểu {type}; câu hỏi tổng phải là câu hỏi kiểu integer hoặc number đứng trước.",
        "en": "\"at_most\" points at \"{id}\" of type {type}; the whole must be an earlier integer or number question.",
    },
    "evidence_self": {
        "vi": "\"evidence\" trỏ tới chính câu hỏi này; hãy trỏ tới một câu hỏi tệp khác chứa minh chứng.",
        "en": "\"evidence\" points at this question itself; point it at another file question that holds the proof.",
    },
    "evidence_unknown": {
        "vi": "\"evidence\" nêu \"{id}\" nhưng biểu mẫu không có câu hỏi nào như vậy; hãy dùng id của câu hỏi tệp chứa minh chứng.",
        "en": "\"evidence\" names \"{id}\" but the form has no such question; use the id of the file question that holds the proof.",
    },
    "evidence_not_file": {
        "vi": "\"evidence\" trỏ tới câu hỏi \"{id}\" kiểu {type}; minh chứng phải là một câu hỏi kiểu file.",
        "en": "\"evidence\" points at \"{id}\" of type {type}; the proof must be a question of type file.",
    },
    "evidence_without_points": {
        "vi": "câu hỏi này không có điểm nên \"evidence\" (\"{id}\") không có tác dụng; hãy thêm \"points\" hoặc bỏ \"evidence\".",
        "en": "this question earns no points, so \"evidence\" (\"{id}\") has no effect; add \"points\" or remove \"evidence\".",
    },
    "if_zero_denominator_without_ratio": {
        "vi": "\"if_zero_denominator\" ({value}) chỉ dùng trong quy tắc có \"ratio_to\"; "
              "hãy thêm \"ratio_to\" (câu hỏi mẫu số) hoặc bỏ khoá này.",
        "en": "\"if_zero_denominator\" ({value}) only applies to a rule with \"ratio_to\"; "
              "add \"ratio_to\" (the denominator question) or remove the key.",
    },
    "duplicate_extension": {
        "vi": "phần mở rộng {value} nghĩa là \"{extension}\", đã có ở {first} (không phân biệt hoa thường và dấu chấm đầu); "
              "mỗi phần mở rộng chỉ ghi một lần.",
        "en": "the extension {value} means \"{extension}\", already listed at {first} (case and a leading dot do not count); "
              "list each extension once.",
    },
    "duplicate_required_form": {
        "vi": "\"requires\" đã nêu biểu mẫu \"{id}\" ở {first}; "
              "mỗi biểu mẫu chỉ nêu một lần (gộp các điều kiện vào một \"when\" bằng \"all\").",
        "en": "\"requires\" already names the form \"{id}\" at {first}; "
              "name each form once (join the conditions in one \"when\" with \"all\").",
    },
    "unknown_when_question": {
        "vi": "\"when\" nêu câu hỏi \"{id}\" nhưng biểu mẫu \"{form}\" không có câu hỏi đó; "
              "hãy dùng id của một câu hỏi trong biểu mẫu \"{form}\".",
        "en": "\"when\" names the question \"{id}\" but the form \"{form}\" has no such question; use the id of a question of \"{form}\".",
    },
    "invalid_date": {
        "vi": "\"{value}\" không phải ngày hợp lệ; hãy viết dạng YYYY-MM-DD, ví dụ \"2022-10-01\".",
        "en": "\"{value}\" is not a valid date; write it as YYYY-MM-DD, e.g. \"2022-10-01\".",
    },
    "no_definitions": {
        "vi": "không tìm thấy tệp định nghĩa .json nào; hãy chỉ tới một tệp hoặc thư mục chứa định nghĩa.",
        "en": "no .json definition file found; point at a definition file or a folder holding some.",
    },
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, where it is, and what to say about it."""

    code: str
    file: str
    path: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def message(self, lang: str = "vi") -> str:
        """The sentence for this problem, in `lang` (Vietnamese unless English is asked for)."""
        texts = MESSAGES[self.code]
        template = texts.get(lang) or texts["vi"]
        english = lang == "en"
        params = {k: (v.en if english else v.vi) if isinstance(v, Bilingual) else v for k, v in self.params.items()}
        return template.format(**{k: printable(v) for k, v in params.items()})

    def line(self, lang: str = "vi") -> str:
        """`FILE: JSON-PATH: message`, the form `forms-app check` prints."""
        return f"{printable(self.file)}: {self.path}: {self.message(lang)}"

    def as_dict(self, lang: str = "vi") -> dict[str, str]:
        return {"code": self.code, "file": self.file, "path": self.path, "message": self.message(lang)}


class DefinitionError(Exception):
    """Raised when definitions cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(p.line("en") for p in problems))
        self.problems = problems


def json_path(parts) -> str:
    """`$.sections[1].questions[3]` from a sequence of keys and indexes."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}"
        else:
            out += "[" + _quote(str(part)) + "]"
    return out


def _quote(text: str) -> str:
    return json.dumps(text)  # escapes quotes, control characters and lone surrogates


def printable(value: Any) -> Any:
    """A text safe for one output line: control characters and lone surrogates escaped as in JSON."""
    if not isinstance(value, str):
        return value
    if value.isprintable():
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            pass
    return json.dumps(value)[1:-1]


def show(value: Any, limit: int = 60) -> str:
    """A value as the author would write it in JSON, shortened for a one-line message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
