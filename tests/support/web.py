"""Helpers for the web tests: signing in, the shipped self-assessment filled the way a browser posts it, and
what a form page shows."""

from __future__ import annotations

import contextlib
import html
import io
import re
import time
from html.parser import HTMLParser

from werkzeug.test import Client

from forms_app.adapters.web.context import SESSION_COOKIE
from forms_app.data import connection
from forms_app.rules import accounts
from support.data import PASSWORD, SELF, opened

SELF_URL = f"/forms/{SELF}/2022"


class ProductClient(Client):
    """werkzeug's test client for the whole product (`create_wsgi`), every response read to its end and closed.

    Datasette answers through a2wsgi from a coroutine on an event-loop thread; a response left unread keeps that
    coroutine pending, and when the garbage collector finalises it later (inside whatever code the loop thread
    runs then, once inside ThreadPoolExecutor.submit holding its global lock) the test process hangs. gunicorn always
    reads and closes a response; so does this client.
    """

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)
# A real (tiny) PDF: the upload check looks at the first bytes, not only the name.
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token a page hands out (the session cookie that goes with it stays in the client)."""
    text = client.get(url).get_data(as_text=True)
    match = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
             or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', text))
    assert match, f"no csrf_token on {url}"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    """Sign in through the login form (a 302 is asserted)."""
    form = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    response = client.post("/login", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def start_session(app, client, username: str) -> str:
    """Sign a client in without the login form (which its own tests cover): a server-side session and its cookie."""
    with opened(app.config["DATA_DIR"], connection.open_accounts) as accounts_db:
        token = accounts.start_session(accounts_db, username)
    client.set_cookie(SESSION_COOKIE, token)
    return token


def form_fields(text: str) -> dict[str, str]:
    """The hidden fields of the answer form (csrf_token, base_revision, request_token)."""
    fields = {}
    for name in ("csrf_token", "base_revision", "request_token"):
        match = re.search(rf'<input[^>]*name="{name}"[^>]*>', text)
        if match:
            value = re.search(r'value="([^"]*)"', match.group(0))
            fields[name] = value.group(1) if value else ""
    return fields


def complete_self_assessment() -> dict:
    """Every visible question of the 2022 self-assessment (the latest shipped version, 2) answered validly, as a
    browser posts it (text, lists); no file uploaded, so the points bound to evidence are not earned."""
    return {
        "kenh_nam_bat_tinh_hinh": ["zalo", "khao_sat"],
        "tan_suat_tong_hop_tinh_hinh": "hang_thang",
        "so_doan_vien": "1.240",
        "cap_nhat_danh_sach_doan_vien": "thuong_xuyen",
        "so_doan_vien_duoc_danh_gia": "1200",
        "so_doan_vien_moi": "12",
        "dung_quy_trinh_phat_trien_doan_vien": "true",
        "trien_khai_chuong_trinh_ren_luyen": "true",
        "dung_quy_trinh_chuyen_sinh_hoat": "false",
        "quy_trinh_truong_thanh_doan": "khong_phat_sinh",
        "quy_trinh_ky_luat_doan_vien": "dung_quy_trinh",
        "da_ra_soat_hoan_canh_kho_khan": "true",
        "doi_tuong_duoc_ra_soat": ["thanh_nien_dan_toc"],
        "so_dvtn_hoan_canh_kho_khan": "20",
        "so_dvtn_kho_khan_duoc_giup_do": "15",
        "gia_tri_ho_tro": "12,5",
        "so_buoi_pho_bien": "4",
        "linh_vuc_pho_bien": ["chinh_tri", "kinh_te"],
        "hoat_dong_bao_ve_quyen_loi": ["doi_thoai_lanh_dao"],
        "so_kien_nghi_tiep_nhan": "5",
        "so_kien_nghi_duoc_giai_quyet": "4",
        "co_chuong_trinh_hanh_dong": "true",
        "ngay_ban_hanh_ke_hoach_cong_tac": "15/01/2022",
        "can_cu_ke_hoach": ["nghi_quyet_cap_uy"],
        "ke_hoach_co_chi_tieu_phan_cong": "true",
        "so_hoat_dong_theo_ke_hoach": "10",
        "so_hoat_dong_da_thuc_hien": "9",
        "linh_vuc_hoat_dong": ["tinh_nguyen"],
        "co_cong_trinh_phan_viec": "true",
        "so_cong_trinh_phan_viec": "3",
        "so_chi_doan": "24",
        "so_chi_doan_sinh_hoat_dinh_ky": "22",
        "tan_suat_sinh_hoat_chi_doan": "hang_thang",
        "so_thanh_nien_chua_vao_doan_hoi": "120",
        "so_thanh_nien_duoc_tap_hop": "60",
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


@contextlib.contextmanager
def statements_datasette_runs(product):
    """Every statement Datasette runs on forms.db inside the block, lower-cased with its spaces collapsed."""
    ran: list[str] = []
    database = product.datasette.get_database("forms")
    execute = database.execute

    async def traced(sql, *args, **kwargs):
        ran.append(" ".join(str(sql).split()).lower())
        return await execute(sql, *args, **kwargs)

    database.execute = traced
    try:
        yield ran
    finally:
        database.execute = execute


def signed_in_clients(app):
    """A factory of test clients on `app`, each signed in as one of its accounts (the login form has its own tests)."""

    def make(username: str):
        client = app.test_client()
        start_session(app, client, username)
        return client

    return make


def page_text(client, url: str, status: int = 200) -> str:
    """The text of a page (entities decoded), once its status is the one expected."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


def unescape(text: str) -> str:
    """A page's text with its HTML entities decoded."""
    return html.unescape(text)


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
        """Whether the page has an input named `name`."""
        return any(a.get("name") == name for a in self.inputs)

    def error_ids(self) -> list[str]:
        """The ids of the field-error paragraphs (`<qid>-error`)."""
        return [a.get("id", "") for cls, a in self.classes if cls == "field-error"]

    def has_class(self, name: str) -> bool:
        """Whether any element carries the class `name`."""
        return any(cls == name for cls, _ in self.classes)


ATTACHMENT = "attachment"


def downloaded(client, url: str, timeout: float = 90, **options):
    """GET `url` (with `options`: headers…) until the file comes (the waiting page meanwhile); the response with the
    file (exports are built by background jobs: tests/test_export_jobs.py)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(url, **options)
        if ATTACHMENT in response.headers.get("Content-Disposition", ""):
            return response
        assert response.status_code == 200, response.status_code
        page = unescape(response.get_data(as_text=True))
        assert "Đang chuẩn bị tệp" in page, page
        assert time.monotonic() < deadline, f"{url}: not built in {timeout} s"
        time.sleep(0.3)
