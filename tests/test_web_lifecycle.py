"""A submission over time: deadlines and extensions, `requires`, definition versions, double posts, concurrent edits, expired sessions."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import pytest
from support.data import REGISTRATION, SELF, current_answers, forms_sql, register, revision_rows, submission_row
from support.web import SELF_URL, FormPage, complete_self_assessment, form_fields, post_answers, sign_in, unescape

UTC = dt.timezone.utc
BEFORE_OPENING = dt.datetime(2022, 7, 20, 3, 0, tzinfo=UTC)
AFTER_DEADLINE = dt.datetime(2022, 10, 5, 3, 0, tzinfo=UTC)
LAST_MINUTE = dt.datetime(2022, 10, 1, 16, 59, tzinfo=UTC)  # 23:59 on 1 October in Hà Nội
FIRST_MINUTE_AFTER = dt.datetime(2022, 10, 1, 17, 0, tzinfo=UTC)  # 00:00 on 2 October in Hà Nội


def _is_read_only(html: str) -> bool:
    page = FormPage(html)
    buttons_gone = 'name="action"' not in html
    inputs = [a for a in page.inputs if a.get("name") == "so_doan_vien"]
    return buttons_gone and bool(inputs) and all("disabled" in a for a in inputs)


# Deadlines.

def test_before_the_window_opens_the_form_is_read_only_with_a_sentence(app, toan):
    app.config["NOW"] = BEFORE_OPENING
    response = toan.get(SELF_URL)
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert _is_read_only(html)
    assert "chưa mở" in html and "01/08/2022" in html  # why, and from when
    posted = post_answers(toan, complete_self_assessment(), "submit")
    assert posted.status_code == 409
    assert revision_rows(app, "TOAN") == []


def test_after_the_deadline_the_form_is_read_only_with_a_sentence_and_still_shows_the_answers(app, toan):
    assert post_answers(toan, complete_self_assessment(), "submit").status_code == 303
    app.config["NOW"] = AFTER_DEADLINE
    response = toan.get(SELF_URL)
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert _is_read_only(html)
    assert "Đã hết hạn nộp" in html and "01/10/2022" in html
    assert FormPage(html).value("so_doan_vien") == "1240"
    assert toan.get(SELF_URL + "/result").status_code == 200  # the result stays readable


def test_a_submit_arriving_after_the_deadline_is_refused_but_kept_as_a_late_revision(app, toan):
    assert post_answers(toan, {"so_doan_vien": "100"}, "save").status_code == 303
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))  # the page was opened before the deadline
    app.config["NOW"] = AFTER_DEADLINE
    answers = complete_self_assessment()
    response = post_answers(toan, answers, "submit", fields=fields)
    assert response.status_code == 409
    html = unescape(response.get_data(as_text=True))
    assert "Đã hết hạn nộp" in html
    assert "bản số 2" in html  # the unit is told where its content went
    rows = revision_rows(app, "TOAN")
    assert [(r["number"], r["action"]) for r in rows] == [(1, "save"), (2, "late")]
    assert rows[1]["answers"]["so_doan_vien"] == 1240
    assert rows[1]["answers"]["tu_nhan_xet"] == answers["tu_nhan_xet"]
    submission = submission_row(app, "TOAN")
    assert submission["status"] == "draft"
    assert submission["current_revision"] == 1
    assert current_answers(app, "TOAN") == {"so_doan_vien": 100}


def test_the_deadline_is_the_end_of_the_closing_day_in_vietnam(app, toan):
    answers = complete_self_assessment()
    app.config["NOW"] = LAST_MINUTE
    assert post_answers(toan, answers, "submit").status_code == 303
    app.config["NOW"] = FIRST_MINUTE_AFTER
    assert post_answers(toan, {**answers, "so_doan_vien": "1300"}, "submit").status_code == 409
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["submit", "late"]
    assert submission_row(app, "TOAN")["current_revision"] == 1


def test_an_extension_reopens_the_form_for_that_unit_only(app, toan, signed_in):
    register(app, "VAN")
    van = signed_in("van")
    admin = signed_in("admin")
    app.config["NOW"] = AFTER_DEADLINE
    answers = complete_self_assessment()
    assert post_answers(toan, answers, "submit").status_code == 409

    token = form_fields(admin.get("/admin/cycles").get_data(as_text=True))["csrf_token"]
    granted = admin.post("/admin/extensions", data={"csrf_token": token, "unit_code": "TOAN", "form_id": SELF,
                                                    "cycle_year": "2022", "closes": "2022-10-15", "reason": "Ốm"})
    assert granted.status_code == 303
    assert forms_sql(app, "SELECT unit_code, closes FROM extensions") == [("TOAN", "2022-10-15")]

    page = unescape(toan.get(SELF_URL).get_data(as_text=True))
    assert not _is_read_only(page)
    assert "15/10/2022" in page
    assert post_answers(toan, answers, "submit").status_code == 303
    assert submission_row(app, "TOAN")["status"] == "submitted"

    other = unescape(van.get(SELF_URL).get_data(as_text=True))
    assert _is_read_only(other)
    assert "Đã hết hạn nộp" in other and "01/10/2022" in other
    assert post_answers(van, answers, "submit").status_code == 409
    assert submission_row(app, "VAN")["status"] == "draft"
    assert [r["action"] for r in revision_rows(app, "VAN")] == ["late"]

    app.config["NOW"] = dt.datetime(2022, 10, 16, 3, 0, tzinfo=UTC)  # the extension ends too
    assert post_answers(toan, answers, "submit").status_code == 409


# `requires`: the self-assessment waits for the registration.

def test_without_a_submitted_registration_the_self_assessment_is_read_only_and_refused(app, signed_in):
    toan = signed_in("toan")
    response = toan.get(SELF_URL)
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert _is_read_only(html)
    # One sentence naming both forms by their titles (and, on a version with `when`, what the registration must hold).
    assert re.search(r"Cần nộp Đăng ký xây dựng Đoàn cơ sở “3 chủ động”( với [^<]+)? trước khi mở "
                     r"Báo cáo tự đánh giá kết quả xây dựng Đoàn cơ sở “3 chủ động”\.", html)
    assert post_answers(toan, complete_self_assessment(), "submit").status_code == 409
    assert post_answers(toan, {"so_doan_vien": "5"}, "save").status_code == 409
    assert forms_sql(app, "SELECT COUNT(*) FROM revisions")[0][0] == 0
    assert submission_row(app, "TOAN") is None


def test_a_registration_saved_only_as_a_draft_does_not_open_the_self_assessment(app, signed_in):
    from support.data import REGISTRATION_ANSWERS

    from forms_app.data import connection as database
    from forms_app.rules import registry
    from forms_app.rules import submitting as submissions

    forms = database.open_forms(app.config["DATA_DIR"])
    try:
        submissions.record(forms, unit_code="TOAN", definition=registry.definition(forms, REGISTRATION), cycle_year=2022,
                           answers=REGISTRATION_ANSWERS, action="save", author="toan", base_revision=None, request_token=None)
    finally:
        forms.close()
    toan = signed_in("toan")
    assert _is_read_only(toan.get(SELF_URL).get_data(as_text=True))
    assert post_answers(toan, complete_self_assessment(), "submit").status_code == 409
    assert submission_row(app, "TOAN") is None


# A submission keeps the definition version it was started on.

def _load_next_version(app, tmp_path) -> int:
    """The version after the latest shipped self-assessment: another label, and 'each quarter' worth 2 points
    instead of 1; its number."""
    from form_definitions import shipped_folder
    from forms_app.data import connection as database
    from forms_app.rules.registry import load_definitions_into

    folder = tmp_path / "definitions-next"
    folder.mkdir()
    documents = [(path, json.loads(path.read_text("utf-8"))) for path in shipped_folder().glob("*.json")]
    for path, document in documents:
        if document["id"] == REGISTRATION:
            shutil.copy(path, folder)  # every shipped version of the registration, unchanged
    document = max((d for _, d in documents if d["id"] == SELF), key=lambda d: d["version"])
    document["version"] += 1
    for section in document["sections"]:
        for question in section["questions"]:
            if question["id"] == "so_doan_vien":
                question["label"]["vi"] = "Tổng số đoàn viên (theo phiên bản hai)"
            if question["id"] == "tan_suat_tong_hop_tinh_hinh":
                for choice in question["choices"]:
                    if choice["value"] == "hang_quy":
                        choice["points"] = 2
    (folder / f"{SELF}.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    forms = database.open_forms(app.config["DATA_DIR"])
    try:
        loaded = load_definitions_into(forms, [folder])
    finally:
        forms.close()
    assert (SELF, document["version"], True) in loaded
    return document["version"]


def test_an_open_submission_keeps_its_definition_version_while_a_new_one_gets_the_latest(app, toan, signed_in, tmp_path):
    from support.web import pdf_upload

    assert post_answers(toan, {"so_doan_vien": "100"}, "save").status_code == 303
    started = submission_row(app, "TOAN")["form_version"]  # the latest shipped version
    latest = _load_next_version(app, tmp_path)
    register(app, "VAN")
    van = signed_in("van")

    old = unescape(toan.get(SELF_URL).get_data(as_text=True))
    assert "Tổng số đoàn viên của Đoàn cơ sở" in old
    assert "phiên bản hai" not in old
    assert f"Phiên bản biểu mẫu {started}" in old
    new = unescape(van.get(SELF_URL).get_data(as_text=True))
    assert "Tổng số đoàn viên (theo phiên bản hai)" in new
    assert f"Phiên bản biểu mẫu {latest}" in new

    # The proof tan_suat_tong_hop_tinh_hinh's points need (from version 2 on, `evidence`).
    proof = {"file_nam_bat_tinh_hinh": pdf_upload("bao-cao-tinh-hinh.pdf")}
    answers = {**complete_self_assessment(), "tan_suat_tong_hop_tinh_hinh": "hang_quy"}
    assert post_answers(toan, answers, "submit", files=proof).status_code == 303
    proof = {"file_nam_bat_tinh_hinh": pdf_upload("bao-cao-tinh-hinh.pdf")}
    assert post_answers(van, answers, "submit", files=proof).status_code == 303
    assert submission_row(app, "TOAN")["form_version"] == started
    assert submission_row(app, "VAN")["form_version"] == latest
    # Same answers, scored by each submission's own version.
    assert submission_row(app, "VAN")["total"] == submission_row(app, "TOAN")["total"] + 1
    points = dict(forms_sql(app, "SELECT s.unit_code, a.points FROM answers a JOIN submissions s ON s.id = a.submission_id "
                                 "WHERE a.question_id = 'tan_suat_tong_hop_tinh_hinh'"))
    assert points == {"TOAN": 1.0, "VAN": 2.0}
    result = unescape(toan.get(SELF_URL + "/result").get_data(as_text=True))
    assert "Tổng số đoàn viên của Đoàn cơ sở" in result and "phiên bản hai" not in result


# Double posts and concurrent edits.

def test_the_same_request_token_posted_twice_creates_one_revision(app, toan):
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    answers = complete_self_assessment()
    first = post_answers(toan, answers, "submit", fields=fields)
    second = post_answers(toan, answers, "submit", fields=fields)
    assert first.status_code == 303 and second.status_code == 303
    assert first.location == second.location
    rows = revision_rows(app, "TOAN")
    assert len(rows) == 1 and rows[0]["request_token"] == fields["request_token"]
    assert forms_sql(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'submitted' AND form_id = ?", (SELF,))[0][0] == 1


def test_a_double_clicked_save_creates_one_revision(app, toan):
    fields = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    for _ in range(2):
        assert post_answers(toan, {"so_doan_vien": "77"}, "save", fields=fields).status_code == 303
    assert len(revision_rows(app, "TOAN")) == 1


def test_every_page_load_hands_out_a_new_request_token(toan):
    first = form_fields(toan.get(SELF_URL).get_data(as_text=True))["request_token"]
    second = form_fields(toan.get(SELF_URL).get_data(as_text=True))["request_token"]
    assert first and second and first != second


def test_a_second_editor_of_the_same_unit_is_told_and_overwrites_nothing(app, toan, signed_in):
    toan2 = signed_in("toan2")
    first_page = form_fields(toan.get(SELF_URL).get_data(as_text=True))
    second_page = form_fields(toan2.get(SELF_URL).get_data(as_text=True))
    assert post_answers(toan, {"so_doan_vien": "111", "tu_nhan_xet": "Của toan"}, "save", fields=first_page).status_code == 303

    response = post_answers(toan2, {"so_doan_vien": "222", "tu_nhan_xet": "Của toan2"}, "save", fields=second_page)
    assert response.status_code == 409
    html = unescape(response.get_data(as_text=True))
    assert "toan" in html and "bản số 2" in html  # who saved first, and where the second content went
    page = FormPage(html)
    assert page.value("so_doan_vien") == "222"  # the second editor's typing is still on screen
    assert page.value("tu_nhan_xet") == "Của toan2"

    rows = revision_rows(app, "TOAN")
    assert [(r["action"], r["author"]) for r in rows] == [("save", "toan"), ("conflict", "toan2")]
    assert rows[1]["answers"] == {"so_doan_vien": 222, "tu_nhan_xet": "Của toan2"}
    assert submission_row(app, "TOAN")["current_revision"] == 1
    assert current_answers(app, "TOAN") == {"so_doan_vien": 111, "tu_nhan_xet": "Của toan"}

    # Having seen the notice, the second editor can save on top of the current revision.
    again = post_answers(toan2, {"so_doan_vien": "222"}, "save", fields=form_fields(html))
    assert again.status_code == 303
    assert current_answers(app, "TOAN") == {"so_doan_vien": 222}


def test_a_submit_on_a_stale_page_is_a_conflict_too(app, toan, signed_in):
    toan2 = signed_in("toan2")
    stale = form_fields(toan2.get(SELF_URL).get_data(as_text=True))
    assert post_answers(toan, complete_self_assessment(), "submit").status_code == 303
    response = post_answers(toan2, {**complete_self_assessment(), "so_doan_vien": "1300"}, "submit", fields=stale)
    assert response.status_code == 409
    assert current_answers(app, "TOAN")["so_doan_vien"] == 1240
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["submit", "conflict"]


# An expired session loses nothing that was typed (tests/test_anonymous_posts.py: only for the account whose
# session it was; a browser without such a session is refused and nothing is kept).

def _end_session(app) -> None:
    """The server-side session passed its expiry an hour ago while the page stayed open (the cookie is still sent)."""
    import sqlite3

    ended = (dt.datetime.now(UTC) - dt.timedelta(hours=1)).replace(microsecond=0).isoformat()
    conn = sqlite3.connect(app.config["DATA_DIR"] / "accounts.db")
    with conn:
        conn.execute("UPDATE sessions SET expires_at = ?", [ended])
    conn.close()


def test_a_post_after_the_session_expired_asks_to_sign_in_and_restores_what_was_typed(app, client):
    register(app, "TOAN")
    sign_in(client, "toan")
    fields = form_fields(client.get(SELF_URL).get_data(as_text=True))
    _end_session(app)  # the page is still open in the browser
    answers = {"so_doan_vien": "4321", "kenh_nam_bat_tinh_hinh": ["zalo", "youtube"], "tu_nhan_xet": "Gõ trước khi hết phiên",
               "so_chi_doan": "abc"}
    response = post_answers(client, answers, "submit", fields=fields)
    assert response.status_code in (302, 303)
    assert response.location.startswith("/login")
    assert revision_rows(app, "TOAN") == []

    login_page = client.get(response.location)
    assert login_page.status_code == 200
    assert "Phiên đăng nhập đã hết hạn" in unescape(login_page.get_data(as_text=True))
    token = form_fields(login_page.get_data(as_text=True))["csrf_token"]
    back = client.post(response.location, data={"username": "toan", "password": "mat-khau-thu-nghiem", "csrf_token": token})
    assert back.status_code == 302
    assert back.location == SELF_URL

    restored = client.get(SELF_URL)
    page = FormPage(restored.get_data(as_text=True))
    assert page.value("so_doan_vien") == "4321"
    assert page.value("so_chi_doan") == "abc"
    assert page.checked("kenh_nam_bat_tinh_hinh") == ["zalo", "youtube"]
    assert page.value("tu_nhan_xet") == "Gõ trước khi hết phiên"
    assert revision_rows(app, "TOAN") == []  # restored on screen, never saved unseen
    # Restored once: the next visit shows the stored (empty) form again.
    assert FormPage(client.get(SELF_URL).get_data(as_text=True)).value("so_doan_vien") == ""


@pytest.mark.parametrize("signed_in_before", [False, True])
def test_a_post_from_a_browser_without_a_session_cookie_is_refused_with_a_sentence(app, client, signed_in_before):
    from forms_app.adapters.web.context import SESSION_COOKIE

    register(app, "TOAN")
    if signed_in_before:  # the browser dropped the session cookie: nothing names the account any more
        sign_in(client, "toan")
        client.delete_cookie(SESSION_COOKIE)
    response = client.post(SELF_URL, data={"action": "save", "so_doan_vien": "12"})
    assert response.status_code == 400
    assert "không được lưu lại" in unescape(response.get_data(as_text=True))
    assert revision_rows(app, "TOAN") == []


def test_a_refused_post_stores_no_uploaded_file(app, signed_in):
    from support.web import pdf_upload

    toan = signed_in("toan")  # no registration: the self-assessment is refused
    response = post_answers(toan, {"co_chuong_trinh_hanh_dong": "true"}, "save",
                            files={"file_ke_hoach_cong_tac": pdf_upload()})
    assert response.status_code == 409
    assert forms_sql(app, "SELECT COUNT(*) FROM uploads") == [(0,)]
    assert not (app.config["DATA_DIR"] / "uploads").exists() or not any((app.config["DATA_DIR"] / "uploads").rglob("*"))


def test_a_registration_submitted_through_the_web_opens_the_self_assessment(app, signed_in):
    from support.web import pdf_upload

    registration_url = f"/forms/{REGISTRATION}/2022"
    toan = signed_in("toan")
    app.config["NOW"] = dt.datetime(2021, 8, 15, 3, 0, tzinfo=UTC)  # the 2022 registration runs July–October 2021
    answers = {"cam_ket_xay_dung": "true", "so_can_bo_phu_trach": "3", "da_dang_ky_voi_cap_uy": "false",
               "chi_tieu_ty_le_danh_gia_doan_vien": "150", "tieu_chi_uu_tien": ["tieu_chi_2_1_1", "tieu_chi_2_1_2",
                                                                                 "tieu_chi_2_1_3", "tieu_chi_2_2_1"]}
    refused = post_answers(toan, answers, "submit", url=registration_url)
    assert refused.status_code == 422
    errors = FormPage(refused.get_data(as_text=True)).error_ids()
    # max 100, at most 3 choices, and the required plan file is missing
    assert {"chi_tieu_ty_le_danh_gia_doan_vien-error", "tieu_chi_uu_tien-error", "file_ke_hoach_3_chu_dong-error"} <= set(errors)

    answers.update({"chi_tieu_ty_le_danh_gia_doan_vien": "95,5", "tieu_chi_uu_tien": ["tieu_chi_2_1_1"],
                    "ngay_ban_hanh_ke_hoach": "20/09/2021"})
    accepted = post_answers(toan, answers, "submit", url=registration_url,
                            files={"file_ke_hoach_3_chu_dong": pdf_upload("ke-hoach-3-chu-dong.pdf")})
    assert accepted.status_code == 303
    assert submission_row(app, "TOAN", REGISTRATION)["status"] == "submitted"
    assert current_answers(app, "TOAN", REGISTRATION)["chi_tieu_ty_le_danh_gia_doan_vien"] == 95.5

    app.config["NOW"] = dt.datetime(2022, 9, 15, 3, 0, tzinfo=UTC)
    assert not _is_read_only(toan.get(SELF_URL).get_data(as_text=True))
    assert post_answers(toan, complete_self_assessment(), "submit").status_code == 303


def test_a_post_from_another_site_is_refused_and_nothing_is_kept(app):
    register(app, "TOAN")
    stranger = app.test_client()
    response = stranger.post(SELF_URL, data={"action": "save", "so_doan_vien": "12"},
                             headers={"Origin": "https://evil.example"})
    assert response.status_code == 400
    assert revision_rows(app, "TOAN") == []
    from forms_app.data import connection as database

    accounts = database.open_accounts(app.config["DATA_DIR"])
    try:
        assert accounts.execute("SELECT COUNT(*) FROM pending_posts").fetchone()[0] == 0
    finally:
        accounts.close()
