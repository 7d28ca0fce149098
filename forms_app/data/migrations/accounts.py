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


@accounts_migrations()
def a004_roles(db: Database) -> None:
    """The roles of the plan (issue 14): the office (`reviewer`), the inspection committee (`inspector`), cluster leads
    (`cluster_lead`), units and admins; an address for each account (`email`, for reminders).

    SQLite cannot change a CHECK constraint in place: `users` is rebuilt, and with it the two tables that refer to it
    (dropping `users` under them would delete their rows through ON DELETE CASCADE). A reviewer limited to clusters
    was a cluster lead in all but name: it becomes one, its clusters kept.
    """
    kept = {"users": "username, password_hash, role, unit_code, active, failed_logins, locked_until, created_at, "
                     "password_changed_at",
            "sessions": "token_hash, username, created_at, last_seen, expires_at",
            "reviewer_clusters": "username, cluster"}
    for table, columns in kept.items():
        db.execute(f"CREATE TEMP TABLE a004_{table} AS SELECT {columns} FROM main.{table}")
    for table in ("reviewer_clusters", "sessions", "users"):  # children first: nothing cascades
        db.execute(f"DROP TABLE main.{table}")
    db.execute("""
        CREATE TABLE users (
            username TEXT PRIMARY KEY COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('unit', 'reviewer', 'inspector', 'cluster_lead', 'admin')),
            unit_code TEXT,
            email TEXT,
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
        CREATE TABLE reviewer_clusters (
            username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
            cluster TEXT NOT NULL,
            PRIMARY KEY (username, cluster)
        )""")
    db.execute("""
        INSERT INTO main.users (username, password_hash, role, unit_code, active, failed_logins, locked_until,
                                created_at, password_changed_at)
        SELECT username, password_hash,
               CASE WHEN role = 'reviewer' AND username IN (SELECT username FROM temp.a004_reviewer_clusters)
                    THEN 'cluster_lead' ELSE role END,
               unit_code, active, failed_logins, locked_until, created_at, password_changed_at
        FROM temp.a004_users""")
    for table in ("sessions", "reviewer_clusters"):
        db.execute(f"INSERT INTO main.{table} ({kept[table]}) SELECT {kept[table]} FROM temp.a004_{table}")
    for table in kept:
        db.execute(f"DROP TABLE temp.a004_{table}")
