"""Issue 17 (part D): axe-core in a real Chromium on every HTML page each role may open, and on the main /data/ pages
for the roles that browse data, at 360 px (the form also at 1280): no violation of serious or critical impact.

The pages are those tests/test_roles.py's table lets each role GET (file downloads left out), on a served data
directory where the pages have something to show: TOAN, VAN and LY submitted, decided and certified, an upload, an
inspection with its minutes, a comment and a proposal, a reminder sent. Every page is checked before the test fails,
and the failure lists every page and rule at once. /data/ in depth is tests/test_datasette_browser.py's: one page of
each kind here.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.browser import launched, sign_in
from support.data import EXAMPLE_ANSWERS, REGISTRATION, REGISTRATION_ANSWERS, SELF, TEMPLATES, opened
from support.server import Server
from support.web import PDF
from test_roles import EXPECTED, USERS
from test_roles import _build as build_roles_data
from werkzeug.datastructures import FileStorage

from forms_app.rules import accounts, calendars, inspections, proposals, registry, reminders, submitting, units, windows

pytestmark = pytest.mark.slow  # a real Chromium and a real server

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
DOWNLOADS = (".pdf", ".xlsx", ".zip", ".ics", ".csv", ".json")  # not fetched at all (some take seconds to build)
WIDE_TOO = {"fill.fill"}  # the form is also checked on a desktop screen
DATA_PAGES = ["/data/", "/data/forms", "/data/forms/tong_quan", "/data/forms/tong_quan/{row}",
              "/data/forms/tong_quan?_facet=unit_code", "/data/forms/xep_hang_trong_cum?nam=2022", "/data/-/bieu-do"]
SERIOUS = ("serious", "critical")
OPEN_YEAR = 2021  # TOAN's self-assessment of this year is open (until a month from today) and empty: the form as edited
# More states of a page than the table's address shows, for the roles that may GET it: VAN's OPEN_YEAR submitted and
# waiting for a decision (the queue's rows, to tick).
MORE = {"board.queue": [f"/board/queue?year={OPEN_YEAR}"]}


def _build(data_dir: Path) -> Path:
    """test_roles's data (TOAN, VAN, LY submitted and decided, certificates, an upload) with an inspection of TOAN,
    a comment and a proposal by TOAN's cluster lead, a reminder sent to TOAN, and TOAN's OPEN_YEAR open to fill."""
    build_roles_data(data_dir)
    with opened(data_dir) as forms:
        for unit in ("TOAN", "VAN"):
            submitting.record(forms, unit_code=unit, definition=registry.definition(forms, REGISTRATION),
                              cycle_year=OPEN_YEAR, answers=REGISTRATION_ANSWERS, action="submit", author=unit.lower(),
                              base_revision=None, request_token=None)
        submitting.record(forms, unit_code="VAN", definition=registry.definition(forms, SELF), cycle_year=OPEN_YEAR,
                          answers=EXAMPLE_ANSWERS, action="submit", author="van", base_revision=None,
                          request_token=None)
        windows.grant_extension(forms, "TOAN", SELF, OPEN_YEAR, dt.date.today() + dt.timedelta(days=30), "thử nghiệm",
                                "admin")
        inspections.record_inspection(
            forms, data_dir, unit_code="TOAN", form_id=SELF, cycle_year=2022, inspected_on="2022-10-08",
            members="Nguyễn Văn A, Trần Thị B", conclusion="Hồ sơ đầy đủ, minh chứng khớp với báo cáo.",
            actor="kiemtra", minutes_upload=FileStorage(stream=io.BytesIO(PDF), filename="bien-ban.pdf"),
            today=dt.date(2022, 10, 10))
        proposals.add_comment(forms, "TOAN", 2022, "Đơn vị làm tốt công tác rà soát.", "phutrachcum")
        proposals.propose(forms, "TOAN", 2022, "commendation", "Nhiều mô hình hay.", "phutrachcum")
        units.set_email(forms, "TOAN", "toan@example.edu.vn", "admin")
        reminders.mark_sent(forms, [reminders.Reminder("TOAN", "toan@example.edu.vn", SELF, 2022, "due-3", "", "")],
                            dt.datetime(2022, 9, 28, 3, 0))
    return data_dir


@pytest.fixture(scope="module")
def served(tmp_path_factory, data_templates):
    """`forms-app serve` on that data directory, and the values test_roles's addresses need."""
    data_dir = TEMPLATES.copy("accessibility", _build, tmp_path_factory.mktemp("accessibility") / "data")
    with opened(data_dir) as forms:
        values = {"token": forms.execute("SELECT token FROM uploads WHERE unit_code = 'TOAN'").fetchone()[0],
                  "serial": forms.execute("SELECT serial FROM certificates WHERE unit_code = 'TOAN'").fetchone()[0],
                  "calendar": calendars.create(forms, "TOAN"),
                  "job": forms.execute("SELECT MIN(id) FROM jobs").fetchone()[0],
                  "row": forms.execute("SELECT MIN(submission_id) FROM tong_quan").fetchone()[0]}
    server = Server(data_dir, data_dir / "serve.log")
    yield server.base, values
    server.stop()


@pytest.fixture(scope="module")
def browser():
    yield from launched()


def pages_of(role: str, base: str, values: dict, context) -> list[tuple[str, str]]:
    """(endpoint, address) of every HTML page test_roles's table lets `role` GET, the sign-in page aside: an address
    ending as a file does is left out, and so is one that answers anything but HTML (an uploaded file, a kept export)."""
    pages = []
    for endpoint, rule in sorted(EXPECTED.items()):
        if rule.get is None or role not in rule.get or endpoint in ("static", "auth.login", "main.healthz"):
            continue
        for url in (rule.url.format(**values), *MORE.get(endpoint, ())):
            if urlsplit(url).path.lower().endswith(DOWNLOADS):
                continue
            if "text/html" in context.request.get(base + url).headers.get("content-type", ""):
                pages.append((endpoint, url))
    return pages


@functools.cache
def _axe():
    """axe-playwright-python's runner (it reads axe-core's script once)."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _serious(page) -> list[tuple[str, str, list]]:
    """axe-core's serious and critical violations on the page as it stands: (rule, impact, first targets); the
    others are printed."""
    violations = _axe().run(page).response["violations"]
    for v in violations:
        if v["impact"] not in SERIOUS:
            print(page.url, v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations if v["impact"] in SERIOUS]


def _check(page, base: str, url: str, name: str, found: list, walked: list) -> None:
    response = page.goto(base + url)
    assert response is not None and response.ok, f"{name}: {response and response.status}"
    assert "text/html" in response.headers.get("content-type", ""), f"{name}: {response.headers.get('content-type')}"
    _here(page, name, found, walked)


def _here(page, name: str, found: list, walked: list) -> None:
    """axe on the page as it stands, its serious violations added to `found`."""
    walked.append(name)
    found += [f"{name}: {rule} ({impact}) {targets}" for rule, impact, targets in _serious(page)]


def _office_states(page, base: str, role: str, found: list, walked: list) -> None:
    """The office's queue with VAN ticked, a number and a day: the page to confirm the decision on."""
    url = f"/board/queue?year={OPEN_YEAR}"
    page.goto(base + url)
    page.check('input[name="unit"][value="VAN"]')
    page.fill("#field-decision_no", "12-QĐ/ĐTN")
    page.fill("#field-decided_on", "2021-10-20")
    with page.expect_navigation():
        page.click('button[name="step"][value="confirm"] >> nth=0')
    assert page.locator('button[name="step"][value="record"]').count() == 1
    _here(page, f"{role} {url} to confirm", found, walked)


def _unit_states(page, base: str, found: list, walked: list) -> None:
    """The pages a unit reaches by posting: its open form, then submitted too early (its errors), at both widths;
    its calendar's address, just created."""
    url = f"/forms/{SELF}/{OPEN_YEAR}"
    _check(page, base, url, f"unit {url} (open, empty)", found, walked)
    with page.expect_navigation():
        page.click('button[value="submit"]')
    assert page.locator("#error-summary").is_visible()
    _here(page, f"unit {url} submitted too early", found, walked)
    page.set_viewport_size(DESKTOP)
    _here(page, f"unit {url} submitted too early at 1280 px", found, walked)
    page.set_viewport_size(PHONE)
    page.goto(base + "/")
    with page.expect_navigation():
        page.click('form[action="/calendar/new"] button')
    _here(page, "unit /calendar/new (the address, created)", found, walked)


def test_every_page_of_every_role_has_no_serious_axe_violation(served, browser):
    base, values = served
    started = time.monotonic()
    found: list[str] = []
    walked: list[str] = []

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    _check(page, base, "/login", "anonymous /login", found, walked)
    # axe runs on these pages (their Content-Security-Policy lets it): a planted image without text is caught.
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/app.css\">')")
    assert "image-alt" in [rule for rule, _impact, _targets in _serious(page)]
    page.goto(base + "/login")
    page.fill("#username", "toan")
    page.fill("#password", "sai-mat-khau")
    with page.expect_navigation():
        page.click("button.primary")
    _here(page, "anonymous /login with a wrong password", found, walked)
    for url in ("/khong-co-trang-nay", "/verify/KHONG-CO-SO-NAY"):
        page.goto(base + url)  # 404: an error page, a serial nobody issued
        _here(page, f"anonymous {url}", found, walked)
    context.close()

    for role in accounts.ROLES:
        username = USERS[role]
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        sign_in(page, base, username)
        for endpoint, url in pages_of(role, base, values, context):
            _check(page, base, url, f"{role} {url}", found, walked)
            if endpoint in WIDE_TOO:
                page.set_viewport_size(DESKTOP)
                _check(page, base, url, f"{role} {url} at 1280 px", found, walked)
                page.set_viewport_size(PHONE)
        if role == "unit":
            _unit_states(page, base, found, walked)
        if role in EXPECTED["board.decide"].post:
            _office_states(page, base, role, found, walked)
        if accounts.User(username, role, None).browses_data:
            for url in (u.format(**values) for u in DATA_PAGES):
                _check(page, base, url, f"{role} {url}", found, walked)
        context.close()

    print(f"{len(walked)} pages in {time.monotonic() - started:.1f} s:", *walked, sep="\n  ")
    assert not found, "serious or critical axe violations:\n" + "\n".join(found)
