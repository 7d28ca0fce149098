"""A POST to a form page without a live session: kept for the account whose session just ended, and only for it;
from anyone else (curl, a browser that never signed in, a session long gone) refused with a sentence, nothing written."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from support.data import PASSWORD, REGISTRATION, SELF, register, revision_rows
from support.web import SELF_URL, FormPage, form_fields, post_answers, sign_in, start_session, unescape

from forms_app.adapters.web.context import SESSION_COOKIE
from forms_app.adapters.web.stash import STASH_COOKIE
from forms_app.rules import accounts, kept_posts

TYPED = {"so_doan_vien": "4321", "tu_nhan_xet": "Gõ trước khi hết phiên"}


def accounts_db_state(app) -> dict:
    """What a write to accounts.db would change: its bytes, its WAL, its page count and the kept posts."""
    path = Path(app.config["DATA_DIR"]) / "accounts.db"
    wal = path.with_name("accounts.db-wal")
    state = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "size": path.stat().st_size,
             "wal": wal.read_bytes() if wal.exists() else b""}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        state["page_count"] = conn.execute("PRAGMA page_count").fetchone()[0]
        state["pending_posts"] = conn.execute("SELECT COUNT(*) FROM pending_posts").fetchone()[0]
        state["sessions"] = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    finally:
        conn.close()
    return state


def posts_kept(app) -> int:
    conn = sqlite3.connect(Path(app.config["DATA_DIR"]) / "accounts.db")
    try:
        return conn.execute("SELECT COUNT(*) FROM pending_posts").fetchone()[0]
    finally:
        conn.close()


def end_sessions(app, ago: dt.timedelta) -> None:
    """Every server-side session ended `ago` (its browser still holds the cookie)."""
    ended = (dt.datetime.now(dt.timezone.utc) - ago).replace(microsecond=0).isoformat()
    conn = sqlite3.connect(Path(app.config["DATA_DIR"]) / "accounts.db")
    with conn:
        conn.execute("UPDATE sessions SET expires_at = ?", [ended])
    conn.close()


@pytest.fixture
def expired(app, client):
    """A browser signed in as toan whose form page is open, its session ended an hour ago: (client, hidden fields)."""
    register(app, "TOAN")
    start_session(app, client, "toan")
    fields = form_fields(client.get(SELF_URL).get_data(as_text=True))
    end_sessions(app, dt.timedelta(hours=1))
    return client, fields


def refusal(response) -> str:
    assert response.status_code == 400
    return unescape(response.get_data(as_text=True))


# Nothing written for a stranger

@pytest.mark.parametrize("url", [SELF_URL, "/forms/khong-co-bieu-mau-nay/2022", f"/forms/{SELF}/99999"])
def test_a_curl_post_writes_no_row_and_no_byte_to_accounts_db(app, url):
    register(app, "TOAN")
    before = accounts_db_state(app)
    stranger = app.test_client()  # no cookie, no Origin, no Referer, no CSRF token: what curl sends
    big = "x" * (1024 * 1024)
    for data in ({"action": "save", "so_doan_vien": "12"}, {"action": "save", "tu_nhan_xet": big}):
        text = refusal(stranger.post(url, data=data))
        assert "không được lưu lại" in text
        assert stranger.get_cookie(STASH_COOKIE) is None
    multipart = stranger.post(url, data={"action": "submit", "tu_nhan_xet": big}, content_type="multipart/form-data")
    assert multipart.status_code == 400
    assert accounts_db_state(app) == before
    assert revision_rows(app, "TOAN") == []


def test_a_made_up_session_cookie_keeps_nothing(app):
    register(app, "TOAN")
    before = accounts_db_state(app)
    stranger = app.test_client()
    stranger.set_cookie(SESSION_COOKIE, "khong-phai-phien-that")
    refusal(stranger.post(SELF_URL, data={"action": "save", "so_doan_vien": "12"}))
    assert accounts_db_state(app) == before


def test_a_session_that_ended_long_ago_keeps_nothing(app, client):
    register(app, "TOAN")
    start_session(app, client, "toan")
    fields = form_fields(client.get(SELF_URL).get_data(as_text=True))
    end_sessions(app, dt.timedelta(days=accounts.STASH_DAYS, hours=1))
    refusal(post_answers(client, TYPED, "save", fields=fields))
    assert posts_kept(app) == 0


def test_a_reviewers_session_keeps_nothing(app, client):
    start_session(app, client, "vanphong")
    end_sessions(app, dt.timedelta(hours=1))
    refusal(client.post(SELF_URL, data={"action": "save", "so_doan_vien": "12"}))
    assert posts_kept(app) == 0


# Kept for the account whose session ended, and only for it

def test_an_expired_sessions_post_is_kept_and_given_back_to_the_same_user_only(app, expired):
    client, fields = expired
    before = accounts_db_state(app)
    response = post_answers(client, TYPED, "submit", fields=fields)
    assert response.status_code == 303 and response.location.startswith("/login")
    assert posts_kept(app) == 1
    after = accounts_db_state(app)
    assert (after["sha256"], after["wal"]) != (before["sha256"], before["wal"])  # the curl test's bytes see a kept post

    # Another account of the same unit signs in on this browser: the same page, nothing of toan's.
    sign_in(client, "toan2")
    assert FormPage(client.get(SELF_URL).get_data(as_text=True)).value("so_doan_vien") == ""
    assert posts_kept(app) == 1
    client.post("/logout", data={"csrf_token": form_fields(client.get(SELF_URL).get_data(as_text=True))["csrf_token"]})

    form = {"username": "toan", "password": PASSWORD,
            "csrf_token": form_fields(client.get(response.location).get_data(as_text=True))["csrf_token"]}
    back = client.post(response.location, data=form)
    assert back.status_code == 302 and back.location == SELF_URL
    page = FormPage(client.get(SELF_URL).get_data(as_text=True))
    assert page.value("so_doan_vien") == "4321"
    assert page.value("tu_nhan_xet") == TYPED["tu_nhan_xet"]
    assert posts_kept(app) == 0
    assert revision_rows(app, "TOAN") == []  # restored on screen, never saved unseen


def test_another_sign_in_meanwhile_does_not_forget_the_ended_session(app, expired, signed_in):
    client, fields = expired
    signed_in("van")  # a new session anywhere forgets the sessions that ended long ago, not this one
    assert post_answers(client, TYPED, "save", fields=fields).status_code == 303
    assert posts_kept(app) == 1


def test_the_session_cookie_outlives_the_session_so_that_a_late_post_names_its_account(client):
    response = sign_in(client, "toan")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{SESSION_COOKIE}="))
    assert f"Max-Age={(accounts.SESSION_DAYS + accounts.STASH_DAYS) * 86400}" in cookie


def test_a_post_too_big_to_keep_is_refused(app, expired):
    client, fields = expired
    text = refusal(post_answers(client, {"tu_nhan_xet": "ư" * (kept_posts.STASH_MAX_BYTES // 2 + 1)}, "save", fields=fields))
    assert f"{kept_posts.STASH_MAX_BYTES // 1024} KB" in text
    assert posts_kept(app) == 0


@pytest.mark.parametrize("url", ["/forms/khong-co-bieu-mau-nay/2022", f"/forms/{SELF}/1999"])
def test_a_post_to_a_form_or_year_that_does_not_exist_is_refused(app, expired, url):
    client, fields = expired
    text = refusal(client.post(url, data={**fields, **TYPED, "action": "save"}))
    assert "Không có biểu mẫu này" in text
    assert posts_kept(app) == 0


def test_an_account_keeps_a_bounded_number_of_posts(app, expired):
    client, fields = expired
    urls = [f"/forms/{form_id}/{year}" for form_id in (SELF, REGISTRATION) for year in (2022, 2021, 2020)]
    answers = {**fields, **TYPED, "action": "save"}
    for url in urls[:kept_posts.STASH_MAX_PER_USER]:
        assert client.post(url, data=answers).status_code == 303
        assert client.post(url, data=answers).status_code == 303  # the same page again replaces the older post
    assert posts_kept(app) == kept_posts.STASH_MAX_PER_USER
    refusal(client.post(urls[kept_posts.STASH_MAX_PER_USER], data=answers))
    assert posts_kept(app) == kept_posts.STASH_MAX_PER_USER


def test_every_refusal_has_a_sentence_in_both_languages_with_the_same_values():
    for code, texts in kept_posts.STASH_MESSAGES.items():
        assert set(texts) == {"vi", "en"}, code
        assert sorted(re.findall(r"\{(\w+)\}", texts["vi"])) == sorted(re.findall(r"\{(\w+)\}", texts["en"])), code
        assert "{" not in kept_posts.StashRefused(code).message("en"), code
