"""A reviewer walks the Datasette pages in a real Chromium: Vietnamese chrome, `lang`, no serious axe violation, the
data on the first screen of a phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.browser import launched, no_serious_violations, sign_in
from support.data import EXAMPLE_ANSWERS, build_data_dir, register
from support.server import Server
from test_datasette_chrome import _english_words

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
FORM = "tu-danh-gia-3-chu-dong"

pytestmark = pytest.mark.slow  # a real Chromium and a real server


@pytest.fixture
def server(tmp_path):
    """`forms-app serve` where TOAN and VAN have submitted their 2022 self-assessment."""
    from forms_app.adapters.web.app import create_app
    from forms_app.data import connection as database
    from forms_app.rules import registry
    from forms_app.rules import submitting as submissions

    data_dir = build_data_dir(tmp_path / "data")
    app = create_app({"DATA_DIR": data_dir})
    forms = database.open_forms(data_dir)
    for unit in ("TOAN", "VAN"):
        register(app, unit, 2022)
        submissions.record(forms, unit_code=unit, definition=registry.definition(forms, FORM), cycle_year=2022,
                           answers=EXAMPLE_ANSWERS, action="submit", author=unit.lower(), base_revision=None,
                           request_token=None)
    forms.close()
    running = Server(Path(data_dir), Path(data_dir) / "serve.log")
    yield running.base
    running.stop()


@pytest.fixture
def browser():
    yield from launched()


def _chrome_text(page) -> str:
    """What the page shows, SQL aside (the editor's and <pre>'s text is code, not chrome)."""
    return page.evaluate("""() => {
        document.querySelectorAll('.CodeMirror, pre, textarea').forEach(e => { e.style.display = 'none'; });
        return document.body.innerText;
    }""")


def _canned_queries(page, base) -> list[str]:
    """The canned queries as the database page lists them (the plugin's, whatever forms are loaded)."""
    page.goto(base + "/data/forms")
    return page.eval_on_selector_all("#queries + ul a", "links => links.map(a => a.getAttribute('href'))")


def test_a_reviewer_walks_datasette_in_vietnamese_and_accessible(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base = server
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, "vanphong")
    queries = _canned_queries(page, base)
    assert len(queries) >= 7
    urls = ["/data/", "/data/forms", "/data/forms/tong_quan", "/data/forms/tong_quan/1",
            "/data/forms/tong_quan?_facet=unit_code&cycle_year=2022", *queries, "/data/-/bieu-do",
            "/data/forms?sql=select+code%2C+name+as+%22S%E1%BB%91+ng%C3%A0y%22+from+units"]
    for url in urls:
        page.goto(base + url)
        assert page.get_attribute("html", "lang") == "vi", url
        assert page.locator("header.top a.brand").count() == 1 and page.locator("main").count() == 1, url
        no_serious_violations(page, url)
        text = _chrome_text(page)
        assert _english_words(text) == [], (url, _english_words(text))

    page.goto(base + "/data/forms?sql=select+1+as+%22S%E1%BB%91+ng%C3%A0y%22")
    font = page.eval_on_selector(".CodeMirror", "e => getComputedStyle(e).fontFamily")
    assert font.startswith('"DejaVu Sans Mono"'), font

    page.goto(base + "/data/forms/tong_quan?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    header = page.inner_text("header.top")
    assert "Tiếng Việt" in header and "Charts" in header and "Biểu đồ" not in header  # words the catalogue has
    assert page.inner_text("a.skip") == "Skip to main content"
    no_serious_violations(page, "tong_quan in English")


@pytest.mark.parametrize("width, height", [(360, 780), (1280, 900)])
def test_the_data_is_on_the_first_screen(server, browser, width, height):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    sign_in(page, server, "vanphong")
    for name, url in (("canned-query", "/data/forms/xep_hang_trong_cum?nam=2022"), ("tong-quan", "/data/forms/tong_quan")):
        page.goto(server + url)
        page.screenshot(path=str(ARTIFACTS / f"datasette-{name}-{width}.png"))
        no_serious_violations(page, f"{url} at {width} px")
        first_row = page.locator("table.rows-and-columns tbody tr").first.bounding_box()
        assert first_row and first_row["y"] + min(first_row["height"], 120) <= height, (url, width, first_row)
        assert re.search(r"Đoàn khoa (Toán – Tin|Ngữ văn)", page.inner_text("table.rows-and-columns"))
