"""The office's yearly list of proposals at scale (issue 18): one kind at a time with the count of each kind, 50 units a
page read one page at a time from the database, by cluster (a cluster lead's only), by code or name, selected or not;
a selection made from a filtered page comes back to that page, and a refusal says why beside the unit."""

from __future__ import annotations

import html as markup
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from support.data import forms_sql, opened, recognised_app
from support.web import csrf_token, signed_in_clients, unescape
from support.web import page_text as page

from forms_app.rules import proposals, units

CLUSTER_1 = "Cụm 1 – Khoa học Tự nhiên"  # phutrachcum's (TOAN, LY and the even X units)
CLUSTER_3 = "Cụm 3 – Kỹ thuật"  # the odd X units
LIST = "/office/proposals?year=2022"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def add_proposed_units(data_dir: Path, first: int, count: int, *, forum: int = 0) -> None:
    """Units X<first>… proposed by phutrachcum for commendation, the first `forum` of them for the forums too; even
    numbers in CLUSTER_1, odd ones in CLUSTER_3."""
    numbers = range(first, first + count)
    with opened(data_dir) as forms:
        units.save_units(forms, [{"code": f"X{n:03d}", "name": f"Đoàn Khoa Số {n:03d}",
                                  "cluster": CLUSTER_1 if n % 2 == 0 else CLUSTER_3} for n in numbers])
        at = "2022-10-01T00:00:00Z"
        proposed = [(f"X{n:03d}", 2022, "commendation", "phutrachcum", f"Lý do {n:03d}", at) for n in numbers]
        proposed += [(f"X{n:03d}", 2022, "forum", "phutrachcum", None, at) for n in numbers[:forum]]
        proposals.record_many(forms, [], proposed, [], actor="test")


@pytest.fixture
def listed(tmp_path):
    """recognised_app's data (TOAN and VAN recognised for 2022, LY not) and 120 more units X000–X119, each proposed
    for commendation and for the forums (X000–X009 selected for them), X000–X002 for recognition."""
    app = recognised_app(tmp_path / "data")
    data_dir = app.config["DATA_DIR"]
    add_proposed_units(data_dir, 0, 120, forum=120)
    with opened(data_dir) as forms:
        at = "2022-10-02T00:00:00Z"
        proposals.record_many(forms, [], [(f"X{n:03d}", 2022, "recognition", "phutrachcum", None, at) for n in range(3)],
                              [(f"X{n:03d}", 2022, "forum", "vanphong", at) for n in range(10)], actor="test")
    return app


@pytest.fixture
def client_of(listed):
    return signed_in_clients(listed)


def listed_units(text: str, kind: str = "commendation") -> list[str]:
    """The codes of the units the page lists, in order."""
    return re.findall(rf'<tr id="{kind}-([^"]+)">', text)


def tab_counts(text: str) -> dict[str, tuple[int, int | None]]:
    """{kind's label: (units listed, units selected or None)} as the tabs say."""
    nav = text.split('aria-label="Loại đề xuất"')[1].split("</nav>")[0]
    return {label.strip(): (int(n), int(selected) if selected else None) for label, n, selected in re.findall(
        r'>([^<>]+) <strong>(\d+)</strong>(?: <span class="meta">đã chọn (\d+)</span>)?</a>', nav)}


def selection_form(text: str, unit_code: str) -> dict[str, str]:
    """The fields of the selection form beside a unit, as the browser would post them."""
    row = text.split(f'<tr id="{"forum"}-{unit_code}">')[1].split("</tr>")[0]
    form = row.split('<form method="post"')[1].split("</form>")[0]
    return {name: markup.unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}


def test_a_year_with_more_than_fifty_proposals_shows_fifty_and_a_link_to_the_next_page(client_of):
    office = client_of("vanphong")
    first = page(office, LIST)
    shown = listed_units(first)
    assert len(shown) == 50 and shown[:2] == ["X000", "X002"]  # by cluster, then code
    assert "Đơn vị 1–50 trong 120." in first and "Trang 1/3" in first
    following = re.search(r'<a href="([^"]+)" rel="next">', first).group(1)
    assert parse_qs(urlsplit(markup.unescape(following)).query) == {"year": ["2022"], "kind": ["commendation"],
                                                                    "page": ["2"]}
    second = page(office, markup.unescape(following))
    assert len(listed_units(second)) == 50 and not set(listed_units(second)) & set(shown)
    last = listed_units(page(office, LIST + "&page=3"))
    assert len(last) == 20 and last[-1] == "X119"
    assert listed_units(page(office, LIST + "&page=99")) == last  # past the last page: the last one


def test_the_tabs_count_every_kind_and_the_list_shows_one(client_of):
    office = client_of("vanphong")
    text = page(office, LIST)
    assert tab_counts(text) == {"Tuyên dương": (120, 0), "Diễn đàn chia sẻ kinh nghiệm": (120, 10),
                                "Công nhận": (3, None)}
    assert "Lý do 000" in text and 'id="forum-' not in text  # commendation only
    forum = page(office, LIST + "&kind=forum")
    assert len(listed_units(forum, "forum")) == 50
    assert forum.count('<span class="badge ok">Đã chọn</span>') == 5  # the even ones of X000–X009 are on page 1
    recognition = page(office, LIST + "&kind=recognition")
    assert listed_units(recognition, "recognition") == ["X000", "X002", "X001"]
    assert "Chọn X000" not in recognition  # the office selects for commendation and the forums only


def test_a_cluster_lead_reads_and_counts_the_units_of_their_clusters_only(client_of):
    lead = client_of("phutrachcum")
    text = page(lead, LIST)
    assert tab_counts(text) == {"Tuyên dương": (60, 0), "Diễn đàn chia sẻ kinh nghiệm": (60, 5), "Công nhận": (2, None)}
    every = listed_units(text) + listed_units(page(lead, LIST + "&page=2"))
    assert every == [f"X{n:03d}" for n in range(0, 120, 2)]
    assert f'<option value="{CLUSTER_3}"' not in text  # not offered
    # Another cluster asked for in the address reads as their own clusters, never as that cluster's units.
    assert listed_units(page(lead, LIST + f"&cluster={CLUSTER_3}")) == listed_units(text)


def test_the_office_filters_by_cluster(client_of):
    office = client_of("vanphong")
    text = page(office, LIST + f"&cluster={CLUSTER_3}")
    assert tab_counts(text)["Tuyên dương"] == (60, 0) and listed_units(text)[:2] == ["X001", "X003"]
    assert f'<option value="{CLUSTER_3}" selected>' in text
    tabs = re.findall(r'<a href="([^"]+)"', text.split('aria-label="Loại đề xuất"')[1].split("</nav>")[0])
    assert [parse_qs(urlsplit(markup.unescape(t)).query)["cluster"] for t in tabs] == [[CLUSTER_3]] * 3  # kept


def test_the_list_is_searched_by_code_or_name_with_or_without_diacritics(client_of):
    office = client_of("vanphong")
    assert listed_units(page(office, LIST + "&q=X007")) == ["X007"]
    by_name = page(office, LIST + "&q=khoa so 011")
    assert listed_units(by_name) == ["X011"] and tab_counts(by_name)["Tuyên dương"] == (1, 0)
    nothing = page(office, LIST + "&q=%25_")  # LIKE's own characters are taken literally
    assert listed_units(nothing) == [] and "Không có đơn vị nào khớp bộ lọc." in nothing


def test_the_list_shows_the_selected_units_or_those_not_yet_selected(client_of):
    office = client_of("vanphong")
    chosen = listed_units(page(office, LIST + "&kind=forum&selection=yes"), "forum")
    assert chosen == ["X000", "X002", "X004", "X006", "X008", "X001", "X003", "X005", "X007", "X009"]
    waiting = page(office, LIST + "&kind=forum&selection=no")
    assert "Đơn vị 1–50 trong 110." in waiting and not set(listed_units(waiting, "forum")) & set(chosen)


def test_an_address_with_odd_values_reads_as_the_default_list(client_of):
    office = client_of("vanphong")
    default = listed_units(page(office, LIST))
    for odd in ("&kind=autre&selection=peut-etre", "&page=abc", "&page=-3", "&cluster=<b>Cụm 9</b>", "&q=" + "x" * 500):
        text = page(office, LIST + odd)
        assert listed_units(text) == (default if "q=" not in odd else []), odd
    assert page(office, "/office/proposals?year=abc").count('<tr id="commendation-') == 50


def test_a_selection_from_a_filtered_page_comes_back_to_that_page(listed, client_of):
    office = client_of("vanphong")
    url = LIST + f"&kind=forum&cluster={CLUSTER_3}&selection=no&page=2"
    text = page(office, url)
    unit = listed_units(text, "forum")[0]
    fields = selection_form(text, unit)
    assert fields["page"] == "2" and fields["cluster"] == CLUSTER_3 and fields["selection"] == "no"
    done = office.post("/office/proposals/2022/selection", data=fields)
    assert done.status_code == 303
    back = urlsplit(done.location)
    assert back.path == "/office/proposals" and back.fragment == f"forum-{unit}"
    assert parse_qs(back.query) == {"year": ["2022"], "kind": ["forum"], "cluster": [CLUSTER_3], "selection": ["no"],
                                    "page": ["2"]}
    assert forms_sql(listed, "SELECT kind, selected_by FROM selections WHERE unit_code = ?", (unit,)) == [
        ("forum", "vanphong")]
    assert f"Đã chọn đơn vị {unit}" in page(office, done.location)


def test_a_refused_selection_says_why_beside_the_unit_on_the_same_page(listed, client_of):
    office = client_of("vanphong")
    url = LIST + "&q=khoa so&page=2"
    unit = listed_units(page(office, url))[3]  # not recognised: commendation is refused
    refused = office.post("/office/proposals/2022/selection", data={
        "csrf_token": csrf_token(office, "/"), "unit_code": unit, "kind": "commendation", "selected": "1",
        "q": "khoa so", "page": "2"})
    text = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert listed_units(text) == listed_units(page(office, url))  # the same page, the same filter
    row = text.split(f'<tr id="commendation-{unit}">')[1].split("</tr>")[0]
    assert f'<p class="field-error" id="commendation-{unit}-error">Chỉ đơn vị đã được công nhận năm 2022' in row
    assert f'href="#commendation-{unit}"' in text  # the summary leads to it
    assert forms_sql(listed, "SELECT COUNT(*) FROM selections WHERE kind = 'commendation'") == [(0,)]


def test_a_page_of_the_list_reads_one_page_of_rows_whatever_the_size_of_the_year(listed):
    data_dir = listed.config["DATA_DIR"]
    where = proposals.ListFilter("commendation")

    def rows_read() -> tuple[int, list[str]]:
        """How many rows the database hands over for page 2, and the statements run."""
        fetched, statements = [], []
        with opened(data_dir) as forms:
            forms.conn.row_factory = lambda cursor, row: fetched.append(row) or row
            forms.conn.set_trace_callback(statements.append)
            total, entries = proposals.year_page(forms, 2022, where, 2, 50)
        assert len(entries) == 50
        return len(fetched), statements

    before, statements = rows_read()
    assert any("LIMIT" in s for s in statements)
    add_proposed_units(data_dir, 120, 400, forum=400)
    after, _statements = rows_read()
    assert after == before < 200  # one page of units and their proposals, not the year's 520 + 520 + 3


def test_the_whole_list_still_downloads_as_csv(client_of):
    text = client_of("phutrachcum").get(LIST + "&format=csv&page=2&q=X007").data.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 60 + 60 + 2  # the header, then every unit of the lead's clusters for each kind
    assert "Tuyên dương,X000,Đoàn Khoa Số 000" in text and "X001" not in text


# In a real browser: the page on a phone and on a desktop, and axe-core on it

@pytest.mark.slow
def test_the_paged_list_on_a_phone_and_a_desktop(listed):
    from support.browser import launched, no_serious_violations, sign_in
    from support.server import Server

    ARTIFACTS.mkdir(exist_ok=True)
    data_dir = listed.config["DATA_DIR"]
    server = Server(data_dir, data_dir / "serve.log")
    try:
        for browser in launched():
            for width, height in ((360, 780), (1280, 900)):
                context = browser.new_context(viewport={"width": width, "height": height})
                view = context.new_page()
                sign_in(view, server.base, "vanphong")
                view.goto(server.base + LIST + f"&kind=forum&cluster={CLUSTER_3}&page=1")
                assert view.locator('tr[id^="forum-"]').count() == 50
                no_serious_violations(view, f"proposals-{width}")
                view.screenshot(path=str(ARTIFACTS / f"proposals-{width}.png"), full_page=width > 360)
                view.locator('tr[id="forum-X011"] button').click()
                view.wait_for_url(re.compile(r".*#forum-X011$"))
                assert "cluster=" in view.url and view.locator('tr[id="forum-X011"] .badge.ok').count() == 1
                view.locator('tr[id="forum-X011"] button').click()  # taken back for the other width
                view.wait_for_url(re.compile(r".*#forum-X011$"))
                context.close()
    finally:
        server.stop()
