"""Form posts read by `multipart` (forms_app/adapters/web/multipart_forms.py) give the views what werkzeug's parser
gives: the same fields and files, part for part, on what browsers send and on odd bodies; the same limits (413); an
empty form for a body neither can read."""

from __future__ import annotations

import io

import pytest
from flask import Flask, Request, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header
from werkzeug.test import EnvironBuilder

from forms_app.adapters.web.multipart_forms import RETRY_UNDER, FastFormDataParser, FormRequest

BOUNDARY = "----formsapp7MA4YWxkTrZu0gW"


def body(*parts: tuple[str, bytes], boundary: str = BOUNDARY, close: bool = True) -> bytes:
    """A multipart body: each part its header lines (joined by CRLF) and its content, as a browser writes it."""
    out = b"".join(f"--{boundary}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n" for headers, content in parts)
    return out + (f"--{boundary}--\r\n".encode() if close else b"")


def field(name: str, value: str, extra: str = "") -> tuple[str, bytes]:
    return f'Content-Disposition: form-data; name="{name}"{extra}', value.encode()


def upload(name: str, filename: str, content: bytes, kind: str = "application/pdf") -> tuple[str, bytes]:
    return f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\nContent-Type: {kind}', content


def parsed(parser_class, data: bytes, boundary: str = BOUNDARY, **limits):
    """(fields, files) as lists in order, each file as (name, file name, content type, bytes)."""
    parser = parser_class(max_form_memory_size=limits.get("memory"), max_form_parts=limits.get("parts"))
    _stream, form, files = parser.parse(io.BytesIO(data), "multipart/form-data", len(data), {"boundary": boundary})
    return (list(form.items(multi=True)),
            [(name, f.filename, f.content_type, f.read()) for name, f in files.items(multi=True)])


def same_as_werkzeug(data: bytes, **limits):
    ours = parsed(FastFormDataParser, data, **limits)
    assert ours == parsed(FormDataParser, data, **limits)
    return ours


PDF = b"%PDF-1.4\r\n1 0 obj\r\n<< >>\r\nendobj\r\n%%EOF\r\n"

BODIES = {
    "a full form as a browser sends it": body(
        field("csrf_token", "IjQ1ZjM4ZGQ5NjdkMzQ2ZWEi.Zx"), field("so_doan_vien", "120"),
        field("ten_hoat_dong", "Tình nguyện mùa hè xanh\r\nvà tiếp sức mùa thi"), field("lua_chon", "a"),
        field("lua_chon", "c"), upload("file_ke_hoach", "kế hoạch 2022.pdf", PDF),
        upload("file_trong", "", b"", "application/octet-stream"), field("action", "submit")),
    "a value ending with a line break": body(field("a", "dòng một\r\n"), field("b", "\r\n")),
    "content that looks like a boundary": body(field("a", f"--{BOUNDARY[:-1]}x\r\n--{BOUNDARY}z"),
                                               upload("f", "a.pdf", b"\r\n--" + BOUNDARY[:10].encode())),
    "a part without a name": body(("Content-Disposition: form-data", b"x"), field("b", "y")),
    "an empty name": body(field("", "x")),
    "a quoted name": body(('Content-Disposition: form-data; name="a\\"b"', b"x")),
    "a Latin-1 part": body(('Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=iso-8859-1',
                            "é".encode("latin-1"))),
    "an unknown charset": body(('Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=koi8-r',
                                "đ".encode())),
    "bytes that are not UTF-8": body(("Content-Disposition: form-data; name=\"a\"", b"\xff\xfe ok")),
    "a file name in filename*": body(("Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''t%E1%BB%87p.pdf",
                                      PDF)),
    "a preamble": b"ignored\r\n" + body(field("a", "x")),
    "a body without its closing line": body(field("a", "x"), close=False),
    "a part without Content-Disposition": body(("Content-Type: text/plain", b"x")),
    "no boundary at all": b"a=1&b=2",
    "a part with no body at all, then others": (  # valid MIME: werkzeug's test client writes an empty value so
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\n--{BOUNDARY}\r\n'.encode()
        + body(field("b", "y"), upload("f", "a.pdf", PDF))[len(BOUNDARY) + 4:]),
    "content starting like the boundary": body(field("a", f"--{BOUNDARY[:-2]}"), field("b", "--")),
}


@pytest.mark.parametrize("label", list(BODIES))
def test_every_body_gives_what_werkzeugs_parser_gives(label):
    same_as_werkzeug(BODIES[label])


def test_a_full_form_comes_out_whole_and_in_order():
    fields, files = same_as_werkzeug(BODIES["a full form as a browser sends it"])
    assert [name for name, _ in fields] == ["csrf_token", "so_doan_vien", "ten_hoat_dong", "lua_chon", "lua_chon",
                                            "action"]
    assert fields[2] == ("ten_hoat_dong", "Tình nguyện mùa hè xanh\r\nvà tiếp sức mùa thi")
    assert files == [("file_ke_hoach", "kế hoạch 2022.pdf", "application/pdf", PDF),
                     ("file_trong", "", "application/octet-stream", b"")]


def test_a_part_with_no_body_at_all_is_read_as_werkzeug_reads_it():
    """Valid MIME that `multipart` refuses (no empty line before the next boundary): werkzeug's test client writes an
    empty file so. Under RETRY_UNDER the body is read again by werkzeug's parser."""
    builder = EnvironBuilder(method="POST", data={"a": "x", "f": (io.BytesIO(b""), "rong.pdf", "application/pdf"),
                                                  "z": "y"})
    environ = builder.get_environ()
    data, boundary = environ["wsgi.input"].read(), parse_options_header(environ["CONTENT_TYPE"])[1]["boundary"]
    ours = parsed(FastFormDataParser, data, boundary)
    assert ours == parsed(FormDataParser, data, boundary) == (
        [("a", "x"), ("z", "y")], [("f", "rong.pdf", "application/pdf", b"")])


def test_a_large_body_neither_reads_gives_an_empty_form():
    broken = body(upload("f", "lon.pdf", b"0" * RETRY_UNDER), close=False)
    assert parsed(FastFormDataParser, broken) == ([], [])


def test_a_large_body_with_a_part_with_no_body_gives_an_empty_form_not_a_misread_one():
    """`multipart` alone would read the next part as the empty one's value ("--BOUNDARY…b…y"), without an error."""
    large = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\n--{BOUNDARY}\r\n'.encode()
             + body(field("b", "y"), upload("f", "lon.pdf", b"0" * RETRY_UNDER))[len(BOUNDARY) + 4:])
    assert parsed(FastFormDataParser, large) == ([], [])


def test_a_text_part_over_the_memory_limit_and_too_many_parts_are_413_as_with_werkzeug():
    for parser_class in (FormDataParser, FastFormDataParser):
        with pytest.raises(RequestEntityTooLarge):
            parsed(parser_class, body(field("a", "x" * 1001)), memory=1000)
        with pytest.raises(RequestEntityTooLarge):
            parsed(parser_class, body(*[field(f"q{i}", "1") for i in range(11)]), parts=10)
    assert parsed(FastFormDataParser, body(upload("f", "a.pdf", b"x" * 5000)), memory=1000)[1][0][3] == b"x" * 5000
    assert len(parsed(FastFormDataParser, body(*[field(f"q{i}", "1") for i in range(10)]), parts=10)[0]) == 10


def test_the_app_reads_its_posts_with_it_and_keeps_flasks_limits():
    def app_with(request_class):
        app = Flask(__name__)
        app.request_class = request_class
        # werkzeug's own parser also refuses a read of 64 KB that would take its buffer past the form's memory size,
        # files included: a limit under that refuses every larger body (the app's is 2 MB)
        app.config.update(MAX_FORM_MEMORY_SIZE=100_000, MAX_FORM_PARTS=10, MAX_CONTENT_LENGTH=1_000_000)

        @app.post("/")
        def echo():
            sent = request.files["f"]
            return {"a": request.form["a"], "f": sent.filename, "kept_in": type(sent.stream).__name__,
                    "size": len(sent.read())}
        return app.test_client()

    ours, werkzeugs = app_with(FormRequest), app_with(Request)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    for size in (60_000, 600_000):  # the request's stream factory keeps a file as werkzeug's parser has it kept
        sent = body(field("a", "Đoàn"), upload("f", "lon.pdf", b"x" * size))
        answer = ours.post("/", data=sent, headers=headers).json
        assert answer == werkzeugs.post("/", data=sent, headers=headers).json
        assert (answer["a"], answer["f"], answer["size"]) == ("Đoàn", "lon.pdf", size)
    assert ours.post("/", data=body(field("a", "x" * 100_001)), headers=headers).status_code == 413
    assert ours.post("/", data=body(*[field(f"q{i}", "1") for i in range(11)]), headers=headers).status_code == 413
    assert ours.post("/", data=body(upload("f", "a.pdf", b"x" * 1_000_001)), headers=headers).status_code == 413
