"""Accounts through the web: sign-in, lock-out, cookies, sign-out, password change and reset, hashes; health.

The pages' language (default, switching, the login error in English) is tested in test_i18n.py.
"""

from __future__ import annotations

import sqlite3

from support.data import PASSWORD
from support.web import csrf_token, sign_in, unescape

WRONG = "khong-dung-mat-khau"
NEW_PASSWORD = "mat-khau-moi-rat-dai"
BAD_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."


def _login(client, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def _sessions(app, username: str) -> int:
    conn = sqlite3.connect(app.config["DATA_DIR"] / "accounts.db")
    try:
        return conn.execute("SELECT COUNT(*) FROM sessions WHERE username = ?", [username]).fetchone()[0]
    finally:
        conn.close()


def test_signing_in_with_the_right_password_opens_the_dashboard(app, client):
    response = _login(client, "toan", PASSWORD)
    assert response.status_code == 302
    assert response.location == "/"
    assert "Đoàn khoa Toán – Tin" in unescape(client.get("/").get_data(as_text=True))


def test_a_wrong_password_is_refused_without_saying_whether_the_user_exists(app, client):
    wrong_password = _login(client, "toan", WRONG)
    unknown_user = _login(client, "khong-ai-ca", WRONG)
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert BAD_LOGIN in unescape(wrong_password.get_data(as_text=True))
    assert BAD_LOGIN in unescape(unknown_user.get_data(as_text=True))
    assert "forms_session" not in " ".join(wrong_password.headers.getlist("Set-Cookie"))


def test_five_wrong_passwords_slow_this_address_down_but_do_not_lock_the_account(app, client):
    for attempt in range(5):
        assert BAD_LOGIN in unescape(_login(client, "toan", WRONG).get_data(as_text=True)), attempt
    right = _login(client, "toan", PASSWORD)
    assert right.status_code == 401  # this address waits, even with the right password...
    assert BAD_LOGIN in unescape(right.get_data(as_text=True))  # ...and is told what a wrong password is told
    assert client.get("/").status_code == 302  # not signed in
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert _login(elsewhere, "toan", PASSWORD).status_code == 302  # the owner elsewhere is not kept out
    assert _login(app.test_client(), "toan2", PASSWORD).status_code == 302  # other accounts are not affected


def test_a_successful_sign_in_clears_earlier_failures(app, client):
    for _ in range(4):
        _login(client, "toan", WRONG)
    assert _login(client, "toan", PASSWORD).status_code == 302
    other = app.test_client()
    for _ in range(4):
        assert BAD_LOGIN in unescape(_login(other, "toan", WRONG).get_data(as_text=True))


def test_an_admin_password_reset_lifts_the_accounts_throttling(app, client, signed_in):
    for _ in range(5):
        _login(client, "toan", WRONG)
    assert _login(client, "toan", PASSWORD).status_code == 401  # this address waits

    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/users/toan/password")
    reset = admin.post("/admin/users/toan/password", data={"csrf_token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 303

    assert _login(client, "toan", NEW_PASSWORD).status_code == 302
    assert _login(app.test_client(), "toan", PASSWORD).status_code == 401  # the old password is gone


def test_an_admin_reset_ends_the_accounts_sessions(app, signed_in):
    toan = signed_in("toan")
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/users/toan/password")
    assert admin.post("/admin/users/toan/password", data={"csrf_token": token, "password": NEW_PASSWORD}).status_code == 303
    assert toan.get("/").status_code == 302


def test_a_reset_to_a_too_short_password_is_refused(app, signed_in):
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/users/toan/password")
    response = admin.post("/admin/users/toan/password", data={"csrf_token": token, "password": "ngan"})
    assert response.status_code == 400
    assert "ít nhất 10 ký tự" in unescape(response.get_data(as_text=True))
    assert _login(app.test_client(), "toan", PASSWORD).status_code == 302


def test_the_session_cookie_is_httponly_and_samesite_lax(app, client):
    response = _login(client, "toan", PASSWORD)
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("forms_session=")]
    assert len(cookies) == 1
    attributes = [part.strip().lower() for part in cookies[0].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    csrf_cookie = [c for c in response.headers.getlist("Set-Cookie") + client.get("/login").headers.getlist("Set-Cookie")
                   if c.startswith("forms_csrf=")]
    for cookie in csrf_cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_session_token_is_not_stored_in_clear(app, client):
    _login(client, "toan", PASSWORD)
    token = client.get_cookie("forms_session").value
    accounts_db = sqlite3.connect(app.config["DATA_DIR"] / "accounts.db")
    try:
        dump = "\n".join(accounts_db.iterdump())
    finally:
        accounts_db.close()
    assert token not in dump


def test_signing_out_ends_the_session_on_the_server(app, client):
    _login(client, "toan", PASSWORD)
    old_cookie = client.get_cookie("forms_session").value
    assert _sessions(app, "toan") == 1
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code in (302, 303)
    assert response.location.startswith("/login")
    assert _sessions(app, "toan") == 0

    replay = app.test_client()  # someone who kept a copy of the old cookie
    replay.set_cookie("forms_session", old_cookie)
    answer = replay.get("/")
    assert answer.status_code == 302 and answer.location.startswith("/login")


def test_a_user_changes_their_password_and_the_old_one_stops_working(app, client, signed_in):
    other_browser = signed_in("toan")
    _login(client, "toan", PASSWORD)
    token = csrf_token(client, "/account/password")
    response = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD, "new": NEW_PASSWORD,
                                                       "repeat": NEW_PASSWORD})
    assert response.status_code in (302, 303)
    assert client.get("/").status_code == 200  # this browser stays signed in
    assert other_browser.get("/").status_code == 302  # every other session ended
    assert _login(app.test_client(), "toan", PASSWORD).status_code == 401
    assert _login(app.test_client(), "toan", NEW_PASSWORD).status_code == 302


def test_changing_the_password_needs_the_current_one_and_two_matching_new_ones(app, signed_in):
    toan = signed_in("toan")
    token = csrf_token(toan, "/account/password")
    wrong_current = toan.post("/account/password", data={"csrf_token": token, "current": WRONG, "new": NEW_PASSWORD,
                                                         "repeat": NEW_PASSWORD})
    assert wrong_current.status_code == 400
    assert "Mật khẩu hiện tại không đúng." in unescape(wrong_current.get_data(as_text=True))
    mismatch = toan.post("/account/password", data={"csrf_token": token, "current": PASSWORD, "new": NEW_PASSWORD,
                                                    "repeat": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    short = toan.post("/account/password", data={"csrf_token": token, "current": PASSWORD, "new": "ngan", "repeat": "ngan"})
    assert short.status_code == 400
    assert _login(app.test_client(), "toan", PASSWORD).status_code == 302


def test_passwords_are_kept_as_argon2id_hashes_in_accounts_db_and_never_in_forms_db(app, signed_in):
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/users")
    created = admin.post("/admin/users", data={"csrf_token": token, "username": "vanphong2", "role": "reviewer",
                                               "password": NEW_PASSWORD})
    assert created.status_code == 303
    assert _login(app.test_client(), "vanphong2", NEW_PASSWORD).status_code == 302

    accounts_db = sqlite3.connect(app.config["DATA_DIR"] / "accounts.db")
    try:
        hashes = dict(accounts_db.execute("SELECT username, password_hash FROM users"))
        accounts_dump = "\n".join(accounts_db.iterdump())
    finally:
        accounts_db.close()
    assert set(hashes) == {"toan", "toan2", "van", "vanphong", "kiemtra", "phutrachcum", "admin", "vanphong2"}
    assert all(h.startswith("$argon2id$") for h in hashes.values())
    assert NEW_PASSWORD not in accounts_dump and PASSWORD not in accounts_dump

    forms_db = sqlite3.connect(app.config["DATA_DIR"] / "forms.db")
    try:
        forms_dump = "\n".join(forms_db.iterdump())
        tables = {row[0] for row in forms_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        forms_db.close()
    assert "$argon2" not in forms_dump
    assert NEW_PASSWORD not in forms_dump and PASSWORD not in forms_dump
    assert not {"users", "sessions", "pending_posts"} & tables


def test_the_login_page_sends_a_signed_in_user_on(app, signed_in):
    toan = signed_in("toan")
    response = toan.get("/login")
    assert response.status_code == 302 and response.location == "/"


def test_after_sign_in_only_local_pages_are_followed(app, client):
    token = csrf_token(client)
    response = client.post("/login?next=https://example.org/steal", data={"username": "toan", "password": PASSWORD,
                                                                          "csrf_token": token})
    assert response.status_code == 302
    assert response.location == "/"


def test_the_page_asked_for_before_signing_in_is_shown_after(app, client):
    from support.web import SELF_URL

    first = client.get(SELF_URL + "/history")
    assert first.status_code == 302
    login_url = first.location
    token = csrf_token(client, login_url)
    response = client.post(login_url, data={"username": "toan", "password": PASSWORD, "csrf_token": token})
    assert response.location == SELF_URL + "/history"


# Health and language.

def test_healthz_answers_ok_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_signing_in_uses_the_login_form_with_the_documented_field_names(client):
    html = client.get("/login").get_data(as_text=True)
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in html
    sign_in(client, "van")
    assert client.get("/").status_code == 200


def test_healthz_answers_503_when_the_database_does_not(app, client):
    forms_db = app.config["DATA_DIR"] / "forms.db"
    forms_db.unlink()
    forms_db.mkdir()  # a directory where the database should be: sqlite cannot open it
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"
