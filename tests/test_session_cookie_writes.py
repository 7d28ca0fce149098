"""Issue 18: Flask's session cookie (it carries the CSRF token) is written when it changes and renewed once a day, not
re-signed and compressed on every response."""

from __future__ import annotations

import time

from support.web import SELF_URL, post_answers

CSRF_COOKIE = "forms_csrf"


def _writes_session(response) -> bool:
    return any(c.startswith(f"{CSRF_COOKIE}=") for c in response.headers.getlist("Set-Cookie"))


def test_the_session_cookie_is_written_once_not_on_every_page(toan):
    assert _writes_session(toan.get(SELF_URL))  # the first page: the session and its CSRF token are new
    for _ in range(3):
        assert not _writes_session(toan.get(SELF_URL))
    assert not _writes_session(toan.get("/healthz"))


def test_a_change_to_the_session_is_still_written(toan):
    toan.get(SELF_URL)
    saved = post_answers(toan, {"so_doan_vien": "120"}, "save")
    assert saved.status_code == 303 and _writes_session(saved)  # the flash "saved" goes in the session
    shown = toan.get(SELF_URL)
    assert "Đã lưu nháp." in shown.get_data(as_text=True) and _writes_session(shown)  # and comes out of it


def test_a_session_cookie_older_than_a_day_is_renewed_once(toan, monkeypatch):
    two_days_ago = time.time() - 2 * 86400
    with monkeypatch.context() as patched:
        patched.setattr("itsdangerous.timed.time.time", lambda: two_days_ago)
        assert _writes_session(toan.get(SELF_URL))  # signed two days ago
    renewed = toan.get(SELF_URL)
    assert _writes_session(renewed)
    assert "Max-Age" in renewed.headers.getlist("Set-Cookie")[0] or "Expires" in renewed.headers.getlist("Set-Cookie")[0]
    assert not _writes_session(toan.get(SELF_URL))


def test_a_tampered_session_cookie_starts_a_new_session(toan):
    toan.get(SELF_URL)
    toan.set_cookie(CSRF_COOKIE, "khong-hop-le.abc.def")
    assert _writes_session(toan.get(SELF_URL))
