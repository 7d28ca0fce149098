"""Connections to the two databases of a data directory, their write transactions, and what their errors mean."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from pathlib import Path
from typing import Iterator

from sqlite_utils import Database

from forms_app.data.migrations import migrate_accounts, migrate_forms

FORMS_DB = "forms.db"
ACCOUNTS_DB = "accounts.db"
# What a failing database raises, for callers above the data layer (which never import sqlite3): any error, and a
# write that did not happen (a lock held too long, a full disk: see storage_trouble).
DatabaseError = sqlite3.Error
WriteError = sqlite3.OperationalError
BUSY_TIMEOUT_MS = 5000  # FORMS_APP_BUSY_TIMEOUT_MS overrides it (tests lower it to meet a held lock quickly)


def connect(path: Path | str, *, readonly: bool = False) -> Database:
    """A sqlite-utils Database in WAL mode with foreign keys on and a busy timeout."""
    timeout_ms = busy_timeout_ms()
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout_ms / 1000, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=timeout_ms / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {timeout_ms}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    return Database(conn, execute_plugins=False)


def busy_timeout_ms() -> int:
    """How long a connection waits for another writer's lock before "database is locked" (milliseconds)."""
    try:
        return max(0, int(os.environ.get("FORMS_APP_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)))
    except ValueError:
        return BUSY_TIMEOUT_MS


def open_forms(data_dir: Path) -> Database:
    return connect(Path(data_dir) / FORMS_DB)


def open_forms_query_only(data_dir: Path) -> Database:
    """forms.db for a command that must write nothing (`forms-app rescore`): SQLite refuses every write on it.

    Not `connect(readonly=True)`: a `mode=ro` connection to a WAL database that no one else has open leaves its
    -wal and -shm files behind in the data directory; this one, closed last, removes them as it found them.
    """
    db = open_forms(data_dir)
    db.execute("PRAGMA query_only = ON")
    return db


def open_accounts(data_dir: Path) -> Database:
    return connect(Path(data_dir) / ACCOUNTS_DB)


def migrate(data_dir: Path) -> None:
    """Create or migrate both databases of a data directory."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    for opener, migrate_one in ((open_forms, migrate_forms), (open_accounts, migrate_accounts)):
        db = opener(data_dir)
        try:
            migrate_one(db)
        finally:
            db.close()


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """A write transaction taken at once (BEGIN IMMEDIATE), so concurrent writers queue instead of deadlocking."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            # A COMMIT that fails (a full disk) leaves the transaction open: end it, nothing half-written.
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise


def writable(data_dir: Path) -> bool:
    """Whether this process can write the data directory and both databases (a read-only mount or wrong owner: no)."""
    paths = [Path(data_dir), Path(data_dir) / FORMS_DB, Path(data_dir) / ACCOUNTS_DB]
    if any(os.statvfs(path).f_flag & os.ST_RDONLY for path in paths if path.exists()):
        return False
    return all(os.access(path, os.W_OK) for path in paths if path.exists())


def ping(db: Database) -> None:
    """Raise sqlite3.Error unless the database answers."""
    db.execute("SELECT 1").fetchone()


def storage_trouble(exc: BaseException) -> str | None:
    """What a failed write means for the person who asked: "busy" (a lock held beyond the busy timeout: pressing
    save again may work), "full" (the disk is full or the database cannot be written), or None (anything else).

    The one reading of SQLite's and the file system's errors: the pages, the form and backup all ask it.
    """
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in text or "disk i/o" in text:
            return "full"
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return "busy"
        return None
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "full"
    return None


@contextlib.contextmanager
def bulk_load(db: Database) -> Iterator[Database]:
    """Writes not synced to disk one by one (a bulk load that is redone if interrupted), statistics renewed after."""
    db.execute("PRAGMA synchronous = OFF")
    try:
        yield db
    finally:
        db.execute("PRAGMA synchronous = NORMAL")
    db.execute("ANALYZE")
