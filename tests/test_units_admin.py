"""The administrator's page of units' e-mail addresses (issue 16: the addresses the reminders go to, set by
`forms-app units import` or here): listed, searched, filtered to those with none, paged, edited, refused with a
sentence, cleared; only for admins."""

from __future__ import annotations

import re

import pytest
from support.data import TRICKY, forms_sql, opened
from support.web import csrf_token, unescape

from forms_app.rules import units


def email_of(app, code: str) -> str | None:
    return forms_sql(app, "SELECT email FROM units WHERE code = ?", [code])[0][0]


def post_email(client, code: str, email: str):
    token = csrf_token(client, f"/admin/units/{code}")
    return client.post(f"/admin/units/{code}", data={"csrf_token": token, "email": email})


def listed_codes(text: str) -> list[str]:
    return re.findall(r'href="/admin/units/([^"?]+)"', text)


@pytest.fixture
def admin(signed_in):
    return signed_in("admin")


def test_the_admin_lists_every_unit_with_its_address(app, admin):
    with opened(app.config["DATA_DIR"]) as forms:
        units.set_email(forms, "VAN", "van@example.edu.vn", "admin")
    response = admin.get("/admin/units")
    assert response.status_code == 200
    text = unescape(response.get_data(as_text=True))
    assert listed_codes(text) == ["LY", "TOAN", "VAN"]
    assert "Đoàn khoa Toán – Tin" in text and "Cụm 1 – Khoa học Tự nhiên" in text
    assert "van@example.edu.vn" in text
    assert 'href="/admin/units"' in admin.get("/admin/users").get_data(as_text=True)  # linked from the accounts page


def test_the_admin_searches_by_code_or_name_and_finds_the_units_with_no_address(app, admin):
    with opened(app.config["DATA_DIR"]) as forms:
        units.set_email(forms, "VAN", "van@example.edu.vn", "admin")
    assert listed_codes(admin.get("/admin/units?q=toan").get_data(as_text=True)) == ["TOAN"]  # "Toán" without its mark
    assert listed_codes(admin.get("/admin/units?q=ngu+van").get_data(as_text=True)) == ["VAN"]
    assert listed_codes(admin.get("/admin/units?missing=1").get_data(as_text=True)) == ["LY", "TOAN"]
    assert listed_codes(admin.get("/admin/units?q=van&missing=1").get_data(as_text=True)) == []
    empty = unescape(admin.get("/admin/units?q=khong-co-don-vi-nay").get_data(as_text=True))
    assert "Không có đơn vị nào khớp với bộ lọc." in empty


def test_many_units_come_in_pages(app, admin):
    with opened(app.config["DATA_DIR"]) as forms:
        with forms.conn:
            units.add_units(forms, [{"code": f"D{n:03}", "name": f"Đoàn {n}", "cluster": "Cụm 3"} for n in range(120)])
    first = unescape(admin.get("/admin/units").get_data(as_text=True))
    assert len(listed_codes(first)) == 50 and "Trang 1/3" in first
    last = unescape(admin.get("/admin/units?page=3").get_data(as_text=True))
    assert listed_codes(last) == ["D100", *[f"D{n}" for n in range(101, 120)], "LY", "TOAN", "VAN"]
    assert listed_codes(admin.get("/admin/units?page=99").get_data(as_text=True)) == listed_codes(last)
    missing = unescape(admin.get("/admin/units?missing=1&page=2").get_data(as_text=True))
    assert 'href="/admin/units?missing=1&page=3"' in missing  # the pager keeps the filter


def test_the_admin_sets_an_address_and_clears_it(app, admin):
    response = post_email(admin, "TOAN", "  toan@example.edu.vn ")
    assert response.status_code == 303
    assert email_of(app, "TOAN") == "toan@example.edu.vn"
    page = unescape(admin.get(response.location).get_data(as_text=True))
    assert "Đã lưu địa chỉ thư điện tử của TOAN: toan@example.edu.vn." in page
    assert 'value="toan@example.edu.vn"' in admin.get("/admin/units/TOAN").get_data(as_text=True)
    cleared = post_email(admin, "TOAN", "")
    assert cleared.status_code == 303
    assert email_of(app, "TOAN") is None
    assert "Đã xoá địa chỉ thư điện tử của TOAN." in unescape(admin.get(cleared.location).get_data(as_text=True))
    assert forms_sql(app, "SELECT action, unit_code FROM audit_log WHERE action = 'unit_email_set'") == [
        ("unit_email_set", "TOAN"), ("unit_email_set", "TOAN")]


@pytest.mark.parametrize("typed", ["khong-phai-dia-chi", "toan@truong", "toan @example.edu.vn", "a@b@example.vn",
                                   "<toan>@example.edu.vn", "x" * 250 + "@example.edu.vn"])
def test_an_address_that_is_not_one_is_refused_with_a_sentence_and_kept(app, admin, typed):
    post_email(admin, "TOAN", "toan@example.edu.vn")
    response = post_email(admin, "TOAN", typed)
    assert response.status_code == 422
    text = unescape(response.get_data(as_text=True))
    assert "không phải là một địa chỉ thư điện tử" in text or "dài quá" in text
    assert 'aria-invalid="true"' in text and 'id="email-error"' in text
    assert f'value="{typed}"' in text  # what was typed is kept
    assert email_of(app, "TOAN") == "toan@example.edu.vn"


def test_an_unknown_unit_is_not_found(admin):
    assert admin.get("/admin/units/KHONGCO").status_code == 404
    token = csrf_token(admin, "/admin/units/TOAN")
    assert admin.post("/admin/units/KHONGCO", data={"csrf_token": token, "email": "a@example.vn"}).status_code == 404


def test_the_units_text_is_escaped(app, admin):
    with opened(app.config["DATA_DIR"]) as forms:
        units.save_units(forms, [{"code": "VAN", "name": TRICKY, "cluster": '<b>Cụm "2"</b>'}])
    for url in ("/admin/units", "/admin/units/VAN"):
        text = admin.get(url).get_data(as_text=True)
        assert "<img" not in text and "<b>Cụm" not in text
        assert "&lt;img" in text


@pytest.mark.parametrize("username", ["toan", "vanphong", "kiemtra", "phutrachcum"])
def test_only_admins_reach_the_units_addresses(app, signed_in, username):
    client = signed_in(username)
    assert client.get("/admin/units").status_code == 403
    assert client.get("/admin/units/TOAN").status_code == 403
    token = csrf_token(client, "/account/password")
    assert client.post("/admin/units/TOAN", data={"csrf_token": token, "email": "x@example.vn"}).status_code == 403
    assert email_of(app, "TOAN") is None


def test_a_post_without_its_token_changes_nothing(app, admin):
    response = admin.post("/admin/units/TOAN", data={"email": "toan@example.edu.vn"})
    assert response.status_code in (400, 403)
    assert email_of(app, "TOAN") is None
