"""Every statement on accounts.db: users, their sessions, the stashed posts of expired sessions, reviewers' clusters.

Each function is one statement (or two that belong together) run inside the caller's transaction,
when there is one: the rules (`forms_app.rules.accounts`) decide and open the transactions.
"""

from __future__ import annotations

import json

from forms_app.data.connection import Database

# Users

def find_user(db: Database, username: str) -> dict | None:
    """An active user's row, with what signing in needs (hash, failures, lock), or None."""
    row = db.execute(
        "SELECT username, password_hash, role, unit_code, failed_logins, locked_until FROM users "
        "WHERE username = ? AND active = 1", [username]).fetchone()
    if row is None:
        return None
    return dict(zip(("username", "password_hash", "role", "unit_code", "failed_logins", "locked_until"), row, strict=True))


def role_of(db: Database, username: str) -> str | None:
    """The role of an account, active or not; None when there is no such account."""
    row = db.execute("SELECT role FROM users WHERE username = ?", [username]).fetchone()
    return row[0] if row else None


def password_hash_of(db: Database, username: str) -> str | None:
    """The stored hash of an account's password, active or not."""
    row = db.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchone()
    return row[0] if row else None


def insert_user(db: Database, username: str, password_hash: str, role: str, unit_code: str | None, now: str) -> None:
    """A new active account with no failed sign-in."""
    db.execute(
        "INSERT INTO users (username, password_hash, role, unit_code, active, failed_logins, created_at, "
        "password_changed_at) VALUES (?, ?, ?, ?, 1, 0, ?, ?)",
        [username, password_hash, role, unit_code, now, now])


def record_failure(db: Database, username: str, failures: int, locked_until: str | None) -> None:
    """Count a wrong password (or lock the account until `locked_until`)."""
    db.execute("UPDATE users SET failed_logins = ?, locked_until = ? WHERE username = ?",
               [failures, locked_until, username])


def record_success(db: Database, username: str, new_hash: str | None = None) -> None:
    """Clear the failures and any lock after a right password; store `new_hash` when it was rehashed."""
    if new_hash is None:
        db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?", [username])
    else:
        db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL, password_hash = ? WHERE username = ?",
                   [new_hash, username])


def store_password(db: Database, username: str, password_hash: str, now: str) -> None:
    """A new password hash; failures and any lock are cleared."""
    db.execute(
        "UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, locked_until = NULL "
        "WHERE username = ?", [password_hash, now, username])


def user_rows(db: Database) -> list[dict]:
    """Every account for the administrator's list, by role then username (no hashes)."""
    return list(db.query(
        "SELECT username, role, unit_code, active, locked_until, created_at FROM users ORDER BY role, username"))


# Reviewers' clusters

def clusters_of(db: Database, username: str) -> list[str]:
    """The clusters a reviewer is limited to, sorted."""
    return [row[0] for row in db.execute(
        "SELECT cluster FROM reviewer_clusters WHERE username = ? ORDER BY cluster", [username])]


def all_clusters(db: Database) -> list[tuple[str, str]]:
    """(username, cluster) for every limited reviewer, sorted."""
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

def insert_session(db: Database, token_hash: str, username: str, now: str, expires_at: str) -> None:
    """A new session, and the end of every expired one."""
    db.execute("INSERT INTO sessions (token_hash, username, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?)",
               [token_hash, username, now, now, expires_at])
    db.execute("DELETE FROM sessions WHERE expires_at < ?", [now])


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


# Posts stashed when a session had expired

def stash(db: Database, token_hash: str, path: str, fields: list[tuple[str, str]], now: str, stale_before: str) -> None:
    """Keep a post's fields under a token; stashes older than `stale_before` go."""
    db.execute("INSERT INTO pending_posts (token_hash, path, fields, created_at) VALUES (?, ?, ?, ?)",
               [token_hash, path, json.dumps(fields, ensure_ascii=False), now])
    db.execute("DELETE FROM pending_posts WHERE created_at < ?", [stale_before])


def take_stash(db: Database, token_hash: str, path: str) -> list[tuple[str, str]] | None:
    """The fields stashed under this token for `path`, deleted once read; None when there are none."""
    row = db.execute("SELECT fields FROM pending_posts WHERE token_hash = ? AND path = ?", [token_hash, path]).fetchone()
    if row is None:
        return None
    db.execute("DELETE FROM pending_posts WHERE token_hash = ?", [token_hash])
    return [tuple(pair) for pair in json.loads(row[0])]
