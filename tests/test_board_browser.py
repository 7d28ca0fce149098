"""The office in a real headless Chromium, through `forms-app serve`, at 360 px and 1280 px: from the status board to
the queue "chờ quyết định", one decision recorded for several units, and their certificates — only clicks and the
number and date fields, no id typed; the review page's decision box above its per-question table; axe-core finds no
serious or critical violation on these pages. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support.browser import launched, no_serious_violations, sign_in
from support.data import EXAMPLE_ANSWERS, REGISTRATION, REGISTRATION_ANSWERS, SELF, build_data_dir, opened
from support.server import Server

from forms_app.rules import registry, submitting

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
NUMBER = "52-QĐ/ĐTN"

pytestmark = pytest.mark.slow  # a real Chromium and a real server


@pytest.fixture
def server(tmp_path):
    """`forms-app serve` (the real clock: the 2022 deadline is over) where TOAN's and LY's 2022 self-assessments meet
    the recognition rule and VAN's does not; all three await the committee's decision."""
    data_dir = build_data_dir(tmp_path / "data")
    with opened(data_dir) as forms:
        definition = registry.definition(forms, SELF)
    for unit, answers in (("TOAN", EXAMPLE_ANSWERS), ("LY", EXAMPLE_ANSWERS), ("VAN", {})):
        _register_and_submit(data_dir, definition, unit, answers)
    running = Server(data_dir, tmp_path / "server.log")
    try:
        yield running.base
    finally:
        running.stop()


def _register_and_submit(data_dir: Path, definition, unit: str, answers: dict) -> None:
    """The unit's 2022 registration (with one target) and its self-assessment, submitted before the deadline."""
    with opened(data_dir) as forms:
        for form, given in ((registry.definition(forms, REGISTRATION), {**REGISTRATION_ANSWERS, "chi_tieu_doan_vien_moi": 30}),
                            (definition, answers)):
            submitting.record(forms, unit_code=unit, definition=form, cycle_year=2022, answers=given, action="submit",
                              author=unit.lower(), base_revision=None, request_token=None,
                              now=dt.datetime(2022, 9, 20, tzinfo=dt.timezone.utc))


@pytest.fixture
def browser():
    yield from launched()


def shot(page, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"board-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [360, 1280])
def test_the_office_decides_for_several_units_at_once_and_gets_their_certificates(server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    sign_in(page, server, "vanphong")

    # The board: one status per unit, the counts on top; three units await a decision.
    assert page.locator(".status-counts").inner_text().count("Chờ quyết định") == 1
    assert "3" in page.locator(".status-counts a", has_text="Chờ quyết định").inner_text()
    shot(page, "status", width)
    no_serious_violations(page, "board")

    # The review page: the summary and the decision box come before the per-question table.
    page.click("table.board a >> nth=0")
    page.wait_for_url(f"{server}/review/**")
    box = page.locator("#decision-form").bounding_box()
    table = page.locator("table.report").first.bounding_box()
    summary = page.locator("#summary-title").bounding_box()
    assert summary["y"] < table["y"] and box["y"] + box["height"] <= table["y"]
    assert page.locator("#targets-title").count() == 1
    shot(page, "review", width)
    no_serious_violations(page, "review")
    page.go_back()

    # The queue: tick TOAN and LY (both meet the rule), one number and one date.
    page.click("a.button.primary:has-text('Chờ quyết định')")
    page.wait_for_url(f"{server}/board/queue**")
    assert page.locator("table.queue tbody tr").count() == 3
    page.click("label:has-text('Đoàn khoa Toán – Tin')")
    page.click("label:has-text('Đoàn khoa Vật lý')")
    page.fill("#field-decision_no", NUMBER)
    page.fill("#field-decided_on", "2022-10-20")
    shot(page, "queue", width)
    no_serious_violations(page, "queue")
    page.click("button[value=confirm] >> nth=0")

    # What will be recorded, to confirm.
    page.wait_for_selector("text=Quyết định công nhận cho 2 đơn vị")
    assert "cần ghi lý do" not in page.inner_text("main")
    shot(page, "confirm", width)
    no_serious_violations(page, "confirm")
    page.click("button[value=record]")

    # Recorded: the decision's page with each unit's certificate.
    page.wait_for_url(f"{server}/board/decision**")
    text = page.inner_text("main")
    assert f"Quyết định số {NUMBER} ngày 20/10/2022" in text and "Đã ghi quyết định cho 2 đơn vị." in text
    assert "Đã cấp 2 giấy chứng nhận." in text
    links = page.locator("a:has-text('Tải giấy chứng nhận')")
    assert links.count() == 2
    shot(page, "decision", width)
    no_serious_violations(page, "decision")
    with page.expect_download() as download:
        links.first.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # VAN's result does not meet the rule: recognising it asks for the reason, beside the field, then records it.
    page.click("text=Về danh sách chờ quyết định")
    page.wait_for_url(f"{server}/board/queue**")
    page.click("text=tất cả trên trang này")
    page.fill("#field-decision_no", "53-QĐ/ĐTN")
    page.fill("#field-decided_on", "2022-10-21")
    page.click("button[value=confirm] >> nth=0")
    page.wait_for_selector("#field-reason")
    assert "1 đơn vị chưa đạt điều kiện công nhận theo kết quả — cần ghi lý do" in page.inner_text("main")
    page.click("button[value=record]")
    page.wait_for_selector("#reason-error")
    shot(page, "reason-needed", width)
    no_serious_violations(page, "reason needed")
    page.fill("#field-reason", "Đơn vị có thành tích đột xuất trong năm.")
    page.click("button[value=record]")
    page.wait_for_url(f"{server}/board/decision**")
    assert "Quyết định số 53-QĐ/ĐTN ngày 21/10/2022" in page.inner_text("main")

    # The board counts all three as recognised; none waits.
    page.goto(server + "/")
    counts = page.locator(".status-counts").inner_text()
    assert "Công nhận" in counts and "Chờ quyết định" not in counts
    context.close()
