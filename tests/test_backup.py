"""`forms-app backup DEST` and `forms-app restore SRC`: a round trip, a backup under load, and every refusal."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import http.cookiejar
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.data import EXAMPLE_ANSWERS, OPEN_DAY, PASSWORD, SELF, build_data_dir, open_for_toan_today, register
from support.server import Server
from support.web import (
    PDF,
    SELF_URL,
    complete_self_assessment,
    form_fields,
    pdf_upload,
    post_answers,
    sign_in,
    start_session,
)

from forms_app.adapters.cli import cli

FORMS_APP = str(Path(sys.executable).parent / "forms-app")


def run(*args, lang: str | None = None):
    extra = ["--lang", lang] if lang else []
    result = CliRunner().invoke(cli, [str(a) for a in args] + extra)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def one_sentence(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def table_contents(path: Path) -> dict[str, list]:
    """Every row of every table of a database, in a stable order (what a restore must give back)."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its content (to show that a refused command wrote nothing)."""
    return files_under(folder) if folder.exists() else {}


def stored_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def assert_revisions_complete(path: Path) -> int:
    """Every revision belongs to an existing submission, every submission's revisions exist, and its answer rows
    are those of the revision that counts (the submitted one, else the draft). Returns the number of revisions."""
    conn = sqlite3.connect(path)
    try:
        orphans = conn.execute("SELECT COUNT(*) FROM revisions r LEFT JOIN submissions s ON s.id = r.submission_id "
                               "WHERE s.id IS NULL").fetchone()[0]
        assert orphans == 0
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for sid, current, submitted, status in conn.execute(
                "SELECT id, current_revision, submitted_revision, status FROM submissions").fetchall():
            numbers = [r[0] for r in conn.execute("SELECT number FROM revisions WHERE submission_id = ? ORDER BY number", [sid])]
            assert numbers == list(range(1, len(numbers) + 1)), (sid, numbers)  # no gap: no revision half-written
            assert current in numbers, (sid, current, numbers)
            if status == "submitted":
                assert submitted in numbers
            counted = submitted or current
            answers = json.loads(conn.execute("SELECT answers FROM revisions WHERE submission_id = ? AND number = ?",
                                              [sid, counted]).fetchone()[0])
            rows = dict(conn.execute("SELECT question_id, value FROM answers WHERE submission_id = ?", [sid]).fetchall())
            assert rows, sid
            for qid, value in answers.items():
                assert rows.get(qid) == stored_value(value), (sid, counted, qid, rows.get(qid), value)
            for qid, value in rows.items():
                if value is not None:
                    assert qid in answers, (sid, counted, qid)
        return conn.execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
    finally:
        conn.close()


# --- a round trip -------------------------------------------------------------------------------


@pytest.fixture
def filled(tmp_path):
    """A data directory with submissions (one with an uploaded file), decisions, a certificate file and settings."""
    from forms_app.adapters.web.app import create_app
    from forms_app.data import connection as database
    from forms_app.rules import registry
    from forms_app.rules import submitting as submissions
    from forms_app.rules.deciding import record_decision

    data_dir = build_data_dir(tmp_path / "data")
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": OPEN_DAY})
    for unit in ("TOAN", "VAN", "LY"):
        register(app, unit)
    client = app.test_client()
    start_session(app, client, "toan")
    response = post_answers(client, complete_self_assessment(), "submit", files={"file_ke_hoach_cong_tac": pdf_upload()})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    forms = database.open_forms(data_dir)
    definition = registry.definition(forms, SELF)
    for unit in ("VAN", "LY"):
        submissions.record(forms, unit_code=unit, definition=definition, cycle_year=2022,
                           answers=_example_answers(), action="submit", author=unit.lower(),
                           base_revision=None, request_token=None)
    record_decision(forms, "TOAN", SELF, 2022, "recognised", "vanphong", decision_no="45-QĐ/ĐTN",
                    decided_on=dt.date(2022, 10, 20), today=dt.date(2022, 10, 20),
                    reason="Đơn vị tiêu biểu")  # below the rule: a recognition says why
    record_decision(forms, "LY", SELF, 2022, "not_recognised", "vanphong", decision_no="45-QĐ/ĐTN",
                    decided_on=dt.date(2022, 10, 20), today=dt.date(2022, 10, 20))
    forms.close()
    (data_dir / "certificates" / "2022").mkdir(parents=True)
    (data_dir / "certificates" / "2022" / "TOAN-1.pdf").write_bytes(PDF + b"% certificate\n")
    (data_dir / "certificate.json").write_text(json.dumps({"place": "Hà Nội"}, ensure_ascii=False), "utf-8")
    assert list((data_dir / "uploads").rglob("*")), "the upload was stored"
    return data_dir


def _example_answers() -> dict:
    return dict(EXAMPLE_ANSWERS)  # the latest shipped version's example


def test_backup_and_restore_give_back_both_databases_and_every_file(filled, tmp_path):
    from forms_app.adapters.web.app import create_app

    dest = tmp_path / "sao-luu"
    result = run("backup", dest, "--data-dir", filled)
    assert result.exit_code == 0, result.output
    assert "Đã sao lưu" in result.output
    assert not [p for p in dest.iterdir() if p.name.startswith(".")], "no partial folder is left"

    manifest = json.loads((dest / "manifest.json").read_text("utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    assert {"forms.db", "accounts.db", "secret_key", "certificate.json", "certificates/2022/TOAN-1.pdf"} <= set(listed)
    assert any(p.startswith("uploads/") for p in listed)
    for path, entry in listed.items():
        content = (dest / path).read_bytes()
        assert len(content) == entry["size"] and hashlib.sha256(content).hexdigest() == entry["sha256"], path
    assert manifest["created_at"] and manifest["version"]
    assert "forms:m001_core" in manifest["databases"]["forms.db"]["migrations"]
    assert manifest["databases"]["accounts.db"]["migrations"]
    for name in ("forms.db", "accounts.db"):
        assert integrity(dest / name) == ["ok"]
        assert not (dest / f"{name}-wal").exists()

    target = tmp_path / "khoi-phuc"
    result = run("restore", dest, "--data-dir", target, lang="en")
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    for name in ("forms.db", "accounts.db"):
        assert integrity(target / name) == ["ok"]
        assert table_contents(target / name) == table_contents(filled / name), name
    assert files_under(target / "uploads") == files_under(filled / "uploads")
    assert files_under(target / "certificates") == files_under(filled / "certificates")
    assert (target / "secret_key").read_text() == (filled / "secret_key").read_text()
    assert (target / "certificate.json").read_bytes() == (filled / "certificate.json").read_bytes()
    assert not [p for p in target.iterdir() if p.name.startswith(".")]

    # The restored directory serves: a unit signs in and finds its submitted form and its file.
    app = create_app({"DATA_DIR": target, "TESTING": True, "NOW": OPEN_DAY})
    client = app.test_client()
    sign_in(client, "toan")
    page = client.get(f"/forms/{SELF}/2022/result")
    assert page.status_code == 200
    conn = sqlite3.connect(target / "forms.db")
    token = json.loads(conn.execute(
        "SELECT answers FROM revisions r JOIN submissions s ON s.id = r.submission_id "
        "WHERE s.unit_code = 'TOAN' AND s.form_id = ? ORDER BY r.number DESC", [SELF]).fetchone()[0])["file_ke_hoach_cong_tac"]
    conn.close()
    download = client.get(f"/files/{token}")
    assert download.status_code == 200 and download.data == PDF


def test_an_older_backup_is_brought_up_to_date_on_restore(tmp_path):
    """A backup made before the certificates migration: the restore runs it."""
    data_dir = build_data_dir(tmp_path / "data")
    dest = tmp_path / "cu"
    assert run("backup", dest, "--data-dir", data_dir).exit_code == 0
    conn = sqlite3.connect(dest / "forms.db")
    conn.execute("DROP TABLE certificates")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm006_certificates'")
    conn.commit()
    conn.execute("VACUUM")
    conn.close()
    _rewrite_manifest(dest)

    target = tmp_path / "moi"
    result = run("restore", dest, "--data-dir", target)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(target / "forms.db")
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'certificates'").fetchone()
    assert conn.execute("SELECT 1 FROM _sqlite_migrations WHERE name = 'm006_certificates'").fetchone()
    conn.close()


def _rewrite_manifest(dest: Path) -> None:
    """Re-describe every file (as a backup that really was made this way would)."""
    manifest = json.loads((dest / "manifest.json").read_text("utf-8"))
    for entry in manifest["files"]:
        content = (dest / entry["path"]).read_bytes()
        entry["size"], entry["sha256"] = len(content), hashlib.sha256(content).hexdigest()
    (dest / "manifest.json").write_text(json.dumps(manifest), "utf-8")


# --- refusals: exit 1, one sentence, nothing written -------------------------------------------


@pytest.fixture
def small(tmp_path):
    """A data directory with one uploaded file, and a backup of it."""
    data_dir = build_data_dir(tmp_path / "data")
    blob = hashlib.sha256(PDF).hexdigest()
    (data_dir / "uploads" / blob[:2]).mkdir(parents=True)
    (data_dir / "uploads" / blob[:2] / blob).write_bytes(PDF)
    (data_dir / "uploads" / blob[:2] / f"{blob}.1234.part").write_bytes(PDF[:5])  # a write in flight
    dest = tmp_path / "sao-luu"
    assert run("backup", dest, "--data-dir", data_dir).exit_code == 0
    assert not any(p.endswith(".part") for p in files_under(dest))
    return data_dir, dest, f"uploads/{blob[:2]}/{blob}"


def test_backup_refuses_a_destination_that_is_not_empty(small, tmp_path):
    data_dir, _dest, _blob = small
    busy = tmp_path / "co-san"
    busy.mkdir()
    (busy / "ghi-chu.txt").write_text("đừng xoá")
    before = snapshot(busy)
    result = run("backup", busy, "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "không trống" in one_sentence(result.output) or "đã có nội dung" in result.output
    assert snapshot(busy) == before and sorted(os.listdir(busy)) == ["ghi-chu.txt"]

    result = run("backup", busy, "--data-dir", data_dir, lang="en")
    assert result.exit_code == 1 and "is not empty" in one_sentence(result.output)

    file_dest = tmp_path / "tep"
    file_dest.write_text("x")
    assert run("backup", file_dest, "--data-dir", data_dir).exit_code == 1
    assert file_dest.read_text() == "x"

    missing = run("backup", tmp_path / "moi", "--data-dir", tmp_path / "khong-co", lang="en")
    assert missing.exit_code == 1 and "no data" in one_sentence(missing.output)
    assert not (tmp_path / "moi").exists() and not (tmp_path / "khong-co").exists()


def test_restore_refuses_a_data_directory_that_is_not_empty(small, tmp_path):
    data_dir, dest, _blob = small
    before = snapshot(data_dir)
    result = run("restore", dest, "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "không trống" in one_sentence(result.output)
    assert snapshot(data_dir) == before

    other = tmp_path / "khac"
    other.mkdir()
    (other / "x").write_text("x")
    result = run("restore", dest, "--data-dir", other, lang="en")
    assert result.exit_code == 1 and "is not empty" in one_sentence(result.output)
    assert sorted(os.listdir(other)) == ["x"]


def test_restore_refuses_a_tampered_backup_before_writing_anything(small, tmp_path):
    _data_dir, dest, blob = small
    (dest / blob).write_bytes(PDF.replace(b"Catalog", b"Katalog"))  # same size, other content
    target = tmp_path / "khoi-phuc"
    result = run("restore", dest, "--data-dir", target, lang="en")
    assert result.exit_code == 1
    assert "does not match" in one_sentence(result.output) and blob in result.output
    assert not target.exists()

    empty = tmp_path / "trong"
    empty.mkdir()
    result = run("restore", dest, "--data-dir", empty)
    assert result.exit_code == 1 and "không khớp" in one_sentence(result.output)
    assert os.listdir(empty) == []


@pytest.mark.parametrize("damage, words", [
    ("missing_file", "lacks the file"),
    ("no_manifest", "not a complete backup"),
    ("bad_json", "is corrupt"),
    ("escaping_path", "is corrupt"),
    ("no_database", "is corrupt"),
])
def test_restore_refuses_an_incomplete_or_corrupt_backup(small, tmp_path, damage, words):
    _data_dir, dest, blob = small
    manifest_path = dest / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    if damage == "missing_file":
        (dest / blob).unlink()
    elif damage == "no_manifest":
        manifest_path.unlink()
    elif damage == "bad_json":
        manifest_path.write_text(manifest_path.read_text("utf-8")[:-20], "utf-8")
    elif damage == "escaping_path":
        manifest["files"].append({"path": "../../etc/cron.d/x", "size": 1, "sha256": "0" * 64})
        manifest_path.write_text(json.dumps(manifest), "utf-8")
    elif damage == "no_database":
        manifest["files"] = [f for f in manifest["files"] if f["path"] != "accounts.db"]
        manifest_path.write_text(json.dumps(manifest), "utf-8")
    target = tmp_path / "khoi-phuc"
    result = run("restore", dest, "--data-dir", target, lang="en")
    assert result.exit_code == 1
    assert words in one_sentence(result.output)
    assert not target.exists()


def test_a_full_disk_during_the_backup_leaves_nothing_behind(small, tmp_path, monkeypatch):
    from forms_app.adapters.operations import backup as backups

    data_dir, _dest, _blob = small
    real = backups._copy_file

    def full(source, target, *args, **kwargs):
        if "uploads" in str(target):
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(backups, "_copy_file", full)
    fresh, existing = tmp_path / "moi", tmp_path / "trong"
    existing.mkdir()
    for dest in (fresh, existing):
        result = run("backup", dest, "--data-dir", data_dir, lang="en")
        assert result.exit_code == 1
        assert "disk is full" in one_sentence(result.output)
    assert not fresh.exists()
    assert os.listdir(existing) == []

    monkeypatch.setattr(backups, "_copy_file", real)
    _data_dir, dest, _blob = small
    target = tmp_path / "khoi-phuc"

    def full_on_restore(source, target_path, *args, **kwargs):
        if "uploads" in str(target_path):
            raise OSError(errno.ENOSPC, "No space left on device", str(target_path))
        return real(source, target_path, *args, **kwargs)

    monkeypatch.setattr(backups, "_copy_file", full_on_restore)
    result = run("restore", dest, "--data-dir", target)
    assert result.exit_code == 1 and "Hết chỗ trên đĩa" in one_sentence(result.output)
    assert not target.exists()


def test_the_console_script_answers_a_refusal_with_one_sentence(small, tmp_path):
    _data_dir, dest, _blob = small
    (dest / "forms.db").write_bytes((dest / "forms.db").read_bytes()[:-1] + b"\x01")
    target = tmp_path / "khoi-phuc"
    process = subprocess.run([FORMS_APP, "restore", str(dest), "--data-dir", str(target)], capture_output=True,
                             text=True, timeout=60)
    assert process.returncode == 1
    assert process.stdout == ""
    assert "forms.db" in one_sentence(process.stderr) and "SHA-256" in process.stderr
    assert not target.exists()


# --- a backup under load ------------------------------------------------------------------------


class Visitor:
    """One browser: cookies kept, redirects followed; returns (status, body) even for 4xx/5xx."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, data: list[tuple[str, str]] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def sign_in(self, username: str) -> None:
        _status, html = self.request("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        status, _ = self.request("/login", [("username", username), ("password", PASSWORD), ("csrf_token", token)])
        assert status == 200, status


@pytest.fixture
def serving(tmp_path):
    """`forms-app serve` (two workers) on a data directory where TOAN may fill its 2022 self-assessment today."""
    data_dir = open_for_toan_today(tmp_path / "data")
    server = Server(data_dir, tmp_path / "serve.log", "--workers", "2")
    yield server.base, data_dir
    server.stop()


def test_a_backup_taken_under_load_is_consistent_and_restores(serving, tmp_path, monkeypatch):
    from forms_app.adapters.operations import backup as backups_module

    base, data_dir = serving
    monkeypatch.setattr(backups_module, "PAGES_PER_STEP", 8)  # many steps, one snapshot, while the server writes
    threads, rounds = 4, 15  # each round a GET and a POST: 4 × 30 requests, on loopback only
    statuses: list[int] = []
    failures: list[BaseException] = []
    started = threading.Event()
    first_taken = threading.Event()  # the load goes on until the first backup is over, however fast the server is

    def fill(number: int) -> None:
        try:
            visitor = Visitor(base)
            visitor.sign_in("toan" if number % 2 else "toan2")
            i = after = 0
            while i < rounds or after < 2:  # at least two rounds each once the first backup is taken
                if i >= rounds * 20:
                    break
                status, html = visitor.request(SELF_URL)
                statuses.append(status)
                fields = form_fields(html)
                answers = {**complete_self_assessment(), "so_buoi_pho_bien": str(i + 1),
                           "tu_nhan_xet": f"Luồng {number}, lần {i}"}
                data = list(fields.items()) + [(k, v) for k, values in answers.items()
                                               for v in (values if isinstance(values, list) else [values])]
                data.append(("action", "submit" if i % 3 == 2 else "save"))
                status, _ = visitor.request(SELF_URL, data)
                statuses.append(status)
                started.set()
                i += 1
                after += first_taken.is_set()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
            started.set()

    workers = [threading.Thread(target=fill, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    assert started.wait(30)
    # The first through the console script, as an administrator runs it; then in-process, while the load lasts.
    first = tmp_path / "sao-luu-0"
    try:
        process = subprocess.run([FORMS_APP, "backup", str(first), "--data-dir", str(data_dir), "--lang", "en"],
                                 capture_output=True, text=True, timeout=60)
    finally:
        first_taken.set()
    assert process.returncode == 0, process.stderr
    assert process.stdout.startswith("Backed up") and process.stderr == ""
    backups = [first]
    while any(w.is_alive() for w in workers) and len(backups) < 6:
        dest = tmp_path / f"sao-luu-{len(backups)}"
        result = run("backup", dest, "--data-dir", data_dir)
        assert result.exit_code == 0, result.output
        backups.append(dest)
    for worker in workers:
        worker.join(60)
    assert not failures, failures
    assert statuses and all(s < 500 for s in statuses), sorted(set(statuses))
    assert backups

    counts = []
    for dest in backups:
        assert integrity(dest / "forms.db") == ["ok"] and integrity(dest / "accounts.db") == ["ok"]
        counts.append(assert_revisions_complete(dest / "forms.db"))
    total = assert_revisions_complete(data_dir / "forms.db")
    assert 1 <= counts[0] < total  # the first backup was taken while the server was still writing
    assert total >= counts[-1] and total >= threads * rounds // 2

    target = tmp_path / "khoi-phuc"
    result = run("restore", backups[-1], "--data-dir", target)
    assert result.exit_code == 0, result.output
    assert assert_revisions_complete(target / "forms.db") == counts[-1]
