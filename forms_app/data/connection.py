"""Connections to the two databases of a data directory, their write transactions, and what their errors mean."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import sqlite_utils
from sqlite_utils.db import dedupe_keys

from forms_app.data import statistics
from forms_app.data.directory import file_identity
from forms_app.data.migrations import migrate_accounts, migrate_forms

FORMS_DB = "forms.db"
ACCOUNTS_DB = "accounts.db"
# What a failing database raises, for callers above the data layer (which never import sqlite3): any error, and a
# write that did not happen (a lock held too long, a full disk: see storage_trouble).
DatabaseError = sqlite3.Error
WriteError = sqlite3.OperationalError
ROWS_PER_STATEMENT = 500  # `insert_rows`: a statement's text and its cached plan stay small (a demo inserts thousands)
BUSY_TIMEOUT_MS = 5000  # FORMS_APP_BUSY_TIMEOUT_MS overrides it (tests lower it to meet a held lock quickly)


class Database(sqlite_utils.Database):
    """sqlite-utils' Database, whose `query` runs the statement alone.

    sqlite-utils runs each `query` between a SAVEPOINT and its RELEASE, so that a statement returning no rows can be
    rolled back before it refuses it: three statements for one, each of which lets another thread take the
    interpreter (a third of a submit's statements). The data layer gives `query` its reads, and an INSERT … RETURNING;
    a statement that returns no rows is still refused (after it ran).
    """

    def query(self, sql: str, params=None):
        cursor = self.conn.execute(sql, params if params is not None else ())
        if cursor.description is None:
            raise ValueError("query() can only be used with SQL that returns rows - use execute() for other statements")
        keys = dedupe_keys(d[0] for d in cursor.description)
        return (dict(zip(keys, row, strict=True)) for row in cursor)


def connect(path: Path | str, *, readonly: bool = False) -> Database:
    """A sqlite-utils Database in WAL mode with foreign keys on and a busy timeout.

    `journal_mode = WAL` is stored in the database file, so it is set once per file (and again when the file is
    replaced, a restore); `busy_timeout`, `foreign_keys` and `synchronous` belong to the connection.
    """
    timeout_ms = busy_timeout_ms()
    if readonly:
        conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True, timeout=timeout_ms / 1000,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=timeout_ms / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {timeout_ms}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        file = file_identity(path)
        if file is None or file not in _in_wal:
            conn.execute("PRAGMA journal_mode = WAL")
            if file is not None:
                _in_wal.add(file)
        conn.execute("PRAGMA synchronous = NORMAL")
    db = Database(conn, execute_plugins=False)
    if not readonly:
        db.writers_key = os.path.abspath(path)
    return db


_in_wal: set[tuple[str, int, int]] = set()  # (path, device, inode) of the files this process has put in WAL mode
# One lock per database file for this process's writers (see `write`); a forked child starts with none held.
_writers: dict[str, threading.Lock] = {}
os.register_at_fork(after_in_child=_writers.clear)


# Connections kept per thread for the web app: opened once with their PRAGMAs, lent to one request at a time,
# rolled back when it ends. Keyed by the database's path and checked against the file's identity at each loan, so
# tests with many data directories in one process, a restored database or a deleted data directory each get a
# connection to the file that is there now.

KEPT_PER_THREAD = 8  # connections one thread keeps (the least recently used beyond that are closed)
_kept = threading.local()


@dataclass
class _Kept:
    db: Database
    file: tuple[str, int, int] | None
    pid: int
    opener: object  # the `connect` that made it
    lent: bool = False


def borrow(path: Path | str) -> Database:
    """This thread's kept connection to the database at `path` (opened on first use), lent until `give_back`.

    A connection already lent in this thread (a request inside a request) is not shared: a new one is opened, and
    closed when given back.
    """
    kept: OrderedDict[str, _Kept] = _kept.__dict__.setdefault("connections", OrderedDict())
    key = str(path)
    entry = kept.get(key)
    if entry is not None and entry.lent:
        return connect(path)
    if entry is not None and (entry.pid != os.getpid() or file_identity(path) != entry.file
                              or entry.opener is not connect):
        # another process's (a fork), the file was replaced or removed, or `connect` was wrapped since (the tests and
        # benchmarks that cap or trace every connection a request opens)
        _forget(kept, key)
        entry = None
    if entry is None:
        db = connect(path)
        if getattr(db, "writers_key", None) is not None:
            # Checkpoints of the web app's writes run beside them (`_Checkpointer`), not in the commit that passes
            # SQLite's threshold under the write lock; the threshold stays as a backstop, ten times higher.
            db.conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
            db.checkpointed_aside = True
        entry = kept[key] = _Kept(db, file_identity(path), os.getpid(), connect)
        while len(kept) > KEPT_PER_THREAD:
            _forget(kept, next(iter(kept)))
    kept.move_to_end(key)
    entry.lent = True
    return entry.db


def give_back(db: Database, *, broken: bool = False) -> None:
    """End a loan: an open transaction is rolled back; a connection that failed (`broken`) or cannot roll back is
    closed rather than kept, and one that was not kept is closed."""
    kept: OrderedDict[str, _Kept] = _kept.__dict__.setdefault("connections", OrderedDict())
    key = next((k for k, entry in kept.items() if entry.db is db), None)
    if key is None:
        db.close()
        return
    kept[key].lent = False
    try:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
    except sqlite3.Error:
        broken = True
    if broken:
        _forget(kept, key)


def close_kept() -> None:
    """Close every connection this thread keeps (a test that unmounts a data directory, a worker that stops)."""
    kept: OrderedDict[str, _Kept] = _kept.__dict__.setdefault("connections", OrderedDict())
    for key in list(kept):
        _forget(kept, key)


def _forget(kept: OrderedDict, key: str) -> None:
    entry = kept.pop(key)
    if entry.pid == os.getpid():
        try:
            entry.db.close()
        except sqlite3.Error:
            pass


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
    """A write transaction taken at once (BEGIN IMMEDIATE), so concurrent writers queue instead of deadlocking.

    The threads of one process queue on a lock of their own before asking SQLite: SQLite's busy handler sleeps
    1, 2, 5, 10… ms between tries, so a writer that waited on another thread's short transaction slept longer than
    that transaction took. Writers in other processes still meet SQLite's lock and its busy timeout.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    key = getattr(db, "writers_key", None)
    writers = _writers.setdefault(key, threading.Lock()) if key is not None else None
    # The lock file is opened before the locks and closed after them: a system call lets another thread take the
    # interpreter, and under the locks every writer would wait for this one to get it back.
    lock_file = _lock_file(key)
    if writers is not None and not writers.acquire(timeout=busy_timeout_ms() / 1000):
        _close(lock_file)
        raise WriteError("database is locked (another writer of this process held it past the busy timeout)")
    _queue_with_other_processes(lock_file)
    committed = False
    try:
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
                committed = True
            except BaseException:
                # A COMMIT that fails (a full disk) leaves the transaction open: end it, nothing half-written.
                if db.conn.in_transaction:
                    db.conn.execute("ROLLBACK")
                raise
    finally:
        if writers is not None:
            writers.release()  # the next thread of this process waits in `flock` until the close below
        _close(lock_file)  # closing the descriptor lets the next writer in, whichever process it is in
    if committed and getattr(db, "checkpointed_aside", False):
        _checkpointer.committed(key)


CHECKPOINT_EVERY = 32  # commits of this process's web connections to one database between two checkpoints
BACKSTOP_PAGES = 10_000  # their `wal_autocheckpoint` (SQLite's default: 1,000 pages), in case the checkpointer lags


class _Checkpointer:
    """Checkpoints of the web app's databases, run by a thread of their own every CHECKPOINT_EVERY commits of the
    process, beside the requests.

    SQLite checkpoints in the commit that takes the write-ahead log past its threshold (1,000 pages by default): that
    commit copies the pages into the database and syncs it while it still holds the write lock, and every writer
    waits — 10–90 ms, several times a second at a hundred submits a second (docs/benchmarks.md). A PASSIVE checkpoint
    from another connection needs no write lock: writers go on meanwhile. Its connection is opened in "rw" mode, so a
    data directory removed since (a test's) is not made again as an empty database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._commits: dict[str, int] = {}
        self._due: set[str] = set()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def committed(self, key: str) -> None:
        with self._lock:
            count = self._commits.get(key, 0) + 1
            self._commits[key] = count % CHECKPOINT_EVERY
            if count < CHECKPOINT_EVERY:
                return
            self._due.add(key)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="forms-app-checkpoints", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                due, self._due = self._due, set()
            for key in due:
                checkpoint(key)

    def forget(self) -> None:
        """In a forked child: no thread, nothing counted or due (the parent's thread does not exist there)."""
        self.__init__()


def checkpoint(path: str | Path) -> None:
    """A PASSIVE checkpoint of the database at `path`, from a connection of its own; nothing if it is gone or busy."""
    try:
        conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=rw", uri=True, timeout=busy_timeout_ms() / 1000)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error:
        pass
    finally:
        conn.close()


_checkpointer = _Checkpointer()
os.register_at_fork(after_in_child=_checkpointer.forget)


def _lock_file(key: str | None) -> int | None:
    """A new descriptor of the write lock file beside the database at `key` (see `_queue_with_other_processes`), None
    when there is no key or the file cannot be opened (a read-only data directory: SQLite's lock alone)."""
    if key is None:
        return None
    try:
        return os.open(key + ".writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None


def _close(descriptor: int | None) -> None:
    if descriptor is not None:
        os.close(descriptor)


def _queue_with_other_processes(descriptor: int | None) -> None:
    """The write lock of the database among processes (gunicorn's workers) and threads: `flock` on a lock file beside
    it (`_lock_file`), waited for in the kernel, which wakes the waiting writer as soon as it is released. SQLite's
    own busy handler sleeps 1, 2, 5 … 100 ms between tries, so with two workers the one whose threads follow each
    other kept the lock and the other's waited seconds (p99 3 s at 16 clients against 0.6 s with one worker:
    docs/benchmarks.md). Held only by `write`, around one short transaction, until the descriptor is closed; a
    process that dies lets it go. Each `write` opens its own descriptor, so the next thread of the same process
    waits here too. Without a descriptor, or when `flock` fails, SQLite's lock alone."""
    if descriptor is None:
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except OSError:
        pass


def insert_rows(db: Database, head: str, rows: list[list] | list[tuple], tail: str = "") -> None:
    """`head` ("INSERT INTO t (a, b)") for every row, in as few statements as SQLite's limit on parameters allows;
    `tail` after the rows (an ON CONFLICT clause).

    One statement of many rows is one step of SQLite's, during which the interpreter is released once; `executemany`
    releases and takes it back at every row. Under a write lock, each of those is a moment when another of the
    process's threads may run Python for up to the interpreter's switch interval (5 ms) while every writer waits: the
    submit's rows (~55) written one by one made it the slowest writer of the product (docs/benchmarks.md).
    """
    if not rows:
        return
    width = len(rows[0])
    per_statement = max(1, min(ROWS_PER_STATEMENT, db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    one = "(" + ",".join("?" * width) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        db.conn.execute(f"{head} VALUES {','.join([one] * len(chunk))}{tail}", [value for row in chunk for value in row])


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
    statistics.forget_small(db)  # the tables left nearly empty grow by use: planned on their indexes
