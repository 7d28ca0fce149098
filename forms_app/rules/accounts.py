"""Accounts in accounts.db: argon2 password hashes, server-side sessions, lock-out after failed logins.

The statements live in `forms_app.data.accounts`; this module decides (password policy, lock-out,
who may be limited to clusters) and writes the audit entries of the administrator's actions in forms.db.

Hashing: every function that hashes a password takes `hasher=None`, meaning the library's default
argon2id parameters (production). `CHEAP_HASHER` is argon2id with the weakest parameters, for demo data
and test fixtures only: `authenticate` rehashes such a hash with the default parameters at the first
sign-in, so a cheap demo account gets a strong hash once it is used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from forms_app.data import accounts as data
from forms_app.data import audit
from forms_app.data.clock import stamp, utcnow
from forms_app.data.connection import Database, write
from forms_app.rules import messages, units

ROLES = ("unit", "reviewer", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_DAYS = 7
MIN_PASSWORD = 10
STASH_DAYS = 2

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
# Still argon2id, with the weakest parameters: for demo data and test fixtures, never for real accounts.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
# Verifying against this keeps the time of a login for an unknown user close to a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


MESSAGES: messages.Catalogue = {
    "bad_login": {"vi": "Tên đăng nhập hoặc mật khẩu không đúng.", "en": "Wrong username or password."},
    "locked": {"vi": "Tài khoản tạm khoá vì nhập sai mật khẩu nhiều lần; hãy thử lại sau {minutes} phút.",
               "en": "The account is locked after repeated wrong passwords; try again in {minutes} minute(s)."},
    "password_short": {"vi": "Mật khẩu cần ít nhất {minimum} ký tự.", "en": "The password needs at least {minimum} characters."},
    "password_is_username": {"vi": "Mật khẩu không được trùng tên đăng nhập.",
                             "en": "The password must differ from the username."},
    "bad_old_password": {"vi": "Mật khẩu hiện tại không đúng.", "en": "The current password is wrong."},
    "no_user": {"vi": "Không có tài khoản này.", "en": "No such account."},
    "user_exists": {"vi": "Tên đăng nhập {username} đã có.", "en": "The username {username} is taken."},
    "bad_username": {"vi": "Tên đăng nhập không được rỗng, không có khoảng trắng và tối đa 64 ký tự.",
                     "en": "The username must be non-empty, without spaces, at most 64 characters."},
    "bad_role": {"vi": "Vai trò phải là unit, reviewer hoặc admin.", "en": "The role must be unit, reviewer or admin."},
    "unit_needed": {"vi": "Tài khoản đơn vị phải gắn với một mã đơn vị (--unit).",
                    "en": "A unit account needs a unit code (--unit)."},
    "unit_not_allowed": {"vi": "Chỉ tài khoản đơn vị mới gắn với mã đơn vị.", "en": "Only unit accounts are bound to a unit."},
    "unknown_unit": {"vi": "Không có đơn vị mang mã này; hãy nhập đơn vị trước.",
                     "en": "No unit has this code; import the units first."},
    "clusters_reviewer_only": {"vi": "Chỉ tài khoản người đánh giá mới được giới hạn theo cụm thi đua.",
                               "en": "Only reviewer accounts can be limited to emulation clusters."},
    "unknown_cluster": {"vi": "Không có đơn vị nào thuộc cụm \"{cluster}\"; các cụm hiện có: {known}.",
                        "en": "No unit belongs to the cluster \"{cluster}\"; the clusters are: {known}."},
}


class AccountError(ValueError):
    """A refused account operation; `code` selects the sentence shown to the user."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "vi") -> str:
        """The sentence for this refusal in `lang` (Vietnamese unless "en")."""
        return messages.text(MESSAGES, self.code, lang, **{"minutes": LOCK_MINUTES, "minimum": MIN_PASSWORD,
                                                           **self.params})


@dataclass(frozen=True)
class User:
    """A signed-in account: its name, role and, for a unit account, its unit."""

    username: str
    role: str
    unit_code: str | None

    @property
    def is_unit(self) -> bool:
        """A unit's account: fills in its own unit's forms."""
        return self.role == "unit"

    @property
    def is_reviewer(self) -> bool:
        """Reviewers and admins read every unit."""
        return self.role in ("reviewer", "admin")

    @property
    def is_admin(self) -> bool:
        """An administrator: manages accounts and cycles."""
        return self.role == "admin"


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """An argon2id hash of `password`: the library's default parameters unless `hasher` (e.g. CHEAP_HASHER) is given."""
    return (hasher or _hasher).hash(password)


def check_password_strength(password: str, username: str) -> None:
    """AccountError unless the password is long enough and differs from the username."""
    if len(password) < MIN_PASSWORD:
        raise AccountError("password_short", minimum=MIN_PASSWORD)
    if password.lower() == username.lower():
        raise AccountError("password_is_username")


# Creating accounts

def create_account(accounts_db: Database, forms_db: Database, *, actor: str, username: str, password: str, role: str,
                   unit_code: str | None = None, clusters=(), password_hash: str | None = None,
                   hasher: PasswordHasher | None = None) -> tuple[User, list[str]]:
    """Create an account as the command line and the admin page do: (the user, its clusters as stored).

    The unit must exist in forms.db; cluster names are matched to the stored ones; the entry
    `user_created` goes to the audit log under `actor` ("cli" for the command line).
    """
    if unit_code is not None and not units.unit_exists(forms_db, unit_code):
        raise AccountError("unknown_unit")
    if clusters and role != "reviewer":
        raise AccountError("clusters_reviewer_only")
    found = resolve_clusters(forms_db, list(clusters))
    user = add_user(accounts_db, username, password, role, unit_code, password_hash=password_hash, clusters=found,
                    hasher=hasher)
    with write(forms_db):
        audit.record(forms_db, actor, "user_created", user.unit_code, None, None,
                     {"username": user.username, "role": role, "clusters": found})
    return user, found


def add_user(db: Database, username: str, password: str, role: str, unit_code: str | None = None,
             *, password_hash: str | None = None, clusters: list[str] | tuple[str, ...] = (),
             hasher: PasswordHasher | None = None) -> User:
    """Create an account; a unit account is bound to exactly one unit, a reviewer may be limited to `clusters`.

    The low-level creator: no check against forms.db and no audit entry (`create_account` adds both).
    """
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
        password_hash = hash_password(password, hasher)
    with write(db):
        if data.role_of(db, username) is not None:
            raise AccountError("user_exists", username=username)
        data.insert_user(db, username, password_hash, role, unit_code, stamp())
        data.replace_clusters(db, username, clusters)
    return User(username, role, unit_code)


# Reviewers' clusters

def resolve_clusters(forms_db: Database, names: list[str]) -> list[str]:
    """The stored spelling of each cluster name; AccountError('unknown_cluster') for one no unit belongs to."""
    found, unknown = units.match_clusters(forms_db, names)
    if unknown:
        raise AccountError("unknown_cluster", cluster=unknown[0], known="; ".join(units.cluster_names(forms_db)) or "—")
    return found


def reviewer_clusters(db: Database, username: str) -> list[str]:
    """The emulation clusters a reviewer is limited to (a cluster lead); empty: every unit."""
    return data.clusters_of(db, username)


def all_reviewer_clusters(db: Database) -> dict[str, list[str]]:
    """{username: clusters} for every limited reviewer."""
    found: dict[str, list[str]] = {}
    for username, cluster in data.all_clusters(db):
        found.setdefault(username, []).append(cluster)
    return found


def assign_clusters(accounts_db: Database, forms_db: Database, *, actor: str, username: str,
                    names: list[str]) -> list[str]:
    """Limit a reviewer to the clusters named, audited as `reviewer_clusters_set`; the clusters as stored.

    Names are matched to the stored ones as `resolve_clusters` does; no names lift the limit.
    """
    clusters = resolve_clusters(forms_db, names)
    set_reviewer_clusters(accounts_db, username, clusters)
    with write(forms_db):
        audit.record(forms_db, actor, "reviewer_clusters_set", None, None, None,
                     {"username": username, "clusters": clusters})
    return clusters


def set_reviewer_clusters(db: Database, username: str, clusters: list[str] | tuple[str, ...]) -> None:
    """Limit a reviewer to these clusters (replacing the previous ones); an empty list lifts the limit."""
    with write(db):
        role = data.role_of(db, username)
        if role is None:
            raise AccountError("no_user", username=username)
        if clusters and role != "reviewer":
            raise AccountError("clusters_reviewer_only")
        data.replace_clusters(db, username, clusters)


# Signing in, passwords

def get_user(db: Database, username: str) -> User | None:
    """The active account of this name, or None."""
    row = data.find_user(db, username)
    return User(row["username"], row["role"], row["unit_code"]) if row else None


def authenticate(db: Database, username: str, password: str, now: dt.datetime | None = None) -> User:
    """The user whose password this is; AccountError('locked') while locked, ('bad_login') otherwise.

    After MAX_FAILURES wrong passwords in a row the account is locked for LOCK_MINUTES; the
    message never tells whether the username exists. A hash made with other parameters than the
    default (CHEAP_HASHER's, older ones) is replaced by a default one on success.
    """
    now = now or utcnow()
    row = data.find_user(db, username.strip())
    if row is None:
        _verify(_DUMMY_HASH, password)
        raise AccountError("bad_login")
    name, locked_until = row["username"], row["locked_until"]
    if locked_until and dt.datetime.fromisoformat(locked_until) > now:
        raise AccountError("locked", minutes=_minutes_until(locked_until, now))
    if not _verify(row["password_hash"], password):
        failures = row["failed_logins"] + 1
        locked = stamp(now + dt.timedelta(minutes=LOCK_MINUTES)) if failures >= MAX_FAILURES else None
        with write(db):
            data.record_failure(db, name, 0 if locked else failures, locked)
        if locked:
            raise AccountError("locked", minutes=LOCK_MINUTES)
        raise AccountError("bad_login")
    new_hash = hash_password(password) if _hasher.check_needs_rehash(row["password_hash"]) else None
    with write(db):
        data.record_success(db, name, new_hash)
    return User(name, row["role"], row["unit_code"])


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _minutes_until(moment: str, now: dt.datetime) -> int:
    return max(1, int((dt.datetime.fromisoformat(moment) - now).total_seconds() // 60) + 1)


def change_password(db: Database, username: str, old: str, new: str) -> None:
    """A user changes their own password; every other session of theirs ends."""
    current = data.password_hash_of(db, username)
    if current is None or not _verify(current, old):
        raise AccountError("bad_old_password")
    set_password(db, username, new)


def set_password(db: Database, username: str, new: str, *, hasher: PasswordHasher | None = None) -> None:
    """Set a password (an admin's reset or a change); sessions of that user end and a lock is lifted."""
    check_password_strength(new, username)
    password_hash = hash_password(new, hasher)
    with write(db):
        if data.role_of(db, username) is None:
            raise AccountError("no_user", username=username)
        data.store_password(db, username, password_hash, stamp())
        data.delete_sessions_of(db, username)


def reset_password(accounts_db: Database, forms_db: Database, *, actor: str, username: str, password: str,
                   hasher: PasswordHasher | None = None) -> None:
    """An administrator sets someone's password (see `set_password`), with the audit entry `password_reset`."""
    set_password(accounts_db, username, password, hasher=hasher)
    with write(forms_db):
        audit.record(forms_db, actor, "password_reset", None, None, None, {"username": username})


def list_users(db: Database) -> list[dict]:
    """Every account (username, role, unit_code, active, locked_until, created_at), by role then username."""
    return data.user_rows(db)


# Sessions: the cookie holds a random token; the database holds only its hash.

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, username: str) -> str:
    """A new session's token for the cookie (expired sessions end meanwhile)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write(db):
        data.insert_session(db, _token_hash(token), username, stamp(now), stamp(now + dt.timedelta(days=SESSION_DAYS)))
    return token


def session_user(db: Database, token: str | None) -> User | None:
    """The user of a live session token, or None."""
    if not token:
        return None
    row = data.session_row(db, _token_hash(token))
    if row is None or dt.datetime.fromisoformat(row["expires_at"]) < utcnow():
        return None
    return User(row["username"], row["role"], row["unit_code"])


def end_session(db: Database, token: str | None) -> None:
    """End the session of this token, if any."""
    if token:
        with write(db):
            data.delete_session(db, _token_hash(token))


# What a unit typed when its session had expired, kept until it signs in again (never applied unseen).

def stash_post(db: Database, path: str, fields: list[tuple[str, str]]) -> str:
    """Keep a post's fields for STASH_DAYS; the token to take them back."""
    token = secrets.token_urlsafe(24)
    with write(db):
        data.stash(db, _token_hash(token), path, fields, stamp(), stamp(utcnow() - dt.timedelta(days=STASH_DAYS)))
    return token


def take_stash(db: Database, token: str | None, path: str) -> list[tuple[str, str]] | None:
    """The fields stashed for `path` under this token, removed once taken."""
    if not token:
        return None
    with write(db):
        return data.take_stash(db, _token_hash(token), path)
