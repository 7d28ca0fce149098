"""What leaves Datasette on its way to a reviewer: the app's security headers, spreadsheet-safe CSV, refusals in Vietnamese.

Datasette has no hook for a CSV cell or for the words of an SQLite error, so `filtered()` wraps its WSGI callable
(`adapters/wsgi.py`): headers on every answer, CSV rewritten record by record as it streams, and the body of a
refused query (a 400) given the sentence of its refusal code.
"""

from __future__ import annotations

import base64
import codecs
import csv
import hashlib
import html
import io
import json
import re
from pathlib import Path

import datasette

from exports.tables import spreadsheet_text
from forms_app.adapters.reviewers import SQL_TIME_LIMIT_MS
from forms_app.adapters.web import app as web_app
from forms_app.adapters.web.app import content_security_policy
from forms_app.data import reviewer_access
from forms_app.rules import messages

# Sentences for the codes of reviewer_access.refusal: what a reviewer reads instead of SQLite's English.
MESSAGES: messages.Catalogue = {
    "function": {"vi": "Câu truy vấn dùng hàm không được phép: {name}.",
                 "en": "The query uses a function reviewers may not use: {name}."},
    "table": {"vi": "Câu truy vấn đọc bảng không được phép: {name}.",
              "en": "The query reads a table reviewers may not read: {name}."},
    "operation": {"vi": "Câu truy vấn làm việc không được phép: người đánh giá chỉ được đọc dữ liệu.",
                  "en": "The query does something not allowed: reviewers may only read data."},
    "too_big": {"vi": "Câu truy vấn tạo ra một giá trị quá lớn: mỗi giá trị tối đa {limit}.",
                "en": "The query makes a value too large: each value is at most {limit}."},
    "too_complex": {"vi": "Câu truy vấn quá dài hoặc quá phức tạp; hãy chia thành các câu nhỏ hơn.",
                    "en": "The query is too long or too complex; split it into smaller ones."},
    "time_limit": {"vi": "Câu truy vấn chạy quá {seconds} giây nên đã bị dừng; hãy lọc bớt dữ liệu hoặc viết câu đơn giản hơn.",
                   "en": "The query ran longer than {seconds} s and was stopped; filter the data or simplify the query."},
    "function_input": {"vi": "Một hàm trong câu truy vấn không nhận giá trị đã cho (trim, ltrim, rtrim bỏ tối đa "
                             "{characters} ký tự khác nhau).",
                       "en": "A function of the query does not take the values given (trim, ltrim, rtrim remove at "
                             "most {characters} different characters)."},
}

# Datasette's own words when its time limit stops a query (an HTML paragraph, in the page and in the JSON "error").
TIME_LIMIT = re.compile(r"SQL query took too long\. The time limit is controlled by the\s*<a [^>]*>sql_time_limit_ms</a>"
                        r"\s*configuration option\.")
DATASETTE_TEMPLATES = Path(datasette.__file__).parent / "templates"
STATIC = "/data/-/static/"
_RECORD_END = re.compile(r'["\n]')


def inline_script_hashes() -> list[str]:
    """CSP sources of the inline scripts Datasette's templates carry: fixed text, one with two values (facets on/off)."""
    sources = set()
    for template in sorted(DATASETTE_TEMPLATES.glob("*.html")):
        for script in re.findall(r"<script>(.*?)</script>", template.read_text("utf-8"), re.S):
            for text in {script.replace("{{ datasette_allow_facet }}", value) for value in ("true", "false")}:
                if "{{" not in text and "{%" not in text:
                    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
                    sources.add(f"'sha256-{digest}'")
    return sorted(sources)


# The web app's policy, except that Datasette's pages carry inline styles (style attributes and <style> blocks in
# its templates, CodeMirror's editor) and a few fixed inline scripts, allowed by their hashes.
CONTENT_SECURITY_POLICY = content_security_policy(style_src="'self' 'unsafe-inline'",
                                                  script_src=" ".join(["'self'", *inline_script_hashes()]))
SECURITY_HEADERS = list({**web_app.SECURITY_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}.items())
NO_STORE = ("Cache-Control", "no-store")


def secured(headers: list[tuple[str, str]], static: bool = False) -> list[tuple[str, str]]:
    """`headers` with the security headers, and `Cache-Control: no-store` unless it is one of Datasette's static files."""
    replaced = {name.lower() for name, _ in SECURITY_HEADERS} | ({"cache-control"} if not static else set())
    kept = [(name, value) for name, value in headers if name.lower() not in replaced]
    return kept + SECURITY_HEADERS + ([] if static else [NO_STORE])


def filtered(datasette_wsgi):
    """Datasette's WSGI callable with its answers secured, its CSV made safe and its refusals in Vietnamese."""

    def application(environ, start_response):
        started: dict = {}

        def capture(status, headers, exc_info=None):
            started.update(status=status, headers=headers, exc_info=exc_info)
            return _no_write

        path = environ.get("PATH_INFO", "")
        return _answer(datasette_wsgi(environ, capture), started, start_response, path)

    return application


def _no_write(data: bytes) -> None:
    raise RuntimeError("Datasette's answers go through the returned iterable")


def _answer(chunks, started: dict, start_response, path: str):
    # a2wsgi calls `capture` while its iterable runs, before the first chunk: the answer is known from then on.
    try:
        body = iter(chunks)
        first = next(body, b"")
        status, exc_info = started["status"], started["exc_info"]
        headers = secured(started["headers"], static=path.startswith(STATIC))
        content_type = _header(headers, "content-type")
        if status.startswith("200") and _is_csv(path, content_type):
            start_response(status, _without(headers, "content-length"), exc_info)
            cells = SafeCsv()
            yield cells.feed(first)
            for chunk in body:
                yield cells.feed(chunk)
            yield cells.feed(b"", final=True)
        elif status.startswith("400"):
            data = _translated(first + b"".join(body), content_type)
            start_response(status, _without(headers, "content-length") + [("Content-Length", str(len(data)))], exc_info)
            yield data
        else:
            start_response(status, headers, exc_info)
            yield first
            yield from body
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((value for key, value in headers if key.lower() == name), "")


def _without(headers: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    return [(key, value) for key, value in headers if key.lower() != name]


def _is_csv(path: str, content_type: str) -> bool:
    # Datasette answers `.csv` as text/plain (text/csv with `_dl=1`); `_trace=1` wraps it in an HTML page.
    return content_type.startswith("text/csv") or (path.endswith(".csv") and content_type.startswith("text/plain"))


class SafeCsv:
    """Datasette's CSV rewritten cell by cell as it streams: whole records go out, a record cut by a chunk waits."""

    def __init__(self):
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.pending = ""

    def feed(self, chunk: bytes, final: bool = False) -> bytes:
        """The records `chunk` completes, made safe (with `final`, everything left)."""
        self.pending += self.decoder.decode(chunk, final)
        end = len(self.pending) if final else _records_end(self.pending)
        complete, self.pending = self.pending[:end], self.pending[end:]
        if not complete:
            return b""
        out = io.StringIO()
        writer = csv.writer(out)  # Datasette's dialect: excel, "\r\n", quoted only when needed
        for record in csv.reader(io.StringIO(complete, newline="")):
            writer.writerow([spreadsheet_text(cell) for cell in record])
        return out.getvalue().encode("utf-8")


def _records_end(text: str) -> int:
    # Just after the last newline outside quotes: an even number of quotes before it (a quote in a cell is doubled).
    quoted, end = False, 0
    for match in _RECORD_END.finditer(text):
        if match.group() == '"':
            quoted = not quoted
        elif not quoted:
            end = match.end()
    return end


def _translated(body: bytes, content_type: str) -> bytes:
    # The words SQLite gives a refused statement, wherever Datasette shows them: the JSON "error", the HTML page.
    if content_type.startswith("application/json"):
        try:
            document = json.loads(body)
        except ValueError:
            return body
        if isinstance(document, dict) and isinstance(document.get("error"), str):
            document["error"] = refusal_sentence(document["error"])
            return json.dumps(document).encode("utf-8")
        return body
    if content_type.startswith("text/html"):
        return refusal_sentence(body.decode("utf-8", "replace"), escape=html.escape).encode("utf-8")
    return body


def refusal_sentence(text: str, escape=str) -> str:
    """`text` with each of SQLite's refusals (reviewer_access.REFUSALS) replaced by its Vietnamese sentence."""
    for pattern, code in (*reviewer_access.REFUSALS, (TIME_LIMIT, "time_limit")):
        text = pattern.sub(lambda match: escape(_sentence(code, match.groupdict())), text)
    return text


def _sentence(code: str, values: dict) -> str:
    return messages.text(MESSAGES, code, "vi", limit=f"{reviewer_access.MAX_LENGTH // (1024 * 1024)} MB",
                         characters=reviewer_access.MAX_TRIM_CHARACTERS, seconds=f"{SQL_TIME_LIMIT_MS / 1000:g}", **values)
