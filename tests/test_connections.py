"""Issue 18: the web app's connections are kept per thread and data directory, their PRAGMAs set once, lent to one
request at a time; a transaction a request leaves open is rolled back, a connection that failed is not lent again, a
database file replaced at its path (a restore) gets a connection of its own."""

from __future__ import annotations

import shutil
import sqlite3
import threading

import pytest
from support.data import build_data_dir

from forms_app.adapters.web.app import create_app
from forms_app.adapters.web.context import accounts_db, forms_db
from forms_app.data import connection


@pytest.fixture(autouse=True)
def fresh_thread_connections():
    """Each test starts and ends with no connection kept by this thread."""
    connection.close_kept()
    yield
    connection.close_kept()


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "thu.db"
    db = connection.connect(path)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    db.close()
    return path


def _lent_in_requests(app, count: int = 2) -> list[tuple]:
    """The raw sqlite3 connections each of `count` requests of `app` got, (forms, accounts)."""
    seen = []
    for _ in range(count):
        with app.test_request_context("/"):
            app.preprocess_request()
            seen.append((forms_db().conn, accounts_db().conn))
            app.do_teardown_appcontext()
    return seen


def test_requests_on_one_thread_reuse_its_connections_with_their_pragmas(tmp_path):
    app = create_app({"DATA_DIR": build_data_dir(tmp_path / "data"), "TESTING": True})
    first, second = _lent_in_requests(app)
    assert first[0] is second[0] and first[1] is second[1]
    forms = first[0]
    assert forms.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert forms.execute("PRAGMA busy_timeout").fetchone() == (connection.busy_timeout_ms(),)
    assert forms.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert forms.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL


def test_two_data_directories_never_share_a_connection(tmp_path):
    one = create_app({"DATA_DIR": build_data_dir(tmp_path / "one"), "TESTING": True})
    two = create_app({"DATA_DIR": build_data_dir(tmp_path / "two"), "TESTING": True})
    (a, _), = _lent_in_requests(one, 1)
    (b, _), = _lent_in_requests(two, 1)
    assert a is not b
    files = {row[2] for conn in (a, b) for row in conn.execute("PRAGMA database_list")}
    assert files == {str(tmp_path / "one" / "forms.db"), str(tmp_path / "two" / "forms.db")}


def test_each_thread_has_its_own_connection(database):
    mine = connection.borrow(database)
    connection.give_back(mine)
    theirs = []

    def other_thread():
        db = connection.borrow(database)
        theirs.append(db)
        connection.give_back(db)
        connection.close_kept()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert theirs[0] is not mine and connection.borrow(database) is mine


def test_a_transaction_left_open_is_rolled_back_when_the_connection_is_given_back(database):
    db = connection.borrow(database)
    db.conn.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO notes (text) VALUES ('nửa chừng')")
    connection.give_back(db)

    again = connection.borrow(database)
    assert again is db and not again.conn.in_transaction
    assert again.execute("SELECT COUNT(*) FROM notes").fetchone() == (0,)
    with connection.write(again):  # and it writes as before
        again.execute("INSERT INTO notes (text) VALUES ('trọn vẹn')")
    connection.give_back(again)
    assert sqlite3.connect(database).execute("SELECT text FROM notes").fetchall() == [("trọn vẹn",)]


def test_a_request_that_fails_inside_a_write_leaves_nothing_behind(tmp_path):
    app = create_app({"DATA_DIR": build_data_dir(tmp_path / "data"), "TESTING": False})

    @app.post("/thu-ghi-hong")
    def half_written():
        db = forms_db()
        db.conn.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO audit_log (at, actor, action) VALUES ('2022-01-01', 'thu', 'nua_chung')")
        raise RuntimeError("giữa chừng")

    client = app.test_client()
    assert client.post("/thu-ghi-hong").status_code in (400, 500)  # the CSRF check or the failure: never stored
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/thu-ghi-hong").status_code == 500
    (conn, _), = _lent_in_requests(app, 1)
    assert not conn.in_transaction
    assert conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'nua_chung'").fetchone() == (0,)


def test_a_connection_that_met_a_database_error_is_not_lent_again(database):
    db = connection.borrow(database)
    connection.give_back(db, broken=True)
    with pytest.raises(sqlite3.ProgrammingError):  # closed
        db.execute("SELECT 1")
    assert connection.borrow(database) is not db


def test_a_database_replaced_at_its_path_gets_a_connection_to_the_new_file(database, tmp_path):
    db = connection.borrow(database)
    connection.give_back(db)
    restored = tmp_path / "ban-sao.db"
    copy = sqlite3.connect(restored)
    copy.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    copy.execute("INSERT INTO notes (text) VALUES ('từ bản sao')")
    copy.commit()
    copy.close()
    assert sqlite3.connect(restored).execute("PRAGMA journal_mode").fetchone() == ("delete",)
    shutil.move(restored, database)  # a new file (a new inode) at the same path, as a restore leaves it

    fresh = connection.borrow(database)
    assert fresh is not db
    assert fresh.execute("SELECT text FROM notes").fetchall() == [("từ bản sao",)]
    assert fresh.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # set again for the new file


def test_a_connection_borrowed_twice_in_one_thread_is_not_shared(database):
    outer = connection.borrow(database)
    inner = connection.borrow(database)
    assert inner is not outer
    connection.give_back(inner)
    with pytest.raises(sqlite3.ProgrammingError):  # not kept: closed when given back
        inner.execute("SELECT 1")
    connection.give_back(outer)
    assert connection.borrow(database) is outer


def test_a_thread_keeps_a_bounded_number_of_connections(tmp_path):
    paths = [tmp_path / f"{i}.db" for i in range(connection.KEPT_PER_THREAD + 1)]
    lent = []
    for path in paths:
        db = connection.borrow(path)
        connection.give_back(db)
        lent.append(db)
    with pytest.raises(sqlite3.ProgrammingError):  # the least recently used one was closed
        lent[0].execute("SELECT 1")
    assert lent[-1].execute("SELECT 1").fetchone() == (1,)


def test_writers_of_one_process_queue_and_one_held_too_long_is_busy(database, monkeypatch):
    monkeypatch.setenv("FORMS_APP_BUSY_TIMEOUT_MS", "200")
    holding, release = threading.Event(), threading.Event()

    def long_writer():
        db = connection.connect(database)
        with connection.write(db):
            db.execute("INSERT INTO notes (text) VALUES ('lâu')")
            holding.set()
            release.wait(10)
        db.close()

    thread = threading.Thread(target=long_writer)
    thread.start()
    try:
        holding.wait(10)
        db = connection.connect(database)
        with pytest.raises(connection.WriteError) as refused:
            with connection.write(db):
                db.execute("INSERT INTO notes (text) VALUES ('chờ quá lâu')")
        assert connection.storage_trouble(refused.value) == "busy" and not db.conn.in_transaction
    finally:
        release.set()
        thread.join()
    with connection.write(db):  # the lock is free again: the same writer goes through
        db.execute("INSERT INTO notes (text) VALUES ('sau')")
    assert [r[0] for r in db.execute("SELECT text FROM notes ORDER BY id")] == ["lâu", "sau"]
    db.close()


def test_a_write_holds_the_lock_file_other_processes_queue_on_and_lets_it_go(database):
    import fcntl
    import os

    def free() -> bool:
        """Whether another open file description (as another process has) could take the lock now."""
        descriptor = os.open(str(database) + ".writer-lock", os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(descriptor)  # closing lets any lock it took go
        return True

    db = connection.connect(database)
    with connection.write(db):
        db.execute("INSERT INTO notes (text) VALUES ('giữ khoá')")
        assert not free()  # the other worker waits in the kernel, not in SQLite's sleeping busy handler
    assert free()
    with pytest.raises(sqlite3.IntegrityError):
        with connection.write(db):
            db.execute("INSERT INTO notes (text) VALUES (NULL)")
    assert free() and not db.conn.in_transaction  # a write that fails lets it go too
    db.close()


def test_the_web_apps_commits_leave_checkpoints_to_a_thread_of_their_own(database, monkeypatch):
    """A commit that takes the write-ahead log past SQLite's threshold checkpoints under the write lock while every
    writer waits; the web app's connections leave that to the process's checkpointer, every CHECKPOINT_EVERY commits,
    from another thread, after the locks are released."""
    seen: list[tuple[str, str]] = []
    original = connection.checkpoint

    def recorded(path) -> None:
        seen.append((str(path), threading.current_thread().name))
        original(path)

    monkeypatch.setattr(connection, "checkpoint", recorded)
    db = connection.borrow(database)
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == connection.BACKSTOP_PAGES
    for number in range(connection.CHECKPOINT_EVERY * 2):
        with connection.write(db):
            db.execute("INSERT INTO notes (text) VALUES (?)", [f"ghi chú {number}"])
    connection.give_back(db)
    for _ in range(500):
        if len(seen) >= 1:
            break
        threading.Event().wait(0.01)
    assert seen and all(path == str(database) and thread == "forms-app-checkpoints" for path, thread in seen)
    # A connection of a command (not lent by `borrow`) keeps SQLite's own threshold.
    other = connection.connect(database)
    assert other.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    other.close()


def test_a_checkpoint_copies_the_log_into_the_database_and_never_makes_a_missing_one(tmp_path):
    folder = tmp_path / "Đoàn trường #1"  # a data directory's name is the administrator's: spaces, '#', diacritics
    folder.mkdir()
    database = folder / "forms.db"
    db = connection.connect(database)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    before = database.stat().st_size
    with connection.write(db):
        db.execute("INSERT INTO notes (text) SELECT hex(randomblob(2000)) FROM (SELECT 1 UNION SELECT 2 UNION SELECT 3)")
    assert database.stat().st_size == before  # in the log only
    connection.checkpoint(database)
    assert database.stat().st_size > before
    reader = connection.connect(database, readonly=True)  # opened by the same kind of address
    assert reader.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 3
    reader.close()
    db.close()
    connection.checkpoint(tmp_path / "gone" / "forms.db")
    assert not (tmp_path / "gone").exists()
