"""Hypothesis-made POST bodies against a unit's own self-assessment: never a 500, never half an answer stored.

Bodies: the form a browser sends with values of the wrong type, huge strings (up to ~100 KB),
unknown and repeated fields, odd hidden fields (action, base_revision, request_token); raw
urlencoded bytes that are not UTF-8; multipart with files of the wrong kind, too big for the
question (max_mb) and too big for the whole request (MAX_CONTENT_LENGTH). Each carries the valid
CSRF token of the signed-in unit, so it reaches the form's own code.

After each example, every revision stored since the last one validates against the definition
(scoring.validate_answers: no error; a submit has every required answer), holds only visible
answers, and the long-form `answers` and `section_scores` tables and the submission's score match
the revision that counts.
"""

from __future__ import annotations

import functools
import io
import json
import sqlite3
from pathlib import Path
from urllib.parse import quote_from_bytes

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.data import SELF
from support.web import PDF, SELF_URL, complete_self_assessment, csrf_token

MAX_CONTENT = 40 * 1024 * 1024


def _definition():
    from form_definitions import load_definitions

    return max((d for d in load_definitions() if d.id == SELF), key=lambda d: d.version)  # what a new submission gets


DEFINITION = _definition()
QUESTIONS = [q.id for q in DEFINITION.questions]
FILES = [q.id for q in DEFINITION.questions if q.type == "file"]
CHOICES = sorted({str(c.value) for q in DEFINITION.questions for c in q.choices})
HIDDEN = ["action", "base_revision", "request_token"]

huge = st.builds(lambda char, n: char * n, st.sampled_from(["a", "ệ", "9", "<b>&", "\x00", "\ufffd", " "]),
                 st.integers(1_000, 100_000))
value = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "1.240", "1,240", "12,5", "12.5", "1e309", "NaN", "inf", "-0",
                     "99999999999999999999999", "true", "false", "True", "1", "2022-02-30", "31/12/2022",
                     "2022-01-15", "0001-01-01", "../../etc/passwd", "<script>alert(1)</script>", *CHOICES]),
    st.integers().map(str),
    st.floats().map(repr),
    huge,
)
name = st.one_of(
    st.sampled_from(QUESTIONS + HIDDEN + [f"{f}__keep" for f in FILES] + [f"{f}__remove" for f in FILES]),
    st.text(max_size=20),
)
pairs = st.lists(st.tuples(name, value), max_size=25)
base_fields = st.fixed_dictionaries({
    "answers": st.sampled_from(["none", "some", "all"]),
    "action": st.sampled_from(["save", "submit", None, "publish"]),
    "base_revision": st.sampled_from(["current", None, "", "-1", "abc", "0", "999"]),
    "request_token": st.one_of(st.just("fresh"), st.none(), st.text(max_size=30), huge),
})

SMALL_FILE_SIZES = ["pdf", "not-pdf", "empty"]
BIG_FILE_SIZES = ["over-question", "over-request"]
upload = st.tuples(
    st.one_of(st.sampled_from(FILES), st.text(max_size=10)),
    st.sampled_from(SMALL_FILE_SIZES * 2 + BIG_FILE_SIZES),
    st.sampled_from(["minh-chung.pdf", "a.PDF", "../../x.pdf", "tệp.docx", "no-extension", "x.exe", "", "a" * 300 + ".pdf"]),
)

body = st.one_of(
    st.tuples(st.just("form"), base_fields, pairs, st.just([])),
    st.tuples(st.just("multipart"), base_fields, pairs, st.lists(upload, max_size=3)),
    st.tuples(st.just("raw"), base_fields, st.lists(st.tuples(st.binary(max_size=30), st.binary(max_size=60)), max_size=15),
              st.just([])),
)

FULL_SUBMIT = {"answers": "all", "action": "submit", "base_revision": "current", "request_token": "fresh"}
BARE_SUBMIT = {**FULL_SUBMIT, "answers": "none"}  # the fuzzed fields are the first (the ones read) of their names
@functools.cache
def _content(kind: str) -> bytes:
    """A file's bytes; the big ones just over the question's max_mb (10) and over MAX_CONTENT_LENGTH."""
    big = {"over-question": 10 * 1024 * 1024, "over-request": MAX_CONTENT}
    if kind in big:
        return b"%PDF-" + b"0" * big[kind]
    return {"pdf": PDF, "not-pdf": b"MZ\x90\x00 not a pdf", "empty": b""}[kind]


class State:
    def __init__(self, app):
        self.app = app
        self.db = Path(app.config["DATA_DIR"]) / "forms.db"
        self.checked: set[tuple[int, int]] = set()
        self.tokens = 0

    def query(self, sql: str, params=()):
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def current_revision(self) -> str:
        rows = self.query("SELECT current_revision FROM submissions WHERE unit_code = 'TOAN' AND form_id = ?", [SELF])
        return str(rows[0]["current_revision"]) if rows else "0"


def _fields(state: State, csrf: str, base: dict, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    fields = [("csrf_token", csrf)]
    if base["action"] is not None:
        fields.append(("action", base["action"]))
    if base["base_revision"] is not None:
        fields.append(("base_revision", state.current_revision() if base["base_revision"] == "current" else base["base_revision"]))
    token = base["request_token"]
    if token is not None:
        if token == "fresh":
            state.tokens += 1
            token = f"fuzz-{state.tokens}"
        fields.append(("request_token", token))
    answers = complete_self_assessment()
    chosen = list(answers.items()) if base["answers"] == "all" else list(answers.items())[::3] if base["answers"] == "some" else []
    for key, item in chosen:
        for one in (item if isinstance(item, list) else [item]):
            fields.append((key, one))
    return fields + list(extra)


def _post(client, state: State, csrf: str, example) -> object:
    kind, base, extra, uploads = example
    if kind == "raw":
        head = _fields(state, csrf, base, [])
        encoded = [f"{quote_from_bytes(k.encode())}={quote_from_bytes(v.encode())}".encode() for k, v in head]
        # Raw key=value bytes, sometimes percent-escaped, never decoded here: invalid UTF-8 reaches the server as is.
        encoded += [k + b"=" + v for k, v in extra]
        encoded += [b"tu_nhan_xet=%C3%28%FF%FE", b"so_doan_vien=\xff\xfe12"]
        return client.post(SELF_URL, data=b"&".join(encoded), content_type="application/x-www-form-urlencoded")
    fields = _fields(state, csrf, base, extra)
    if kind == "form":
        from werkzeug.datastructures import MultiDict

        return client.post(SELF_URL, data=MultiDict(fields), content_type="application/x-www-form-urlencoded")
    from werkzeug.datastructures import MultiDict

    data = MultiDict(fields)
    for field, size, filename in uploads:
        data.add(field, (io.BytesIO(_content(size)), filename))
    return client.post(SELF_URL, data=data, content_type="multipart/form-data")


def _check_stored(state: State) -> None:
    from forms_app.data.submissions import stored_value
    from scoring import validate_answers, visible_answers

    submission = state.query("SELECT * FROM submissions WHERE unit_code = 'TOAN' AND form_id = ?", [SELF])
    if not submission:
        return
    submission = submission[0]
    for row in state.query("SELECT number, action, answers, total FROM revisions WHERE submission_id = ?", [submission["id"]]):
        key = (submission["id"], row["number"])
        if key in state.checked:
            continue
        answers = json.loads(row["answers"])
        assert validate_answers(DEFINITION, answers) == [], (row["action"], answers)
        if row["action"] == "submit":
            assert validate_answers(DEFINITION, answers, require=True) == []
        assert visible_answers(DEFINITION, answers) == answers
        state.checked.add(key)

    # The revision that counts (the last submitted, else the current draft) is what the long-form tables hold.
    counted = submission["submitted_revision"] or submission["current_revision"]
    if not counted:
        return
    revision = state.query("SELECT answers, total FROM revisions WHERE submission_id = ? AND number = ?",
                           [submission["id"], counted])[0]
    answers = json.loads(revision["answers"])
    assert submission["total"] == revision["total"]
    long_form = {r["question_id"]: (r["value"], r["visible"])
                 for r in state.query("SELECT question_id, value, visible FROM answers WHERE submission_id = ?", [submission["id"]])}
    assert set(long_form) == set(QUESTIONS)
    for qid, (stored, visible) in long_form.items():
        assert stored == stored_value(answers.get(qid)), qid
        assert visible or qid not in answers, qid
    sections = state.query("SELECT SUM(score) AS s FROM section_scores WHERE submission_id = ?", [submission["id"]])[0]["s"]
    assert abs((sections or 0) - (submission["total"] or 0)) < 1e-6


def test_no_post_body_gives_a_500_or_stores_half_an_answer(app, toan):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # an exception becomes the 500 page, which the test refuses
    csrf = csrf_token(toan, SELF_URL)
    state = State(app)
    seen: dict[int, int] = {}

    @settings(max_examples=100, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(example=body)
    @example(example=("multipart", FULL_SUBMIT, [], [("file_ke_hoach_cong_tac", "over-question", "ke-hoach.pdf")]))
    @example(example=("multipart", FULL_SUBMIT, [], [("file_ke_hoach_cong_tac", "over-request", "ke-hoach.pdf")]))
    @example(example=("raw", BARE_SUBMIT, [(b"so_doan_vien", b"\xff\xfe"), (b"\xc3\x28", b"x"), (b"tu_nhan_xet", b"%ED%A0%80")], []))
    @example(example=("form", BARE_SUBMIT, [("tu_nhan_xet", "ệ" * 100_000), ("so_doan_vien", "1" * 100_000),
                                           ("so_doan_vien", "5"), ("khong_co_cau_nay", "x"), ("kenh_nam_bat_tinh_hinh", "zalo")], []))
    def run(example):
        response = _post(toan, state, csrf, example)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.get_data(as_text=True)[:2000]
        _check_stored(state)

    run()
    _content.cache_clear()
    # The bodies reached the form's own code, not only its guards.
    assert seen.get(303, 0) + seen.get(422, 0) + seen.get(409, 0) > 20, seen
    assert seen.get(413), seen  # the request over MAX_CONTENT_LENGTH
