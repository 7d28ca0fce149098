"""accounts.db's schema (password hashes, sessions, kept posts): never given to Datasette. Append-only migrations."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

accounts_migrations = Migrations("accounts")


@accounts_migrations()
def a001_accounts(db: Database) -> None:
    db.execute("""
        CREATE TABLE users (
            username TEXT PRIMARY KEY COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('unit', 'reviewer', 'admin')),
            unit_code TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL,
            CHECK ((role = 'unit') = (unit_code IS NOT NULL))
        )""")
    db.execute("CREATE INDEX idx_users_unit ON users(unit_code)")
    db.execute("""
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_sessions_user ON sessions(username)")
    db.execute("""
        CREATE TABLE pending_posts (
            token_hash TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            fields TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")


@accounts_migrations()
def a002_reviewer_clusters(db: Database) -> None:
    """A reviewer may be limited to the units of some emulation clusters (a cluster lead)."""
    db.execute("""
        CREATE TABLE reviewer_clusters (
            username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
            cluster TEXT NOT NULL,
            PRIMARY KEY (username, cluster)
        )""")
