"""The result page's chart of sections: its words escaped, never cut, and readable on a 360 px phone and a desktop."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.browser import launched, no_serious_violations, sign_in
from support.data import EXAMPLE_ANSWERS, SELF, build_data_dir, register
from support.server import Server

from exports.charts import section_bars

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
LONG_TITLE = ("Phần III. Công tác tham mưu, phối hợp với chính quyền và các tổ chức đoàn thể trong việc chăm lo, "
              "bảo vệ quyền lợi hợp pháp, chính đáng của đoàn viên, thanh niên")


def _report(*sections: dict) -> dict:
    return {"sections": [{"id": f"s{i}", "score": 0, "max": 10, "pass_min": None, "passed": True, **s}
                         for i, s in enumerate(sections)]}


def test_a_section_title_from_a_definition_is_escaped_in_the_chart():
    html = str(section_bars(_report({"title": '<img src=x onerror="alert(1)"> & Đoàn', "score": 4})))
    assert "<img" not in html and "onerror=\"" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Đoàn" in html


def test_a_long_title_is_shown_whole_for_the_browser_to_wrap_on_words():
    html = str(section_bars(_report({"title": LONG_TITLE, "score": 7.5, "pass_min": 5, "passed": True}), "vi"))
    assert f'<span class="bar-title">{LONG_TITLE}</span>' in html  # not cut at a number of characters
    assert "…" not in html and "<text" not in html  # the words are HTML, which wraps; SVG text does not
    assert '<span class="bar-value">7,5 / 10</span>' in html
    assert "điểm đạt 5" in html and ">Đạt<" in html


def test_the_bars_say_the_score_and_the_pass_mark_and_draw_both():
    chart = str(section_bars(_report({"title": "A", "score": 3, "pass_min": 6, "passed": False},
                                     {"title": "B", "score": 12, "max": 8, "pass_min": None}), "en"))
    first, second = chart.split("<li>")[1:]
    assert "pass mark 6" in first and "Not passed" in first and 'fill="#b3261e"' in first
    assert 'width="30.0%"' in first and 'x1="60.0%"' in first and 'stroke-dasharray="4 2"' in first
    assert "pass mark" not in second and "<line" not in second and 'width="100.0%"' in second  # a score above its max
    assert 'aria-hidden="true"' in first  # the bar repeats its words; the words are what a screen reader reads


# In a real Chromium: the unit's own result page and a reviewer's view of it, at 360 px and at 1280 px.

@pytest.fixture
def submitted_server(tmp_path):
    """`forms-app serve` where TOAN has submitted its 2022 self-assessment (the example answers)."""
    from forms_app.adapters.web.app import create_app
    from forms_app.data import connection as database
    from forms_app.rules import registry
    from forms_app.rules import submitting as submissions

    data_dir = build_data_dir(tmp_path / "data")
    register(create_app({"DATA_DIR": data_dir}), "TOAN", 2022)
    forms = database.open_forms(data_dir)
    submissions.record(forms, unit_code="TOAN", definition=registry.definition(forms, SELF), cycle_year=2022,
                       answers=EXAMPLE_ANSWERS, action="submit", author="toan", base_revision=None, request_token=None)
    forms.close()
    server = Server(data_dir, data_dir / "serve.log")
    yield server.base
    server.stop()


@pytest.fixture
def browser():
    yield from launched()


# Every piece of text inside the chart's figure: its size as drawn on screen (an SVG's font size times the SVG's
# scale), whether it overflows its box, whether it lies inside the figure, and whether any word is split over two
# lines (a word's range with two boxes).
MEASURE = """figure => {
  const frame = figure.getBoundingClientRect();
  const walker = document.createTreeWalker(figure, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (el.closest('title')) continue;
    const svg = el.closest('svg');
    const scale = svg ? svg.getScreenCTM().a : 1;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    const split = [];
    const re = /\\S+/g;
    let m;
    while ((m = re.exec(node.textContent))) {
      const word = document.createRange();
      word.setStart(node, m.index); word.setEnd(node, m.index + m[0].length);
      const lines = new Set(Array.from(word.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (lines.size > 1) split.push(m[0]);
    }
    out.push({text: node.textContent.trim(), px: parseFloat(getComputedStyle(el).fontSize) * scale,
              inside: box.left >= frame.left - 0.5 && box.right <= frame.right + 0.5
                      && box.top >= frame.top - 0.5 && box.bottom <= frame.bottom + 0.5,
              overflows: !svg && el.scrollWidth > el.clientWidth + 1, split});
  }
  return out;
}"""


def _check_chart(page, name: str) -> None:
    figure = page.locator("figure:has(.section-bars)")
    assert figure.count() == 1, name
    texts = figure.evaluate(MEASURE)
    small = [(t["text"], round(t["px"], 1)) for t in texts if t["px"] < 11]
    assert small == [], f"{name}: text below 11 px: {small}"
    titles = [t.strip() for t in page.locator("section.card[id^=section-] > h2").all_inner_texts()]
    shown = " ".join(t["text"] for t in texts)
    assert titles and all(title in shown for title in titles), name  # every section's title whole, never cut short
    assert any(ch in shown for ch in "ạảấầẩậắằẳặếềểệịọỏốồổộớờởợụủứừửựỳỵỷỹđĐ"), name
    outside = [t["text"] for t in texts if not t["inside"] or t["overflows"]]
    assert outside == [], f"{name}: text clipped or outside the chart: {outside}"
    split = [w for t in texts for w in t["split"]]
    assert split == [], f"{name}: words cut over two lines: {split}"
    bars = figure.locator("svg.bar")
    assert bars.count() == len(titles)
    box = bars.first.bounding_box()
    assert box and box["height"] >= 20 and box["width"] > 250  # the bar is drawn, as wide as the text above it
    assert figure.locator("svg.bar line[stroke-dasharray]").count() >= 1  # the pass mark, explained in the caption
    assert "vạch đứt" in figure.locator("figcaption").inner_text()
    no_serious_violations(page, name)


@pytest.mark.slow
@pytest.mark.parametrize("width", [360, 1280])
def test_the_units_result_chart_is_readable_and_whole_at(submitted_server, browser, width):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, submitted_server, "toan")
    page.goto(f"{submitted_server}/forms/{SELF}/2022/result")
    _check_chart(page, f"result-{width}")
    page.locator("figure:has(.section-bars)").screenshot(path=str(ARTIFACTS / f"result-chart-{width}.png"))
    page.screenshot(path=str(ARTIFACTS / f"result-chart-page-{width}.png"), full_page=True)
    context.close()


@pytest.mark.slow
def test_a_reviewer_reads_the_same_chart_on_a_phone(submitted_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 900})
    page = context.new_page()
    sign_in(page, submitted_server, "vanphong")
    page.goto(f"{submitted_server}/units/TOAN/forms/{SELF}/2022/result")
    _check_chart(page, "unit-result-360")
    context.close()
