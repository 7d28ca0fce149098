"""Who was reminded when (issue 16): the office's page of the reminders `forms-app remind` sent, newest first, with
what each was about in words, the form, the address and the moment; by year, form and unit, by pages; a cluster lead
sees their clusters' units only. And both new pages (this one and the admin's units' addresses) pass axe in Chromium."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from support.browser import launched, no_serious_violations, sign_in
from support.data import OPEN_DAY, SELF, TRICKY, build_data_dir, opened
from support.server import Server
from support.web import start_session, unescape
from test_reminders import remind, smtp  # noqa: F401  (a real SMTP server on loopback, and `forms-app remind`)

from forms_app.adapters.web.app import create_app
from forms_app.rules import reminders, units

ADDRESSES = {"TOAN": "toan@example.edu.vn", "VAN": "van@example.edu.vn", "LY": "ly@example.edu.vn"}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def with_addresses(data_dir: Path) -> Path:
    with opened(data_dir) as forms:
        for code, email in ADDRESSES.items():
            units.set_email(forms, code, email, "admin")
    return data_dir


def mark(data_dir: Path, unit: str, kind: str, year: int = 2022, at: str = "2022-09-20T03:00:00") -> None:
    """A reminder logged as the command logs it (rules.reminders.mark_sent), without sending it."""
    with opened(data_dir) as forms:
        reminder = reminders.Reminder(unit, ADDRESSES[unit], SELF, year, kind, "", "")
        reminders.mark_sent(forms, [reminder], dt.datetime.fromisoformat(at))


@pytest.fixture
def reminded(tmp_path, smtp):  # noqa: F811
    """TOAN, VAN and LY with addresses, reminded by a real `forms-app remind` run (3 days before the deadline), and an
    older reminder (the form opening) logged for TOAN."""
    data_dir = with_addresses(build_data_dir(tmp_path / "data"))
    mark(data_dir, "TOAN", "opens", at="2022-09-01T03:00:00")
    result = remind(data_dir, smtp.url)
    assert result.exit_code == 0, result.output
    assert sorted(to[0] for to, _ in smtp.messages) == sorted(ADDRESSES.values())
    return create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": OPEN_DAY})


def page_text(app, username: str, url: str = "/office/reminders") -> str:
    client = app.test_client()
    start_session(app, client, username)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def listed(text: str) -> list[tuple[str, str]]:
    """(unit code, what about) of each row, in order."""
    body = text[text.index("<tbody>"):text.index("</tbody>")] if "<tbody>" in text else ""
    return re.findall(r'<span class="meta">\((\w+)\)</span></td>\s*<td data-label="[^"]+">([^<]+)</td>', body)


def test_the_office_reads_who_was_reminded_of_what_newest_first(reminded):
    text = page_text(reminded, "vanphong")
    rows = listed(text)
    assert sorted(rows[:3]) == [("LY", "Sắp hết hạn (còn 3 ngày)"), ("TOAN", "Sắp hết hạn (còn 3 ngày)"),
                                ("VAN", "Sắp hết hạn (còn 3 ngày)")]
    assert rows[3:] == [("TOAN", "Biểu mẫu mở")]  # the older one last
    assert "Đoàn khoa Toán – Tin" in text and ADDRESSES["VAN"] in text
    with opened(reminded.config["DATA_DIR"]) as forms:
        from forms_app.rules import registry
        assert registry.form_titles(forms, "vi")[SELF] in text
    assert "due-3" not in text and "opens" not in text.split("<tbody>")[1]  # words, not the stored codes
    assert "28/09/2022" in text  # when


def test_the_words_of_each_kind_come_from_one_home():
    assert reminders.kind_text("due-7") == "Sắp hết hạn (còn 7 ngày)"
    assert reminders.kind_text("opens") == "Biểu mẫu mở"
    assert reminders.kind_text("returned-12") == "Bài bị trả lại"
    assert reminders.kind_text("decision-4") == "Có quyết định"
    assert reminders.kind_text("due-1", "en") == "Deadline near (1 days left)"


def test_filters_by_year_form_and_unit(reminded):
    data_dir = reminded.config["DATA_DIR"]
    mark(data_dir, "VAN", "decision-9", year=2021, at="2022-09-02T03:00:00")
    assert listed(page_text(reminded, "vanphong", "/office/reminders?year=2021")) == [("VAN", "Có quyết định")]
    assert [u for u, _ in listed(page_text(reminded, "vanphong", "/office/reminders?unit=TOAN"))] == ["TOAN", "TOAN"]
    assert listed(page_text(reminded, "vanphong", "/office/reminders?form=khong-co")) == []
    assert len(listed(page_text(reminded, "vanphong", f"/office/reminders?form={SELF}&year=2022"))) == 4
    years = page_text(reminded, "vanphong")
    assert '<option value="2021">' in years and '<option value="2022">' in years


def test_many_reminders_come_in_pages(tmp_path):
    data_dir = with_addresses(build_data_dir(tmp_path / "data"))
    for day in range(1, 28):
        for n, unit in enumerate(ADDRESSES):
            mark(data_dir, unit, f"due-{day}", at=f"2022-09-{day:02}T0{n}:00:00")
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": OPEN_DAY})
    first = page_text(app, "vanphong")
    assert len(listed(first)) == 50 and "Trang 1/2" in first and "81 thư nhắc" in first
    assert listed(first)[0] == ("LY", "Sắp hết hạn (còn 27 ngày)")  # the newest
    second = page_text(app, "vanphong", "/office/reminders?page=2")
    assert len(listed(second)) == 31 and listed(second)[-1] == ("TOAN", "Sắp hết hạn (còn 1 ngày)")
    assert listed(page_text(app, "vanphong", "/office/reminders?page=40")) == listed(second)


def test_a_cluster_lead_sees_only_their_clusters_units(reminded):
    text = page_text(reminded, "phutrachcum")  # in charge of Cụm 1: TOAN and LY
    assert {unit for unit, _ in listed(text)} == {"TOAN", "LY"}
    assert ADDRESSES["VAN"] not in text and "Đoàn khoa Ngữ văn" not in text
    assert listed(page_text(reminded, "phutrachcum", "/office/reminders?unit=VAN")) == []


@pytest.mark.parametrize("username", ["kiemtra", "admin"])
def test_the_inspection_committee_and_admins_read_every_unit(reminded, username):
    assert {unit for unit, _ in listed(page_text(reminded, username))} == {"TOAN", "VAN", "LY"}


def test_a_units_account_may_not_read_the_log(reminded):
    client = reminded.test_client()
    start_session(reminded, client, "toan")
    assert client.get("/office/reminders").status_code == 403
    assert reminded.test_client().get("/office/reminders").status_code == 302


def test_the_units_text_is_escaped(reminded):
    with opened(reminded.config["DATA_DIR"]) as forms:
        units.save_units(forms, [{"code": "VAN", "name": TRICKY, "cluster": "Cụm 2 – Khoa học Xã hội"}])
    client = reminded.test_client()
    start_session(reminded, client, "vanphong")
    text = client.get("/office/reminders").get_data(as_text=True)
    assert "<img" not in text and "&lt;img" in text


def test_the_office_pages_link_to_the_log(reminded):
    assert 'href="/office/reminders?year=2022"' in page_text(reminded, "vanphong", "/office/proposals?year=2022")


# Both pages in a real browser: axe finds no serious violation, and a phone's width shows them whole.

@pytest.fixture
def browser():
    yield from launched()


@pytest.mark.slow
def test_the_units_and_reminders_pages_pass_axe(tmp_path, browser):
    data_dir = with_addresses(build_data_dir(tmp_path / "data"))
    mark(data_dir, "TOAN", "due-3")
    mark(data_dir, "VAN", "decision-2", at="2022-09-21T03:00:00")
    server = Server(data_dir, data_dir / "serve.log")
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
        sign_in(page, server.base, "admin")
        for url, name in (("/admin/units", "don-vi-thu-dien-tu"), ("/office/reminders", "thu-nhac")):
            page.goto(server.base + url)
            assert page.locator("tbody tr").count() >= 2
            no_serious_violations(page, url)
            page.screenshot(path=str(ARTIFACTS / f"{name}-360.png"), full_page=True)
        page.goto(server.base + "/admin/units/TOAN")
        page.fill("#email", "khong-phai")
        page.click("button.primary")
        assert page.locator("#email-error").is_visible()
        no_serious_violations(page, "/admin/units/TOAN (refused)")
        page.screenshot(path=str(ARTIFACTS / "don-vi-sai-dia-chi-360.png"), full_page=True)
    finally:
        server.stop()


def test_the_review_page_is_given_the_reminders_of_its_unit_form_and_year(reminded):
    from flask import template_rendered

    mark(reminded.config["DATA_DIR"], "TOAN", "due-7", year=2021, at="2022-09-03T03:00:00")  # another year: not shown
    seen = []

    def record(sender, template, context, **extra):
        if template.name == "review/page.html":
            seen.append(context["reminders"])

    client = reminded.test_client()
    start_session(reminded, client, "vanphong")
    with template_rendered.connected_to(record, reminded):
        assert client.get(f"/review/TOAN/{SELF}/2022").status_code == 200
    assert [(r["unit_code"], r["about"]) for r in seen[0]] == [("TOAN", "Sắp hết hạn (còn 3 ngày)"),
                                                                 ("TOAN", "Biểu mẫu mở")]
