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


@accounts_migrations()
def a003_sign_in_throttle(db: Database) -> None:
    """Sign-in slows a guesser down instead of locking the account (issue 12): leaky-bucket counters per client, per
    (client, account), per account and for the current-password check, and the clients each account signed in from.

    A counter's `client` is '' for the account and password scopes, its `username` '' for the client scope; usernames
    are lower-cased (also for names no account has, so that throttling tells nothing about who exists). The old lock
    (`users.failed_logins`, `users.locked_until`) is no longer read; locks in force are lifted.
    """
    db.execute("""
        CREATE TABLE sign_in_throttle (
            scope TEXT NOT NULL CHECK (scope IN ('pair', 'client', 'account', 'password')),
            client TEXT NOT NULL,
            username TEXT NOT NULL,
            level REAL NOT NULL,
            blocked_until TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (scope, client, username)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX idx_sign_in_throttle_updated ON sign_in_throttle(updated_at)")
    db.execute("CREATE INDEX idx_sign_in_throttle_user ON sign_in_throttle(username)")
    db.execute("""
        CREATE TABLE known_clients (
            username TEXT NOT NULL,
            client TEXT NOT NULL,
            last_success TEXT NOT NULL,
            PRIMARY KEY (username, client)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX idx_known_clients_seen ON known_clients(last_success)")
    db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL")
