"""Shared fixtures: small definitions built as plain dicts and written to real files in tmp_path."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from form_definitions.model import Definition, build

MINIMAL = {
    "$schema": "schema/form-definition.schema.json",
    "id": "mau-thu",
    "version": 1,
    "title": {"vi": "Biểu mẫu thử", "en": "Test form"},
    "languages": ["vi", "en"],
    "schedule": {"first_year": 2018, "last_year": 2022,
                 "opens": {"month": 8, "day": 1}, "closes": {"month": 10, "day": 1}},
    "criteria": [{"id": "2.1.1", "label": {"vi": "Tiêu chí một", "en": "Criterion one"}}],
    "sections": [
        {
            "id": "phan_a",
            "title": {"vi": "Phần A", "en": "Part A"},
            "pass_min": 5,
            "questions": [
                {"id": "co_ke_hoach", "type": "boolean", "label": {"vi": "Có kế hoạch?", "en": "Has a plan?"},
                 "required": True, "criterion": "2.1.1", "points": {"true": 4, "false": 0}},
                {"id": "tong_so", "type": "integer", "label": {"vi": "Tổng số đoàn viên", "en": "Members"},
                 "min": 0, "max": 100000, "points": {"bands": [{"at_least": 100, "points": 3}, {"at_least": 10, "points": 1}]}},
                {"id": "danh_gia", "type": "integer", "label": {"vi": "Số đoàn viên được đánh giá", "en": "Assessed"},
                 "min": 0, "points": {"ratio_to": "tong_so", "bands": [{"at_least": 0.5, "points": 5}, {"at_least": 0.2, "points": 3}]}},
                {"id": "hinh_thuc", "type": "single_choice", "label": {"vi": "Hình thức", "en": "Form"},
                 "choices": [{"value": "truc_tiep", "label": {"vi": "Trực tiếp", "en": "In person"}, "points": 2},
                             {"value": "truc_tuyen", "label": {"vi": "Trực tuyến", "en": "Online"}, "points": 1}]},
                {"id": "kenh", "type": "multi_choice", "label": {"vi": "Kênh", "en": "Channels"}, "max_points": 3,
                 "min_selected": 1, "max_selected": 3,
                 "choices": [{"value": "zalo", "label": "Zalo", "points": 2}, {"value": "facebook", "label": "Facebook", "points": 2},
                             {"value": "khac", "label": {"vi": "Khác", "en": "Other"}}],
                 "visible_if": {"question": "co_ke_hoach", "equals": True}},
                {"id": "minh_chung", "type": "file", "label": {"vi": "Minh chứng", "en": "Evidence"},
                 "accept": ["pdf"], "max_mb": 5, "points": {"if_provided": 1},
                 "visible_if": {"any": [{"question": "kenh", "in": ["zalo"]}, {"not": {"question": "tong_so", "at_least": 1}}]}},
                {"id": "ghi_chu", "type": "text", "label": {"vi": "Ghi chú", "en": "Notes"}, "multiline": True, "max_length": 200},
                {"id": "ngay", "type": "date", "label": {"vi": "Ngày", "en": "Date"}, "min": "2018-01-01", "max": "2022-12-31"},
                {"id": "ti_le", "type": "number", "label": {"vi": "Tỉ lệ", "en": "Rate"}, "min": 0, "max": 1,
                 "required": True, "visible_if": {"question": "tong_so", "answered": True}},
            ],
        },
    ],
    "result": {
        "bands": [{"at_least": 12, "label": {"vi": "Tốt", "en": "Good"}}, {"at_least": 0, "label": {"vi": "Chưa đạt", "en": "Not yet"}}],
        "recognised_if": {"total_at_least": 8, "all_sections_pass": True},
    },
}


def minimal_document() -> dict:
    """A fresh deep copy of a small valid definition using every question type."""
    return copy.deepcopy(MINIMAL)


def make_definition(document: dict | None = None, file: str = "mau-thu.json") -> Definition:
    """The model of a (schema-valid) document, without running the checks."""
    return build(document or minimal_document(), file)


@pytest.fixture
def write_json(tmp_path: Path):
    """Write a document (or raw text) to a file in tmp_path and return its path."""

    def write(document, name: str = "mau-thu.json") -> Path:
        path = tmp_path / name
        path.write_text(document if isinstance(document, str) else json.dumps(document, ensure_ascii=False), "utf-8")
        return path

    return write


# The web app on a fresh data directory: shipped definitions, three units, one account per role.

import datetime as dt
import re

PASSWORD = "mat-khau-thu-nghiem"
WEB_UNITS = [
    {"code": "TOAN", "name": "Đoàn khoa Toán – Tin", "cluster": "Cụm 1 – Khoa học Tự nhiên"},
    {"code": "VAN", "name": "Đoàn khoa Ngữ văn", "cluster": "Cụm 2 – Khoa học Xã hội"},
    {"code": "LY", "name": "Đoàn khoa Vật lý", "cluster": "Cụm 1 – Khoa học Tự nhiên"},
]
# Inside the 2022 self-assessment window (1 Aug – 1 Oct 2022) and after the 2022 registration closed.
OPEN_DAY = dt.datetime(2022, 9, 15, 3, 0, tzinfo=dt.timezone.utc)


def build_data_dir(data_dir: Path) -> Path:
    """A migrated data directory with the shipped definitions, WEB_UNITS and accounts for every role."""
    from forms_app.rules import accounts
    from forms_app.data import connection as database
    from forms_app.rules.registry import load_definitions_into
    from form_definitions import shipped_folder

    database.migrate(data_dir)
    forms = database.open_forms(data_dir)
    accounts_db = database.open_accounts(data_dir)
    load_definitions_into(forms, [shipped_folder()])
    now = "2022-01-01T00:00:00+00:00"
    from forms_app.data.text import fold

    forms["units"].insert_all([{**u, "name_ascii": fold(u["name"]), "created_at": now, "updated_at": now} for u in WEB_UNITS])
    for username, role, unit in [("toan", "unit", "TOAN"), ("toan2", "unit", "TOAN"), ("van", "unit", "VAN"),
                                 ("vanphong", "reviewer", None), ("admin", "admin", None)]:
        accounts.add_user(accounts_db, username, PASSWORD, role, unit, password_hash=_cheap_hash(role))
    forms.close()
    accounts_db.close()
    return data_dir


_HASHES: dict[str, str] = {}


def _cheap_hash(role: str) -> str:
    """One argon2 hash of PASSWORD, reused: hashing is the slow part of making accounts."""
    if "h" not in _HASHES:
        from forms_app.rules.accounts import hash_password

        _HASHES["h"] = hash_password(PASSWORD)
    return _HASHES["h"]


@pytest.fixture
def app(tmp_path):
    from forms_app.adapters.web.app import create_app

    data_dir = build_data_dir(tmp_path / "data")
    application = create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": OPEN_DAY})
    return application


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token a page hands out (the session cookie that goes with it stays in the client)."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, f"no csrf_token on {url}"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the answer form (csrf_token, base_revision, request_token)."""
    fields = {}
    for name in ("csrf_token", "base_revision", "request_token"):
        match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        if match:
            value = re.search(r'value="([^"]*)"', match.group(0))
            fields[name] = value.group(1) if value else ""
    return fields


REGISTRATION_ANSWERS = {
    "cam_ket_xay_dung": True, "file_ke_hoach_3_chu_dong": "ke-hoach.pdf", "so_can_bo_phu_trach": 3,
    "da_dang_ky_voi_cap_uy": True,
}


def register(app, unit_code: str, year: int = 2022) -> None:
    """Record a submitted registration for a unit (the self-assessment requires it)."""
    from forms_app.data import connection as database
    from forms_app.rules import registry, submitting as submissions

    forms = database.open_forms(app.config["DATA_DIR"])
    try:
        definition = registry.definition(forms, "dang-ky-3-chu-dong")
        submissions.record(forms, unit_code=unit_code, definition=definition, cycle_year=year,
                           answers=REGISTRATION_ANSWERS, action="submit", author="test", base_revision=None,
                           request_token=None)
    finally:
        forms.close()



def open_for_toan_today(data_dir: Path) -> Path:
    """`build_data_dir`, with TOAN registered for 2022 and its self-assessment open until today + 30 days
    (for `forms-app serve`, which reads the real clock)."""
    from forms_app.adapters.web.app import create_app
    from forms_app.data import connection as database
    from forms_app.adapters.web.admin import grant_extension

    build_data_dir(data_dir)
    register(create_app({"DATA_DIR": data_dir}), "TOAN", 2022)
    forms = database.open_forms(data_dir)
    try:
        grant_extension(forms, "TOAN", SELF, 2022, dt.date.today() + dt.timedelta(days=30), "thử nghiệm", "admin")
    finally:
        forms.close()
    return data_dir

# Helpers for the web tests (tests/test_web_*.py): the shipped self-assessment filled the way a browser posts it.

import html as _html
import io
import json as _json
import sqlite3
from html.parser import HTMLParser

SELF = "tu-danh-gia-3-chu-dong"
REGISTRATION = "dang-ky-3-chu-dong"
SELF_URL = f"/forms/{SELF}/2022"
# A real (tiny) PDF: the upload check looks at the first bytes, not only the name.
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def complete_self_assessment() -> dict:
    """Every visible question of the 2022 self-assessment answered validly, as a browser posts it (text, lists)."""
    return {
        "kenh_nam_bat_tinh_hinh": ["zalo", "khao_sat"],
        "tan_suat_tong_hop_tinh_hinh": "hang_thang",
        "so_doan_vien": "1.240",
        "cap_nhat_danh_sach_doan_vien": "thuong_xuyen",
        "so_doan_vien_duoc_danh_gia": "1200",
        "so_doan_vien_moi": "12",
        "dung_quy_trinh_phat_trien_doan_vien": "true",
        "dung_quy_trinh_chuyen_sinh_hoat": "false",
        "da_ra_soat_hoan_canh_kho_khan": "true",
        "doi_tuong_duoc_ra_soat": ["thanh_nien_dan_toc"],
        "so_dvtn_hoan_canh_kho_khan": "20",
        "so_dvtn_kho_khan_duoc_giup_do": "15",
        "gia_tri_ho_tro": "12,5",
        "so_buoi_pho_bien": "4",
        "linh_vuc_pho_bien": ["chinh_tri", "kinh_te"],
        "hoat_dong_bao_ve_quyen_loi": ["doi_thoai_lanh_dao"],
        "co_chuong_trinh_hanh_dong": "true",
        "ngay_ban_hanh_ke_hoach_cong_tac": "15/01/2022",
        "can_cu_ke_hoach": ["nghi_quyet_cap_uy"],
        "so_hoat_dong_theo_ke_hoach": "10",
        "so_hoat_dong_da_thuc_hien": "9",
        "linh_vuc_hoat_dong": ["tinh_nguyen"],
        "co_cong_trinh_phan_viec": "true",
        "so_cong_trinh_phan_viec": "3",
        "so_chi_doan": "24",
        "so_chi_doan_sinh_hoat_dinh_ky": "22",
        "tan_suat_sinh_hoat_chi_doan": "hang_thang",
        "so_thanh_nien_duoc_tap_hop": "900",
        "so_chi_doan_duoc_kiem_tra": "12",
        "to_chuc_kiem_diem": "true",
        "so_de_xuat_tham_muu_cap_uy": "3",
        "so_de_xuat_duoc_tiep_thu": "2",
        "cap_uy_ban_hanh_van_ban_chi_dao": "true",
        "noi_dung_tham_muu_can_bo": ["quy_hoach"],
        "so_luot_can_bo_duoc_boi_duong": "8",
        "to_chuc_phoi_hop": ["chinh_quyen"],
        "so_hoat_dong_phoi_hop": "3",
        "tham_muu_co_che_chinh_sach": "true",
        "tu_nhan_xet": "Đơn vị hoàn thành tốt các chỉ tiêu.",
    }


def pdf_upload(name: str = "minh-chung.pdf", content: bytes = PDF):
    """A file field value for the Flask test client (sent as multipart)."""
    return (io.BytesIO(content), name)


def post_answers(client, answers: dict, action: str = "save", url: str = SELF_URL, *, fields: dict | None = None,
                 files: dict | None = None):
    """POST answers to a form page with its hidden fields (read from a fresh GET unless `fields` is given)."""
    if fields is None:
        fields = form_fields(client.get(url).get_data(as_text=True))
    data = {**fields, **answers, "action": action}
    for name, value in (files or {}).items():
        data[name] = value
    return client.post(url, data=data, content_type="multipart/form-data")


class FormPage(HTMLParser):
    """What a form page shows: input values, checked boxes, textareas, error and summary elements."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.inputs: list[dict] = []
        self.textareas: dict[str, str] = {}
        self.classes: list[tuple[str, dict]] = []
        self._textarea: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = {k: ("" if v is None else v) for k, v in attrs}
        for cls in attributes.get("class", "").split():
            self.classes.append((cls, attributes))
        if tag == "input":
            self.inputs.append(attributes)
        elif tag == "textarea":
            self._textarea = attributes.get("name")
            self.textareas[self._textarea] = ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self.textareas[self._textarea] += data

    def value(self, name: str) -> str | None:
        """The value of a text-like input (or textarea) named `name`."""
        if name in self.textareas:
            text = self.textareas[name]  # a browser drops one newline right after <textarea>
            return text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text
        for attributes in self.inputs:
            if attributes.get("name") == name and attributes.get("type", "text") not in ("radio", "checkbox"):
                return attributes.get("value", "")
        return None

    def checked(self, name: str) -> list[str]:
        """The values of the checked radios or checkboxes named `name`."""
        return [a.get("value", "") for a in self.inputs if a.get("name") == name and "checked" in a]

    def has_input(self, name: str) -> bool:
        return any(a.get("name") == name for a in self.inputs)

    def error_ids(self) -> list[str]:
        """The ids of the field-error paragraphs (`<qid>-error`)."""
        return [a.get("id", "") for cls, a in self.classes if cls == "field-error"]

    def has_class(self, name: str) -> bool:
        return any(cls == name for cls, _ in self.classes)


def forms_sql(app, sql: str, params=()) -> list[tuple]:
    """Rows of a query on the data directory's forms.db, read with plain sqlite3."""
    conn = sqlite3.connect(Path(app.config["DATA_DIR"]) / "forms.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def revision_rows(app, unit_code: str, form_id: str = SELF, year: int = 2022) -> list[dict]:
    """Every revision of a unit's submission, oldest first, with its answers decoded."""
    rows = forms_sql(app, "SELECT r.number, r.action, r.author, r.answers, r.total, r.request_token FROM revisions r "
                          "JOIN submissions s ON s.id = r.submission_id WHERE s.unit_code = ? AND s.form_id = ? "
                          "AND s.cycle_year = ? ORDER BY r.number", (unit_code, form_id, year))
    return [{"number": n, "action": a, "author": au, "answers": _json.loads(ans), "total": t, "request_token": tok}
            for n, a, au, ans, t, tok in rows]


def submission_row(app, unit_code: str, form_id: str = SELF, year: int = 2022) -> dict | None:
    conn = sqlite3.connect(Path(app.config["DATA_DIR"]) / "forms.db")
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM submissions WHERE unit_code = ? AND form_id = ? AND cycle_year = ?",
                           (unit_code, form_id, year)).fetchone()
        return dict(row) if row else None
    finally:
        conn.close()


def current_answers(app, unit_code: str, form_id: str = SELF, year: int = 2022) -> dict:
    submission = submission_row(app, unit_code, form_id, year)
    if not submission or not submission["current_revision"]:
        return {}
    row = forms_sql(app, "SELECT answers FROM revisions WHERE submission_id = ? AND number = ?",
                    (submission["id"], submission["current_revision"]))
    return _json.loads(row[0][0])


def start_session(app, client, username: str) -> str:
    """Sign a client in without the login form (an argon2 check costs ~0.15 s): a server-side session and its cookie."""
    from forms_app.adapters.web.context import SESSION_COOKIE
    from forms_app.rules import accounts
    from forms_app.data import connection as database

    accounts_db = database.open_accounts(app.config["DATA_DIR"])
    try:
        token = accounts.start_session(accounts_db, username)
    finally:
        accounts_db.close()
    client.set_cookie(SESSION_COOKIE, token)
    return token


@pytest.fixture
def signed_in(app):
    """A factory of test clients on `app`, each signed in as one of the conftest accounts (login form tested elsewhere)."""

    def make(username: str):
        client = app.test_client()
        start_session(app, client, username)
        return client

    return make


@pytest.fixture
def toan(app, signed_in):
    """A client signed in as toan (unit TOAN), whose 2022 registration is submitted: the self-assessment is open."""
    register(app, "TOAN")
    return signed_in("toan")


def unescape(text: str) -> str:
    return _html.unescape(text)


# `forms-app serve` for the tests that go through the real server.

import os
import signal
import subprocess
import sys
import time


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`forms-app serve` in its own process group (so that the whole group can be killed at once)."""

    def __init__(self, data_dir: Path, log: Path, *arguments: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [str(Path(sys.executable).parent / "forms-app"), "serve", "--data-dir", str(data_dir),
                   "--port", str(self.port), *arguments]
        env = {k: v for k, v in os.environ.items() if k != "FORMS_APP_BUSY_TIMEOUT_MS"}
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.kill()
                raise RuntimeError("forms-app serve did not start: " + self.log.read_text(errors="replace")[-3000:])
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the master and every worker: no shutdown code runs."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass
