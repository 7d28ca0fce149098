"""Whole-database work for backup and restore: a consistent copy of a live database, and checks of a copy."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from forms_app.data.connection import storage_trouble
from forms_app.data.migrations import accounts_migrations, forms_migrations


class DatabaseProblem(Exception):
    """A copy or a check that failed: `code` is database_error, integrity or disk_full; `params` name the database."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def copy_live(source: Path, target: Path, *, pages_per_step: int, pause: float, busy_timeout_s: int) -> dict:
    """A consistent copy of one live database (the backup API, in steps, under one read snapshot), checked; its facts.

    Raises DatabaseProblem, or OSError for the target's file system.
    """
    name = source.name
    try:
        src = sqlite3.connect(f"file:{quote(str(source))}?mode=rw", uri=True, timeout=busy_timeout_s,
                              isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise DatabaseProblem("database_error", name=name, reason=str(exc)) from None
    dst = None
    try:
        src.execute(f"PRAGMA busy_timeout = {busy_timeout_s * 1000}")
        wal = src.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        if wal:
            # Hold one read snapshot for the whole copy: the steps then never restart however much the
            # server writes, and in WAL mode this reader never blocks a writer.
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        dst = sqlite3.connect(str(target), isolation_level=None)
        os.chmod(target, 0o600)
        src.backup(dst, pages=pages_per_step, progress=lambda *_: time.sleep(pause), sleep=0.05)
        if wal:
            src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file; connect() turns WAL back on
        _require_integrity(dst, name)
        return facts(dst) | {"integrity_check": "ok"}
    except sqlite3.Error as exc:
        if storage_trouble(exc) == "full":
            raise DatabaseProblem("disk_full", path=target) from None
        raise DatabaseProblem("database_error", name=name, reason=str(exc)) from None
    finally:
        if dst is not None:
            dst.close()
        src.close()


def check_copy(path: Path) -> dict:
    """A restored copy passes integrity_check and carries no migration this version does not know; its facts."""
    name = path.name
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, isolation_level=None)
        try:
            _require_integrity(conn, name)
            found = facts(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DatabaseProblem("database_error", name=name, reason=str(exc)) from None
    known = {f"{m.name}:{step.name}" for m in (forms_migrations, accounts_migrations) for step in m._migrations}
    unknown = [m for m in found["migrations"] if m.split(":", 1)[0] in ("forms", "accounts") and m not in known]
    if unknown:
        raise DatabaseProblem("newer_backup", name=name, migrations=", ".join(unknown[:3]))
    return found


def facts(conn: sqlite3.Connection) -> dict:
    """The schema version of a database: its user_version and the migrations applied, in order."""
    user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    migrations: list[str] = []
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'").fetchone():
        migrations = [f"{s}:{n}" for s, n in conn.execute("SELECT migration_set, name FROM _sqlite_migrations ORDER BY rowid")]
    return {"user_version": user_version, "migrations": migrations}


def _require_integrity(conn: sqlite3.Connection, name: str) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    if problems != ["ok"]:
        raise DatabaseProblem("integrity", name=name, detail="; ".join(problems[:3]))
