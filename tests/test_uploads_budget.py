"""Uploads have a budget: a quota per unit (identical files count once), a cleanup of the files no revision refers
to once past a grace period (safe while serving, also run by `forms-app backup`), and clean file names."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.data import SELF, current_answers, forms_sql, opened
from support.web import PDF, FormPage, complete_self_assessment, form_fields, pdf_upload, post_answers, unescape
from werkzeug.datastructures import FileStorage

from forms_app.adapters.cli import cli
from forms_app.data.clock import stamp, utcnow
from forms_app.rules import registry, uploads

FIELD = "file_ke_hoach_cong_tac"
SHOWN = {"co_chuong_trinh_hanh_dong": "true"}  # the answer that shows FIELD
KB = 1024


def pdf_of(size: int, salt: str) -> bytes:
    """A PDF-looking file of `size` bytes whose content differs with `salt`."""
    head = PDF + f"% {salt}\n".encode()
    return head + b"0" * (size - len(head))


def blobs(app) -> set[str]:
    """The hashes of the files stored under uploads/."""
    root = Path(app.config["DATA_DIR"]) / "uploads"
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def upload_count(app) -> int:
    return forms_sql(app, "SELECT COUNT(*) FROM uploads")[0][0]


def store(app, content: bytes, unit_code: str = "TOAN", name: str = "minh-chung.pdf") -> str:
    """An upload stored the way the form page stores one, referred to by no revision yet: its token."""
    data_dir = app.config["DATA_DIR"]
    with opened(data_dir) as forms:
        question = registry.definition(forms, SELF).question(FIELD)
        return uploads.store(forms, data_dir, unit_code=unit_code, form_id=SELF, cycle_year=2022, question=question,
                             upload=FileStorage(io.BytesIO(content), filename=name), author="test")


def age(app, token: str, days: float) -> None:
    """Make an upload look `days` old."""
    conn = sqlite3.connect(Path(app.config["DATA_DIR"]) / "forms.db")
    with conn:
        conn.execute("UPDATE uploads SET uploaded_at = ? WHERE token = ?",
                     [stamp(utcnow() - dt.timedelta(days=days)), token])
    conn.close()


def cleanup(app, **kwargs) -> uploads.Cleanup:
    data_dir = app.config["DATA_DIR"]
    with opened(data_dir) as forms:
        return uploads.cleanup(forms, data_dir, **kwargs)


def set_quota(app, unit_code: str | None, quota: int | None) -> None:
    with opened(app.config["DATA_DIR"]) as forms:
        uploads.set_quota(forms, actor="admin", unit_code=unit_code, quota=quota)


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# The quota

def test_an_upload_past_the_units_quota_is_refused_beside_its_field(app, toan):
    set_quota(app, "TOAN", 1)
    first, second = pdf_of(600 * KB, "a"), pdf_of(600 * KB, "b")
    assert post_answers(toan, SHOWN, "save", files={FIELD: pdf_upload("a.pdf", first)}).status_code == 303

    refused = post_answers(toan, {**SHOWN, "so_doan_vien": "12"}, "save", files={FIELD: pdf_upload("b.pdf", second)})
    assert refused.status_code == 422
    assert f"{FIELD}-error" in FormPage(refused.get_data(as_text=True)).error_ids()
    assert "vượt hạn mức dung lượng" in unescape(refused.get_data(as_text=True))
    assert current_answers(app, "TOAN")["so_doan_vien"] == 12  # the rest of the save is kept
    assert (upload_count(app), blobs(app)) == (1, {sha(first)})

    # The same file again takes no more space: identical files count once.
    assert post_answers(toan, SHOWN, "save", files={FIELD: pdf_upload("a-lan-hai.pdf", first)}).status_code == 303
    assert (upload_count(app), blobs(app)) == (2, {sha(first)})
    # Another unit has its own quota (the default).
    assert store(app, second, unit_code="VAN")
    assert blobs(app) == {sha(first), sha(second)}


def test_refused_saves_keep_their_files_but_only_inside_the_quota(app, toan):
    """A submitted form sent again with a mistake is not stored, and keeps the file it carried for the next try."""
    set_quota(app, "TOAN", 1)
    assert post_answers(toan, complete_self_assessment(), "submit").status_code == 303
    wrong = {**complete_self_assessment(), "so_chi_doan": "abc"}
    for salt in ("1", "2"):
        refused = post_answers(toan, wrong, "submit", files={FIELD: pdf_upload(f"{salt}.pdf", pdf_of(400 * KB, salt))})
        assert refused.status_code == 422
        assert FormPage(refused.get_data(as_text=True)).has_input(f"{FIELD}__keep")  # kept for the next try
    assert upload_count(app) == 2
    third = post_answers(toan, wrong, "submit", files={FIELD: pdf_upload("3.pdf", pdf_of(400 * KB, "3"))})
    assert third.status_code == 422
    assert "vượt hạn mức dung lượng" in unescape(third.get_data(as_text=True))
    assert upload_count(app) == 2 and len(blobs(app)) == 2


def test_the_administrator_sets_the_quotas_on_a_page(app, signed_in):
    admin = signed_in("admin")
    page = admin.get("/admin/uploads")
    assert page.status_code == 200 and f"{uploads.DEFAULT_QUOTA_MB} MB" in page.get_data(as_text=True)
    token = form_fields(page.get_data(as_text=True))["csrf_token"]

    assert admin.post("/admin/uploads", data={"csrf_token": token, "unit_code": "TOAN", "quota_mb": "5"}).status_code == 303
    assert admin.post("/admin/uploads", data={"csrf_token": token, "unit_code": "", "quota_mb": "300"}).status_code == 303
    with opened(app.config["DATA_DIR"]) as forms:
        assert (uploads.quota_mb(forms, "TOAN"), uploads.quota_mb(forms, "VAN")) == (5, 300)
    listed = unescape(admin.get("/admin/uploads").get_data(as_text=True))
    assert "TOAN" in listed and "300 MB" in listed

    for wrong, words in (({"unit_code": "TOAN", "quota_mb": "nhiều"}, "số nguyên"),
                         ({"unit_code": "TOAN", "quota_mb": "0"}, "số nguyên"),
                         ({"unit_code": "KHONG-CO", "quota_mb": "5"}, "Không có đơn vị")):
        response = admin.post("/admin/uploads", data={"csrf_token": token, **wrong})
        assert response.status_code == 400 and words in unescape(response.get_data(as_text=True))
    # An empty quota gives a unit back the general one.
    assert admin.post("/admin/uploads", data={"csrf_token": token, "unit_code": "TOAN", "quota_mb": ""}).status_code == 303
    with opened(app.config["DATA_DIR"]) as forms:
        assert uploads.quota_mb(forms, "TOAN") == 300
    assert [r[0] for r in forms_sql(app, "SELECT action FROM audit_log WHERE action = 'upload_quota_set'")] == [
        "upload_quota_set"] * 3
    assert signed_in("toan").get("/admin/uploads").status_code == 403


# The cleanup

def test_cleanup_removes_what_no_revision_refers_to_once_past_the_grace_period(app, toan):
    referenced, lone, fresh, shared = (pdf_of(2 * KB, salt) for salt in ("ref", "lone", "fresh", "shared"))
    assert post_answers(toan, SHOWN, "save", files={FIELD: pdf_upload("ref.pdf", referenced)}).status_code == 303
    kept_token = current_answers(app, "TOAN")[FIELD]
    age(app, kept_token, 30)  # referenced: stays however old
    copy_of_referenced = store(app, referenced)  # the same content, no revision names this row
    old_lone = store(app, lone)
    fresh_token = store(app, fresh)  # inside the grace period
    shared_old, shared_new = store(app, shared), store(app, shared, unit_code="VAN")
    for token in (copy_of_referenced, old_lone, shared_old):
        age(app, token, 3)

    done = cleanup(app)
    assert (done.rows, done.files, done.size) == (3, 1, len(lone))
    left = {row[0] for row in forms_sql(app, "SELECT token FROM uploads")}
    assert left == {kept_token, fresh_token, shared_new}
    assert blobs(app) == {sha(referenced), sha(fresh), sha(shared)}  # a blob another row points at stays

    age(app, shared_new, 3)
    assert cleanup(app).files == 1
    assert blobs(app) == {sha(referenced), sha(fresh)}
    assert uploads.blob_path(app.config["DATA_DIR"], sha(referenced)).read_bytes() == referenced
    assert toan.get(f"/files/{kept_token}").data == referenced
    assert forms_sql(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'uploads_removed'") == [(2,)]


def test_cleanup_removes_stray_files_only_once_old(app):
    root = Path(app.config["DATA_DIR"]) / "uploads"
    old_time = (utcnow() - dt.timedelta(days=3)).timestamp()
    stray_old, stray_new = pdf_of(KB, "old"), pdf_of(KB, "new")
    for content, when in ((stray_old, old_time), (stray_new, None)):
        path = uploads.blob_path(app.config["DATA_DIR"], sha(content))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        if when:
            os.utime(path, (when, when))
    part = root / "ab" / f"{'ab' * 32}.1234.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"half")
    os.utime(part, (old_time, old_time))

    assert cleanup(app).files == 1
    assert blobs(app) == {sha(stray_new)}


def test_a_file_stored_while_the_cleanup_deletes_it_survives(app, monkeypatch):
    """A unit uploads content whose blob the cleanup is removing: whatever the interleaving, its row finds its file."""
    content = pdf_of(KB, "race")
    stray = uploads.blob_path(app.config["DATA_DIR"], sha(content))
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(content)  # a blob without a row, old enough to go
    old_time = (utcnow() - dt.timedelta(days=3)).timestamp()
    os.utime(stray, (old_time, old_time))
    real_write, ran = uploads.write, []

    @contextlib.contextmanager
    def cleanup_first(db):
        # The store has seen the blob on disk and not written it; the cleanup runs before it takes the lock.
        if not ran:
            ran.append(True)
            assert cleanup(app).files == 1 and not stray.exists()
        with real_write(db):
            yield db

    monkeypatch.setattr(uploads, "write", cleanup_first)
    token = store(app, content)
    assert ran
    assert stray.read_bytes() == content
    with opened(app.config["DATA_DIR"]) as forms:
        assert uploads.find(forms, token)["sha256"] == sha(content)


def test_forms_app_cleanup_and_backup_remove_unreferenced_uploads(app, tmp_path):
    data_dir = app.config["DATA_DIR"]
    gone, kept = pdf_of(KB, "gone"), pdf_of(KB, "kept")
    age(app, store(app, gone), 3)
    young = store(app, kept)
    result = CliRunner().invoke(cli, ["cleanup", "--data-dir", str(data_dir), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 upload(s)" in result.output and "1 file(s)" in result.output
    assert blobs(app) == {sha(kept)}

    age(app, young, 1)
    assert CliRunner().invoke(cli, ["cleanup", "--grace-days", "2", "--data-dir", str(data_dir)]).exit_code == 0
    assert blobs(app) == {sha(kept)}  # a day old: inside the grace period

    age(app, young, 3)
    dest = tmp_path / "sao-luu"
    result = CliRunner().invoke(cli, ["backup", str(dest), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "Đã xoá 1 tệp tải lên" in result.output and "Đã sao lưu" in result.output
    assert blobs(app) == set()
    assert not [p for p in (dest / "uploads").rglob("*") if p.is_file()]  # the backup carries no removed file
    missing = CliRunner().invoke(cli, ["cleanup", "--data-dir", str(tmp_path / "khong-co")])
    assert missing.exit_code == 1 and "thiếu forms.db" in missing.output


# File names

@pytest.mark.parametrize("sent, stored", [
    ("\u202eFDP.exe.pdf", "FDP.exe.pdf"),
    ("\u200fke-hoach\u2066\u2069\u200e.pdf", "ke-hoach.pdf"),
    ("\u061cbao\u202a-\u202b\u202c\u202dcao\u2067\u2068.pdf", "bao-cao.pdf"),
    ("bao\tcao\x7f\u200b.pdf\u200b", "baocao.pdf"),
])
def test_a_file_name_keeps_no_bidi_or_control_characters(app, toan, sent, stored):
    assert post_answers(toan, SHOWN, "save", files={FIELD: pdf_upload(sent)}).status_code == 303
    token = current_answers(app, "TOAN")[FIELD]
    assert forms_sql(app, "SELECT original_name FROM uploads WHERE token = ?", [token]) == [(stored,)]
    download = toan.get(f"/files/{token}")
    assert stored in download.headers["Content-Disposition"]


def test_the_extension_is_checked_on_the_cleaned_name(app, toan):
    response = post_answers(toan, SHOWN, "save", files={FIELD: pdf_upload("anh\u202egpj.exe", PDF)})
    assert response.status_code == 422
    assert upload_count(app) == 0


def test_clean_name_drops_every_bidi_and_control_character():
    hidden = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C, 0x0000,
                                0x001B, 0x007F, 0x0085, 0xFEFF, 0x2028, 0x2029)]
    assert uploads.clean_name("".join(hidden) + "Kế hoạch " + "".join(hidden) + "năm.pdf") == "Kế hoạch năm.pdf"
    assert uploads.clean_name("C:\\tai-lieu\\..\\bao-cao.pdf") == "bao-cao.pdf"
    assert uploads.clean_name("\u202e\u202c") == "tep"
    assert uploads.clean_name("Ke\u0302\u0301 hoa\u0323ch.pdf") == "Kế hoạch.pdf"  # NFC


def test_every_sentence_of_the_uploads_catalogue_is_in_both_languages_with_the_same_values():
    for code, texts in uploads.MESSAGES.items():
        assert set(texts) == {"vi", "en"}, code
        assert sorted(re.findall(r"\{(\w+)\}", texts["vi"])) == sorted(re.findall(r"\{(\w+)\}", texts["en"])), code
    assert uploads.UploadError("quota", size=1.25, used=199.5, quota=200).message("vi").startswith("Tệp này (1,2 MB)")
