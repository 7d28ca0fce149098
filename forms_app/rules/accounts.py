"""Accounts in accounts.db: users and their roles, reviewers' clusters, signing in, passwords set, sessions.

The statements live in `forms_app.data.accounts`; this module decides (which role needs a unit or clusters, what a
sign-in or a password change needs) and writes the audit entries of the administrator's actions in forms.db.
Beside it: `account_errors` (the refusals' sentences), `passwords` (hashing, the password policy),
`sign_in_throttle` (the buckets a sign-in counts against) and `kept_posts` (what a unit typed when its session ended).

Signing in: unknown, wrong and throttled sign-ins get the same sentence and each runs one argon2 verification
(against a dummy hash when there is nothing real to check).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher

from forms_app.data import accounts as data
from forms_app.data import audit
from forms_app.data.clock import stamp, utcnow
from forms_app.data.connection import Database, write
from forms_app.rules import passwords, sign_in_throttle, units
from forms_app.rules.account_errors import AccountError

ROLES = ("unit", "reviewer", "inspector", "cluster_lead", "admin")
# How the plan names each role (interfaces.md, additions of 2026-11-27); shown on /admin/users.
ROLE_LABELS = {
    "unit": {"vi": "Đơn vị", "en": "Unit"},
    "reviewer": {"vi": "Văn phòng", "en": "Union office"},
    "inspector": {"vi": "Ủy ban Kiểm tra", "en": "Inspection committee"},
    "cluster_lead": {"vi": "Phụ trách cụm", "en": "Cluster lead"},
    "admin": {"vi": "Quản trị", "en": "Administrator"},
}
SESSION_DAYS = 7
# An ended session is still recognised this long: a post its unit sends meanwhile is kept for it (`rules.kept_posts`).
STASH_DAYS = 2


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
        """Everyone who reads units' forms as a reviewer: the office, the inspection committee, cluster leads (their
        clusters only) and admins."""
        return self.role in ("reviewer", "inspector", "cluster_lead", "admin")

    @property
    def reads_every_unit(self) -> bool:
        """The office, the inspection committee and admins read every unit; a cluster lead only their clusters."""
        return self.role in ("reviewer", "inspector", "admin")

    @property
    def decides(self) -> bool:
        """Records the standing committee's decisions, accepts or returns forms, issues certificates: the office."""
        return self.role in ("reviewer", "admin")

    @property
    def inspects(self) -> bool:
        """Adjusts points with a reason and records inspections: the inspection committee."""
        return self.role in ("inspector", "admin")

    @property
    def proposes(self) -> bool:
        """Comments on units and proposes them for recognition or commendation: cluster leads."""
        return self.role in ("cluster_lead", "admin")

    @property
    def browses_data(self) -> bool:
        """Reaches the reviewers' Datasette."""
        return self.role in ("reviewer", "inspector", "admin")

    @property
    def is_admin(self) -> bool:
        """An administrator: manages accounts and cycles."""
        return self.role == "admin"


# Creating accounts, changing their role

def create_account(accounts_db: Database, forms_db: Database, *, actor: str, username: str, password: str, role: str,
                   unit_code: str | None = None, clusters=(), email: str | None = None,
                   password_hash: str | None = None, hasher: PasswordHasher | None = None) -> tuple[User, list[str]]:
    """Create an account as the command line and the admin page do: (the user, its clusters as stored).

    The unit must exist in forms.db; a cluster lead's cluster names are matched to the stored ones; the entry
    `user_created` goes to the audit log under `actor` ("cli" for the command line).
    """
    _check_role(role, unit_code, clusters)
    if unit_code is not None and not units.unit_exists(forms_db, unit_code):
        raise AccountError("unknown_unit")
    found = resolve_clusters(forms_db, list(clusters))
    user = add_user(accounts_db, username, password, role, unit_code, password_hash=password_hash, clusters=found,
                    email=email, hasher=hasher)
    with write(forms_db):
        audit.record(forms_db, actor, "user_created", user.unit_code, None, None,
                     {"username": user.username, "role": role, "clusters": found})
    return user, found


def add_user(db: Database, username: str, password: str, role: str, unit_code: str | None = None,
             *, password_hash: str | None = None, clusters: list[str] | tuple[str, ...] = (),
             email: str | None = None, hasher: PasswordHasher | None = None) -> User:
    """Create an account; a unit account is bound to exactly one unit, a cluster lead to one cluster or more.

    The low-level creator: no check against forms.db and no audit entry (`create_account` adds both).
    """
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("bad_username")
    _check_role(role, unit_code, clusters)
    email = clean_email(email)
    if password_hash is None:
        passwords.check_password_strength(password, username, unit_code)
        password_hash = passwords.hash_password(password, hasher)
    with write(db):
        if data.role_of(db, username) is not None:
            raise AccountError("user_exists", username=username)
        data.insert_user(db, username, password_hash, role, unit_code, stamp(), email)
        data.replace_clusters(db, username, clusters)
    return User(username, role, unit_code)


def _check_role(role: str, unit_code: str | None, clusters) -> None:
    """A known role; a unit code for a unit account only; clusters for a cluster lead only, who needs one at least."""
    if role not in ROLES:
        raise AccountError("bad_role", role=role)
    if (role == "unit") != (unit_code is not None):
        raise AccountError("unit_needed" if role == "unit" else "unit_not_allowed")
    if clusters and role != "cluster_lead":
        raise AccountError("clusters_lead_only")
    if role == "cluster_lead" and not clusters:
        raise AccountError("clusters_needed")


def clean_email(email: str | None) -> str | None:
    """An address as stored (trimmed; None when empty); AccountError('bad_email') for one that cannot be an address."""
    email = (email or "").strip()
    if not email:
        return None
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or len(email) > 254 or any(c.isspace() for c in email):
        raise AccountError("bad_email", email=email[:80])
    return email


def change_role(accounts_db: Database, forms_db: Database, *, actor: str, username: str, role: str,
                unit_code: str | None = None, clusters=(), email: str | None = None) -> list[str]:
    """An administrator gives an account a role (with its unit or its clusters) and an address; audited as
    `user_role_changed`. The clusters as stored; the account's sessions go on under the new role at once."""
    _check_role(role, unit_code, clusters)
    if unit_code is not None and not units.unit_exists(forms_db, unit_code):
        raise AccountError("unknown_unit")
    found = resolve_clusters(forms_db, list(clusters))
    email = clean_email(email)
    with write(accounts_db):
        before = data.account_of(accounts_db, username)
        if before is None:
            raise AccountError("no_user", username=username)
        if before["role"] == "admin" and role != "admin" and data.active_admins(accounts_db) <= 1:
            raise AccountError("last_admin")
        data.store_role(accounts_db, username, role, unit_code)
        data.store_email(accounts_db, username, email)
        data.replace_clusters(accounts_db, username, found)
    with write(forms_db):
        audit.record(forms_db, actor, "user_role_changed", unit_code, None, None,
                     {"username": username, "from": before["role"], "role": role, "clusters": found})
    return found


# Cluster leads' clusters

def resolve_clusters(forms_db: Database, names: list[str]) -> list[str]:
    """The stored spelling of each cluster name; AccountError('unknown_cluster') for one no unit belongs to."""
    found, unknown = units.match_clusters(forms_db, names)
    if unknown:
        raise AccountError("unknown_cluster", cluster=unknown[0], known="; ".join(units.cluster_names(forms_db)) or "—")
    return found


def reviewer_clusters(db: Database, username: str) -> list[str]:
    """The emulation clusters a cluster lead is in charge of (empty for every other account)."""
    return data.clusters_of(db, username)


def all_reviewer_clusters(db: Database) -> dict[str, list[str]]:
    """{username: clusters} for every cluster lead."""
    found: dict[str, list[str]] = {}
    for username, cluster in data.all_clusters(db):
        found.setdefault(username, []).append(cluster)
    return found


def assign_clusters(accounts_db: Database, forms_db: Database, *, actor: str, username: str,
                    names: list[str]) -> list[str]:
    """Set the clusters a cluster lead is in charge of, audited as `reviewer_clusters_set`; the clusters as stored.

    Names are matched to the stored ones as `resolve_clusters` does; a cluster lead keeps one cluster at least.
    """
    clusters = resolve_clusters(forms_db, names)
    set_reviewer_clusters(accounts_db, username, clusters)
    with write(forms_db):
        audit.record(forms_db, actor, "reviewer_clusters_set", None, None, None,
                     {"username": username, "clusters": clusters})
    return clusters


def set_reviewer_clusters(db: Database, username: str, clusters: list[str] | tuple[str, ...]) -> None:
    """Set a cluster lead's clusters (replacing the previous ones); none is refused (`clusters_needed`)."""
    with write(db):
        role = data.role_of(db, username)
        if role is None:
            raise AccountError("no_user", username=username)
        if role != "cluster_lead":
            raise AccountError("clusters_lead_only")
        if not clusters:
            raise AccountError("clusters_needed")
        data.replace_clusters(db, username, clusters)


# Signing in, passwords

def get_user(db: Database, username: str) -> User | None:
    """The active account of this name, or None."""
    row = data.find_user(db, username)
    return User(row["username"], row["role"], row["unit_code"]) if row else None


def authenticate(db: Database, username: str, password: str, now: dt.datetime | None = None,
                 client: str | None = None) -> User:
    """The user whose password this is, signing in from `client` (an address; `sign_in_throttle.LOCAL_CLIENT` when
    None); AccountError('bad_login') otherwise — the same for an unknown user, a wrong password and a throttled attempt.

    The attempt counts against the throttle's buckets before the password is checked (`rules.sign_in_throttle`);
    a throttled one checks the password against a dummy hash, so it takes as long and writes nothing. A hash made
    with other parameters than the default (`passwords.CHEAP_HASHER`'s, older ones) is replaced by a default one on success.
    """
    now = now or utcnow()
    pair, shared = sign_in_throttle.sign_in_keys(db, username, client, now)
    throttled = sign_in_throttle.take_attempt(db, [pair, *shared], now) is not None
    row = None if throttled else data.find_user(db, username.strip())
    if not passwords.verify(row["password_hash"] if row else None, password):
        raise AccountError("bad_login")
    new_hash = passwords.hash_password(password) if passwords.needs_rehash(row["password_hash"]) else None
    with write(db):
        if new_hash is not None:
            data.store_rehash(db, row["username"], new_hash)
        sign_in_throttle.signed_in(db, pair, shared, now)
    return User(row["username"], row["role"], row["unit_code"])


def change_password(db: Database, username: str, old: str, new: str, now: dt.datetime | None = None) -> None:
    """A user changes their own password; every other session of theirs ends.

    The current password is throttled per account like a sign-in (a stolen session cannot guess it); a new
    password the policy refuses is refused before, without counting.
    """
    now = now or utcnow()
    account = data.account_of(db, username)
    passwords.check_password_strength(new, username, account["unit_code"] if account else None)
    waiting = sign_in_throttle.take_attempt(db, [sign_in_throttle.password_key(username)], now)
    if waiting is not None:
        raise AccountError("throttled", minutes=sign_in_throttle.minutes_until(waiting, now))
    current = data.password_hash_of(db, username)
    if current is None or not passwords.verify(current, old):
        raise AccountError("bad_old_password")
    set_password(db, username, new)


def set_password(db: Database, username: str, new: str, *, hasher: PasswordHasher | None = None) -> None:
    """Set a password (an admin's reset or a change); sessions of that user end and the account's throttling is lifted."""
    account = data.account_of(db, username)
    passwords.check_password_strength(new, username, account["unit_code"] if account else None)
    password_hash = passwords.hash_password(new, hasher)
    with write(db):
        if data.role_of(db, username) is None:
            raise AccountError("no_user", username=username)
        data.store_password(db, username, password_hash, stamp())
        data.delete_sessions_of(db, username)
        sign_in_throttle.lift(db, username)


def reset_password(accounts_db: Database, forms_db: Database, *, actor: str, username: str, password: str,
                   hasher: PasswordHasher | None = None) -> None:
    """An administrator sets someone's password (see `set_password`), with the audit entry `password_reset`."""
    set_password(accounts_db, username, password, hasher=hasher)
    with write(forms_db):
        audit.record(forms_db, actor, "password_reset", None, None, None, {"username": username})


def account(db: Database, username: str) -> dict | None:
    """One account as the administrator sees it (username as stored, role, unit_code, email, active, clusters), or None."""
    row = data.user_row(db, username)
    return {**row, "clusters": data.clusters_of(db, row["username"])} if row else None


def list_users(db: Database) -> list[dict]:
    """Every account (username, role, unit_code, email, active, locked_until, created_at), by role then username."""
    return data.user_rows(db)


# Sessions: the cookie holds a random token; the database holds only its hash.

def token_hash(token: str) -> str:
    """What the database keeps of a random token a cookie holds (a session's, a kept post's): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, username: str) -> str:
    """A new session's token for the cookie; sessions that ended more than STASH_DAYS ago are forgotten meanwhile
    (one that ended since is still recognised: a post sent after it ended is kept for its account, `recent_session_user`)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write(db):
        data.insert_session(db, token_hash(token), username, stamp(now), stamp(now + dt.timedelta(days=SESSION_DAYS)),
                            stamp(now - dt.timedelta(days=STASH_DAYS)))
    return token


def session_user(db: Database, token: str | None) -> User | None:
    """The user of a live session token, or None."""
    return _session_user(db, token, utcnow())


def recent_session_user(db: Database, token: str | None, now: dt.datetime | None = None) -> User | None:
    """The user of a session token, live or ended less than STASH_DAYS ago, or None."""
    return _session_user(db, token, (now or utcnow()) - dt.timedelta(days=STASH_DAYS))


def _session_user(db: Database, token: str | None, ended_before: dt.datetime) -> User | None:
    """The user of a session token unless it ended before `ended_before` (or there is none)."""
    if not token:
        return None
    row = data.session_row(db, token_hash(token))
    if row is None or dt.datetime.fromisoformat(row["expires_at"]) < ended_before:
        return None
    return User(row["username"], row["role"], row["unit_code"])


def end_session(db: Database, token: str | None) -> None:
    """End the session of this token, if any."""
    if token:
        with write(db):
            data.delete_session(db, token_hash(token))
