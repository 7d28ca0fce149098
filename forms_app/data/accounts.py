"""Every statement on accounts.db: users, sign-in throttling, sessions, the stashed posts of expired sessions,
cluster leads' clusters.

Each function is one statement (or two that belong together) run inside the caller's transaction,
when there is one: the rules (`forms_app.rules.accounts`, `sign_in_throttle`, `kept_posts`) decide and open the
transactions.
"""

from __future__ import annotations

import json

from forms_app.data.connection import Database

# Users

def find_user(db: Database, username: str) -> dict | None:
    """An active user's row, with what signing in needs (username as stored, hash, role, unit), or None."""
    row = db.execute(
        "SELECT username, password_hash, role, unit_code FROM users WHERE username = ? AND active = 1", [username]).fetchone()
    if row is None:
        return None
    return dict(zip(("username", "password_hash", "role", "unit_code"), row, strict=True))


def account_of(db: Database, username: str) -> dict | None:
    """The role and unit of an account, active or not (what the password policy needs); None when there is none."""
    row = db.execute("SELECT role, unit_code FROM users WHERE username = ?", [username]).fetchone()
    return {"role": row[0], "unit_code": row[1]} if row else None


def role_of(db: Database, username: str) -> str | None:
    """The role of an account, active or not; None when there is no such account."""
    row = db.execute("SELECT role FROM users WHERE username = ?", [username]).fetchone()
    return row[0] if row else None


def active_admins(db: Database) -> int:
    """How many active accounts are administrators."""
    return db.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1").fetchone()[0]


def password_hash_of(db: Database, username: str) -> str | None:
    """The stored hash of an account's password, active or not."""
    row = db.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchone()
    return row[0] if row else None


def insert_user(db: Database, username: str, password_hash: str, role: str, unit_code: str | None, now: str,
                email: str | None = None) -> None:
    """A new active account with no failed sign-in."""
    db.execute(
        "INSERT INTO users (username, password_hash, role, unit_code, email, active, failed_logins, created_at, "
        "password_changed_at) VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?)",
        [username, password_hash, role, unit_code, email, now, now])


def store_role(db: Database, username: str, role: str, unit_code: str | None) -> None:
    """An account's new role and unit (a unit account's unit; NULL for every other role)."""
    db.execute("UPDATE users SET role = ?, unit_code = ? WHERE username = ?", [role, unit_code, username])


def store_email(db: Database, username: str, email: str | None) -> None:
    """An account's address for reminders (NULL: none)."""
    db.execute("UPDATE users SET email = ? WHERE username = ?", [email, username])


def store_rehash(db: Database, username: str, new_hash: str) -> None:
    """The same password's hash made again with the default parameters (at a sign-in), its change date untouched."""
    db.execute("UPDATE users SET password_hash = ? WHERE username = ?", [new_hash, username])


def store_password(db: Database, username: str, password_hash: str, now: str) -> None:
    """A new password hash; failures and any lock are cleared."""
    db.execute(
        "UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, locked_until = NULL "
        "WHERE username = ?", [password_hash, now, username])


def user_row(db: Database, username: str) -> dict | None:
    """One account for the administrator (no hash), active or not; None when there is none."""
    return next(db.query("SELECT username, role, unit_code, email, active, locked_until, created_at FROM users "
                         "WHERE username = ?", [username]), None)


def user_rows(db: Database) -> list[dict]:
    """Every account for the administrator's list, by role then username (no hashes)."""
    return list(db.query(
        "SELECT username, role, unit_code, email, active, locked_until, created_at FROM users ORDER BY role, username"))


# Sign-in throttling: leaky-bucket counters keyed (scope, client, username), and where each account signed in from

_THROTTLE_COLUMNS = ("level", "blocked_until", "updated_at")


def throttle_rows(db: Database, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], dict]:
    """The stored counters of these (scope, client, username) keys: {key: {level, blocked_until, updated_at}}."""
    found = {}
    for key in keys:
        row = db.execute("SELECT level, blocked_until, updated_at FROM sign_in_throttle "
                         "WHERE scope = ? AND client = ? AND username = ?", list(key)).fetchone()
        if row is not None:
            found[key] = dict(zip(_THROTTLE_COLUMNS, row, strict=True))
    return found


def save_throttle(db: Database, rows: list[tuple[str, str, str, float, str | None]], now: str, forget_before: str) -> None:
    """Store counters as (scope, client, username, level, blocked_until) at `now`; counters quiet since
    `forget_before` go (the index on updated_at keeps that cheap)."""
    db.conn.executemany(
        "INSERT INTO sign_in_throttle (scope, client, username, level, blocked_until, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (scope, client, username) DO UPDATE SET level = excluded.level, "
        "blocked_until = excluded.blocked_until, updated_at = excluded.updated_at",
        [(*row, now) for row in rows])
    db.execute("DELETE FROM sign_in_throttle WHERE updated_at < ?", [forget_before])


def delete_throttle(db: Database, keys: list[tuple[str, str, str]]) -> None:
    """Forget these counters."""
    db.conn.executemany("DELETE FROM sign_in_throttle WHERE scope = ? AND client = ? AND username = ?", keys)


def delete_throttle_of(db: Database, username: str) -> None:
    """Forget every counter of an account (not the clients' own counters, which other accounts share)."""
    db.execute("DELETE FROM sign_in_throttle WHERE username = ? AND scope != 'client'", [username])


def is_known_client(db: Database, username: str, client: str, since: str) -> bool:
    """Whether the account signed in from this client at or after `since`."""
    return db.execute("SELECT 1 FROM known_clients WHERE username = ? AND client = ? AND last_success >= ?",
                      [username, client, since]).fetchone() is not None


def remember_client(db: Database, username: str, client: str, now: str, forget_before: str) -> None:
    """The account signed in from this client `now`; clients not seen since `forget_before` are forgotten."""
    db.execute("INSERT INTO known_clients (username, client, last_success) VALUES (?, ?, ?) "
               "ON CONFLICT (username, client) DO UPDATE SET last_success = excluded.last_success", [username, client, now])
    db.execute("DELETE FROM known_clients WHERE last_success < ?", [forget_before])


# Cluster leads' clusters (the table keeps its first name, reviewer_clusters)

def clusters_of(db: Database, username: str) -> list[str]:
    """The clusters a cluster lead is in charge of, sorted."""
    return [row[0] for row in db.execute(
        "SELECT cluster FROM reviewer_clusters WHERE username = ? ORDER BY cluster", [username])]


def all_clusters(db: Database) -> list[tuple[str, str]]:
    """(username, cluster) for every cluster lead's clusters, sorted."""
    return [tuple(row) for row in db.execute(
        "SELECT username, cluster FROM reviewer_clusters ORDER BY username, cluster")]


def replace_clusters(db: Database, username: str, clusters) -> None:
    """Set an existing account's clusters to exactly `clusters` (duplicates dropped)."""
    # Stored under the username as spelt in users: the column has no NOCASE collation of its own.
    stored = db.execute("SELECT username FROM users WHERE username = ?", [username]).fetchone()[0]
    db.execute("DELETE FROM reviewer_clusters WHERE username = ?", [stored])
    db.conn.executemany("INSERT OR IGNORE INTO reviewer_clusters (username, cluster) VALUES (?, ?)",
                        [(stored, cluster) for cluster in dict.fromkeys(clusters)])


# Sessions (only the hash of a token is stored)

def insert_session(db: Database, token_hash: str, username: str, now: str, expires_at: str, forget_before: str) -> None:
    """A new session; the sessions that ended before `forget_before` go (one that ended since is still recognised)."""
    db.execute("INSERT INTO sessions (token_hash, username, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?)",
               [token_hash, username, now, now, expires_at])
    db.execute("DELETE FROM sessions WHERE expires_at < ?", [forget_before])


def session_row(db: Database, token_hash: str) -> dict | None:
    """The active user of a session (username, role, unit_code) and its expires_at, or None."""
    row = db.execute(
        "SELECT u.username, u.role, u.unit_code, s.expires_at FROM sessions s JOIN users u ON u.username = s.username "
        "WHERE s.token_hash = ? AND u.active = 1", [token_hash]).fetchone()
    if row is None:
        return None
    return dict(zip(("username", "role", "unit_code", "expires_at"), row, strict=True))


def delete_session(db: Database, token_hash: str) -> None:
    """End one session."""
    db.execute("DELETE FROM sessions WHERE token_hash = ?", [token_hash])


def delete_sessions_of(db: Database, username: str) -> None:
    """End every session of an account."""
    db.execute("DELETE FROM sessions WHERE username = ?", [username])


# Posts stashed when a session had ended. `fields` holds {"username": the account, "fields": [[name, value], ...]}:
# a stash is given back only to the account it was kept for (rows written before that, a bare list, to nobody).

def stash(db: Database, token_hash: str, username: str, path: str, fields: list[tuple[str, str]], now: str) -> None:
    """Keep a post's fields for an account under a token."""
    db.execute("INSERT INTO pending_posts (token_hash, path, fields, created_at) VALUES (?, ?, ?, ?)",
               [token_hash, path, json.dumps({"username": username, "fields": fields}, ensure_ascii=False), now])


def forget_stashes(db: Database, stale_before: str) -> None:
    """Stashes older than `stale_before` go."""
    db.execute("DELETE FROM pending_posts WHERE created_at < ?", [stale_before])


def drop_stash(db: Database, username: str, path: str) -> None:
    """The account's stash for this page goes (a newer post replaces it)."""
    db.execute("DELETE FROM pending_posts WHERE path = ? AND json_extract(fields, '$.username') = ?", [path, username])


def stash_totals(db: Database, username: str) -> tuple[int, int]:
    """(how many stashes, how many bytes) an account holds."""
    row = db.execute("SELECT COUNT(*), COALESCE(SUM(length(CAST(fields AS BLOB))), 0) FROM pending_posts "
                     "WHERE json_extract(fields, '$.username') = ?", [username]).fetchone()
    return row[0], row[1]


def take_stash(db: Database, token_hash: str, path: str, username: str) -> list[tuple[str, str]] | None:
    """The fields stashed under this token for `path` by this account, deleted once read; None when there are none."""
    row = db.execute("SELECT fields FROM pending_posts WHERE token_hash = ? AND path = ? "
                     "AND json_extract(fields, '$.username') = ?", [token_hash, path, username]).fetchone()
    if row is None:
        return None
    db.execute("DELETE FROM pending_posts WHERE token_hash = ?", [token_hash])
    return [tuple(pair) for pair in json.loads(row[0])["fields"]]
