"""Reviewers' decisions and adjustments: appended and audited, the form reopened or locked, cluster leads kept to their units."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from support.data import SELF, forms_sql, register, revision_rows, submission_row
from support.web import SELF_URL, FormPage, complete_self_assessment, csrf_token, pdf_upload, post_answers, unescape

UTC = dt.timezone.utc
AFTER_DEADLINE = dt.datetime(2022, 10, 5, 3, 0, tzinfo=UTC)
TODAY = dt.date(2022, 9, 15)  # OPEN_DAY in Hà Nội
REVIEW = f"/review/TOAN/{SELF}/2022"
VAN_REVIEW = f"/review/VAN/{SELF}/2022"
CLUSTER_2 = "Cụm 2 – Khoa học Xã hội"


@pytest.fixture
def forms(app):
    """The app's forms.db, as the pages see it."""
    from forms_app.data import connection as database

    connection = database.open_forms(app.config["DATA_DIR"])
    yield connection
    connection.close()


# The proofs TOAN uploads (version 2 binds points to them through `evidence`): its work plan (co_chuong_trinh_hanh_dong
# earns its 4 points, can_cu_ke_hoach its 1) and its review of members in difficulty (doi_tuong_duoc_ra_soat earns 1).
# Without their proofs, linh_vuc_hoat_dong (up to 3) and so_doan_vien_moi (up to 2) earn 0.
PROOFS = ("file_ke_hoach_cong_tac", "file_ra_soat_hoan_canh_kho_khan")


def submit(app, client, unit: str = "TOAN", **changes) -> None:
    """The unit registers and submits a complete self-assessment through its form page, with the PROOFS uploaded."""
    register(app, unit)
    response = post_answers(client, {**complete_self_assessment(), **changes}, "submit", files=proofs())
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def proofs() -> dict:
    """The PROOFS as uploads (a post without them, or without their `__keep` fields, keeps no file)."""
    return {name: pdf_upload(f"{name}.pdf") for name in PROOFS}


@pytest.fixture
def submitted(app, toan):
    """TOAN's 2022 self-assessment, submitted without youth projects (so_cong_trinh_phan_viec is hidden); the unit's
    client."""
    submit(app, toan, co_cong_trinh_phan_viec="false")
    return toan


# TOAN's answers earn 11/100: a recognition needs a reason (its result does not meet the rule), and like a withdrawal
# its number and date. NUMBERED gives them.
NUMBERED = {"decision_no": "12-QĐ/ĐTN", "decided_on": "2022-09-15"}
WHY = "Đơn vị chưa đạt điều kiện công nhận: tổng điểm 11/100 < 70; nhóm 2.1 đạt 5/40 < 28; nhóm 2.2 đạt 6/40 < 28"


def decide(forms, kind: str, **kwargs):
    from forms_app.rules.deciding import record_decision

    kwargs.setdefault("today", TODAY)
    return record_decision(forms, "TOAN", SELF, 2022, kind, kwargs.pop("actor", "vanphong"), **kwargs)


def recognise(forms, **kwargs):
    """TOAN recognised as the rules allow it: with a number, a date and a reason."""
    return decide(forms, "recognised", **{**NUMBERED, "reason": "Đơn vị tiêu biểu về công tác tình nguyện.", **kwargs})


def withdraw(forms, **kwargs):
    return decide(forms, "withdrawn", **{**NUMBERED, "reason": "Minh chứng không trung thực.", **kwargs})


def refusal_codes(call) -> list[str]:
    from forms_app.rules.deciding import DecisionError

    with pytest.raises(DecisionError) as caught:
        call()
    return [r.code for r in caught.value.refusals]


def decision_rows(app) -> list[tuple]:
    return forms_sql(app, "SELECT decision, comment, reopen_until, decision_no, decided_on, commendation, source, "
                          "recorded_by FROM decisions ORDER BY id")


def audit_rows(app, action: str) -> list[dict]:
    rows = forms_sql(app, "SELECT at, actor, unit_code, form_id, cycle_year, detail FROM audit_log WHERE action = ? "
                          "ORDER BY id", (action,))
    return [{"at": at, "actor": actor, "unit": unit, "form": form, "year": year, "detail": json.loads(detail)}
            for at, actor, unit, form, year, detail in rows]


def text_of(html: str) -> str:
    """A page's words without its tags."""
    return " ".join(re.sub(r"<[a-zA-Z/!][^>]*>", " ", html).split())


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


def post_decision(client, unit: str = "TOAN", form: str = SELF, **fields):
    """The decision box's post: the first step (checked and said back), or `step="confirm"` (recorded)."""
    url = f"/review/{unit}/{form}/2022"
    return client.post(url + "/decision", data={"csrf_token": csrf_token(client, url), **fields})


def counts(app) -> tuple:
    """How many decisions and audit entries there are: a refused decision changes neither."""
    return forms_sql(app, "SELECT (SELECT COUNT(*) FROM decisions), (SELECT COUNT(*) FROM audit_log)")[0]


def post_adjustment(client, question: str, points: str, reason: str, unit: str = "TOAN"):
    """One row of the review page's one adjustments form (tests/test_inspections.py posts several at once)."""
    url = f"/review/{unit}/{SELF}/2022"
    return client.post(url + "/adjust", data={"csrf_token": csrf_token(client, url), f"points-{question}": points,
                                              f"reason-{question}": reason, f"was-{question}": ""})


# Each kind of decision, and what it needs.

def test_a_recognition_is_recorded_with_its_number_date_reason_and_commendation(app, submitted, forms):
    row = recognise(forms, decision_no="123-QĐ/ĐTN", decided_on="15/09/2022", commendation=True)
    assert row["decision"] == "recognised" and row["decided_on"] == "2022-09-15"
    assert decision_rows(app) == [("recognised", None, None, "123-QĐ/ĐTN", "2022-09-15", 1, "web", "vanphong")]
    assert forms_sql(app, "SELECT reason FROM decisions") == [("Đơn vị tiêu biểu về công tác tình nguyện.",)]


def test_recognised_and_not_recognised_need_a_submitted_submission(app, toan, forms):
    post_answers(toan, {"so_doan_vien": "100"}, "save")  # a draft is not enough
    assert refusal_codes(lambda: recognise(forms)) == ["not_submitted"]
    assert refusal_codes(lambda: decide(forms, "not_recognised")) == ["not_submitted"]
    assert decision_rows(app) == []


def test_not_recognised_is_recorded_with_its_comment(app, submitted, forms):
    decide(forms, "not_recognised", comment="Chưa đạt nhóm 2.3.")
    assert decision_rows(app)[0][:2] == ("not_recognised", "Chưa đạt nhóm 2.3.")


def test_returned_needs_a_comment_and_a_reopen_date_from_today_on(app, submitted, forms):
    assert refusal_codes(lambda: decide(forms, "returned")) == ["reopen_needed", "comment_needed"]
    assert refusal_codes(lambda: decide(forms, "returned", comment="Bổ sung minh chứng", reopen_until="2022-09-14")) == ["reopen_past"]
    assert refusal_codes(lambda: decide(forms, "returned", comment="Bổ sung", reopen_until="31/02/2022")) == ["date"]
    decide(forms, "returned", comment="Bổ sung minh chứng", reopen_until="2022-09-15")
    assert decision_rows(app) == [("returned", "Bổ sung minh chứng", "2022-09-15", None, None, 0, "web", "vanphong")]


def test_withdrawn_needs_a_current_recognition_a_number_a_date_and_a_reason(app, submitted, forms):
    assert refusal_codes(lambda: withdraw(forms)) == ["not_recognised_now"]
    decide(forms, "not_recognised")
    assert refusal_codes(lambda: withdraw(forms)) == ["not_recognised_now"]
    recognise(forms)
    assert refusal_codes(lambda: decide(forms, "withdrawn", comment="Sai phạm")) == [
        "decision_no", "decided_on", "withdrawal_reason"]
    withdraw(forms, reason="Phát hiện minh chứng không trung thực.")
    assert [r[0] for r in decision_rows(app)] == ["not_recognised", "recognised", "withdrawn"]
    assert forms_sql(app, "SELECT reason FROM decisions WHERE decision = 'withdrawn'") == [
        ("Phát hiện minh chứng không trung thực.",)]


def test_a_commendation_needs_a_recognition_and_a_date_cannot_be_in_the_future(submitted, forms):
    assert refusal_codes(lambda: decide(forms, "not_recognised", commendation=True)) == ["commendation_needs_recognition"]
    assert refusal_codes(lambda: recognise(forms, decided_on="2022-09-16")) == ["decided_in_future"]
    assert refusal_codes(lambda: decide(forms, "approved")) == ["kind"]


def test_nothing_is_overwritten_two_decisions_are_two_rows_and_the_latest_is_current(app, submitted, forms):
    from forms_app.rules.deciding import current_decision, history

    decide(forms, "returned", comment="Bổ sung", reopen_until="2022-09-30")
    recognise(forms, decision_no="7-QĐ/ĐTN")
    assert [r[0] for r in decision_rows(app)] == ["returned", "recognised"]
    assert current_decision(forms, "TOAN", SELF, 2022)["decision"] == "recognised"
    assert [d["decision"] for d in history(forms, "TOAN", SELF, 2022)] == ["recognised", "returned"]
    assert forms_sql(app, "SELECT decision FROM current_decisions") == [("recognised",)]


def test_every_decision_leaves_an_audit_entry_with_who_and_when(app, submitted, forms):
    recognise(forms, actor="vanphong", decision_no="1-QĐ/ĐTN")
    withdraw(forms, actor="admin", comment="Sai sót")
    entries = audit_rows(app, "decision_recorded")
    assert [(e["actor"], e["unit"], e["form"], e["year"], e["detail"]["decision"]) for e in entries] == [
        ("vanphong", "TOAN", SELF, 2022, "recognised"), ("admin", "TOAN", SELF, 2022, "withdrawn")]
    assert all(dt.datetime.fromisoformat(e["at"]) for e in entries)
    assert entries[0]["detail"]["decision_no"] == "1-QĐ/ĐTN" and entries[1]["detail"]["comment"] == "Sai sót"


# Adjustments.

def test_adjustments_stay_in_the_questions_range_and_the_automatic_points_stay(app, submitted, forms):
    from forms_app.rules.deciding import adjustment_history, record_adjustment

    before = submission_row(app, "TOAN")
    sid = before["id"]
    auto = dict(forms_sql(app, "SELECT question_id, points FROM answers WHERE submission_id = ?", (sid,)))
    assert auto["co_chuong_trinh_hanh_dong"] == 4 and auto["linh_vuc_hoat_dong"] == 0  # the latter's proof is missing

    # Out of range is refused, never clamped (the question's maximum is 3).
    assert refusal_codes(lambda: record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", -5, "x", "kiemtra")) == [
        "points_range"]
    assert refusal_codes(lambda: record_adjustment(forms, sid, "linh_vuc_hoat_dong", 50, "x", "kiemtra")) == ["points_range"]
    low = record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", 0, "Chương trình chưa được cấp uỷ duyệt", "kiemtra")
    high = record_adjustment(forms, sid, "linh_vuc_hoat_dong", 3, "Báo cáo tổng kết đã nộp bản giấy", "kiemtra")
    assert (low["points"], high["points"]) == (0, 3)

    after = submission_row(app, "TOAN")
    assert after["total"] == before["total"]  # the automatic total is untouched
    assert after["adjusted_total"] == before["total"] - 4 + 3
    rows = dict(forms_sql(app, "SELECT question_id, points || '/' || COALESCE(adjusted_points, '-') FROM answers "
                               "WHERE submission_id = ? AND question_id IN ('co_chuong_trinh_hanh_dong', 'linh_vuc_hoat_dong', "
                               "'can_cu_ke_hoach')", (sid,)))
    assert rows == {"co_chuong_trinh_hanh_dong": "4.0/0.0", "linh_vuc_hoat_dong": "0.0/3.0", "can_cu_ke_hoach": "1.0/-"}
    sections = dict(forms_sql(app, "SELECT section_id, COALESCE(adjusted_score, '-') FROM section_scores WHERE submission_id = ?", (sid,)))
    automatic = dict(forms_sql(app, "SELECT section_id, score FROM section_scores WHERE submission_id = ?", (sid,)))
    assert sections["nhom_2_2"] == automatic["nhom_2_2"] - 1 and sections["nhom_2_1"] == "-"
    assert [(a["question_id"], a["points"], a["recorded_by"]) for a in adjustment_history(forms, sid)] == [
        ("linh_vuc_hoat_dong", 3, "kiemtra"), ("co_chuong_trinh_hanh_dong", 0, "kiemtra")]
    entries = audit_rows(app, "points_adjusted")
    assert [(e["actor"], e["detail"]["question"], e["detail"]["points"]) for e in entries] == [
        ("kiemtra", "co_chuong_trinh_hanh_dong", 0), ("kiemtra", "linh_vuc_hoat_dong", 3)]


def test_removing_an_adjustment_brings_the_automatic_score_back_and_keeps_the_history(app, submitted, forms):
    from forms_app.rules.deciding import adjustment_history, record_adjustment

    sid = submission_row(app, "TOAN")["id"]
    record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", 1, "Thiếu chữ ký", "kiemtra")
    record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", 3, "Đã bổ sung chữ ký", "kiemtra")
    assert submission_row(app, "TOAN")["adjusted_total"] == submission_row(app, "TOAN")["total"] - 1
    record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", None, "Điều chỉnh nhầm", "kiemtra")
    assert submission_row(app, "TOAN")["adjusted_total"] is None
    assert forms_sql(app, "SELECT COUNT(*) FROM answers WHERE adjusted_points IS NOT NULL") == [(0,)]
    assert [a["points"] for a in adjustment_history(forms, sid)] == [None, 3, 1]
    assert len(audit_rows(app, "adjustment_removed")) == 1


def test_an_adjustment_on_a_hidden_or_unknown_question_or_without_a_reason_is_refused(app, submitted, forms):
    from forms_app.rules.deciding import record_adjustment

    sid = submission_row(app, "TOAN")["id"]
    # so_cong_trinh_phan_viec shows only when the unit carried out youth projects; it said it did not.
    assert refusal_codes(lambda: record_adjustment(forms, sid, "so_cong_trinh_phan_viec", 1, "x", "kiemtra")) == ["hidden_question"]
    assert refusal_codes(lambda: record_adjustment(forms, sid, "khong_co", 1, "x", "kiemtra")) == ["unknown_question"]
    assert refusal_codes(lambda: record_adjustment(forms, sid, "tu_nhan_xet", 1, "x", "kiemtra")) == ["unscored_question"]
    assert refusal_codes(lambda: record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", 1, "  ", "kiemtra")) == ["reason_needed"]
    assert refusal_codes(lambda: record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", None, "x", "kiemtra")) == ["nothing_to_remove"]
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(0,)]
    assert submission_row(app, "TOAN")["adjusted_total"] is None


def test_a_resubmission_after_a_return_keeps_the_adjustments_on_the_new_answers(app, submitted, forms):
    from forms_app.rules.deciding import record_adjustment

    sid = submission_row(app, "TOAN")["id"]
    record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", 1, "Chưa có chữ ký", "kiemtra")
    record_adjustment(forms, sid, "doi_tuong_duoc_ra_soat", 0, "Danh sách rà soát không khớp", "kiemtra")
    decide(forms, "returned", comment="Bổ sung", reopen_until="2022-09-30")
    answers = {**complete_self_assessment(), "so_doan_vien_moi": "0", "da_ra_soat_hoan_canh_kho_khan": "false"}
    assert post_answers(submitted, answers, "submit", files=proofs()).status_code == 303
    after = submission_row(app, "TOAN")
    assert after["submitted_revision"] == 2
    # Only the adjustment of a question still shown applies; the one now hidden stays in the history.
    assert after["adjusted_total"] == after["total"] - 3
    assert dict(forms_sql(app, "SELECT question_id, adjusted_points FROM answers WHERE submission_id = ? "
                               "AND adjusted_points IS NOT NULL", (sid,))) == {"co_chuong_trinh_hanh_dong": 1}
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(2,)]


# The unit's form: reopened by a return, locked by a decision.

def _read_only(html: str) -> bool:
    inputs = [a for a in FormPage(html).inputs if a.get("name") == "so_doan_vien"]
    return 'name="action"' not in html and bool(inputs) and all("disabled" in a for a in inputs)


def test_a_returned_form_reopens_for_the_unit_until_the_end_of_the_reopen_day(app, submitted, signed_in):
    app.config["NOW"] = AFTER_DEADLINE
    assert _read_only(page(submitted, SELF_URL))
    reviewer = signed_in("vanphong")
    response = post_decision(reviewer, decision="returned", comment="Bổ sung kế hoạch công tác có chữ ký.",
                             reopen_until="2022-10-20", step="confirm")
    assert response.status_code == 303

    html = page(submitted, SELF_URL)
    assert not _read_only(html)
    assert "Bổ sung kế hoạch công tác có chữ ký." in html
    assert html.count("20/10/2022") == 1 and "Hạn nộp: 20/10/2022 (mở lại để bổ sung)" in text_of(html)  # one deadline
    assert post_answers(submitted, {**complete_self_assessment(), "so_doan_vien": "1300"}, "submit").status_code == 303
    assert submission_row(app, "TOAN")["submitted_revision"] == 2
    assert [r[0] for r in decision_rows(app)] == ["returned"]  # the resubmission clears nothing
    assert "Đơn vị đã nộp lại lúc" in page(reviewer, REVIEW)

    app.config["NOW"] = dt.datetime(2022, 10, 20, 16, 59, tzinfo=UTC)  # 23:59 on the reopen day in Hà Nội
    assert not _read_only(page(submitted, SELF_URL))
    app.config["NOW"] = dt.datetime(2022, 10, 20, 17, 0, tzinfo=UTC)
    html = page(submitted, SELF_URL)
    assert _read_only(html) and "Đã hết hạn nộp" in html
    assert post_answers(submitted, complete_self_assessment(), "submit").status_code == 409
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["submit", "submit", "late"]


def test_after_a_recognition_the_form_is_locked_even_inside_the_window(app, submitted, forms):
    fields = FormPage(page(submitted, SELF_URL))  # opened before the decision
    recognise(forms)
    html = page(submitted, SELF_URL)
    assert _read_only(html)
    assert "Ban Thường vụ Đoàn trường đã có quyết định (công nhận)" in html
    hidden = {a["name"]: a.get("value", "") for a in fields.inputs if a.get("name") in ("csrf_token", "base_revision", "request_token")}
    response = post_answers(submitted, complete_self_assessment(), "submit", fields=hidden)
    assert response.status_code == 409
    assert [r["action"] for r in revision_rows(app, "TOAN")] == ["submit"]


@pytest.mark.parametrize("kind", ["not_recognised", "withdrawn"])
def test_not_recognised_and_withdrawn_lock_the_form_too(app, submitted, forms, kind):
    if kind == "withdrawn":
        recognise(forms)
        withdraw(forms)
    else:
        decide(forms, kind)
    assert _read_only(page(submitted, SELF_URL))


# What the unit reads.

def test_the_unit_reads_a_return_and_its_comment_on_its_dashboard_with_one_deadline(app, submitted, forms):
    decide(forms, "returned", comment="Thiếu biên bản sinh hoạt chi đoàn.", reopen_until="2022-10-20")
    html = page(submitted, "/")
    card = html.split("Báo cáo tự đánh giá", 1)[1].split("</li>", 1)[0]
    assert "Trả lại để bổ sung: Thiếu biên bản sinh hoạt chi đoàn." in card
    assert "Còn 35 ngày, hạn 20/10/2022." in card and card.count("/10/2022") == 1  # not the window's 01/10 beside it


def test_the_unit_reads_its_recognition_and_the_result_is_no_longer_provisional(app, submitted, forms):
    result = page(submitted, SELF_URL + "/result")
    assert "tạm tính" in result
    recognise(forms, decision_no="123-QĐ/ĐTN", comment="Tiêu biểu của cụm.", reason="Dẫn đầu phong trào tình nguyện.")
    dashboard = page(submitted, "/")
    assert ("Đã được công nhận: Tiêu biểu của cụm. (lý do: Dẫn đầu phong trào tình nguyện.) "
            "(Quyết định số 123-QĐ/ĐTN ngày 15/09/2022)") in dashboard
    result = page(submitted, SELF_URL + "/result")
    assert "Đã được công nhận" in result and "tạm tính" not in result


@pytest.mark.parametrize("kind, words", [("not_recognised", "Không công nhận"), ("withdrawn", "Đã thu hồi công nhận")])
def test_the_unit_reads_a_refusal_or_a_withdrawal(app, submitted, forms, kind, words):
    if kind == "withdrawn":
        recognise(forms)
        withdraw(forms, comment="Lý do cụ thể.")
    else:
        decide(forms, kind, comment="Lý do cụ thể.")
    assert f"{words}: Lý do cụ thể." in page(submitted, "/")
    assert f"{words}: Lý do cụ thể." in page(submitted, SELF_URL + "/result")


def test_the_result_page_shows_adjusted_points_beside_the_automatic_ones(app, submitted, forms):
    from forms_app.rules.deciding import record_adjustment

    sid = submission_row(app, "TOAN")["id"]
    record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", 1, "Chương trình chưa có chữ ký", "kiemtra")
    total = submission_row(app, "TOAN")["total"]
    html = page(submitted, SELF_URL + "/result")
    assert "1/4" in html and "tự động: 4" in html and "Chương trình chưa có chữ ký" in html
    assert re.search(r"điểm tự động: " + re.escape(f"{total:g}".replace(".", ",")), html)


# The review pages.

REVIEW_POSTS = [REVIEW + "/decision", REVIEW + "/adjust"]


@pytest.mark.parametrize("url", [REVIEW] + REVIEW_POSTS)
def test_units_and_anonymous_visitors_get_nothing_from_the_review_routes(app, submitted, signed_in, url):
    anonymous = app.test_client()
    response = anonymous.get(url) if url == REVIEW else anonymous.post(url, data={"decision": "recognised"})
    assert response.status_code in (302, 303, 400)
    if response.status_code != 400:  # a POST without a session may be refused by its CSRF check first
        assert response.location.startswith("/login")
    for unit in (submitted, signed_in("van")):
        if url == REVIEW:
            assert unit.get(url).status_code == 403
        else:
            token = csrf_token(unit, "/")
            response = unit.post(url, data={"csrf_token": token, "decision": "recognised", "question": "co_chuong_trinh_hanh_dong",
                                            "points": "0", "reason": "x"})
            assert response.status_code == 403
    assert forms_sql(app, "SELECT COUNT(*) FROM decisions") == [(0,)]
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(0,)]


@pytest.mark.parametrize("url, data", [
    (REVIEW + "/decision", {"decision": "recognised"}),
    (REVIEW + "/adjust", {"question": "co_chuong_trinh_hanh_dong", "points": "0", "reason": "Thiếu"}),
])
def test_review_posts_without_a_csrf_token_are_refused(app, submitted, signed_in, url, data):
    reviewer = signed_in("vanphong")
    assert reviewer.post(url, data=data).status_code == 400
    assert forms_sql(app, "SELECT COUNT(*) FROM decisions") == [(0,)]
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(0,)]


def test_the_review_page_shows_the_report_the_history_and_the_decision_form(app, submitted, signed_in, forms):
    decide(forms, "returned", comment="Bổ sung", reopen_until="2022-09-30")
    html = page(signed_in("vanphong"), REVIEW)
    assert "Đoàn khoa Toán – Tin" in html and "Tổng điểm" in html
    page_ = FormPage(html)
    assert page_.has_input("reopen_until")
    assert not page_.has_input("points-co_chuong_trinh_hanh_dong")  # the office decides; the inspection committee adjusts
    assert "Lịch sử quyết định" in html and "Trả lại để bổ sung" in html
    inspector = FormPage(page(signed_in("kiemtra"), REVIEW))
    assert inspector.has_input("points-co_chuong_trinh_hanh_dong") and inspector.has_input("reason-co_chuong_trinh_hanh_dong")
    assert not inspector.has_input("points-so_cong_trinh_phan_viec")  # hidden: nothing to adjust
    assert page(signed_in("admin"), REVIEW)


def test_a_reviewer_records_a_decision_on_the_page_once_confirmed_and_it_is_audited(app, submitted, signed_in):
    reviewer = signed_in("vanphong")
    fields = {"decision": "recognised", "decision_no": "45-QĐ/ĐTN", "decided_on": "2022-09-14", "commendation": "1",
              "comment": "", "reason": "Đơn vị tiêu biểu của cụm."}
    said = post_decision(reviewer, **fields)
    assert said.status_code == 200 and decision_rows(app) == []  # said back, nothing written yet
    response = post_decision(reviewer, **fields, step="confirm")
    assert response.status_code == 303 and response.location.endswith(REVIEW)
    assert decision_rows(app) == [("recognised", None, None, "45-QĐ/ĐTN", "2022-09-14", 1, "web", "vanphong")]
    assert audit_rows(app, "decision_recorded")[0]["actor"] == "vanphong"
    assert "Đã ghi quyết định: công nhận." in page(reviewer, REVIEW)


def test_a_refused_decision_says_why_beside_the_field_and_keeps_what_was_typed(app, submitted, signed_in):
    reviewer = signed_in("vanphong")
    response = post_decision(reviewer, decision="returned", decision_no="9-QĐ/ĐTN", reopen_until="14/09/2022", comment="")
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    form = FormPage(html)
    assert set(form.error_ids()) >= {"comment-error", "reopen_until-error"}
    assert "Ngày mở lại phải từ hôm nay trở đi." in html and "hãy ghi nhận xét" in html
    assert form.value("decision_no") == "9-QĐ/ĐTN" and form.checked("decision") == ["returned"]
    assert decision_rows(app) == []


def test_an_inspector_adjusts_points_on_the_page_with_a_reason(app, submitted, signed_in):
    reviewer = signed_in("kiemtra")  # the inspection committee adjusts points (spec, roles)
    refused = post_adjustment(reviewer, "co_chuong_trinh_hanh_dong", "1,5", "")
    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "adjust-co_chuong_trinh_hanh_dong-error" in FormPage(html).error_ids() and "Hãy ghi lý do điều chỉnh." in html
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(0,)]

    assert post_adjustment(reviewer, "co_chuong_trinh_hanh_dong", "1,5", "Thiếu chữ ký").status_code == 303
    assert forms_sql(app, "SELECT points, reason, recorded_by FROM adjustments") == [(1.5, "Thiếu chữ ký", "kiemtra")]
    above = post_adjustment(reviewer, "linh_vuc_hoat_dong", "9", "Bản giấy đã nộp")  # refused, not clamped
    assert above.status_code == 422 and "phải từ 0 đến 3" in unescape(above.get_data(as_text=True))
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(1,)]
    hidden = post_adjustment(reviewer, "so_cong_trinh_phan_viec", "1", "x")
    assert hidden.status_code == 422 and "đang bị ẩn" in unescape(hidden.get_data(as_text=True))


def test_the_review_page_is_linked_from_the_reviewer_dashboard_and_result_page(app, submitted, signed_in):
    reviewer = signed_in("vanphong")
    assert f'href="{REVIEW}"' in page(reviewer, "/")
    assert f'href="{REVIEW}"' in page(reviewer, f"/units/TOAN/forms/{SELF}/2022/result")


def test_an_unknown_unit_or_cycle_is_not_found(submitted, signed_in):
    reviewer = signed_in("vanphong")
    assert reviewer.get(f"/review/KHONGCO/{SELF}/2022").status_code == 404
    assert reviewer.get(f"/review/TOAN/{SELF}/2031").status_code == 404


# Cluster leads.

@pytest.fixture
def lead(app, signed_in):
    """phutrachcum, a cluster lead, put in charge of the cluster of VAN (not TOAN's)."""
    from forms_app.data import connection as database
    from forms_app.rules import accounts

    accounts_db = database.open_accounts(app.config["DATA_DIR"])
    try:
        accounts.set_reviewer_clusters(accounts_db, "phutrachcum", [CLUSTER_2])
        assert accounts.reviewer_clusters(accounts_db, "phutrachcum") == [CLUSTER_2]
    finally:
        accounts_db.close()
    return signed_in("phutrachcum")


def test_a_cluster_lead_reads_a_unit_of_their_cluster_and_decides_nothing(app, submitted, signed_in, lead):
    submit(app, signed_in("van"), "VAN")
    assert lead.get(VAN_REVIEW).status_code == 200
    assert post_decision(lead, "VAN", decision="recognised").status_code == 403  # the office decides (spec, roles)
    assert lead.get(REVIEW).status_code == 403
    token = csrf_token(lead, VAN_REVIEW)
    assert lead.post(REVIEW + "/decision", data={"csrf_token": token, "decision": "recognised"}).status_code == 403
    assert lead.post(REVIEW + "/adjust", data={"csrf_token": token, "question": "co_chuong_trinh_hanh_dong",
                                               "points": "0", "reason": "x"}).status_code == 403
    assert forms_sql(app, "SELECT COUNT(*) FROM decisions") == [(0,)]
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(0,)]


def test_the_core_refuses_a_cluster_lead_outside_their_clusters(submitted, forms):
    from forms_app.rules.deciding import OutsideClusters, record_adjustment

    with pytest.raises(PermissionError):
        decide(forms, "recognised", clusters=[CLUSTER_2])
    sid = forms.execute("SELECT id FROM submissions WHERE unit_code = 'TOAN' AND form_id = ?", [SELF]).fetchone()[0]
    with pytest.raises(OutsideClusters):
        record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", 0, "x", "lead", clusters=[CLUSTER_2])


def test_a_cluster_leads_dashboard_lists_only_their_clusters(app, submitted, lead):
    html = page(lead, "/")
    assert "Đoàn khoa Ngữ văn" in html
    assert "Đoàn khoa Toán – Tin" not in html and "Đoàn khoa Vật lý" not in html
    assert CLUSTER_2 in html
    assert "Đoàn khoa Toán – Tin" not in page(lead, "/?q=Toán")


def test_the_review_page_and_the_units_decision_read_in_english(app, toan, signed_in, forms):
    from test_i18n import assert_english

    submit(app, toan, tu_nhan_xet="All targets met.")  # the unit's own words are data, not page text
    submitted = toan
    recognise(forms, decision_no="8-QĐ/ĐTN", commendation=True, reason="Exemplary volunteering.")
    reviewer = signed_in("vanphong")
    assert_english(page(reviewer, REVIEW + "?lang=en"), "Current decision", "Decision history", "Record the standing committee’s decision",
                   "Recognised", "Decision no. 8-QĐ/ĐTN of 15/09/2022", "Put forward for commendation")
    page(submitted, SELF_URL + "/result")  # shows (and uses up) the flash of the submit, written in Vietnamese
    dashboard = page(submitted, "/?lang=en")  # (its stored band is data, in the definition's language)
    assert "Recognised" in dashboard and "The standing committee has decided" in dashboard
    assert "Đã được công nhận" not in dashboard and "Ban Thường vụ" not in dashboard
    assert_english(page(submitted, SELF_URL + "?lang=en"), "The standing committee has decided (recognised)")
