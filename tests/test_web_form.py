"""The form page through the Flask test client: every question type, server-side rules, errors, uploads, results."""

from __future__ import annotations

import re

from support.data import current_answers, forms_sql, revision_rows, submission_row
from support.web import (
    PDF,
    SELF_URL,
    FormPage,
    complete_self_assessment,
    form_fields,
    pdf_upload,
    post_answers,
    unescape,
)

RESULT_URL = SELF_URL + "/result"


def _without(answers: dict, *names: str) -> dict:
    return {k: v for k, v in answers.items() if k not in names}


# Every question type survives a save and comes back in the page.

def test_every_question_type_round_trips_through_a_saved_draft(app, toan):
    answers = complete_self_assessment()
    response = post_answers(toan, answers, "save", files={"file_ke_hoach_cong_tac": pdf_upload("ke-hoach-cong-tac.pdf")})
    assert response.status_code == 303
    assert response.location.endswith(SELF_URL)

    stored = current_answers(app, "TOAN")
    assert stored["dung_quy_trinh_phat_trien_doan_vien"] is True  # boolean "true"
    assert stored["dung_quy_trinh_chuyen_sinh_hoat"] is False  # boolean "false"
    assert stored["tan_suat_tong_hop_tinh_hinh"] == "hang_thang"  # single_choice
    assert stored["kenh_nam_bat_tinh_hinh"] == ["zalo", "khao_sat"]  # multi_choice, the name repeated
    assert stored["so_doan_vien"] == 1240 and isinstance(stored["so_doan_vien"], int)  # integer "1.240"
    assert stored["gia_tri_ho_tro"] == 12.5  # number "12,5"
    assert stored["ngay_ban_hanh_ke_hoach_cong_tac"] == "2022-01-15"  # date "15/01/2022"
    assert stored["tu_nhan_xet"] == "Đơn vị hoàn thành tốt các chỉ tiêu."  # text
    token = stored["file_ke_hoach_cong_tac"]  # file: a reference to the stored upload
    assert isinstance(token, str) and token
    assert submission_row(app, "TOAN")["status"] == "draft"

    page_html = toan.get(SELF_URL).get_data(as_text=True)
    page = FormPage(page_html)
    assert page.checked("dung_quy_trinh_phat_trien_doan_vien") == ["true"]
    assert page.checked("dung_quy_trinh_chuyen_sinh_hoat") == ["false"]
    assert page.checked("tan_suat_tong_hop_tinh_hinh") == ["hang_thang"]
    assert page.checked("kenh_nam_bat_tinh_hinh") == ["zalo", "khao_sat"]
    assert page.value("so_doan_vien") == "1240"
    assert page.value("gia_tri_ho_tro") in ("12.5", "12,5")
    assert page.value("ngay_ban_hanh_ke_hoach_cong_tac") == "2022-01-15"
    assert page.value("tu_nhan_xet") == "Đơn vị hoàn thành tốt các chỉ tiêu."
    assert page.value("file_ke_hoach_cong_tac__keep") == token
    assert "ke-hoach-cong-tac.pdf" in page_html

    download = toan.get(f"/files/{token}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"


def test_vietnamese_number_spellings_are_read_as_numbers(app, toan):
    answers = {"so_doan_vien": "1 240", "so_chi_doan": "24", "da_ra_soat_hoan_canh_kho_khan": "true", "gia_tri_ho_tro": "3.5"}
    assert post_answers(toan, answers, "save").status_code == 303
    stored = current_answers(app, "TOAN")
    assert stored["so_doan_vien"] == 1240
    assert stored["gia_tri_ho_tro"] == 3.5


def test_an_uploaded_file_is_stored_under_its_hash(app, toan):
    import hashlib

    post_answers(toan, {"co_chuong_trinh_hanh_dong": "true"}, "save", files={"file_ke_hoach_cong_tac": pdf_upload()})
    digest = hashlib.sha256(PDF).hexdigest()
    blob = app.config["DATA_DIR"] / "uploads" / digest[:2] / digest
    assert blob.read_bytes() == PDF


def test_a_file_whose_bytes_are_not_a_pdf_is_refused_beside_its_field(app, toan):
    response = post_answers(toan, {"co_chuong_trinh_hanh_dong": "true"}, "save",
                            files={"file_ke_hoach_cong_tac": pdf_upload("gia.pdf", b"MZ\x90\x00 not a pdf")})
    assert response.status_code == 422
    page = FormPage(response.get_data(as_text=True))
    assert "file_ke_hoach_cong_tac-error" in page.error_ids()
    assert "file_ke_hoach_cong_tac" not in current_answers(app, "TOAN")
    assert current_answers(app, "TOAN")["co_chuong_trinh_hanh_dong"] is True


def test_a_file_of_a_type_the_question_does_not_accept_is_refused(app, toan):
    response = post_answers(toan, {"co_chuong_trinh_hanh_dong": "true"}, "save",
                            files={"file_ke_hoach_cong_tac": pdf_upload("chay-toi.exe", b"MZ\x90\x00")})
    assert response.status_code == 422
    assert "file_ke_hoach_cong_tac-error" in FormPage(response.get_data(as_text=True)).error_ids()
    assert forms_sql(app, "SELECT COUNT(*) FROM uploads")[0][0] == 0


# Drafts need nothing; a submit checks everything.

def test_an_empty_draft_can_be_saved(app, toan):
    response = post_answers(toan, {}, "save")
    assert response.status_code == 303
    rows = revision_rows(app, "TOAN")
    assert [(r["action"], r["answers"]) for r in rows] == [("save", {})]
    assert submission_row(app, "TOAN")["status"] == "draft"


def test_a_partial_draft_is_saved_without_asking_for_required_questions(app, toan):
    response = post_answers(toan, {"so_doan_vien": "300"}, "save")
    assert response.status_code == 303
    assert current_answers(app, "TOAN") == {"so_doan_vien": 300}


def test_submitting_an_incomplete_form_lists_every_missing_required_question(app, toan):
    response = post_answers(toan, {"so_doan_vien": "300"}, "submit")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    page = FormPage(html)
    assert page.has_class("error-summary")
    errors = page.error_ids()
    for qid in ("kenh_nam_bat_tinh_hinh", "tan_suat_tong_hop_tinh_hinh", "cap_nhat_danh_sach_doan_vien",
                "trien_khai_chuong_trinh_ren_luyen", "tham_muu_co_che_chinh_sach"):
        assert f"{qid}-error" in errors
        assert f'href="#q-{qid}"' in html  # the summary links to the field
    assert "so_doan_vien-error" not in errors
    assert submission_row(app, "TOAN")["status"] == "draft"
    assert current_answers(app, "TOAN") == {"so_doan_vien": 300}  # the valid answers are kept as a draft


def test_a_complete_submit_goes_to_the_result(app, toan):
    response = post_answers(toan, complete_self_assessment(), "submit")
    assert response.status_code == 303
    assert response.location.endswith(RESULT_URL)
    submission = submission_row(app, "TOAN")
    assert submission["status"] == "submitted"
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["submit"]


def test_a_required_question_hidden_by_visible_if_is_not_required_and_its_answer_is_dropped(app, toan):
    answers = complete_self_assessment()
    answers["da_ra_soat_hoan_canh_kho_khan"] = "false"  # hides the four questions that follow it
    answers = _without(answers, "so_dvtn_hoan_canh_kho_khan")  # required while shown
    answers["doi_tuong_duoc_ra_soat"] = ["thanh_nien_ton_giao"]
    answers["so_dvtn_kho_khan_duoc_giup_do"] = "7"
    answers["gia_tri_ho_tro"] = "abc"  # even an invalid value of a hidden question is not held against the unit
    response = post_answers(toan, answers, "submit")
    assert response.status_code == 303, FormPage(response.get_data(as_text=True)).error_ids()
    stored = current_answers(app, "TOAN")
    for hidden in ("doi_tuong_duoc_ra_soat", "so_dvtn_hoan_canh_kho_khan", "so_dvtn_kho_khan_duoc_giup_do", "gia_tri_ho_tro"):
        assert hidden not in stored
    assert submission_row(app, "TOAN")["status"] == "submitted"


def test_a_value_sent_for_a_hidden_question_earns_no_points(app, toan):
    answers = complete_self_assessment()
    answers["co_cong_trinh_phan_viec"] = "false"  # hides so_cong_trinh_phan_viec (5 or more → 3 points)
    answers["so_cong_trinh_phan_viec"] = "9"
    assert post_answers(toan, answers, "submit").status_code == 303
    with_hidden_value = submission_row(app, "TOAN")["total"]
    assert post_answers(toan, _without(answers, "so_cong_trinh_phan_viec"), "submit").status_code == 303
    without_value = submission_row(app, "TOAN")["total"]
    assert with_hidden_value == without_value
    points = forms_sql(app, "SELECT points, visible, value FROM answers WHERE question_id = 'so_cong_trinh_phan_viec'")
    assert points == [(0.0, 0, None)]
    answers["co_cong_trinh_phan_viec"] = "true"  # shown again, with the report its points need (`evidence`)
    report = {"file_bao_cao_cong_trinh": pdf_upload("bao-cao-cong-trinh.pdf")}
    assert post_answers(toan, answers, "submit", files=report).status_code == 303
    assert submission_row(app, "TOAN")["total"] == without_value + 3


def test_a_choice_that_is_not_offered_is_refused(app, toan):
    answers = complete_self_assessment()
    answers["tan_suat_tong_hop_tinh_hinh"] = "hang_ngay"
    answers["linh_vuc_hoat_dong"] = ["tinh_nguyen", "khong_co_trong_danh_sach"]
    response = post_answers(toan, answers, "submit")
    assert response.status_code == 422
    errors = FormPage(response.get_data(as_text=True)).error_ids()
    assert "tan_suat_tong_hop_tinh_hinh-error" in errors
    assert "linh_vuc_hoat_dong-error" in errors
    stored = current_answers(app, "TOAN")
    assert "tan_suat_tong_hop_tinh_hinh" not in stored and "linh_vuc_hoat_dong" not in stored
    assert submission_row(app, "TOAN")["status"] == "draft"


def test_a_choice_that_is_not_offered_is_refused_in_a_draft_too(app, toan):
    response = post_answers(toan, {"tan_suat_tong_hop_tinh_hinh": "hang_ngay", "so_doan_vien": "12"}, "save")
    assert response.status_code == 422
    assert current_answers(app, "TOAN") == {"so_doan_vien": 12}


def test_numbers_and_dates_outside_their_range_are_refused(app, toan):
    answers = complete_self_assessment()
    answers["so_doan_vien"] = "0"  # min 1
    answers["so_buoi_pho_bien"] = "-2"  # min 0
    answers["ngay_ban_hanh_ke_hoach_cong_tac"] = "01/01/2016"  # min 2017-01-01
    response = post_answers(toan, answers, "submit")
    assert response.status_code == 422
    errors = FormPage(response.get_data(as_text=True)).error_ids()
    assert {"so_doan_vien-error", "so_buoi_pho_bien-error", "ngay_ban_hanh_ke_hoach_cong_tac-error"} <= set(errors)
    stored = current_answers(app, "TOAN")
    assert "so_doan_vien" not in stored and "ngay_ban_hanh_ke_hoach_cong_tac" not in stored
    assert submission_row(app, "TOAN")["status"] == "draft"


def test_a_text_longer_than_its_limit_is_refused(app, toan):
    response = post_answers(toan, {"tu_nhan_xet": "x" * 3001}, "save")
    assert response.status_code == 422
    assert "tu_nhan_xet-error" in FormPage(response.get_data(as_text=True)).error_ids()


def test_after_an_error_every_typed_value_and_the_uploaded_file_stay_in_the_page(app, toan):
    answers = complete_self_assessment()
    answers["so_doan_vien"] = "abc"
    answers["ngay_ban_hanh_ke_hoach_cong_tac"] = "31/02/2022"
    answers["tu_nhan_xet"] = "Nhận xét <b>đậm</b> & rõ"
    response = post_answers(toan, answers, "submit", files={"file_ke_hoach_cong_tac": pdf_upload("ke-hoach.pdf")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    page = FormPage(html)
    assert page.has_class("error-summary")
    assert set(page.error_ids()) == {"so_doan_vien-error", "ngay_ban_hanh_ke_hoach_cong_tac-error"}
    assert page.value("so_doan_vien") == "abc"
    assert page.value("ngay_ban_hanh_ke_hoach_cong_tac") == "31/02/2022"
    assert page.value("tu_nhan_xet") == "Nhận xét <b>đậm</b> & rõ"
    assert "<b>đậm</b>" not in html  # kept, and escaped
    assert page.value("gia_tri_ho_tro") == "12,5"
    assert page.value("so_chi_doan") == "24"
    assert page.checked("kenh_nam_bat_tinh_hinh") == ["zalo", "khao_sat"]
    assert page.checked("dung_quy_trinh_chuyen_sinh_hoat") == ["false"]
    assert page.checked("tan_suat_sinh_hoat_chi_doan") == ["hang_thang"]
    kept = page.value("file_ke_hoach_cong_tac__keep")
    assert kept and "ke-hoach.pdf" in html

    # Fixing the two answers and sending the page back submits it, with the file kept from the first post.
    answers["so_doan_vien"] = "1240"
    answers["ngay_ban_hanh_ke_hoach_cong_tac"] = "2022-01-15"
    answers["file_ke_hoach_cong_tac__keep"] = kept
    again = post_answers(toan, answers, "submit", fields=form_fields(html))
    assert again.status_code == 303
    stored = current_answers(app, "TOAN")
    assert stored["file_ke_hoach_cong_tac"] == kept
    assert stored["so_doan_vien"] == 1240
    assert submission_row(app, "TOAN")["status"] == "submitted"


def test_a_file_reference_of_another_unit_cannot_be_claimed(app, toan, signed_in):
    from support.data import register

    register(app, "VAN")
    van = signed_in("van")
    post_answers(van, {"co_chuong_trinh_hanh_dong": "true"}, "save", files={"file_ke_hoach_cong_tac": pdf_upload("van.pdf")})
    van_token = current_answers(app, "VAN")["file_ke_hoach_cong_tac"]
    post_answers(toan, {"co_chuong_trinh_hanh_dong": "true", "file_ke_hoach_cong_tac__keep": van_token}, "save")
    assert "file_ke_hoach_cong_tac" not in current_answers(app, "TOAN")


def test_a_kept_file_can_be_removed(app, toan):
    post_answers(toan, {"co_chuong_trinh_hanh_dong": "true"}, "save", files={"file_ke_hoach_cong_tac": pdf_upload()})
    token = current_answers(app, "TOAN")["file_ke_hoach_cong_tac"]
    post_answers(toan, {"co_chuong_trinh_hanh_dong": "true", "file_ke_hoach_cong_tac__keep": token,
                        "file_ke_hoach_cong_tac__remove": "1"}, "save")
    assert "file_ke_hoach_cong_tac" not in current_answers(app, "TOAN")


# Revisions and history.

def test_every_save_and_submit_is_a_new_immutable_revision_listed_in_the_history(app, toan):
    answers = complete_self_assessment()
    post_answers(toan, {**answers, "tu_nhan_xet": "Bản thứ nhất"}, "save")
    first = revision_rows(app, "TOAN")[0]["answers"]
    post_answers(toan, {**answers, "tu_nhan_xet": "Bản thứ hai"}, "save")
    assert post_answers(toan, {**answers, "tu_nhan_xet": "Bản đã nộp"}, "submit").status_code == 303
    rows = revision_rows(app, "TOAN")
    assert [(r["number"], r["action"], r["author"]) for r in rows] == [(1, "save", "toan"), (2, "save", "toan"), (3, "submit", "toan")]
    assert rows[0]["answers"] == first  # earlier revisions are not touched by later ones
    assert submission_row(app, "TOAN")["current_revision"] == 3

    history = toan.get(SELF_URL + "/history")
    assert history.status_code == 200
    text = history.get_data(as_text=True)
    for number in (1, 2, 3):
        assert f'href="{SELF_URL}/history/{number}"' in text

    old = toan.get(SELF_URL + "/history/1")
    assert old.status_code == 200
    assert "Bản thứ nhất" in old.get_data(as_text=True)
    assert "Bản đã nộp" not in old.get_data(as_text=True)
    assert "Bản thứ hai" in toan.get(SELF_URL + "/history/2").get_data(as_text=True)
    assert toan.get(SELF_URL + "/history/4").status_code == 404


def test_a_submitted_form_can_be_edited_and_submitted_again_before_the_deadline(app, toan):
    answers = complete_self_assessment()
    assert post_answers(toan, answers, "submit").status_code == 303
    page = FormPage(toan.get(SELF_URL).get_data(as_text=True))
    assert page.value("so_doan_vien") == "1240"  # still editable: the inputs are not disabled
    assert not any(a.get("name") == "so_doan_vien" and "disabled" in a for a in page.inputs)
    assert post_answers(toan, {**answers, "so_doan_vien": "1300", "so_chi_doan": "30"}, "submit").status_code == 303
    assert submission_row(app, "TOAN")["status"] == "submitted"
    assert current_answers(app, "TOAN")["so_doan_vien"] == 1300
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["submit", "submit"]
    assert "1300" in toan.get(RESULT_URL).get_data(as_text=True)


def test_saving_a_draft_after_submitting_does_not_withdraw_the_submission(app, toan):
    answers = complete_self_assessment()
    assert post_answers(toan, answers, "submit").status_code == 303
    submitted_total = submission_row(app, "TOAN")["total"]
    assert post_answers(toan, {"so_doan_vien": "5"}, "save").status_code == 303  # an unfinished edit
    submission = submission_row(app, "TOAN")
    assert submission["status"] == "submitted"
    assert submission["total"] == submitted_total


def test_a_faulty_resubmission_leaves_the_submitted_version_current(app, toan):
    answers = complete_self_assessment()
    assert post_answers(toan, answers, "submit").status_code == 303
    response = post_answers(toan, {**_without(answers, "so_chi_doan"), "so_doan_vien": "999"}, "submit")
    assert response.status_code == 422
    page = FormPage(response.get_data(as_text=True))
    assert "so_chi_doan-error" in page.error_ids()
    assert page.value("so_doan_vien") == "999"
    submission = submission_row(app, "TOAN")
    assert submission["status"] == "submitted" and submission["current_revision"] == 1
    assert current_answers(app, "TOAN")["so_doan_vien"] == 1240


# The result page.

def test_the_result_page_shows_total_band_provisional_note_chart_and_rules(app, toan):
    from support.data import SELF

    from forms_app.data import connection as database
    from forms_app.rules import registry
    from scoring import score

    assert post_answers(toan, complete_self_assessment(), "submit").status_code == 303
    response = toan.get(RESULT_URL)
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    submission = submission_row(app, "TOAN")
    shown_total = (f"{submission['total']:g}").replace(".", ",")
    assert re.search(rf"<strong>{re.escape(shown_total)}</strong>\s*/\s*100", html), shown_total
    assert submission["band"] in ("Xuất sắc", "Tốt", "Đạt", "Chưa đạt")
    assert f"<strong>{submission['band']}</strong>" in html
    assert "tạm tính" in html
    assert "<svg" in html
    forms = database.open_forms(app.config["DATA_DIR"])
    try:
        definition = registry.definition(forms, SELF)
    finally:
        forms.close()
    report = score(definition, current_answers(app, "TOAN"), lang="vi")
    rules = {q["id"]: q["rule"] for q in report["questions"]}
    for qid in ("co_chuong_trinh_hanh_dong", "so_doan_vien_duoc_danh_gia", "kenh_nam_bat_tinh_hinh", "file_ke_hoach_cong_tac"):
        assert rules[qid] and rules[qid] in html, qid


def test_a_unit_without_any_revision_has_no_result_yet(app, toan):
    assert toan.get(RESULT_URL).status_code == 404


def test_a_file_over_the_questions_size_limit_is_refused(app, toan):
    too_big = PDF + b"0" * (10 * 1024 * 1024)  # the question takes at most 10 MB
    response = post_answers(toan, {"co_chuong_trinh_hanh_dong": "true"}, "save",
                            files={"file_ke_hoach_cong_tac": pdf_upload("lon.pdf", too_big)})
    assert response.status_code == 422
    assert "file_ke_hoach_cong_tac-error" in FormPage(response.get_data(as_text=True)).error_ids()
    assert "10 MB" in unescape(response.get_data(as_text=True))
    assert forms_sql(app, "SELECT COUNT(*) FROM uploads") == [(0,)]


def test_an_empty_file_is_refused(app, toan):
    response = post_answers(toan, {"co_chuong_trinh_hanh_dong": "true"}, "save",
                            files={"file_ke_hoach_cong_tac": pdf_upload("rong.pdf", b"")})
    assert response.status_code == 422
    assert "file_ke_hoach_cong_tac-error" in FormPage(response.get_data(as_text=True)).error_ids()


def test_a_number_written_with_vietnamese_thousands_dots_is_not_read_as_a_decimal(app, toan):
    answers = {"da_ra_soat_hoan_canh_kho_khan": "true", "gia_tri_ho_tro": "1.000"}
    assert post_answers(toan, answers, "save").status_code == 303
    assert current_answers(app, "TOAN")["gia_tri_ho_tro"] == 1000  # one thousand, as a Vietnamese page writes it


def test_an_english_page_reads_numbers_the_english_way(app, toan):
    from forms_app.adapters.web.forms import parse_number

    assert parse_number("1,000.5", "en") == 1000.5
    assert parse_number("1.000", "en") == 1.0
    assert parse_number("1.000", "vi") == 1000
    assert parse_number("12,5", "vi") == 12.5 and parse_number("12.5", "vi") == 12.5
    toan.get(SELF_URL + "?lang=en")
    assert post_answers(toan, {"da_ra_soat_hoan_canh_kho_khan": "true", "gia_tri_ho_tro": "1,250.5"}, "save").status_code == 303
    assert current_answers(app, "TOAN")["gia_tri_ho_tro"] == 1250.5


def test_a_draft_after_a_submit_is_announced_and_the_result_stays_the_submitted_one(app, toan):
    answers = complete_self_assessment()
    assert post_answers(toan, answers, "submit").status_code == 303
    submitted = toan.get(RESULT_URL).get_data(as_text=True)
    assert post_answers(toan, {**answers, "so_chi_doan_sinh_hoat_dinh_ky": "0"}, "save").status_code == 303
    form_page = toan.get(SELF_URL).get_data(as_text=True)
    assert "chưa nộp; bản đã nộp là bản số 1" in form_page
    assert FormPage(form_page).value("so_chi_doan_sinh_hoat_dinh_ky") == "0"  # the unit edits its draft
    result = toan.get(RESULT_URL).get_data(as_text=True)
    assert "Có bản nháp mới hơn (bản số 2) chưa nộp" in result
    assert re.search(r"<strong>([\d,]+)</strong>", result).group(1) == re.search(r"<strong>([\d,]+)</strong>", submitted).group(1)
    assert "Có bản nháp chưa nộp" in toan.get("/").get_data(as_text=True)
