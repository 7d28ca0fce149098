"""Accounts in accounts.db: argon2 password hashes, server-side sessions, lock-out after failed logins."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlite_utils import Database

from forms_app.data.connection import write
from forms_app.data.clock import stamp, utcnow

ROLES = ("unit", "reviewer", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_DAYS = 7
MIN_PASSWORD = 10

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
# Verifying against this keeps the time of a login for an unknown user close to a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


MESSAGES = {
    "bad_login": ("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password."),
    "locked": ("Tài khoản tạm khoá vì nhập sai mật khẩu nhiều lần; hãy thử lại sau {minutes} phút.",
               "The account is locked after repeated wrong passwords; try again in {minutes} minute(s)."),
    "password_short": ("Mật khẩu cần ít nhất {minimum} ký tự.", "The password needs at least {minimum} characters."),
    "password_is_username": ("Mật khẩu không được trùng tên đăng nhập.", "The password must differ from the username."),
    "bad_old_password": ("Mật khẩu hiện tại không đúng.", "The current password is wrong."),
    "no_user": ("Không có tài khoản này.", "No such account."),
    "user_exists": ("Tên đăng nhập {username} đã có.", "The username {username} is taken."),
    "bad_username": ("Tên đăng nhập không được rỗng, không có khoảng trắng và tối đa 64 ký tự.",
                     "The username must be non-empty, without spaces, at most 64 characters."),
    "bad_role": ("Vai trò phải là unit, reviewer hoặc admin.", "The role must be unit, reviewer or admin."),
    "unit_needed": ("Tài khoản đơn vị phải gắn với một mã đơn vị (--unit).", "A unit account needs a unit code (--unit)."),
    "unit_not_allowed": ("Chỉ tài khoản đơn vị mới gắn với mã đơn vị.", "Only unit accounts are bound to a unit."),
    "unknown_unit": ("Không có đơn vị mang mã này; hãy nhập đơn vị trước.", "No unit has this code; import the units first."),
    "clusters_reviewer_only": ("Chỉ tài khoản người đánh giá mới được giới hạn theo cụm thi đua.",
                               "Only reviewer accounts can be limited to emulation clusters."),
    "unknown_cluster": ("Không có đơn vị nào thuộc cụm \"{cluster}\"; các cụm hiện có: {known}.",
                        "No unit belongs to the cluster \"{cluster}\"; the clusters are: {known}."),
}


class AccountError(ValueError):
    """A refused account operation; `code` selects the sentence shown to the user."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "vi") -> str:
        vi, en = MESSAGES[self.code]
        params = {"minutes": LOCK_MINUTES, "minimum": MIN_PASSWORD, "username": "", **self.params}
        return (en if lang == "en" else vi).format(**params)


@dataclass(frozen=True)
class User:
    username: str
    role: str
    unit_code: str | None

    @property
    def is_unit(self) -> bool:
        return self.role == "unit"

    @property
    def is_reviewer(self) -> bool:
        """Reviewers and admins read every unit."""
        return self.role in ("reviewer", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password_short", minimum=MIN_PASSWORD)
    if password.lower() == username.lower():
        raise AccountError("password_is_username")


def add_user(db: Database, username: str, password: str, role: str, unit_code: str | None = None,
             *, password_hash: str | None = None, clusters: list[str] | tuple[str, ...] = ()) -> User:
    """Create an account; a unit account is bound to exactly one unit, a reviewer may be limited to `clusters`."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("bad_username")
    if role not in ROLES:
        raise AccountError("bad_role", role=role)
    if (role == "unit") != (unit_code is not None):
        raise AccountError("unit_needed" if role == "unit" else "unit_not_allowed")
    if clusters and role != "reviewer":
        raise AccountError("clusters_reviewer_only")
    if password_hash is None:
        check_password_strength(password, username)
        password_hash = hash_password(password)
    now = stamp()
    with write(db):
        if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise AccountError("user_exists", username=username)
        db["users"].insert({
            "username": username, "password_hash": password_hash, "role": role, "unit_code": unit_code,
            "active": 1, "failed_logins": 0, "created_at": now, "password_changed_at": now,
        })
        _store_clusters(db, username, clusters)
    return User(username, role, unit_code)


def reviewer_clusters(db: Database, username: str) -> list[str]:
    """The emulation clusters a reviewer is limited to (a cluster lead); empty: every unit."""
    return [row[0] for row in db.execute(
        "SELECT cluster FROM reviewer_clusters WHERE username = ? ORDER BY cluster", [username])]


def all_reviewer_clusters(db: Database) -> dict[str, list[str]]:
    """{username: clusters} for every limited reviewer."""
    found: dict[str, list[str]] = {}
    for username, cluster in db.execute("SELECT username, cluster FROM reviewer_clusters ORDER BY username, cluster"):
        found.setdefault(username, []).append(cluster)
    return found


def set_reviewer_clusters(db: Database, username: str, clusters: list[str] | tuple[str, ...]) -> None:
    """Limit a reviewer to these clusters (replacing the previous ones); an empty list lifts the limit."""
    with write(db):
        row = db.execute("SELECT role FROM users WHERE username = ?", [username]).fetchone()
        if row is None:
            raise AccountError("no_user", username=username)
        if clusters and row[0] != "reviewer":
            raise AccountError("clusters_reviewer_only")
        db.execute("DELETE FROM reviewer_clusters WHERE username = ?", [username])
        _store_clusters(db, username, clusters)


def _store_clusters(db: Database, username: str, clusters) -> None:
    stored = db.execute("SELECT username FROM users WHERE username = ?", [username]).fetchone()[0]  # as spelt in users
    db.conn.executemany("INSERT OR IGNORE INTO reviewer_clusters (username, cluster) VALUES (?, ?)",
                        [(stored, cluster) for cluster in dict.fromkeys(clusters)])


def get_user(db: Database, username: str) -> User | None:
    row = db.execute("SELECT username, role, unit_code FROM users WHERE username = ? AND active = 1", [username]).fetchone()
    return User(*row) if row else None


def authenticate(db: Database, username: str, password: str, now: dt.datetime | None = None) -> User:
    """The user whose password this is; AccountError('locked') while locked, ('bad_login') otherwise.

    After MAX_FAILURES wrong passwords in a row the account is locked for LOCK_MINUTES; the
    message never tells whether the username exists.
    """
    now = now or utcnow()
    row = db.execute(
        "SELECT username, password_hash, role, unit_code, failed_logins, locked_until FROM users WHERE username = ? AND active = 1",
        [username.strip()],
    ).fetchone()
    if row is None:
        _verify(_DUMMY_HASH, password)
        raise AccountError("bad_login")
    name, password_hash, role, unit_code, failures, locked_until = row
    if locked_until and dt.datetime.fromisoformat(locked_until) > now:
        raise AccountError("locked", minutes=_minutes_until(locked_until, now))
    if not _verify(password_hash, password):
        failures += 1
        locked = stamp(now + dt.timedelta(minutes=LOCK_MINUTES)) if failures >= MAX_FAILURES else None
        with write(db):
            db.execute("UPDATE users SET failed_logins = ?, locked_until = ? WHERE username = ?",
                       [0 if locked else failures, locked, name])
        if locked:
            raise AccountError("locked", minutes=LOCK_MINUTES)
        raise AccountError("bad_login")
    with write(db):
        updates = {"failed_logins": 0, "locked_until": None}
        if _hasher.check_needs_rehash(password_hash):
            updates["password_hash"] = hash_password(password)
        db["users"].update(name, updates)
    return User(name, role, unit_code)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _minutes_until(moment: str, now: dt.datetime) -> int:
    return max(1, int((dt.datetime.fromisoformat(moment) - now).total_seconds() // 60) + 1)


def change_password(db: Database, username: str, old: str, new: str) -> None:
    """A user changes their own password; every other session of theirs ends."""
    row = db.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchone()
    if row is None or not _verify(row[0], old):
        raise AccountError("bad_old_password")
    set_password(db, username, new)


def set_password(db: Database, username: str, new: str) -> None:
    """Set a password (an admin's reset or a change); sessions of that user end and a lock is lifted."""
    check_password_strength(new, username)
    with write(db):
        if not db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise AccountError("no_user", username=username)
        db.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, locked_until = NULL WHERE username = ?",
            [hash_password(new), stamp(), username],
        )
        db.execute("DELETE FROM sessions WHERE username = ?", [username])


def list_users(db: Database) -> list[dict]:
    return list(db.query(
        "SELECT username, role, unit_code, active, locked_until, created_at FROM users ORDER BY role, username"
    ))


# Sessions: the cookie holds a random token; the database holds only its hash.

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, username: str) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write(db):
        db["sessions"].insert({
            "token_hash": _token_hash(token), "username": username, "created_at": stamp(now),
            "last_seen": stamp(now), "expires_at": stamp(now + dt.timedelta(days=SESSION_DAYS)),
        })
        db.execute("DELETE FROM sessions WHERE expires_at < ?", [stamp(now)])
    return token


def session_user(db: Database, token: str | None) -> User | None:
    """The user of a live session token, or None."""
    if not token:
        return None
    row = db.execute(
        "SELECT u.username, u.role, u.unit_code, s.expires_at FROM sessions s JOIN users u ON u.username = s.username "
        "WHERE s.token_hash = ? AND u.active = 1",
        [_token_hash(token)],
    ).fetchone()
    if row is None or dt.datetime.fromisoformat(row[3]) < utcnow():
        return None
    return User(row[0], row[1], row[2])


def end_session(db: Database, token: str | None) -> None:
    if token:
        with write(db):
            db.execute("DELETE FROM sessions WHERE token_hash = ?", [_token_hash(token)])


# What a unit typed when its session had expired, kept until it signs in again (never applied unseen).

def stash_post(db: Database, path: str, fields: list[tuple[str, str]]) -> str:
    token = secrets.token_urlsafe(24)
    with write(db):
        db["pending_posts"].insert({
            "token_hash": _token_hash(token), "path": path, "fields": json.dumps(fields, ensure_ascii=False),
            "created_at": stamp(),
        })
        db.execute("DELETE FROM pending_posts WHERE created_at < ?", [stamp(utcnow() - dt.timedelta(days=2))])
    return token


def take_stash(db: Database, token: str | None, path: str) -> list[tuple[str, str]] | None:
    """The fields stashed for `path` under this token, removed once taken."""
    if not token:
        return None
    with write(db):
        row = db.execute("SELECT fields FROM pending_posts WHERE token_hash = ? AND path = ?", [_token_hash(token), path]).fetchone()
        if row is None:
            return None
        db.execute("DELETE FROM pending_posts WHERE token_hash = ?", [_token_hash(token)])
    return [tuple(pair) for pair in json.loads(row[0])]
