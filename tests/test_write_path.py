"""A submit's writes are short: few statements under the write lock, the evidence files written before it is taken.

Under the lock, each statement lets another thread of the process take the interpreter for up to its switch interval
while every writer waits (docs/benchmarks.md, issue 18): these tests count statements, never time.
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest
from support.data import SELF, forms_sql, opened
from support.web import PDF, SELF_URL, complete_self_assessment, form_fields
from werkzeug.datastructures import FileStorage

from forms_app.data import connection
from forms_app.rules import registry, uploads


@pytest.fixture(autouse=True)
def fresh_thread_connections():
    connection.close_kept()
    yield
    connection.close_kept()


def _file_questions(app) -> list:
    with opened(app.config["DATA_DIR"]) as forms:
        return [q for q in registry.definition(forms, SELF).questions if q.type == "file" and "pdf" in q.accept]


def _traced(monkeypatch, call, seen) -> None:
    """Run `call` with every connection it opens (none kept from before) reporting each statement to `seen`, as
    SQLite's trace reports them."""
    original = connection.connect

    def traced(path, **kwargs):
        db = original(path, **kwargs)
        db.conn.set_trace_callback(seen)
        return db

    connection.close_kept()
    monkeypatch.setattr(connection, "connect", traced)
    try:
        call()
    finally:
        connection.close_kept()


def _statements_under_the_lock(monkeypatch, call) -> list[list[str]]:
    """The statements each write transaction of `call` started (one list per BEGIN IMMEDIATE … COMMIT); a trigger's
    run repeats its statement's text right after it and is counted once."""
    transactions: list[list[str]] = []
    inside = [False]

    def seen(sql: str) -> None:
        if sql == "BEGIN IMMEDIATE":
            inside[0] = True
            transactions.append([])
        elif sql in ("COMMIT", "ROLLBACK"):
            inside[0] = False
        elif inside[0] and (not transactions[-1] or transactions[-1][-1] != sql):
            transactions[-1].append(sql)

    _traced(monkeypatch, call, seen)
    return transactions


def test_a_submit_with_its_evidence_runs_few_statements_under_the_write_lock(app, toan, monkeypatch):
    files = _file_questions(app)
    assert len(files) >= 5
    answers = complete_self_assessment()

    def submit() -> None:
        fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
        data = {**fields, **answers, "action": "submit"}
        for number, question in enumerate(files):
            data[question.id] = (io.BytesIO(PDF + f"% {number}\n".encode()), f"minh-chung-{number}.pdf")
        response = toan.post(SELF_URL, data=data, content_type="multipart/form-data")
        assert response.status_code == 303, response.get_data(as_text=True)[:500]

    transactions = _statements_under_the_lock(monkeypatch, submit)
    stored = forms_sql(app, "SELECT COUNT(*) FROM uploads")[0][0]
    long_rows = forms_sql(app, "SELECT (SELECT COUNT(*) FROM answers) + (SELECT COUNT(*) FROM section_scores) "
                               "+ (SELECT COUNT(*) FROM criterion_scores)")[0][0]
    assert stored >= len(files) and long_rows > 40
    # Two transactions: the files' rows, then the revision with its scores. Each of the ~60 rows one statement (as
    # before) would put ~100 statements under the lock; one statement per table keeps it to a few dozen at most.
    assert len(transactions) == 2, transactions
    assert sum(len(t) for t in transactions) <= 30, transactions
    upload_rows = [s for s in transactions[0] if s.startswith("INSERT INTO uploads")]
    assert len(upload_rows) == 1
    # The revision's transaction reads once (the request token, the submission, its last number, its adjustments),
    # then writes: the deadline was read before the lock.
    record = transactions[1]
    assert [s.split()[0] for s in record].count("SELECT") == 1, record
    assert record[0].startswith("SELECT") and not any("closes" in s for s in record), record


def test_the_same_files_sent_again_are_the_uploads_kept_a_moment_ago(app, toan, monkeypatch):
    """A double click, a save replayed from the unit's machine, a page sent again: the same content, name, question
    and person within the hour keep the upload's row (no new row, no write lock for the files); another name or
    another content is a new upload."""
    files = _file_questions(app)[:3]

    def submit(names: dict[int, str] | None = None) -> None:
        fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
        data = {**fields, **complete_self_assessment(), "action": "submit"}
        for number, question in enumerate(files):
            name = (names or {}).get(number, f"minh-chung-{number}.pdf")
            data[question.id] = (io.BytesIO(PDF + f"% {number}\n".encode()), name)
        assert toan.post(SELF_URL, data=data, content_type="multipart/form-data").status_code == 303

    def tokens() -> dict[str, str]:
        (answers,) = forms_sql(app, "SELECT answers FROM revisions ORDER BY submission_id DESC, number DESC LIMIT 1")[0]
        stored = json.loads(answers)
        return {q.id: stored[q.id] for q in files}

    submit()
    first = tokens()
    again = _statements_under_the_lock(monkeypatch, submit)
    assert len(again) == 1 and not any("uploads" in s for s in again[0]), again  # the revision's transaction only
    assert tokens() == first
    assert forms_sql(app, "SELECT COUNT(*) FROM uploads")[0][0] == len(files)
    submit({0: "bien-ban-khac.pdf"})  # the same content under another name: a new upload for that question only
    renamed = tokens()
    assert renamed[files[0].id] != first[files[0].id]
    assert {q: t for q, t in renamed.items() if q != files[0].id} == {q: t for q, t in first.items() if q != files[0].id}
    assert forms_sql(app, "SELECT original_name FROM uploads WHERE token = ?", [renamed[files[0].id]]) == [
        ("bien-ban-khac.pdf",)]


def test_files_the_unit_already_holds_do_not_read_its_usage(app, toan, monkeypatch):
    """A content the unit already holds (here sent again under other names, so kept as new uploads) is kept without
    summing every upload of the unit (a sum that grew with each save: the submit cost twice the peer's after a few
    hundred of them)."""
    files = _file_questions(app)[:3]

    def submit(prefix: str) -> None:
        fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
        data = {**fields, **complete_self_assessment(), "action": "submit"}
        for number, question in enumerate(files):
            data[question.id] = (io.BytesIO(PDF + f"% {number}\n".encode()), f"{prefix}-{number}.pdf")
        assert toan.post(SELF_URL, data=data, content_type="multipart/form-data").status_code == 303

    first = _statements_under_the_lock(monkeypatch, lambda: submit("minh-chung"))[0]
    again = _statements_under_the_lock(monkeypatch, lambda: submit("ban-sao"))[0]
    assert any("sum(size)" in s.lower() for s in first)  # new contents: the quota is checked
    assert any(s.startswith("INSERT INTO uploads") for s in again)  # new names: new uploads…
    assert not any("sum(size)" in s.lower() for s in again), again  # …of contents it holds: no sum
    assert forms_sql(app, "SELECT COUNT(*) FROM uploads")[0][0] == 2 * len(files)


def _prepared(app, content: bytes) -> tuple:
    question = _file_questions(app)[0]
    return question, uploads.prepared(question, FileStorage(io.BytesIO(content), filename="bien-ban.pdf"))


def test_a_blob_a_cleanup_removed_while_the_rows_waited_for_the_lock_is_written_again(app):
    """The blobs are written before the lock is taken; a cleanup that deletes one (it may: no row points at it yet)
    moves the removal mark, and `keep` then looks again under the lock."""
    data_dir = Path(app.config["DATA_DIR"])
    item = _prepared(app, PDF + b"% cleanup race\n")
    blob = uploads.blob_path(data_dir, item[1].digest)
    kept: dict = {}
    with opened(data_dir) as holder, connection.write(holder):  # the lock, held as a cleanup holds it
        worker = threading.Thread(target=lambda: kept.update(_keep(data_dir, [item])))
        worker.start()
        for _ in range(500):
            if blob.exists():
                break
            time.sleep(0.01)
        assert blob.exists()  # written before the lock
        blob.unlink()  # what `_remove_blobs` does to a blob no row points at…
        uploads._mark_removal(data_dir)  # …after moving the mark, under the lock
    worker.join(10)
    assert kept["tokens"]
    assert blob.exists()


def test_a_file_over_the_quota_is_refused_and_its_blob_not_kept(app):
    data_dir = Path(app.config["DATA_DIR"])
    with opened(data_dir) as forms:
        uploads.set_quota(forms, actor="admin", unit_code="TOAN", quota=1)
    small, large = _prepared(app, PDF + b"0" * 1000), _prepared(app, PDF + b"1" * (1024 * 1024))
    question = _file_questions(app)[1]
    outcome = _keep(data_dir, [small, (question, large[1])])
    assert set(outcome["tokens"]) == {small[0].id} and set(outcome["refused"]) == {question.id}
    assert outcome["refused"][question.id].code == "quota"
    assert uploads.blob_path(data_dir, small[1].digest).exists()
    assert not uploads.blob_path(data_dir, large[1].digest).exists()


def test_the_same_content_twice_in_one_batch_counts_once_against_the_quota(app):
    data_dir = Path(app.config["DATA_DIR"])
    with opened(data_dir) as forms:
        uploads.set_quota(forms, actor="admin", unit_code="TOAN", quota=1)
    content = PDF + b"2" * (700 * 1024)  # twice would be 1.4 MB: over 1 MB if counted twice
    first, second = _file_questions(app)[:2]
    item = uploads.prepared(first, FileStorage(io.BytesIO(content), filename="a.pdf"))
    outcome = _keep(data_dir, [(first, item), (second, item)])
    assert set(outcome["tokens"]) == {first.id, second.id} and not outcome["refused"]


def _keep(data_dir: Path, items: list) -> dict:
    with opened(data_dir) as forms:
        tokens, refused = uploads.keep(forms, data_dir, items, unit_code="TOAN", form_id=SELF, cycle_year=2022,
                                       author="toan")
    return {"tokens": tokens, "refused": refused}


def test_a_resubmit_writes_its_answers_in_place(app, toan, monkeypatch):
    """A submission's questions are the same at every save: its answer, section and criterion rows are updated where
    they are, not deleted and inserted again (which rewrote every entry of both indexes of `answers`, and moved every
    criterion out of `criterion_totals` and back in, under the write lock)."""
    answers = complete_self_assessment()

    def submit() -> None:
        fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
        assert toan.post(SELF_URL, data={**fields, **answers, "action": "submit"},
                         content_type="multipart/form-data").status_code == 303

    submit()
    before = forms_sql(app, "SELECT question_id, value FROM answers ORDER BY question_id")
    answers["so_doan_vien_moi"] = "13"
    record = _statements_under_the_lock(monkeypatch, submit)[-1]
    # A submission keeps its definition version, whose questions never change: every save writes the same keys.
    assert not [s for s in record if s.startswith("DELETE")], record
    assert any(s.startswith("INSERT INTO criterion_scores") and "ON CONFLICT" in s for s in record), record
    after = forms_sql(app, "SELECT question_id, value FROM answers ORDER BY question_id")
    assert [q for q, _ in after] == [q for q, _ in before]
    assert dict(after)["so_doan_vien_moi"] == 13 and dict(before)["so_doan_vien_moi"] == 12


def test_tong_quan_is_written_only_for_what_changed(app):
    """A draft saved writes nothing into `tong_quan`, a submit with the same score its submit time only: an UPDATE
    writes every index of every column it sets, moved or not (ten of `tong_quan`'s fifteen)."""
    import datetime as dt

    from support.data import EXAMPLE_ANSWERS, register

    from forms_app.rules import submitting

    register(app, "TOAN")
    with opened(app.config["DATA_DIR"]) as forms:
        forms.execute("CREATE TEMP TABLE written (what TEXT)")
        forms.execute("CREATE TEMP TRIGGER scores_written AFTER UPDATE OF status, total, final_total, band ON "
                      "main.tong_quan BEGIN INSERT INTO written VALUES ('scores'); END")
        forms.execute("CREATE TEMP TRIGGER time_written AFTER UPDATE OF submitted_at ON main.tong_quan "
                      "BEGIN INSERT INTO written VALUES ('time'); END")
        definition = registry.definition(forms, SELF)

        def record(action: str, day: int) -> None:
            submitting.record(forms, unit_code="TOAN", definition=definition, cycle_year=2022, answers=EXAMPLE_ANSWERS,
                              action=action, author="toan", base_revision=None, request_token=None,
                              now=dt.datetime(2022, 9, day, tzinfo=dt.timezone.utc))

        def written() -> list[str]:
            found = [row[0] for row in forms.execute("SELECT what FROM written")]
            forms.execute("DELETE FROM written")
            return found

        record("submit", 10)
        written()
        record("save", 11)
        assert written() == []
        record("submit", 12)
        assert written() == ["time"]
        moment = forms.execute("SELECT submitted_at FROM tong_quan WHERE unit_code = 'TOAN'").fetchone()[0]
        assert moment.startswith("2022-09-12")


def test_the_form_page_reads_nothing_twice(app, toan, monkeypatch):
    """Each statement a request runs is a moment when another thread may take the interpreter (docs/benchmarks.md):
    the form page reads each thing once (the decision in force was read twice: once for the form, once again for its
    window when there was none)."""
    statements: list[str] = []

    def page() -> None:
        assert toan.get(SELF_URL).status_code == 200

    _traced(monkeypatch, page, statements.append)
    reads = [s for s in statements if s.startswith("SELECT")]
    assert reads and len(reads) == len(set(reads)), sorted(s for s in reads if reads.count(s) > 1)
    assert sum("FROM decisions" in s for s in reads) == 1


def test_a_file_kept_a_moment_ago_whose_blob_went_missing_is_written_again(app):
    data_dir = Path(app.config["DATA_DIR"])
    item = _prepared(app, PDF + b"% gui lai\n")
    first = _keep(data_dir, [item])["tokens"]
    blob = uploads.blob_path(data_dir, item[1].digest)
    blob.unlink()  # lost outside the product (a disk restored without it)
    assert _keep(data_dir, [item])["tokens"] == first  # the same upload…
    assert blob.read_bytes() == PDF + b"% gui lai\n"  # …and its bytes back from what the unit just sent
