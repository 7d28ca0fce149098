"""Issue 16, autosave: the form page's script saves a draft in the background (header `X-Requested-With: autosave`)
through the same route, CSRF and request-token rules as a pressed save, and is answered in JSON — never a submit,
never a new file, never a redirect; a conflict, a closed form, an ended session or a stale token overwrite nothing."""

from __future__ import annotations

import datetime as dt
import re

from support.data import SELF, current_answers, forms_sql, register, revision_rows, submission_row
from support.web import SELF_URL, complete_self_assessment, form_fields, pdf_upload, post_answers, sign_in, unescape

BACKGROUND = {"X-Requested-With": "autosave"}
AFTER_DEADLINE = dt.datetime(2022, 10, 5, 3, 0, tzinfo=dt.timezone.utc)


def autosave(client, answers: dict, fields: dict, *, action: str = "save", files: dict | None = None):
    """A background save as form.js sends it: the page's hidden fields, what is typed, FormData (multipart)."""
    data = {**fields, **answers, "action": action, **(files or {})}
    return client.post(SELF_URL, data=data, headers=BACKGROUND, content_type="multipart/form-data")


def test_a_background_save_stores_a_draft_and_hands_out_the_next_revision_and_token(app, toan):
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    response = autosave(toan, {"so_doan_vien": "77", "tu_nhan_xet": "Đang gõ"}, fields)
    assert response.status_code == 200 and response.is_json
    answer = response.get_json()
    assert answer["ok"] is True and answer["revision"] == answer["base_revision"] == 1
    assert re.fullmatch(r"\d\d:\d\d", answer["saved_at"]) and answer["message"] == f"Đã lưu lúc {answer['saved_at']}."
    assert answer["request_token"] and answer["request_token"] != fields["request_token"] and answer["errors"] == {}
    assert current_answers(app, "TOAN") == {"so_doan_vien": 77, "tu_nhan_xet": "Đang gõ"}

    # The script puts the new revision and token in the page: the next background save builds on it, no conflict.
    fields = {**fields, "base_revision": str(answer["base_revision"]), "request_token": answer["request_token"]}
    again = autosave(toan, {"so_doan_vien": "78"}, fields).get_json()
    assert again["ok"] is True and again["revision"] == 2
    assert [(r["number"], r["action"]) for r in revision_rows(app, "TOAN")] == [(1, "save"), (2, "save")]
    assert current_answers(app, "TOAN") == {"so_doan_vien": 78}


def test_a_background_save_never_submits(app, toan):
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    answer = autosave(toan, complete_self_assessment(), fields, action="submit").get_json()
    assert answer["ok"] is True
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["save"]
    assert submission_row(app, "TOAN")["status"] == "draft"
    assert forms_sql(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'submitted' AND form_id = ?", (SELF,))[0][0] == 0


def test_the_same_request_token_twice_stores_once(app, toan):
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    first = autosave(toan, {"so_doan_vien": "10"}, fields).get_json()
    second = autosave(toan, {"so_doan_vien": "10"}, fields).get_json()
    assert first["ok"] and second["ok"] and second["revision"] == first["revision"] == 1
    assert len(revision_rows(app, "TOAN")) == 1


def test_invalid_answers_are_left_out_and_named_in_the_json(app, toan):
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    answer = autosave(toan, {"so_doan_vien": "abc", "so_chi_doan": "12"}, fields).get_json()
    assert answer["ok"] is True and list(answer["errors"]) == ["so_doan_vien"]
    assert "bấm Lưu nháp để xem các câu cần sửa" in answer["message"]
    assert current_answers(app, "TOAN") == {"so_chi_doan": 12}


def test_a_background_save_keeps_the_files_already_uploaded_and_takes_no_new_one(app, toan):
    stored = post_answers(toan, {"co_chuong_trinh_hanh_dong": "true"}, "save", files={"file_ke_hoach_cong_tac": pdf_upload()})
    assert stored.status_code == 303
    kept = current_answers(app, "TOAN")["file_ke_hoach_cong_tac"]
    page = toan.get(SELF_URL).get_data(as_text=True)
    fields = {**form_fields(page), "file_ke_hoach_cong_tac__keep": kept}
    answer = autosave(toan, {"co_chuong_trinh_hanh_dong": "true", "so_doan_vien": "5"}, fields,
                      files={"file_nam_bat_tinh_hinh": pdf_upload("khac.pdf")}).get_json()
    assert answer["ok"] is True
    assert current_answers(app, "TOAN") == {"co_chuong_trinh_hanh_dong": True, "file_ke_hoach_cong_tac": kept, "so_doan_vien": 5}
    assert forms_sql(app, "SELECT COUNT(*) FROM uploads")[0][0] == 1


def test_a_background_save_on_a_page_someone_else_saved_since_overwrites_nothing(app, toan, signed_in):
    toan2 = signed_in("toan2")
    first = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    second = form_fields(toan2.get(SELF_URL).get_data(as_text=True))
    assert autosave(toan, {"so_doan_vien": "111"}, first).get_json()["ok"] is True

    response = autosave(toan2, {"so_doan_vien": "222"}, second)
    assert response.status_code == 409 and response.is_json
    answer = response.get_json()
    assert answer["ok"] is False and answer["conflict"] is True
    assert "toan" in answer["message"] and "bản số 2" in answer["message"] and "tải lại trang" in answer["message"]
    assert "request_token" not in answer  # the script stops: nothing to build on until the person reloads
    assert [(r["action"], r["author"]) for r in revision_rows(app, "TOAN")] == [("save", "toan"), ("conflict", "toan2")]
    assert submission_row(app, "TOAN")["current_revision"] == 1
    assert current_answers(app, "TOAN") == {"so_doan_vien": 111}


def test_a_closed_form_answers_with_its_reason_and_keeps_no_late_revision(app, toan):
    assert post_answers(toan, {"so_doan_vien": "100"}, "save").status_code == 303
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    app.config["NOW"] = AFTER_DEADLINE
    response = autosave(toan, {"so_doan_vien": "200"}, fields)
    assert response.status_code == 409 and response.get_json()["ok"] is False
    assert "Đã hết hạn nộp" in response.get_json()["message"]
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["save"]


def test_an_ended_session_answers_json_with_a_sentence_and_keeps_nothing(app, client):
    import sqlite3

    register(app, "TOAN")
    sign_in(client, "toan")
    fields = form_fields(client.get(SELF_URL).get_data(as_text=True))
    conn = sqlite3.connect(app.config["DATA_DIR"] / "accounts.db")
    with conn:
        conn.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00+00:00'")
    conn.close()
    response = autosave(client, {"so_doan_vien": "9"}, fields)
    assert response.status_code == 401 and response.is_json
    assert "Phiên đăng nhập đã hết hạn" in response.get_json()["message"]
    assert "forms_pending" not in (response.headers.get("Set-Cookie") or "")  # the browser keeps it, not the server
    assert revision_rows(app, "TOAN") == []


def test_a_stale_security_token_answers_json_and_a_pressed_save_still_gets_its_page(app, toan):
    fields = {**form_fields(toan.get(SELF_URL).get_data(as_text=True)), "csrf_token": "cu"}
    response = autosave(toan, {"so_doan_vien": "9"}, fields)
    assert response.status_code == 400 and response.is_json
    assert "Mã bảo mật" in response.get_json()["message"]
    assert revision_rows(app, "TOAN") == []
    pressed = post_answers(toan, {"so_doan_vien": "9"}, fields=fields)
    assert pressed.status_code == 303 and not pressed.is_json  # unchanged: kept, then the page again


def test_the_page_names_its_copy_on_this_machine_only_where_it_can_be_changed(app, toan):
    html = unescape(toan.get(SELF_URL).get_data(as_text=True))
    assert 'data-draft-key="forms3cd:toan:TOAN:tu-danh-gia-3-chu-dong:2022"' in html
    assert 'id="autosave-status" aria-live="polite" hidden' in html and "sẽ tự lưu khi có mạng" in html
    app.config["NOW"] = AFTER_DEADLINE
    closed = toan.get(SELF_URL).get_data(as_text=True)
    assert "data-draft-key" not in closed and "autosave-status" not in closed


def test_signing_out_clears_the_copies_kept_in_the_browser(toan):
    from support.web import csrf_token

    response = toan.post("/logout", data={"csrf_token": csrf_token(toan, "/")})
    assert response.status_code == 302 and response.headers["Clear-Site-Data"] == '"storage"'


def test_a_conflict_with_the_same_account_in_another_tab_says_so_rather_than_naming_someone_else(app, toan):
    first = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    second = form_fields(toan.get(SELF_URL).get_data(as_text=True))  # a second tab of the same account
    assert autosave(toan, {"so_doan_vien": "111"}, first).get_json()["ok"] is True

    answer = autosave(toan, {"so_doan_vien": "222"}, second).get_json()
    assert answer["conflict"] is True
    assert "của chính tài khoản này" in answer["message"] and "Người khác" not in answer["message"]
    assert current_answers(app, "TOAN") == {"so_doan_vien": 111}
