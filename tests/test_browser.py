"""A unit fills its self-assessment in a real headless Chromium, through `forms-app serve`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support.browser import launched, sign_in
from support.data import EXAMPLE_ANSWERS, PASSWORD, build_data_dir, open_for_toan_today, opened, register
from support.foreign import ASSESSMENT, SIGNUP, build_foreign_data_dir, sign_up
from support.server import Server

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
FORM = "tu-danh-gia-3-chu-dong"

pytestmark = pytest.mark.slow  # a real Chromium and a real server: `pytest -m "not slow"` leaves them out


@pytest.fixture
def server(tmp_path):
    """`forms-app serve` on a data directory where TOAN is registered for 2022 and its deadline extended."""
    yield from _serve(open_for_toan_today(tmp_path / "data"))


@pytest.fixture
def browser():
    yield from launched()


def _fill(page, answers: dict, pdf: Path) -> None:
    """Answer through the page as a person would: radios, checkboxes, typing, choosing a file."""
    from form_definitions import load_definitions

    definition = max((d for d in load_definitions() if d.id == FORM), key=lambda d: d.version)
    for question in definition.questions:
        if question.id not in answers:
            continue
        value = answers[question.id]
        block = page.locator(f"#q-{question.id}")
        if not block.is_visible():
            continue
        if question.type == "boolean":
            block.locator(f'input[value="{"true" if value else "false"}"]').check()
        elif question.type == "single_choice":
            block.locator(f'input[value="{value}"]').check()
        elif question.type == "multi_choice":
            for item in value:
                block.locator(f'input[value="{item}"]').check()
        elif question.type == "file":
            block.locator('input[type="file"]').set_input_files(str(pdf))
        else:
            page.fill(f"#{question.id}", str(value))


def test_unit_fills_saves_reloads_submits_and_reads_its_score(server, browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    answers = EXAMPLE_ANSWERS  # of the latest shipped version
    pdf = tmp_path / "minh-chung.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(server + "/login")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.fill("#username", "toan")
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(server + "/")
    page.screenshot(path=str(ARTIFACTS / "dashboard-360.png"), full_page=True)

    page.click(f'a[href="/forms/{FORM}/2022"]')
    page.wait_for_url(f"{server}/forms/{FORM}/2022")

    # visible_if, live: the groups reviewed appear only once the unit says it reviewed them.
    dependent = page.locator("#q-doi_tuong_duoc_ra_soat")
    assert not dependent.is_visible()
    page.locator('#q-da_ra_soat_hoan_canh_kho_khan input[value="true"]').check()
    assert dependent.is_visible()
    page.locator('#q-da_ra_soat_hoan_canh_kho_khan input[value="false"]').check()
    assert not dependent.is_visible()

    # A first part, saved as a draft, survives a reload.
    page.fill("#so_doan_vien", "1240")
    page.locator('#q-tan_suat_tong_hop_tinh_hinh input[value="hang_quy"]').check()
    with page.expect_navigation():
        page.click('button[value="save"]')
    assert "Đã lưu nháp" in page.content()
    page.reload()
    assert page.input_value("#so_doan_vien") == "1240"
    assert page.locator('#q-tan_suat_tong_hop_tinh_hinh input[value="hang_quy"]').is_checked()
    assert not dependent.is_visible()  # "Không" was saved, so it stays hidden

    # Submitting too early names what is missing, beside each field and on top, and keeps what was typed.
    with page.expect_navigation():
        page.click('button[value="submit"]')
    assert page.locator("#error-summary").is_visible()
    assert page.locator(".field-error").count() > 3
    assert page.input_value("#so_doan_vien") == "1240"
    page.screenshot(path=str(ARTIFACTS / "form-errors-360.png"))

    _fill(page, answers, pdf)
    page.locator('#q-da_ra_soat_hoan_canh_kho_khan input[value="true"]').check()
    _fill(page, {k: answers[k] for k in ("doi_tuong_duoc_ra_soat", "so_dvtn_hoan_canh_kho_khan",
                                         "so_dvtn_kho_khan_duoc_giup_do", "gia_tri_ho_tro",
                                         "file_ra_soat_hoan_canh_kho_khan") if k in answers}, pdf)
    page.screenshot(path=str(ARTIFACTS / "form-filled-360.png"), full_page=True)
    page.click('button[value="submit"]')
    page.wait_for_url(f"{server}/forms/{FORM}/2022/result")
    text = page.inner_text("main")
    assert "Đã nộp biểu mẫu" in text
    assert "tạm tính" in text
    assert page.locator("ul.section-bars").count() == 1
    total = page.inner_text(".summary .total strong")
    assert total.replace(",", ".").replace(".", "", 0).strip()
    page.screenshot(path=str(ARTIFACTS / "result-360.png"), full_page=True)

    # The same pages on a desktop screen.
    wide = browser.new_context(viewport={"width": 1280, "height": 900})
    desktop = wide.new_page()
    sign_in(desktop, server, "toan")
    desktop.goto(f"{server}/forms/{FORM}/2022")
    desktop.screenshot(path=str(ARTIFACTS / "form-1280.png"))
    desktop.goto(f"{server}/forms/{FORM}/2022/result")
    assert desktop.inner_text(".summary .total strong") == total
    desktop.screenshot(path=str(ARTIFACTS / "result-1280.png"), full_page=True)
    wide.close()
    context.close()


def test_form_works_by_keyboard_and_without_script(server, browser):
    """Labels are tied to inputs (keyboard and screen readers), and with JavaScript off every question shows."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("#username", "toan")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(server + "/")
    page.goto(f"{server}/forms/{FORM}/2022")
    assert page.locator("#q-doi_tuong_duoc_ra_soat").is_visible()  # no script: shown, the server decides
    for input_id in ("so_doan_vien", "so_chi_doan", "tu_nhan_xet"):
        assert page.locator(f'label[for="{input_id}"]').count() == 1
    page.focus("#so_doan_vien")
    page.keyboard.type("321")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the first button, "save", is the default: never an accidental submit
    assert page.input_value("#so_doan_vien") == "321"
    assert "Đã lưu nháp" in page.content()
    context.close()


@pytest.fixture
def submitted_server(tmp_path):
    """`forms-app serve` where TOAN has submitted its 2022 self-assessment (the example answers)."""
    from forms_app.adapters.web.app import create_app
    from forms_app.data import connection as database
    from forms_app.rules import registry
    from forms_app.rules import submitting as submissions

    data_dir = build_data_dir(tmp_path / "data")
    app = create_app({"DATA_DIR": data_dir})
    register(app, "TOAN", 2022)
    answers = EXAMPLE_ANSWERS
    forms = database.open_forms(data_dir)
    submissions.record(forms, unit_code="TOAN", definition=registry.definition(forms, FORM), cycle_year=2022,
                       answers=answers, action="submit", author="toan", base_revision=None, request_token=None)
    forms.close()
    yield from _serve(data_dir)


def _serve(data_dir):
    server = Server(Path(data_dir), Path(data_dir) / "serve.log")
    yield server.base
    server.stop()


def test_reviewer_reads_charts_and_a_query_then_decides_and_the_unit_reads_it(submitted_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base = submitted_server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = []

    def only_this_server(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    sign_in(page, base, "vanphong")
    page.goto(base + "/data/-/bieu-do")
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    box = charts.first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100  # drawn, at a readable size
    assert page.locator("svg.chart rect").count() > 5
    page.screenshot(path=str(ARTIFACTS / "datasette-charts-1280.png"), full_page=True)
    page.goto(base + "/data/forms/xep_hang_trong_cum?nam=2022")
    assert "Xếp hạng trong từng cụm thi đua" in page.inner_text("h1")
    assert "Đoàn khoa Toán – Tin" in page.inner_text("table")
    page.screenshot(path=str(ARTIFACTS / "datasette-query-1280.png"))

    page.goto(f"{base}/review/TOAN/{FORM}/2022")
    page.check("#decision-recognised")
    page.fill("#decision_no", "45-QĐ/ĐTN")
    page.fill("#decided_on", dt.date.today().isoformat())
    page.fill("#comment", "Đơn vị làm tốt công tác tham mưu; cần giữ vững.")
    if page.locator("#reason").count():  # shown only when the unit's result does not meet the rule
        page.fill("#reason", "Đơn vị tiêu biểu về công tác tham mưu.")
    with page.expect_navigation():
        page.click("form[action$='/decision'] button[type=submit]")
    assert "Khi bạn xác nhận:" in page.inner_text("main")  # the confirmation step says what will happen
    page.screenshot(path=str(ARTIFACTS / "review-confirm-1280.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[value=confirm]")
    assert "45-QĐ/ĐTN" in page.content()
    page.screenshot(path=str(ARTIFACTS / "review-decided-1280.png"), full_page=True)
    assert outside == []  # Datasette's pages, the charts and the review page loaded nothing from elsewhere
    context.close()

    unit = browser.new_context(viewport={"width": 360, "height": 780}).new_page()
    sign_in(unit, base, "toan")
    text = unit.inner_text("main")
    assert "Đơn vị làm tốt công tác tham mưu" in text
    assert unit.locator(f'a[href="/forms/{FORM}/2022/certificate.pdf"]').count() == 1
    unit.screenshot(path=str(ARTIFACTS / "unit-decided-360.png"), full_page=True)
    with unit.expect_download() as download:
        unit.click(f'a[href="/forms/{FORM}/2022/certificate.pdf"]')
    saved = ARTIFACTS / "certificate-TOAN-2022.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")


@pytest.fixture
def foreign_server(tmp_path):
    """`forms-app serve` on the foreign 1.1 pair only, TOAN signed up for 2025 and both forms open today."""
    from forms_app.rules import windows

    data_dir = build_foreign_data_dir(tmp_path / "data")
    sign_up(data_dir, "TOAN", 2025)
    today = dt.date.today()
    with opened(data_dir) as forms:
        for form_id in (SIGNUP, ASSESSMENT):
            windows.set_window(forms, form_id, 2025, today - dt.timedelta(days=1), today + dt.timedelta(days=30), "admin")
    yield from _serve(data_dir)


def test_a_part_above_its_whole_is_said_beside_it_as_the_unit_types_and_by_the_server(foreign_server, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_context(viewport={"width": 360, "height": 780}).new_page()
    sign_in(page, foreign_server, "toan")
    page.goto(f"{foreign_server}/forms/{ASSESSMENT}/2025")
    part, live, block = page.locator("#so_doi_vien_tich_cuc"), page.locator("#so_doi_vien_tich_cuc-check"), page.locator(
        "#q-so_doi_vien_tich_cuc")
    expect(live).to_be_hidden()

    page.fill("#so_doi_vien", "120")
    part.press_sequentially("150")
    expect(live).to_be_visible()
    expect(live).to_have_text('Giá trị 150 không được lớn hơn "Tổng số đội viên" (120).')
    expect(part).to_have_attribute("aria-invalid", "true")
    expect(block).to_have_class("question has-error")
    block.screenshot(path=str(ARTIFACTS / "form-at-most-live-360.png"))

    page.fill("#so_doi_vien", "1.200")  # a Vietnamese thousands dot: 1200, as the server reads it
    expect(live).to_be_hidden()
    expect(part).not_to_have_attribute("aria-invalid", "true")
    expect(block).to_have_class("question")

    page.fill("#so_doi_vien", "120")
    with page.expect_navigation():
        page.click('button[value="save"]')  # the server refuses it too, the typed value kept
    assert page.input_value("#so_doi_vien_tich_cuc") == "150"
    expect(live).to_have_text('Giá trị 150 không được lớn hơn "Tổng số đội viên" (120).')
    assert "Tổng số đội viên" in page.inner_text("#error-summary")
    page.fill("#so_doi_vien_tich_cuc", "100")
    expect(live).to_be_hidden()


def test_leaving_a_form_with_answers_not_saved_asks_first_and_saving_does_not(foreign_server, browser):
    """Typing then tapping "Trang chính" asks before the answers are lost (and staying keeps them); a save leaves
    nothing unsaved, so the next link goes without asking."""
    page = browser.new_context(viewport={"width": 360, "height": 780}).new_page()
    sign_in(page, foreign_server, "toan")
    form_url = f"{foreign_server}/forms/{ASSESSMENT}/2025"
    page.goto(form_url)
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # "stay on this page"

    page.on("dialog", answer)
    page.click("a[href='/']")  # nothing typed yet: no question
    page.wait_for_url(f"{foreign_server}/")
    assert asked == []

    page.goto(form_url)
    page.fill("#so_doi_vien", "40")
    page.click("a[href='/']")
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert page.url == form_url and page.input_value("#so_doi_vien") == "40"

    with page.expect_navigation():
        page.click('button[value="save"]')
    page.click("a[href='/']")
    page.wait_for_url(f"{foreign_server}/")
    assert asked == ["beforeunload"]
