"""Kept posts: what a unit typed when its session had ended, kept until it signs in again (never applied unseen).

Only for a browser whose session cookie names a real unit account's session, live or ended less than
`accounts.STASH_DAYS` ago, for a form and year that exist, within a size per post and per account: an anonymous
POST writes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets

from forms_app.data import accounts as data
from forms_app.data.clock import stamp, utcnow
from forms_app.data.connection import Database, write
from forms_app.rules import accounts, messages, windows

STASH_MAX_BYTES = 256 * 1024  # of field names and values; files are never kept
STASH_MAX_PER_USER = 5
STASH_MAX_BYTES_PER_USER = 1024 * 1024

STASH_MESSAGES: messages.Catalogue = {
    "no_session": {"vi": "Trình duyệt này không có phiên đăng nhập nào vừa hết hạn, nên nội dung vừa gửi không được "
                         "lưu lại. Hãy đăng nhập rồi nhập lại.",
                   "en": "This browser has no recently ended session, so what was sent is not kept. Sign in and "
                         "enter it again."},
    "unknown_form": {"vi": "Không có biểu mẫu này cho năm này; nội dung vừa gửi không được lưu lại.",
                     "en": "There is no such form for this year; what was sent is not kept."},
    "too_big": {"vi": "Nội dung vừa gửi quá lớn để giữ lại khi phiên đăng nhập đã hết hạn (tối đa {kb} KB); hãy "
                      "đăng nhập rồi nhập lại.",
                "en": "What was sent is too large to keep after the session ended (at most {kb} KB); sign in and "
                      "enter it again."},
    "too_many": {"vi": "Tài khoản đã có {count} nội dung đang chờ khôi phục; hãy đăng nhập để lấy lại chúng trước, "
                       "nội dung vừa gửi không được lưu lại.",
                 "en": "The account already has {count} posts waiting to be restored; sign in to get them back "
                       "first, what was sent is not kept."},
}


class StashRefused(ValueError):
    """A post that is not kept (nothing written); `code` selects the sentence of STASH_MESSAGES."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    def message(self, lang: str = "vi") -> str:
        """The sentence for this refusal in `lang`."""
        return messages.text(STASH_MESSAGES, self.code, lang, kb=STASH_MAX_BYTES // 1024, count=STASH_MAX_PER_USER)


def stash_owner(db: Database, session_token: str | None, now: dt.datetime | None = None) -> accounts.User | None:
    """The unit account whose session this cookie names, live or ended less than STASH_DAYS ago; else None."""
    user = accounts.recent_session_user(db, session_token, now)
    return user if user is not None and user.is_unit else None


def stash_post(db: Database, forms_db: Database, *, session_token: str | None, form_id: str, cycle_year: int | None,
               path: str, fields: list[tuple[str, str]]) -> str:
    """Keep a post's fields for STASH_DAYS for the account whose session the cookie names; the token to take them back.

    StashRefused, nothing written, for a browser without such a session (`stash_owner`), a form and year with no
    cycle, fields over STASH_MAX_BYTES, or an account already holding STASH_MAX_PER_USER posts or
    STASH_MAX_BYTES_PER_USER. A newer post of the account to the same page replaces the older one.
    """
    owner = stash_owner(db, session_token)
    if owner is None:
        raise StashRefused("no_session")
    if cycle_year is None or not windows.cycle_exists(forms_db, form_id, cycle_year):
        raise StashRefused("unknown_form")
    size = sum(len(name.encode()) + len(value.encode()) for name, value in fields)
    if size > STASH_MAX_BYTES:
        raise StashRefused("too_big")
    token = secrets.token_urlsafe(24)
    now = utcnow()
    with write(db):
        data.forget_stashes(db, stamp(now - dt.timedelta(days=accounts.STASH_DAYS)))
        data.drop_stash(db, owner.username, path)
        count, used = data.stash_totals(db, owner.username)
        if count >= STASH_MAX_PER_USER or used + size > STASH_MAX_BYTES_PER_USER:
            raise StashRefused("too_many")
        data.stash(db, accounts.token_hash(token), owner.username, path, fields, stamp(now))
    return token


def take_stash(db: Database, token: str | None, path: str, username: str) -> list[tuple[str, str]] | None:
    """The fields stashed for `path` under this token by this account, removed once taken; another account gets none."""
    if not token:
        return None
    with write(db):
        return data.take_stash(db, accounts.token_hash(token), path, username)
