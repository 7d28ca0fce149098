"""Stage 1: bytes → JSON, with line and column on syntax errors and repeated keys caught."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .errors import Bilingual, Problem, json_path

# json's own messages, in Vietnamese too (the prefix is what json.decoder says).
_JSON_REASONS = {
    "Expecting value": "thiếu một giá trị (chuỗi, số, true/false, null, đối tượng hoặc danh sách)",
    "Expecting ',' delimiter": "thiếu dấu phẩy \",\" giữa hai phần tử",
    "Expecting ':' delimiter": "thiếu dấu hai chấm \":\" sau tên khoá",
    "Expecting property name enclosed in double quotes": "tên khoá phải đặt trong dấu ngoặc kép (có thể thừa dấu phẩy cuối)",
    "Unterminated string starting at": "chuỗi chưa được đóng bằng dấu ngoặc kép",
    "Invalid control character at": "ký tự điều khiển không được phép trong chuỗi (xuống dòng phải viết \\n)",
    "Invalid \\escape": "chuỗi thoát \\ không hợp lệ",
    "Invalid \\uXXXX escape": "chuỗi thoát \\uXXXX không hợp lệ",
    "Extra data": "còn dữ liệu thừa sau khi tài liệu JSON đã kết thúc",
}


def _reason(message: str) -> Bilingual:
    for prefix, vietnamese in _JSON_REASONS.items():
        if message.startswith(prefix):
            return Bilingual(vietnamese, message)
    return Bilingual(message, message)


class _Object(dict):
    """A JSON object that remembers keys written more than once (json keeps only the last)."""

    repeated: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    seen: list[str] = []
    for key, value in pairs:
        if key in obj:
            seen.append(key)
        obj[key] = value
    if seen:
        obj.repeated = tuple(seen)
    return obj


class _NotJson(ValueError):
    pass


def _reject_constant(name: str):
    raise _NotJson(name)


def parse_text(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse JSON text; return the document and the problems (syntax or repeated keys)."""
    try:
        document = json.loads(text, object_pairs_hook=_pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, [Problem("json.syntax", file, "$", {"line": exc.lineno, "column": exc.colno, "reason": _reason(exc.msg)})]
    except _NotJson as exc:
        reason = Bilingual(f"{exc} không có trong JSON; hãy dùng một số hoặc null", f"{exc} is not JSON; use a number or null")
        return None, [Problem("json.syntax", file, "$", {"line": 1, "column": 1, "reason": reason})]
    except RecursionError:
        return None, [Problem("json.too_deep", file, "$", {})]
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        return None, [Problem("json.syntax", file, "$", {"line": 1, "column": 1, "reason": _reason(str(exc)[:120])})]
    return _plain(document, [], file, problems := []), problems


def _plain(value: Any, path: list, file: str, problems: list[Problem]) -> Any:
    """Turn _Object into plain dicts, reporting repeated keys and numbers too large for a float where they are."""
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(Problem("json.not_finite", file, json_path(path), {"value": "1e309+"}))
        return value
    if isinstance(value, dict):
        for key in getattr(value, "repeated", ()):
            problems.append(Problem("json.duplicate_key", file, json_path(path + [key]), {"key": key}))
        return {k: _plain(v, path + [k], file, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, path + [i], file, problems) for i, v in enumerate(value)]
    return value


def read_file(path: Path, file: str | None = None) -> tuple[Any, list[Problem]]:
    """Read one definition file; the document is None when it could not be parsed."""
    file = file or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem("io.unreadable", file, "$", {"reason": exc.strerror or str(exc)})]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem("io.not_utf8", file, "$", {"position": exc.start})]
    return parse_text(text, file)
