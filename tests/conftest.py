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
    from forms_app import accounts, db as database
    from forms_app.registry import load_definitions_into
    from form_definitions import shipped_folder

    database.migrate(data_dir)
    forms = database.open_forms(data_dir)
    accounts_db = database.open_accounts(data_dir)
    load_definitions_into(forms, [shipped_folder()])
    now = "2022-01-01T00:00:00+00:00"
    forms["units"].insert_all([{**u, "created_at": now, "updated_at": now} for u in WEB_UNITS])
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
        from forms_app.accounts import hash_password

        _HASHES["h"] = hash_password(PASSWORD)
    return _HASHES["h"]


@pytest.fixture
def app(tmp_path):
    from forms_app import create_app

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
    from forms_app import db as database, registry, submissions

    forms = database.open_forms(app.config["DATA_DIR"])
    try:
        definition = registry.definition(forms, "dang-ky-3-chu-dong")
        submissions.record(forms, unit_code=unit_code, definition=definition, cycle_year=year,
                           answers=REGISTRATION_ANSWERS, action="submit", author="test", base_revision=None,
                           request_token=None)
    finally:
        forms.close()
