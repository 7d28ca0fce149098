"""The inspection committee: an inspection recorded with its minutes, every adjustment of a page saved at once in one
form (out-of-range points refused, not clamped, nothing saved and everything typed kept), and the history of both read
by the office and by the unit."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from support.browser import sign_in
from support.data import EXAMPLE_ANSWERS, REGISTRATION, REGISTRATION_ANSWERS, SELF, forms_sql, opened, register, submission_row
from support.web import PDF, FormPage, csrf_token, pdf_upload, unescape

REVIEW = f"/review/TOAN/{SELF}/2022"
RESULT = f"/forms/{SELF}/2022/result"  # the unit's own result page
# Three scored questions of the example answers and their maxima: co_chuong_trinh_hanh_dong 4/4,
# so_hoat_dong_da_thuc_hien 3/4, linh_vuc_hoat_dong 3/3; so_kien_nghi_duoc_giai_quyet does not apply (maximum 0).
QUESTIONS = ("co_chuong_trinh_hanh_dong", "so_hoat_dong_da_thuc_hien", "linh_vuc_hoat_dong")


@pytest.fixture
def submitted(app):
    """TOAN registered and submitted the example self-assessment for 2022 (76/98, recognised)."""
    from forms_app.rules import registry, submitting

    register(app, "TOAN")
    with opened(app.config["DATA_DIR"]) as forms:
        submitting.record(forms, unit_code="TOAN", definition=registry.definition(forms, SELF), cycle_year=2022,
                          answers=EXAMPLE_ANSWERS, action="submit", author="toan", base_revision=None,
                          request_token=None)
    return app


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


def adjustment_form(html: str) -> dict[str, str]:
    """What the review page's one adjustments form would post untouched: every `points-`, `reason-` and `was-` field
    (they sit in the score table and belong to the form by `form="adjust-form"`)."""
    fields = {a["name"]: a.get("value", "") for a in FormPage(html).inputs
              if a.get("form") == "adjust-form" and a.get("name")}
    assert fields, "no adjustment field on the page"
    return fields


def post_adjustments(client, changes: dict[str, tuple[str, str]]):
    """Post the one form as a browser would: every row as shown, with `changes` {question: (points, reason)} typed."""
    html = page(client, REVIEW)
    data = {**adjustment_form(html), "csrf_token": csrf_token(client, REVIEW)}
    for qid, (points, reason) in changes.items():
        data[f"points-{qid}"], data[f"reason-{qid}"] = points, reason
    return client.post(REVIEW + "/adjust", data=data)


def post_inspection(client, **fields):
    data = {"csrf_token": csrf_token(client, REVIEW), "inspected_on": "2022-09-10",
            "members": "Nguyễn Văn An (Chủ nhiệm UBKT), Trần Thị Bình (Ủy viên)",
            "conclusion": "Đơn vị thực hiện đúng kế hoạch; minh chứng tiêu chí 2.2 chưa đầy đủ.",
            "minutes": pdf_upload("bien-ban-kiem-tra.pdf"), **fields}
    return client.post(REVIEW + "/inspection", data={k: v for k, v in data.items() if v is not None},
                       content_type="multipart/form-data")


def audit(app, action: str) -> list[dict]:
    return [json.loads(detail) for (detail,) in forms_sql(app, "SELECT detail FROM audit_log WHERE action = ? ORDER BY id",
                                                          (action,))]


# Inspections

def test_an_inspector_records_an_inspection_with_its_minutes(app, submitted, signed_in):
    inspector = signed_in("kiemtra")
    response = post_inspection(inspector)
    assert response.status_code == 303 and response.location.endswith(REVIEW + "#inspections")
    [(on, members, conclusion, token, by)] = forms_sql(
        app, "SELECT inspected_on, members, conclusion, minutes_token, recorded_by FROM inspections")
    assert (on, by) == ("2022-09-10", "kiemtra") and "Trần Thị Bình" in members and "2.2" in conclusion
    assert forms_sql(app, "SELECT original_name, unit_code FROM uploads WHERE token = ?", (token,)) == [
        ("bien-ban-kiem-tra.pdf", "TOAN")]
    assert audit(app, "inspection_recorded")[0]["inspected_on"] == "2022-09-10"
    html = page(inspector, REVIEW)
    assert "Ngày kiểm tra 10/09/2022" in html and "bien-ban-kiem-tra.pdf" in html
    # The minutes are read by the office and by the unit itself, never by another unit.
    for who in ("vanphong", "toan"):
        download = signed_in(who).get(f"/files/{token}")
        assert download.status_code == 200 and download.data == PDF
    assert signed_in("van").get(f"/files/{token}").status_code == 404


def test_a_refused_inspection_says_why_beside_each_field_and_keeps_what_was_typed_and_the_file(app, submitted, signed_in):
    inspector = signed_in("kiemtra")
    response = post_inspection(inspector, members="  ", conclusion="", inspected_on="2031-01-01")
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    form = FormPage(html)
    assert set(form.error_ids()) >= {"inspection-members-error", "inspection-conclusion-error",
                                     "inspection-inspected_on-error"}
    assert "Ngày kiểm tra không thể sau hôm nay." in html and "Hãy ghi kết luận kiểm tra." in html
    assert form.value("inspected_on") == "2031-01-01"
    kept = form.value("minutes_kept")
    assert kept and "Đã nhận tệp bien-ban-kiem-tra.pdf" in html
    assert forms_sql(app, "SELECT COUNT(*) FROM inspections") == [(0,)]

    again = post_inspection(inspector, minutes=None, minutes_kept=kept)  # the file is not sent again
    assert again.status_code == 303
    assert forms_sql(app, "SELECT minutes_token FROM inspections") == [(kept,)]


def test_an_inspection_needs_its_minutes_of_an_accepted_type(app, submitted, signed_in):
    inspector = signed_in("kiemtra")
    missing = post_inspection(inspector, minutes=None)
    assert missing.status_code == 422 and "Hãy tải lên biên bản kiểm tra" in unescape(missing.get_data(as_text=True))
    wrong = post_inspection(inspector, minutes=pdf_upload("bien-ban.exe", b"MZ\x90\x00"))
    assert wrong.status_code == 422 and "Loại tệp không được nhận" in unescape(wrong.get_data(as_text=True))
    fake = post_inspection(inspector, minutes=pdf_upload("bien-ban.pdf", b"not a pdf"))
    assert fake.status_code == 422 and "không phải là tệp pdf thật" in unescape(fake.get_data(as_text=True))
    assert forms_sql(app, "SELECT COUNT(*) FROM inspections") == [(0,)]


def test_an_inspection_is_recorded_on_the_scored_report_not_on_the_registration(app, submitted, signed_in):
    from forms_app.rules import inspections

    with opened(app.config["DATA_DIR"]) as forms, pytest.raises(inspections.InspectionError) as caught:
        inspections.record_inspection(forms, app.config["DATA_DIR"], unit_code="TOAN", form_id=REGISTRATION,
                                      cycle_year=2022, inspected_on="2022-09-10", members="A", conclusion="B",
                                      actor="kiemtra")
    assert [r.code for r in caught.value.refusals] == ["not_scored"]
    registration = page(signed_in("kiemtra"), f"/review/TOAN/{REGISTRATION}/2022")
    assert "Ghi kết quả kiểm tra" not in registration and 'form="adjust-form"' not in registration
    assert forms_sql(app, "SELECT COUNT(*) FROM inspections") == [(0,)]


def test_the_cleanup_keeps_the_minutes_of_an_inspection(app, submitted, signed_in):
    from forms_app.rules import uploads

    assert post_inspection(signed_in("kiemtra")).status_code == 303
    with opened(app.config["DATA_DIR"]) as forms:
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
        uploads.cleanup(forms, app.config["DATA_DIR"], grace_days=0, now=later)
    [(token,)] = forms_sql(app, "SELECT minutes_token FROM inspections")
    assert forms_sql(app, "SELECT COUNT(*) FROM uploads WHERE token = ?", (token,)) == [(1,)]
    assert signed_in("vanphong").get(f"/files/{token}").data == PDF


# One form for every adjustment of the page

def test_the_review_page_has_one_adjustments_form_for_every_row(app, submitted, signed_in):
    html = page(signed_in("kiemtra"), REVIEW)
    assert html.count('id="adjust-form"') == 1 and html.count('action="' + REVIEW + '/adjust') == 1
    fields = adjustment_form(html)
    assert {f"points-{q}" for q in QUESTIONS} <= set(fields)
    assert "points-so_kien_nghi_duoc_giai_quyet" not in fields  # does not apply: nothing to adjust
    assert "points-tu_nhan_xet" not in fields  # carries no points


def test_one_form_saves_several_adjustments_at_once(app, submitted, signed_in):
    before = submission_row(app, "TOAN")
    response = post_adjustments(signed_in("kiemtra"), {
        "co_chuong_trinh_hanh_dong": ("2", "Chương trình chưa được cấp uỷ duyệt"),
        "so_hoat_dong_da_thuc_hien": ("4", "Báo cáo bổ sung khi kiểm tra"),
        "linh_vuc_hoat_dong": ("1,5", "Minh chứng thiếu một lĩnh vực"),
    })
    assert response.status_code == 303 and response.location.endswith(REVIEW + "#adjustments")
    assert sorted(forms_sql(app, "SELECT question_id, points, reason, recorded_by FROM adjustments")) == [
        ("co_chuong_trinh_hanh_dong", 2.0, "Chương trình chưa được cấp uỷ duyệt", "kiemtra"),
        ("linh_vuc_hoat_dong", 1.5, "Minh chứng thiếu một lĩnh vực", "kiemtra"),
        ("so_hoat_dong_da_thuc_hien", 4.0, "Báo cáo bổ sung khi kiểm tra", "kiemtra")]
    after = submission_row(app, "TOAN")
    assert after["total"] == before["total"]  # the automatic total stays
    assert after["adjusted_total"] == before["total"] - 2 + 1 - 1.5
    entries = audit(app, "points_adjusted")
    assert len(entries) == 3 and {e["adjusted_total"] for e in entries} == {after["adjusted_total"]}
    # The page shows the adjusted points in the fields, ready for the next change.
    fields = adjustment_form(page(signed_in("kiemtra"), REVIEW))
    assert fields["points-linh_vuc_hoat_dong"] == fields["was-linh_vuc_hoat_dong"] == "1,5"


def test_out_of_range_points_are_refused_not_clamped_and_nothing_is_saved(app, submitted, signed_in):
    inspector = signed_in("kiemtra")
    response = post_adjustments(inspector, {
        "co_chuong_trinh_hanh_dong": ("2", "Chương trình chưa được cấp uỷ duyệt"),  # fine on its own
        "so_hoat_dong_da_thuc_hien": ("5", "Nhập quá điểm tối đa"),
        "linh_vuc_hoat_dong": ("-1", "Trừ điểm"),
        "can_cu_ke_hoach": ("1", ""),  # no reason
        "so_buoi_pho_bien": ("hai", "Không phải số"),
    })
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    form = FormPage(html)
    assert set(form.error_ids()) == {"adjust-so_hoat_dong_da_thuc_hien-error", "adjust-linh_vuc_hoat_dong-error",
                                     "adjust-can_cu_ke_hoach-error", "adjust-so_buoi_pho_bien-error"}
    assert "Điểm sau điều chỉnh phải từ 0 đến 4 (điểm tối đa của câu này)." in html
    assert "Điểm sau điều chỉnh phải từ 0 đến 3 (điểm tối đa của câu này)." in html
    assert "Hãy ghi lý do điều chỉnh." in html and "Hãy nhập một số, ví dụ 2,5." in html
    # Everything typed is kept, the row that was fine included; nothing was saved.
    assert (form.value("points-so_hoat_dong_da_thuc_hien"), form.value("points-linh_vuc_hoat_dong")) == ("5", "-1")
    assert form.value("points-co_chuong_trinh_hanh_dong") == "2"
    assert form.value("reason-co_chuong_trinh_hanh_dong") == "Chương trình chưa được cấp uỷ duyệt"
    assert form.value("points-so_buoi_pho_bien") == "hai"
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(0,)]
    assert submission_row(app, "TOAN")["adjusted_total"] is None
    assert audit(app, "points_adjusted") == []


def test_unchanged_rows_are_left_alone_and_an_emptied_row_removes_its_adjustment(app, submitted, signed_in):
    inspector = signed_in("kiemtra")
    assert post_adjustments(inspector, {"co_chuong_trinh_hanh_dong": ("1", "Thiếu chữ ký")}).status_code == 303
    untouched = post_adjustments(inspector, {})
    assert untouched.status_code == 303
    assert "Không có điểm nào thay đổi" in page(inspector, REVIEW)
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(1,)]
    # The same points written another way are no change either.
    assert post_adjustments(inspector, {"co_chuong_trinh_hanh_dong": ("1,0", "")}).status_code == 303
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(1,)]

    assert post_adjustments(inspector, {"co_chuong_trinh_hanh_dong": ("", "")}).status_code == 422  # a reason needed
    assert post_adjustments(inspector, {"co_chuong_trinh_hanh_dong": ("", "Đã bổ sung chữ ký")}).status_code == 303
    assert forms_sql(app, "SELECT points FROM adjustments ORDER BY id") == [(1.0,), (None,)]
    assert submission_row(app, "TOAN")["adjusted_total"] is None


def test_the_rules_refuse_points_above_what_a_not_applicable_question_allows(app, submitted):
    from forms_app.rules.deciding import DecisionError, record_adjustments

    sid = submission_row(app, "TOAN")["id"]
    with opened(app.config["DATA_DIR"]) as forms, pytest.raises(DecisionError) as caught:
        record_adjustments(forms, sid, {"so_kien_nghi_duoc_giai_quyet": (1, "Đã giải quyết thêm"),
                                        "co_chuong_trinh_hanh_dong": (4.5, "Quá mức"),
                                        "linh_vuc_hoat_dong": (2, "Hợp lệ")}, "kiemtra")
    assert [(r.code, r.params["question"]) for r in caught.value.refusals] == [
        ("points_not_applicable", "so_kien_nghi_duoc_giai_quyet"), ("points_range", "co_chuong_trinh_hanh_dong")]
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(0,)]


def test_only_the_inspection_committee_and_admins_adjust_points_and_record_inspections(app, submitted, signed_in):
    for who in ("vanphong", "phutrachcum", "toan"):
        client = signed_in(who)
        token = csrf_token(client, "/")
        assert client.post(REVIEW + "/adjust", data={"csrf_token": token, "points-co_chuong_trinh_hanh_dong": "0",
                                                     "reason-co_chuong_trinh_hanh_dong": "x"}).status_code == 403
        assert client.post(REVIEW + "/inspection", data={"csrf_token": token, "members": "x", "conclusion": "y",
                                                         "inspected_on": "2022-09-01"}).status_code == 403
    office = page(signed_in("vanphong"), REVIEW)
    assert 'form="adjust-form"' not in office and "Ghi kết quả kiểm tra" not in office
    assert post_adjustments(signed_in("admin"), {"linh_vuc_hoat_dong": ("2", "Quản trị sửa")}).status_code == 303
    assert forms_sql(app, "SELECT COUNT(*) FROM adjustments") == [(1,)]
    assert forms_sql(app, "SELECT COUNT(*) FROM inspections") == [(0,)]


def test_the_history_of_inspections_and_adjustments_is_read_by_the_office_and_the_unit(app, submitted, signed_in):
    inspector = signed_in("kiemtra")
    assert post_inspection(inspector).status_code == 303
    assert post_adjustments(inspector, {"linh_vuc_hoat_dong": ("1", "Minh chứng thiếu một lĩnh vực")}).status_code == 303
    office = page(signed_in("vanphong"), REVIEW)
    unit = page(signed_in("toan"), RESULT)
    for html in (office, unit):
        assert "Kiểm tra của Ủy ban Kiểm tra" in html and "Ngày kiểm tra 10/09/2022" in html
        assert "minh chứng tiêu chí 2.2 chưa đầy đủ" in html and "bien-ban-kiem-tra.pdf" in html
        assert "Lịch sử điều chỉnh điểm" in html and "Minh chứng thiếu một lĩnh vực" in html
    # The unit reads them only: no form, no field.
    assert "adjust-form" not in unit and 'name="members"' not in unit and "/inspection" not in unit
    # Another unit reads nothing of it.
    assert signed_in("van").get(f"/units/TOAN/forms/{SELF}/2022/result").status_code == 403


# In a real browser: the fields of the score table belong to the one form (form="adjust-form")

@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 360])
def test_in_a_browser_an_inspector_records_an_inspection_and_saves_two_adjustments_at_once(tmp_path, width):
    import os

    playwright_api = pytest.importorskip("playwright.sync_api")
    from support.data import build_data_dir
    from support.server import Server

    from forms_app.rules import registry, submitting

    assert os.path.exists("/usr/bin/chromium"), "Debian's chromium is needed: sh scripts/setup.sh --test installs it"
    data_dir = build_data_dir(tmp_path / "data")
    with opened(data_dir) as forms:
        submitting.record(forms, unit_code="TOAN", definition=registry.definition(forms, REGISTRATION), cycle_year=2022,
                          answers=REGISTRATION_ANSWERS, action="submit", author="toan", base_revision=None,
                          request_token=None)
        submitting.record(forms, unit_code="TOAN", definition=registry.definition(forms, SELF), cycle_year=2022,
                          answers=EXAMPLE_ANSWERS, action="submit", author="toan", base_revision=None, request_token=None)
    minutes = tmp_path / "bien-ban.pdf"
    minutes.write_bytes(PDF)
    server = Server(data_dir, data_dir / "serve.log")
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            sign_in(page, server.base, "kiemtra")
            page.goto(server.base + REVIEW)

            page.fill("#inspection-inspected_on", "2022-09-10")
            page.fill("#inspection-members", "Nguyễn Văn An, Trần Thị Bình")
            page.fill("#inspection-conclusion", "Minh chứng tiêu chí 2.2 chưa đầy đủ.")
            page.set_input_files("#inspection-minutes", str(minutes))
            page.click("#inspections button[type=submit]")
            page.wait_for_url("**" + REVIEW + "#inspections")
            assert "Ngày kiểm tra 10/09/2022" in page.content()

            page.fill("#points-co_chuong_trinh_hanh_dong", "2")
            page.fill("#reason-co_chuong_trinh_hanh_dong", "Chưa được cấp uỷ duyệt")
            page.fill("#points-linh_vuc_hoat_dong", "1,5")
            page.fill("#reason-linh_vuc_hoat_dong", "Thiếu một lĩnh vực")
            page.locator("#row-linh_vuc_hoat_dong").locator("xpath=ancestor::section[1]").locator(
                "button[form=adjust-form]").click()  # the save button under that section's table
            page.wait_for_url("**" + REVIEW + "#adjustments")
            assert sorted(forms_sql_dir(data_dir, "SELECT question_id, points FROM adjustments")) == [
                ("co_chuong_trinh_hanh_dong", 2.0), ("linh_vuc_hoat_dong", 1.5)]

            page.fill("#points-so_hoat_dong_da_thuc_hien", "7")
            page.fill("#reason-so_hoat_dong_da_thuc_hien", "Quá điểm tối đa")
            page.locator("#adjust-form button[type=submit]").click()
            page.wait_for_load_state()
            assert page.locator("#adjust-so_hoat_dong_da_thuc_hien-error").inner_text().startswith(
                "Điểm sau điều chỉnh phải từ 0 đến 4")
            assert page.input_value("#points-so_hoat_dong_da_thuc_hien") == "7"
            assert page.input_value("#reason-so_hoat_dong_da_thuc_hien") == "Quá điểm tối đa"
            assert len(forms_sql_dir(data_dir, "SELECT id FROM adjustments")) == 2
            browser.close()
    finally:
        server.stop()


def forms_sql_dir(data_dir, sql: str) -> list[tuple]:
    with opened(data_dir) as forms:
        return forms.execute(sql).fetchall()
