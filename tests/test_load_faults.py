"""Load and faults: many units submitting at once through `forms-app serve`, a server killed mid-load,
a database locked beyond the busy timeout, and a full disk.

Whatever happens, an acknowledged submission (a 303) is stored exactly once with the score of the
answers sent, nothing is half-written, and a unit whose save could not be stored gets its form back
with everything it typed and a sentence asking to save again (503).
"""

from __future__ import annotations

import collections
import datetime as dt
import errno
import functools
import json
import os
import random
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.data import (
    EXAMPLE_ANSWERS,
    OPEN_DAY,
    PASSWORD,
    REGISTRATION,
    REGISTRATION_ANSWERS,
    SELF,
    build_data_dir,
    register,
    revision_rows,
    submission_row,
)
from support.server import Server
from support.web import (
    SELF_URL,
    FormPage,
    ProductClient,
    complete_self_assessment,
    form_fields,
    pdf_upload,
    post_answers,
    start_session,
    unescape,
)

TRY_AGAIN = "Hệ thống đang bận, chưa lưu được; hãy bấm lưu lại — những gì bạn nhập vẫn còn dưới đây"
# The size CI runs; scripts/load_faults.py runs the same tests larger through these two variables.
UNITS = int(os.environ.get("FORMS_APP_LOAD_UNITS", "32"))  # units submitting at once, one client each
ROUNDS = max(2, int(os.environ.get("FORMS_APP_LOAD_ROUNDS", "3")))  # submits per unit (round 2 is a double click)
KILL_AFTER = max(UNITS // 2, UNITS * ROUNDS // 4)  # acknowledged submits before the server is killed


# --------------------------------------------------------------------------------------------------
# A real server on a data directory with UNITS units, each registered and with its deadline extended


@functools.cache
def _definition():
    from form_definitions import load_definitions

    return max((d for d in load_definitions() if d.id == SELF), key=lambda d: d.version)  # what new submissions get


def _prepare(data_dir: Path, count: int) -> dict[str, str]:
    """UNITS units (L00…), each with one account, a submitted registration, an open self-assessment
    (extension to today + 30 days) and a live session; returns unit code → session token."""
    from forms_app.data import connection as database
    from forms_app.data.text import fold
    from forms_app.rules import accounts, passwords, registry
    from forms_app.rules import submitting as submissions
    from forms_app.rules.windows import grant_extension

    build_data_dir(data_dir)
    forms = database.open_forms(data_dir)
    accounts_db = database.open_accounts(data_dir)
    try:
        registration = registry.definition(forms, REGISTRATION)
        now = "2022-01-01T00:00:00+00:00"
        codes = [f"L{i:02d}" for i in range(count)]
        forms["units"].insert_all([{"code": c, "name": f"Đoàn khoa thử {c}", "name_ascii": fold(f"Đoàn khoa thử {c}"),
                                    "cluster": "Cụm 1 – Khoa học Tự nhiên", "created_at": now, "updated_at": now}
                                   for c in codes])
        closes = dt.date.today() + dt.timedelta(days=30)
        tokens = {}
        for code in codes:
            accounts.add_user(accounts_db, code.lower(), PASSWORD, "unit", code, hasher=passwords.CHEAP_HASHER)
            submissions.record(forms, unit_code=code, definition=registration, cycle_year=2022,
                               answers=REGISTRATION_ANSWERS, action="submit", author="test", base_revision=None,
                               request_token=None)
            grant_extension(forms, code, SELF, 2022, closes, "tải thử", "admin")
            tokens[code] = accounts.start_session(accounts_db, code.lower())
        return tokens
    finally:
        forms.close()
        accounts_db.close()


@pytest.fixture
def load_data(tmp_path):
    data_dir = tmp_path / "data"
    tokens = _prepare(data_dir, UNITS)
    servers: list[Server] = []

    def start() -> Server:
        server = Server(data_dir, tmp_path / "server.log")
        servers.append(server)
        return server

    yield data_dir, tokens, start
    for server in servers:
        server.stop()


# --------------------------------------------------------------------------------------------------
# What each unit sends: the shipped example answers (files left out), a few numbers varied per round


EXAMPLE = EXAMPLE_ANSWERS  # of the latest shipped version


def _answers(code: str, round_no: int) -> dict:
    """Typed answers (JSON values) for one unit and round; valid, with a score that varies."""
    rng = random.Random(f"{code}/{round_no}")
    definition = _definition()
    typed = {k: v for k, v in EXAMPLE.items() if definition.question(k).type != "file"}
    typed["so_doan_vien_duoc_danh_gia"] = rng.randint(0, typed["so_doan_vien"])
    typed["so_hoat_dong_da_thuc_hien"] = rng.randint(0, typed["so_hoat_dong_theo_ke_hoach"])
    typed["so_chi_doan_sinh_hoat_dinh_ky"] = rng.randint(0, typed["so_chi_doan"])
    typed["tham_muu_co_che_chinh_sach"] = rng.random() < 0.5
    typed["to_chuc_kiem_diem"] = rng.random() < 0.5
    typed["tu_nhan_xet"] = f"Đơn vị {code}, lần nộp {round_no + 1}."
    return typed


def _as_posted(typed: dict) -> dict:
    """Typed answers as a Vietnamese page posts them."""
    out = {}
    for key, value in typed.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, float):
            out[key] = str(value).replace(".", ",")
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = str(value)
    return out


@dataclass(frozen=True)
class Ack:
    unit: str
    token: str
    typed: dict
    order: int  # the unit's own sequence: a later ack replaces an earlier one


class Load:
    """UNITS threads, each its unit's browser: GET the form, POST a submit (round 2: a double click)."""

    def __init__(self, base: str, tokens: dict[str, str], rounds: int = ROUNDS):
        self.base, self.tokens, self.rounds = base, tokens, rounds
        self.acks: list[Ack] = []
        self.statuses: list[tuple[str, str, int]] = []
        self.transport_errors = 0
        self.transport_error_kinds: collections.Counter = collections.Counter()  # said when the load ends early
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._unit, args=(code,), daemon=True) for code in tokens]

    def start(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def join(self, timeout: float = 120 + UNITS * ROUNDS) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self.threads), "the load did not finish in time"

    def _note(self, code: str, what: str, status: int) -> None:
        with self.lock:
            self.statuses.append((code, what, status))

    def _unit(self, code: str) -> None:
        import httpx

        # A new connection per request: a reused keep-alive connection that the server closes as idle at the
        # moment a request goes out is a disconnect a browser retries and httpx does not.
        client = httpx.Client(base_url=self.base, cookies={"forms_session": self.tokens[code]}, timeout=30,
                              follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0), verify=False)
        try:
            for round_no in range(self.rounds):
                if self.stop.is_set():
                    return
                page = client.get(SELF_URL)
                self._note(code, "GET", page.status_code)
                if page.status_code != 200:
                    continue
                fields = form_fields(page.text)
                typed = _answers(code, round_no)
                data = {**fields, **_as_posted(typed), "action": "submit"}
                clicks = 2 if round_no == 1 else 1  # a double click: the same body twice, at once
                results: list[int] = []

                def post():
                    try:
                        results.append(client.post(SELF_URL, data=data).status_code)
                    except httpx.TransportError as exc:  # the server was killed: no answer, no acknowledgement
                        with self.lock:
                            self.transport_errors += 1
                            self.transport_error_kinds[type(exc).__name__] += 1

                others = [threading.Thread(target=post) for _ in range(clicks - 1)]
                for other in others:
                    other.start()
                post()
                for other in others:
                    other.join()
                for status in results:
                    self._note(code, "POST", status)
                    if status == 303:
                        with self.lock:
                            self.acks.append(Ack(code, fields["request_token"], typed, round_no))
        except httpx.TransportError as exc:
            with self.lock:
                self.transport_errors += 1
                self.transport_error_kinds[type(exc).__name__] += 1
        finally:
            client.close()


def _check_acks(data_dir: Path, acks: list[Ack]) -> None:
    """Every acknowledged submit is one revision (by its request token), of its unit, with the answers and score sent."""
    from scoring import score, visible_answers

    definition = _definition()
    conn = sqlite3.connect(data_dir / "forms.db")
    try:
        for ack in acks:
            rows = conn.execute(
                "SELECT s.unit_code, r.action, r.total, r.answers FROM revisions r JOIN submissions s ON s.id = r.submission_id "
                "WHERE r.request_token = ?", [ack.token]).fetchall()
            assert len(rows) == 1, f"{ack.unit}: acknowledged submit stored {len(rows)} times"
            unit, action, total, answers = rows[0]
            assert (unit, action) == (ack.unit, "submit")
            assert json.loads(answers) == visible_answers(definition, ack.typed)
            assert total == score(definition, ack.typed)["total"]
    finally:
        conn.close()


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_units_submitting_at_once_are_each_stored_once_with_the_right_score(load_data):
    from scoring import score

    data_dir, tokens, start = load_data
    server = start()
    began = time.monotonic()
    load = Load(server.base, tokens).start()
    load.join()
    elapsed = time.monotonic() - began

    assert load.transport_errors == 0
    assert [s for s in load.statuses if s[2] >= 500] == []
    posts = [s for s in load.statuses if s[1] == "POST"]
    assert len(posts) == UNITS * (ROUNDS + 1)
    assert all(status == 303 for _, _, status in posts), sorted({s for _, _, s in posts})
    _check_acks(data_dir, load.acks)
    # The double click of round 2 was stored once: three submit revisions per unit, the last one counts.
    conn = sqlite3.connect(data_dir / "forms.db")
    try:
        for code in tokens:
            rows = conn.execute("SELECT r.action FROM revisions r JOIN submissions s ON s.id = r.submission_id "
                                "WHERE s.unit_code = ? AND s.form_id = ?", [code, SELF]).fetchall()
            assert [r[0] for r in rows] == ["submit"] * ROUNDS
            total, status = conn.execute("SELECT total, status FROM submissions WHERE unit_code = ? AND form_id = ?",
                                         [code, SELF]).fetchone()
            last = max((a for a in load.acks if a.unit == code), key=lambda a: a.order)
            assert (total, status) == (score(_definition(), last.typed)["total"], "submitted")
    finally:
        conn.close()
    print(f"\n{UNITS} units × {ROUNDS} rounds: {len(load.statuses)} requests, {len(load.acks)} acknowledged submits "
          f"stored once each, in {elapsed:.1f} s")


def test_a_server_killed_mid_load_keeps_every_acknowledged_submission(load_data):
    import httpx

    data_dir, tokens, start = load_data
    server = start()
    rounds = ROUNDS * 10  # more than the kill lets happen, however fast the server answers: the kill comes mid-load
    load = Load(server.base, tokens, rounds).start()
    deadline = time.monotonic() + 60 + KILL_AFTER
    while len(load.acks) < KILL_AFTER and time.monotonic() < deadline and any(t.is_alive() for t in load.threads):
        time.sleep(0.01)
    server.kill()  # SIGKILL to the whole process group, requests in flight
    still_loading = sum(t.is_alive() for t in load.threads)
    acked = list(load.acks)
    load.stop.set()
    load.join(60)
    assert len(acked) >= KILL_AFTER
    answered = collections.Counter((what, status) for _code, what, status in load.statuses)
    assert still_loading > 0 and len(load.acks) < UNITS * (rounds + 1), (
        f"the kill came after the load had finished: {answered}; transport errors {dict(load.transport_error_kinds)}")
    assert [s for s in load.statuses if s[2] >= 500] == []
    acked = list(load.acks)  # a 303 read just before the kill counts too

    assert _integrity(data_dir / "forms.db") == "ok"
    assert _integrity(data_dir / "accounts.db") == "ok"
    _check_acks(data_dir, acked)

    again = start()
    _check_acks(data_dir, acked)
    assert httpx.get(again.base + "/healthz", timeout=5).status_code == 200
    code = next(iter(tokens))
    with httpx.Client(base_url=again.base, cookies={"forms_session": tokens[code]}, timeout=30) as client:
        page = client.get(SELF_URL)
        assert page.status_code == 200
        fields = form_fields(page.text)
        typed = _answers(code, 99)
        response = client.post(SELF_URL, data={**fields, **_as_posted(typed), "action": "submit"})
        assert response.status_code == 303
    _check_acks(data_dir, [Ack(code, fields["request_token"], typed, 99)])
    assert _integrity(data_dir / "forms.db") == "ok"
    print(f"\nkilled after {len(acked)} acknowledged submits, {still_loading} units still sending: every one stored, "
          f"integrity ok, the restarted server takes submits")


# --------------------------------------------------------------------------------------------------
# The try-again page: a locked database, a full disk (Flask test client)


TYPED = {**complete_self_assessment(), "tu_nhan_xet": "Giữ nguyên những gì đã gõ khi máy chủ bận."}


def _assert_try_again_page(response, answers: dict = TYPED) -> FormPage:
    """503, the sentence, and every typed value back in its field."""
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:500]
    assert TRY_AGAIN in unescape(html)
    page = FormPage(html)
    for name, value in answers.items():
        radios = [a for a in page.inputs if a.get("name") == name and a.get("type") in ("radio", "checkbox")]
        if isinstance(value, list):
            assert sorted(page.checked(name)) == sorted(value), name
        elif radios:
            assert page.checked(name) == [value], name
        elif name == "ngay_ban_hanh_ke_hoach_cong_tac":
            assert page.value(name) == "2022-01-15"  # a date input shows ISO
        else:
            assert page.value(name) == value, name
    return page


@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_database_locked_beyond_the_busy_timeout_gives_the_form_back_to_save_again(app, toan, monkeypatch, action):
    monkeypatch.setenv("FORMS_APP_BUSY_TIMEOUT_MS", "200")
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    holder = sqlite3.connect(Path(app.config["DATA_DIR"]) / "forms.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock longer than the busy timeout
    try:
        began = time.monotonic()
        response = post_answers(toan, TYPED, action, fields=fields)
        waited = time.monotonic() - began
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    page = _assert_try_again_page(response)
    assert waited >= 0.2
    assert response.headers.get("Retry-After")
    assert revision_rows(app, "TOAN") == [] and submission_row(app, "TOAN") is None
    resent = form_fields(response.get_data(as_text=True))
    # The same request token and base revision: pressing save again is the same POST.
    assert (resent["request_token"], resent["base_revision"]) == (fields["request_token"], fields["base_revision"])
    assert page.value("request_token") == fields["request_token"]

    again = post_answers(toan, TYPED, action, fields=resent)
    assert again.status_code == 303
    rows = revision_rows(app, "TOAN")
    assert [(r["action"], r["request_token"]) for r in rows] == [(action, fields["request_token"])]
    assert rows[0]["answers"]["tu_nhan_xet"] == TYPED["tu_nhan_xet"]


def test_an_upload_or_a_late_post_under_a_lock_gets_the_same_page(app, toan, monkeypatch):
    """The two other writes of the form POST: storing an uploaded file, and keeping a post after the deadline."""
    monkeypatch.setenv("FORMS_APP_BUSY_TIMEOUT_MS", "100")
    data_dir = Path(app.config["DATA_DIR"])
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    holder = sqlite3.connect(data_dir / "forms.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with_file = post_answers(toan, TYPED, "save", fields=fields, files={"file_ke_hoach_cong_tac": pdf_upload()})
        app.config["NOW"] = OPEN_DAY + dt.timedelta(days=30)  # after the deadline: the post is kept as "late"
        late = post_answers(toan, TYPED, "submit", fields=fields)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _assert_try_again_page(with_file)
    _assert_try_again_page(late)
    assert "Đã hết hạn nộp" in unescape(late.get_data(as_text=True))  # and why the form is closed
    assert 'name="action" value="submit"' in late.get_data(as_text=True)  # with a button to send it again
    assert revision_rows(app, "TOAN") == []
    from support.data import forms_sql

    assert forms_sql(app, "SELECT COUNT(*) FROM uploads") == [(0,)]
    assert [p for p in (data_dir / "uploads").rglob("*.part")] == []

    again = post_answers(toan, TYPED, "submit", fields=fields)
    assert again.status_code == 409
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["late"]


def test_a_database_full_by_max_page_count_gives_the_form_back_and_stores_nothing(app, toan, monkeypatch):
    """SQLITE_FULL from SQLite itself, without a full disk: the app's connections to forms.db may not
    grow the file (PRAGMA max_page_count = its current size), so the real INSERTs of store.record fail
    with "database or disk is full" inside the real transaction. Runs everywhere (no mount needed)."""
    from forms_app.data import connection as database

    data_dir = Path(app.config["DATA_DIR"])
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    vacuum = sqlite3.connect(data_dir / "forms.db")
    vacuum.execute("VACUUM")  # no free pages left to reuse
    vacuum.close()
    real_connect = database.connect

    def capped(path, **kwargs):
        db = real_connect(path, **kwargs)
        if Path(path).name == database.FORMS_DB:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(database, "connect", capped)
    big = {**TYPED, "tu_nhan_xet": ("Nhận xét dài. " * 200).strip()}  # ~2.8 KB: needs new pages wherever it goes
    response = post_answers(toan, big, "submit", fields=fields)
    _assert_try_again_page(response, big)
    assert revision_rows(app, "TOAN") == [] and submission_row(app, "TOAN") is None
    assert _integrity(data_dir / "forms.db") == "ok"

    monkeypatch.setattr(database, "connect", real_connect)
    assert post_answers(toan, big, "submit", fields=fields).status_code == 303
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["submit"]


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 16 MB tmpfs (needs root and permission to mount; skipped otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("a small tmpfs needs root (mount -t tmpfs); the max_page_count test covers SQLITE_FULL without it")
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here ({done.stderr.strip()}); "
                    "the max_page_count test covers SQLITE_FULL without it")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _fill_disk(path: Path) -> None:
    """Write until the file system says ENOSPC, in ever smaller pieces."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            chunk = b"\0" * size
            while True:
                try:
                    if os.write(fd, chunk) < size:
                        break
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)


def test_a_full_disk_gives_the_form_back_and_stores_nothing(small_tmpfs):
    """The data directory on a real (small) tmpfs filled to ENOSPC: an upload's blob and then SQLite's
    WAL cannot be written; each POST gets the try-again page, nothing is half-written.

    The app is the one `forms-app serve` runs (web.create_wsgi, which keeps one connection to each
    database open so that SQLite's -wal/-shm files survive idle moments), driven by a test client.
    """

    from forms_app.adapters.wsgi import create_wsgi

    data_dir = build_data_dir(small_tmpfs / "data")
    application = create_wsgi(data_dir, {"TESTING": True, "NOW": OPEN_DAY})
    app = application.flask_app
    register(app, "TOAN")
    client = ProductClient(application)
    start_session(app, client, "toan")
    fields = form_fields(client.get(SELF_URL).get_data(as_text=True))
    filler = small_tmpfs / "filler"
    _fill_disk(filler)

    # An upload: its blob cannot be written (OSError ENOSPC), no part file is left behind.
    with_file = post_answers(client, TYPED, "save", fields=fields,
                             files={"file_ke_hoach_cong_tac": pdf_upload("ke-hoach.pdf")})
    _assert_try_again_page(with_file)
    assert [p for p in (data_dir / "uploads").rglob("*") if p.is_file()] == []
    # Without a file: SQLite cannot write its WAL ("database or disk is full"), the transaction rolls back.
    response = post_answers(client, TYPED, "submit", fields=fields)
    _assert_try_again_page(response)

    assert revision_rows(app, "TOAN") == [] and submission_row(app, "TOAN") is None
    assert _integrity(data_dir / "forms.db") == "ok"
    assert _integrity(data_dir / "accounts.db") == "ok"
    from support.data import forms_sql

    assert forms_sql(app, "SELECT COUNT(*) FROM uploads") == [(0,)]

    filler.unlink()  # room again: the same POST goes through
    again = post_answers(client, TYPED, "submit", fields=fields, files={"file_ke_hoach_cong_tac": pdf_upload("ke-hoach.pdf")})
    assert again.status_code == 303
    rows = revision_rows(app, "TOAN")
    assert [(r["action"], r["request_token"]) for r in rows] == [("submit", fields["request_token"])]
    assert rows[0]["answers"]["file_ke_hoach_cong_tac"]
    assert _integrity(data_dir / "forms.db") == "ok"
    for conn in application.keep_open:
        conn.close()
