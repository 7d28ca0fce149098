"""Datasette's chrome in the product's language: our templates (forms_app/templates/datasette) over Datasette's, each
checked against the upstream file it replaces; canned queries open on their results with labelled fields."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import datasette
import pytest
from test_reviewers import product, signed_in  # noqa: F401 (its module fixture, reused)

SELF = "tu-danh-gia-3-chu-dong"
OURS = Path(__file__).resolve().parent.parent / "forms_app" / "templates" / "datasette"
UPSTREAM = Path(datasette.__file__).parent / "templates"

# The Datasette release whose templates were read when ours were written, and the sha256 of each upstream template we
# replace or include as it is. A new Datasette fails this list: read its changes to these files (new words, new
# variables, new inline scripts — responses.inline_script_hashes), carry them into ours, then update the hashes.
CHECKED_VERSION = "0.65.5"
CHECKED = {
    # replaced by ours
    "_crumbs.html": "882c9d69e13363b440d4b977d432ae7287548d53e71ca199327c1acece3c9c81",
    "_description_source_license.html": "13fcf73b733dadc598f79a11ce5ec04df6205d13deefeb76bd388008cc072e51",
    "_facet_results.html": "622d3c764aa14f17f07714af7bbdee5719adfbce9cce5358fd3df3e2df137f30",
    "_footer.html": "d190d9e7dc5046c1bdfb2b738c60754143eab44fdbae2d9a74e7b8f1aa2cf44b",
    "_suggested_facets.html": "da43051a548a47be72a74513d45e7a4fba4fd5e89d49b29fc48b0b306000f20f",
    "_table.html": "f75a8872713f28fdce49b9a44a397f26ba1b5db5e82a74dda1f20ec14faaaa57",
    "base.html": "bb22df33caea147e1db3b238878f2716ab698c81be89a66d9dabd5649e899dc2",
    "database.html": "4fd5e97823bb5380b54c4f4f5285f07d1db74e366ef6225aa46dddfcf5b2c88a",
    "error.html": "c2115d1fdbff1a480b804fe880bafec9a754544f7b154e5322f680309ee3b497",
    "index.html": "ed57b14bb5656bcdb133170a1d3aa2e2c71255662b1b0ecce7a86dc8a9406294",
    "query.html": "bc3559df0e209da97d0bb46d0da5e36e02a9a561e4e473d1b79f62776786b435",
    "row.html": "ff5dde41541c39dd09f1dee1bbb3e4e58e8487775b17e1c9650bd558eb1b5a17",
    "table.html": "81cec4b0f7948bf0b4756b1a0ce706ce30d5694e506fd5639f3cd08a4a8f88a9",
}
INCLUDED_AS_IS = {
    # no visible words; their inline scripts are allowed by hash (responses.inline_script_hashes)
    "_close_open_menus.html": None,
    "_codemirror.html": None,
    "_codemirror_foot.html": None,
}

# Datasette's own words (its templates and views, 0.65): none may show on a Vietnamese page. Single words are matched
# whole and case-sensitively (table and column names such as `form_versions` are not words).
ENGLISH = ["home", "Custom SQL query", "returning", "rows", "row", "Queries", "Tables", "Views", "Apply", "Export",
           "This data as", "advanced", "Format SQL", "Run SQL", "Query parameters", "Edit SQL", "Next page",
           "Suggested facets", "View and edit SQL", "Show SQL", "Hide SQL", "hide", "show", "Powered by",
           "Data license", "Data source", "columns", "Sort", "descending", "Search", "remove filter", "column",
           "Advanced export", "JSON shape", "CSV options", "download file", "expand labels", "stream all rows",
           "0 results", "0 records", "Links from other tables", "from", "hidden table", "Menu", "Log out", "Error",
           "Queries took", "contains", "starts with", "ends with", "is null", "is blank", "Many rows", "where",
           "sorted by"]


def test_every_template_we_override_was_checked_against_the_installed_datasette():
    """Fails when Datasette is upgraded (or a template of ours starts shadowing one of its own) until someone has read
    the new upstream files and recorded them here."""
    assert datasette.__version__ == CHECKED_VERSION, "Datasette changed: re-check the templates listed in CHECKED"
    shadowing = {path.name for path in OURS.glob("*.html") if (UPSTREAM / path.name).exists()}
    assert shadowing == set(CHECKED)
    changed = [name for name, digest in CHECKED.items()
               if hashlib.sha256((UPSTREAM / name).read_bytes()).hexdigest() != digest]
    assert changed == []
    assert all((UPSTREAM / name).exists() for name in INCLUDED_AS_IS)


# What a template holds besides its words: comments, the body's classes, scripts, styles and SQL, Jinja, tags.
NOT_TEXT = (r"\{#.*?#\}|\{% block body_class %\}.*?\{% endblock %\}|<(script|style|textarea|pre)\b.*?</\1>"
            r"|\{\{.*?\}\}|\{%.*?%\}|<[^>]+>")


def test_our_templates_say_every_word_through_the_catalogue():
    """No English sentence left in our templates outside `_()` (Datasette's words are replaced, not kept)."""
    for path in OURS.glob("*.html"):
        text = re.sub(NOT_TEXT, " ", path.read_text("utf-8"), flags=re.S)
        assert _english_words(text) == [], path.name


def _english_words(text: str) -> list[str]:
    found = []
    for word in ENGLISH:
        flags = 0 if " " not in word else re.I
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, flags):
            found.append(word)
    return found


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|title)\b.*?</\1>|<!--.*?-->", " ", page, flags=re.S)
    page = re.sub(r"<(pre|textarea)\b.*?</\1>", " ", page, flags=re.S)  # SQL is code, not chrome
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def reviewer(product):  # noqa: F811 (test_reviewers's fixture)
    return signed_in(product, "vanphong")


def pages() -> list[str]:
    from forms_app.data.reviewer_queries import LATE, PER_FORM

    return ["/data/", "/data/forms", "/data/forms/tong_quan", "/data/forms/tong_quan?_facet=unit_code&cycle_year=2022",
            "/data/forms/tong_quan?cluster__contains=1&_sort_desc=final_total", "/data/forms/units/TOAN",
            "/data/forms?sql=select+code+from+units+where+code+%3D+%3Acode&code=TOAN", "/data/-/bieu-do",
            "/data/forms/no_such_table", *[f"/data/forms/{name}?nam=2022&ma_don_vi=TOAN" for name in (*PER_FORM, *LATE)],
            "/data/forms/xep_hang_trong_cum?nam=2022&_show_sql=1"]


@pytest.mark.parametrize("url", pages())
def test_a_vietnamese_page_shows_no_word_of_datasettes_english(reviewer, url):
    response = reviewer.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 404), page[:500]
    assert '<html lang="vi">' in page
    assert page.count("<main") == 1 and 'class="top"' in page  # the app's header, one main landmark
    assert _english_words(_visible_text(page)) == []
    assert "not found" not in page


def test_a_page_in_english_says_so_and_remembers_it(reviewer):
    response = reviewer.get("/data/forms/tong_quan?lang=en")
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert 'href="/data/forms/tong_quan?lang=vi"' in page and ">Tiếng Việt<" in page
    assert any(value.startswith("lang=en;") for name, value in response.headers if name.lower() == "set-cookie")
    assert '<html lang="en">' in reviewer.get("/data/forms").get_data(as_text=True)  # the cookie, as in the app
    assert '<html lang="vi">' in reviewer.get("/data/forms?lang=vi").get_data(as_text=True)


def test_a_canned_query_opens_on_its_results_with_labelled_fields(reviewer):
    page = reviewer.get("/data/forms/chua_nop?nam=2022").get_data(as_text=True)
    assert "<textarea" not in page and 'id="sql-query"' not in page  # the SQL is behind a link
    assert page.index("<table") < page.index("_show_sql=1")
    year = re.search(r'<label for="qp-nam">[^<]+</label>\s*<select id="qp-nam" name="nam">(.*?)</select>', page, re.S)
    assert year and re.findall(r"<option[^>]*>(\d{4})</option>", year.group(1)) == ["2022", "2021", "2020", "2019", "2018"]
    assert "<option selected>2022</option>" in year.group(1)
    assert re.search(r'<label for="qp-cum">[^<]+</label>\s*<select id="qp-cum" name="cum">', page)
    assert "Cụm 1 – Khoa học Tự nhiên</option>" in page
    shown = reviewer.get("/data/forms/chua_nop?nam=2022&_show_sql=1").get_data(as_text=True)
    assert 'id="sql-query"' in shown and "FROM units u" in html.unescape(shown)
    history = reviewer.get("/data/forms/lich_su_don_vi?ma_don_vi=TOAN").get_data(as_text=True)
    assert re.search(r'<label for="qp-ma_don_vi">[^<]+</label>\s*<input type="text" id="qp-ma_don_vi"', history)
    assert "<datalist" not in history and 'id="qp-ma_don_vi-hint"' in history


def test_the_database_page_opens_each_canned_query_on_the_latest_year(reviewer):
    page = reviewer.get("/data/forms").get_data(as_text=True)
    assert 'href="/data/forms/xep_hang_trong_cum?nam=2022"' in page
    assert 'href="/data/forms/lich_su_don_vi"' in page  # no year in that one


def test_the_column_glossary_is_folded_and_the_rows_come_before_the_footer(reviewer):
    page = reviewer.get("/data/forms/tong_quan").get_data(as_text=True)
    glossary = page.index('<details class="column-glossary">')
    assert glossary < page.index('<dl class="column-descriptions">') < page.index("</details>", glossary)
    assert 'src="/data/-/static/table.js"' not in page  # its column menus are English-only
    assert re.search(r'<label class="sr-only" for="filter-column">[^<]+</label>\s*<select name="_filter_column" '
                     r'id="filter-column">', page)


def test_numbers_are_written_as_the_page_language_writes_them():
    from forms_app.adapters.reviewers.plugin import number

    assert (number(50000), number(12.5), number(50000, "en"), number(12.5, "en")) == ("50.000", "12,5", "50,000", "12.5")


def test_code_is_set_in_a_font_with_vietnamese_glyphs():
    css = (OURS.parent.parent / "static" / "datasette.css").read_text("utf-8")
    rule = re.search(r"\.CodeMirror[^{]*\{[^}]*font-family:\s*([^;]+);", css)
    assert rule and rule.group(1).startswith('"DejaVu Sans Mono"')  # scripts/setup.sh installs fonts-dejavu-core


def test_datasettes_pages_keep_their_inline_scripts_allowed(reviewer):
    from forms_app.adapters.reviewers.responses import inline_script_hashes

    allowed = set(inline_script_hashes())
    for url in ("/data/forms", "/data/forms/tong_quan", "/data/forms/chua_nop?nam=2022", "/data/forms?sql=select+1"):
        page = reviewer.get(url).get_data(as_text=True)
        for script in re.findall(r"<script>(.*?)</script>", page, re.S):
            import base64

            digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
            assert f"'sha256-{digest}'" in allowed, (url, script[:80])
