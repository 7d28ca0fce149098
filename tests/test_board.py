"""The office's status board: one status per unit and year (derived, pure), its filters, diacritic-free search,
pages and counts, cluster leads confined to their clusters; the queue "chờ quyết định" and one decision for many
units (one number, one date, one transaction, one audit entry each, then the certificates); the review page's
summary and decision box above the per-question table, with the registration's targets beside the results."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from support.data import (
    EXAMPLE_ANSWERS,
    REGISTRATION,
    REGISTRATION_ANSWERS,
    SELF,
    build_data_dir,
    forms_sql,
    opened,
    register,
)
from support.web import csrf_token, start_session, unescape

from forms_app.adapters.web.app import create_app
from forms_app.rules import board, registry, submitting, units
from forms_app.rules.windows import Window

# After the 2022 self-assessment closed (1 Oct 2022): what is submitted awaits the committee's decision.
AFTER = dt.datetime(2022, 10, 15, 3, 0, tzinfo=dt.timezone.utc)
DECIDED_ON = "2022-10-14"
NUMBER = "52-QĐ/ĐTN"
TODAY = dt.date(2022, 10, 15)
OPEN = Window(dt.date(2022, 8, 1), dt.date(2022, 10, 1))
REG = Window(dt.date(2021, 7, 1), dt.date(2021, 10, 10))


# The status, derived


def side(scored=True, window=OPEN, submission=None, submitted_at=None, decision=None, decided_at=None, meets=True):
    return board.Side(scored, window, submission, submitted_at, decision, decided_at, meets)


@pytest.mark.parametrize(("form", "required", "today", "expected"), [
    (side(), side(False, REG), dt.date(2021, 6, 1), "not_open"),
    (side(), side(False, REG), dt.date(2021, 8, 1), "not_registered"),
    (side(), side(False, REG, "draft"), TODAY, "not_registered"),  # a registration's draft registers nothing
    (side(), side(False, REG, "submitted", meets=False), TODAY, "not_registered"),  # "we do not take part"
    (side(), side(False, REG, "submitted"), TODAY, "registered"),
    (side(), side(False, REG, "submitted", "2021-09-01T00:00:00+00:00", "accepted", "2021-09-02T00:00:00+00:00"), TODAY,
     "accepted"),
    (side(), side(False, REG, "submitted", "2021-09-01T00:00:00+00:00", "returned", "2021-09-02T00:00:00+00:00"), TODAY,
     "returned"),
    (side(), side(False, REG, "submitted", "2021-09-03T00:00:00+00:00", "returned", "2021-09-02T00:00:00+00:00"), TODAY,
     "registered"),  # submitted again after the return
    (side(), None, dt.date(2022, 8, 2), "not_submitted"),  # a scored form that requires nothing
    (side(submission="draft"), side(False, REG, "submitted"), TODAY, "draft"),
    (side(submission="submitted"), side(False, REG, "submitted"), dt.date(2022, 9, 15), "submitted"),  # still open
    (side(submission="submitted"), side(False, REG, "submitted"), TODAY, "awaiting_decision"),
    (side(window=Window(dt.date(2022, 8, 1), dt.date(2022, 10, 20), extended=True), submission="submitted"), None, TODAY,
     "submitted"),  # the unit's extension is not over
    (side(submission="submitted", submitted_at="2022-10-05T00:00:00+00:00", decision="returned",
          decided_at="2022-10-02T00:00:00+00:00"), None, TODAY, "awaiting_decision"),  # resubmitted, reopening over
    (side(submission="submitted", submitted_at="2022-09-05T00:00:00+00:00", decision="returned",
          decided_at="2022-10-02T00:00:00+00:00"), None, TODAY, "returned"),
    (side(submission="submitted", decision="recognised"), None, TODAY, "recognised"),
    (side(submission="submitted", decision="not_recognised"), None, TODAY, "not_recognised"),
    (side(submission="submitted", decision="withdrawn"), None, TODAY, "not_recognised"),
    (side(False, REG, "submitted"), None, TODAY, "registered"),  # the registration on its own
    (side(False, REG), None, TODAY, "not_registered"),
])
def test_each_status_is_derived_from_windows_submissions_and_decisions(form, required, today, expected):
    assert board.status(form, required, today) == expected


def test_every_status_has_its_words_and_a_page_counts_them_all():
    rows = [{"status": s} for s in ("awaiting_decision", "awaiting_decision", "recognised")] * 21
    page = board.paged(rows, ("awaiting_decision",), 2, 25)
    assert set(board.LABELS) == set(board.STATUSES) and all(set(w) == {"vi", "en"} for w in board.LABELS.values())
    assert page.counts["awaiting_decision"] == 42 and page.counts["recognised"] == 21 and page.counts["draft"] == 0
    assert (page.total, page.pages, page.page, page.first, len(page.rows)) == (42, 2, 2, 26, 17)
    assert board.paged(rows, None, 99, 25).page == 3  # past the last page: the last page


# The board on a data directory


@pytest.fixture
def office(tmp_path):
    """After the 2022 deadline: TOAN registered and submitted a result that meets the rule, LY one that does not,
    VAN only registered; 120 more units in a third cluster, with nothing."""
    data_dir = build_data_dir(tmp_path / "data")
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": AFTER})
    with opened(data_dir) as forms:
        units.save_units(forms, [{"code": f"X{i:03d}", "name": f"Đoàn Khoa Số {i:03d}", "cluster": "Cụm 3 – Kỹ thuật"}
                                 for i in range(120)])
        definition = registry.definition(forms, SELF)
        for unit, answers in (("TOAN", EXAMPLE_ANSWERS), ("LY", {}), ("VAN", None)):
            register(app, unit)
            if answers is not None:
                submitting.record(forms, unit_code=unit, definition=definition, cycle_year=2022, answers=answers,
                                  action="submit", author=unit.lower(), base_revision=None, request_token=None,
                                  now=dt.datetime(2022, 9, 20, tzinfo=dt.timezone.utc))
    return app


def signed(app, username="vanphong"):
    client = app.test_client()
    start_session(app, client, username)
    return client


class Rows(HTMLParser):
    """The board's rows as text, the status counts' links, and the page's visible text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.rows: list[str] = []
        self.text: list[str] = []
        self._in_body = self._in_row = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._in_row = True
            self.rows.append("")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "tr":
            self._in_row = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_row:
            self.rows[-1] += data


def board_rows(client, query: str = "") -> list[str]:
    response = client.get("/" + query)
    assert response.status_code == 200
    table = response.get_data(as_text=True).split('<table class="stack board">')
    return [" ".join(r.split()) for r in Rows(table[1].split("</table>")[0]).rows] if len(table) > 1 else []


def row_of(rows: list[str], code: str) -> str:
    return next(r for r in rows if code in r)


def test_the_board_shows_each_unit_of_the_year_with_one_status_and_titles_not_ids(office):
    client = signed(office)
    rows = board_rows(client, "?year=2022&q=khoa")
    assert "Chờ quyết định" in row_of(rows, "TOAN") and "Chờ quyết định" in row_of(rows, "LY")
    assert "Đã đăng ký" in row_of(rows, "VAN")
    page = client.get("/").get_data(as_text=True)
    visible = " ".join(Rows(page).text)
    assert "Báo cáo tự đánh giá" in visible and SELF not in visible and REGISTRATION not in visible


def test_filters_by_year_cluster_form_and_status(office):
    client = signed(office)
    earlier = board_rows(client, "?year=2021&q=toan")
    assert len(earlier) == 1 and "Chưa đăng ký" in earlier[0]
    cluster_1 = board_rows(client, "?year=2022&cluster=" + "Cụm 1 – Khoa học Tự nhiên")
    assert len(cluster_1) == 2 and all("Cụm 1" in r for r in cluster_1)
    awaiting = board_rows(client, "?year=2022&status=awaiting_decision")
    assert len(awaiting) == 2 and {"TOAN", "LY"} == {c for c in ("TOAN", "LY", "VAN") if any(c in r for r in awaiting)}
    registrations = board_rows(client, f"?year=2022&form={REGISTRATION}&status=registered")
    assert len(registrations) == 3  # on the registration's own statuses: the three registered units
    everything = board_rows(client, "?year=all&q=toan")
    with opened(office.config["DATA_DIR"]) as forms:
        years, _current = board.years(forms, registry.definition(forms, SELF), TODAY)
    assert len(everything) == len(years) > 1 and str(years[0]) in everything[0]


@pytest.mark.parametrize("typed", ["vat ly", "VẬT LÝ", "Vật lý", "vật ly", "doan khoa vat", "toán – tin"])
def test_search_finds_units_by_name_with_or_without_diacritics(office, typed):
    rows = board_rows(signed(office), "?year=2022&q=" + typed)
    assert len(rows) == 1 and ("Đoàn khoa Vật lý" in rows[0] or "Đoàn khoa Toán – Tin" in rows[0])


def test_search_by_code_and_nothing_found(office):
    client = signed(office)
    assert len(board_rows(client, "?year=2022&q=x01")) == 10  # X010 … X019
    page = client.get("/?year=2022&q=khong-co-dau").get_data(as_text=True)
    assert "Không có đơn vị nào khớp bộ lọc." in page and board_rows(client, "?year=2022&q=%25") == []


def test_pages_of_fifty_with_links_and_the_total(office):
    client = signed(office)
    first, second, third = (board_rows(client, f"?year=2022&page={n}") for n in (1, 2, 3))
    assert (len(first), len(second), len(third)) == (50, 50, 23)
    assert not set(first) & set(second)
    page = unescape(client.get("/?year=2022&page=2").get_data(as_text=True))
    assert "Dòng 51–100 trong 123" in page and "Trang 2/3" in page and 'aria-current="page">2<' in page
    assert re.search(r'href="/\?[^"]*page=3[^"]*" rel="next"', page)
    assert board_rows(client, "?year=2022&page=999") == third  # past the last page: the last one


def test_counts_per_status_link_to_their_filter(office):
    page = unescape(signed(office).get("/?year=2022").get_data(as_text=True))
    counts = page.split('class="status-counts"')[1].split("</nav>")[0]
    assert "Tất cả <strong>123</strong>" in counts
    link = re.search(r'href="([^"]*status=awaiting_decision[^"]*)"[^>]*>.*?Chờ quyết định.*?<strong>2</strong>', counts, re.S)
    assert link and "Chưa đăng ký</span> <strong>120</strong>" in counts
    assert len(board_rows(signed(office), link.group(1).removeprefix("/").replace("&amp;", "&"))) == 2
    assert "Đã đăng ký</span> <strong>1</strong>" in counts and "Công nhận" not in counts  # none: not listed


def test_a_cluster_lead_sees_only_their_clusters_everywhere_on_the_board(office):
    lead = signed(office, "phutrachcum")
    rows = board_rows(lead, "?year=2022")
    assert len(rows) == 2 and not any("VAN" in r or "X0" in r for r in rows)
    assert len(board_rows(lead, "?year=2022&cluster=Cụm 2 – Khoa học Xã hội")) == 2  # not theirs: ignored
    assert board_rows(lead, "?year=2022&q=van") == []
    page = lead.get("/?year=2022").get_data(as_text=True)
    assert "Cụm 2" not in page and "Cụm 3" not in page and "Tất cả <strong>2</strong>" in page
    assert 'href="/board/queue' not in page  # cluster leads do not decide
    for role in ("phutrachcum", "kiemtra", "toan"):
        assert signed(office, role).get("/board/queue").status_code == 403


def test_the_board_reads_a_fixed_number_of_statements_whatever_the_number_of_units(office, monkeypatch):
    from forms_app.data import connection

    opened_forms = connection.open_forms
    statements: list[str] = []

    def traced(*args, **kwargs):
        db = opened_forms(*args, **kwargs)
        db.conn.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr("forms_app.adapters.web.context.connection.open_forms", traced)
    client = signed(office)
    client.get("/?year=2022&q=van")  # 1 unit (registered, its registration's answers read)
    few = len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))])
    statements.clear()
    client.get("/?year=2022")  # 123 units
    many = len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))])
    assert few == many < 25


def test_the_board_of_every_unit_holds_one_row_at_a_time_not_all_of_them(office):
    """At national scale the board's rows as one list held ~100 MB for a moment, which each worker kept afterwards: the
    statuses are worked out row by row and only the columns asked for are kept, so the peak is far below the whole
    rows'."""
    import tracemalloc

    from forms_app.data import board as board_data

    with opened(office.config["DATA_DIR"]) as forms:
        units.save_units(forms, [{"code": f"Y{i:04d}", "name": f"Đoàn Cơ Sở {i:04d}", "cluster": "Cụm 4 – Xa"}
                                 for i in range(2000)])
        form = registry.definition(forms, SELF)
        required = registry.required_form(forms, form)

        def peak(work) -> int:
            tracemalloc.start()
            try:
                work()
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        whole = peak(lambda: list(board_data.unit_years(forms, form.id, required.id, year=2022, clusters=[], query="")))
        statuses = []
        statuses_peak = peak(lambda: statuses.extend(board.unit_years(
            forms, form, year=2022, clusters=[], query="", today=TODAY, columns=("unit_code", "year"))))
    assert len(statuses) == 2123
    assert {"unit_code": "Y0000", "year": 2022, "status": "not_registered"} in statuses
    assert statuses_peak < whole / 3, (statuses_peak, whole)  # 0.2 of it; all rows at once were more than all


# The queue "chờ quyết định" and one decision for many units


def post_queue(client, data: dict, query: str = "?year=2022"):
    base = {"csrf_token": csrf_token(client, "/board/queue" + query), "decision": "recognised",
            "decision_no": NUMBER, "decided_on": DECIDED_ON}
    return client.post("/board/queue" + query, data={**base, **data})


def test_the_queue_lists_what_awaits_a_decision_with_why_each_result_holds_or_fails(office):
    page = unescape(signed(office).get("/board/queue").get_data(as_text=True))
    assert "2 đơn vị đang chờ quyết định" in page
    assert re.search(r"Đoàn khoa Toán – Tin.*?Đạt.*?Đơn vị đạt điều kiện công nhận", page, re.S)
    assert re.search(r"Đoàn khoa Vật lý.*?Chưa đạt.*?Đơn vị chưa đạt điều kiện công nhận: tổng điểm 0/100 &lt; 70|"
                     r"Đoàn khoa Vật lý.*?Chưa đạt.*?Đơn vị chưa đạt điều kiện công nhận: tổng điểm 0/100 < 70", page, re.S)
    meeting = unescape(signed(office).get("/board/queue?meets=yes").get_data(as_text=True))
    assert "1 đơn vị đang chờ quyết định" in meeting and "Vật lý" not in meeting
    ticked = signed(office).get("/board/queue?select=all").get_data(as_text=True)
    assert len(re.findall(r'name="unit" value="[A-Z]+" id="unit-\d+" checked', ticked)) == 2


def test_one_decision_for_many_units_is_confirmed_then_recorded_in_one_go_with_certificates(office):
    client = signed(office)
    confirm = post_queue(client, {"step": "confirm", "unit": ["TOAN", "LY"]})
    text = unescape(confirm.get_data(as_text=True))
    assert confirm.status_code == 200 and "Quyết định công nhận cho 2 đơn vị" in text
    assert "1 đơn vị chưa đạt điều kiện công nhận theo kết quả — cần ghi lý do" in text and 'name="reason"' in text
    assert forms_sql(office, "SELECT COUNT(*) FROM decisions")[0][0] == 0  # nothing written before "Xác nhận"

    refused = post_queue(client, {"step": "record", "unit": ["TOAN", "LY"]})  # no reason for LY: all refused
    assert refused.status_code == 422 and "LY" in unescape(refused.get_data(as_text=True))
    assert forms_sql(office, "SELECT COUNT(*) FROM decisions")[0][0] == 0  # not even TOAN's: one transaction

    done = post_queue(client, {"step": "record", "unit": ["TOAN", "LY"], "reason": "Đơn vị có thành tích đột xuất."})
    assert done.status_code == 303
    rows = forms_sql(office, "SELECT unit_code, decision, decision_no, decided_on, reason, recorded_at FROM decisions "
                             "ORDER BY unit_code")
    assert [r[:4] for r in rows] == [("LY", "recognised", NUMBER, DECIDED_ON), ("TOAN", "recognised", NUMBER, DECIDED_ON)]
    assert rows[0][4] == "Đơn vị có thành tích đột xuất." and rows[1][4] is None and rows[0][5] == rows[1][5]
    audits = forms_sql(office, "SELECT unit_code FROM audit_log WHERE action = 'decision_recorded' ORDER BY unit_code")
    assert audits == [("LY",), ("TOAN",)]

    page = client.get(done.headers["Location"])
    text = unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and f"Quyết định số {NUMBER} ngày 14/10/2022" in text and "2 được công nhận" in text
    links = re.findall(r'href="(/units/(?:TOAN|LY)/forms/[^"]+/2022/certificate\.pdf)"', text)
    assert len(links) == 2
    pdf = client.get(links[0])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert len(forms_sql(office, "SELECT serial FROM certificates")) == 2


def test_not_recognising_many_units_sends_each_the_reason_from_its_result(office):
    client = signed(office)
    done = post_queue(client, {"step": "record", "unit": ["LY"], "decision": "not_recognised"})
    assert done.status_code == 303
    (comment,) = forms_sql(office, "SELECT comment FROM decisions WHERE unit_code = 'LY'")[0]
    assert comment.startswith("Đơn vị chưa đạt điều kiện công nhận: tổng điểm 0/100 < 70")
    assert forms_sql(office, "SELECT COUNT(*) FROM certificates")[0][0] == 0


def test_every_unit_the_filters_keep_can_be_decided_at_once_and_nothing_without_a_choice(office):
    client = signed(office)
    nothing = post_queue(client, {"step": "confirm"})
    assert nothing.status_code == 422 and "Hãy chọn ít nhất một đơn vị." in unescape(nothing.get_data(as_text=True))
    every = post_queue(client, {"step": "confirm", "every": "1"}, "?year=2022&meets=yes")
    assert re.findall(r'name="unit" value="([A-Z]+)"', every.get_data(as_text=True)) == ["TOAN"]
    missing = post_queue(client, {"step": "record", "unit": ["TOAN"], "decision_no": ""})
    assert missing.status_code == 422 and 'id="decision_no-error"' in missing.get_data(as_text=True)


def test_a_unit_already_decided_or_outside_the_queue_drops_out_of_a_batch(office):
    client = signed(office)
    assert post_queue(client, {"step": "record", "unit": ["TOAN"]}).status_code == 303
    again = post_queue(client, {"step": "confirm", "unit": ["TOAN", "VAN", "NOPE"]})
    assert "Không còn đơn vị nào trong số đã chọn đang chờ quyết định." in unescape(again.get_data(as_text=True))


# The review page


def test_the_review_page_starts_with_the_summary_and_the_decision_box_then_the_table(office):
    with opened(office.config["DATA_DIR"]) as forms:
        submitting.record(forms, unit_code="TOAN", definition=registry.definition(forms, REGISTRATION), cycle_year=2022,
                          answers={**REGISTRATION_ANSWERS, "chi_tieu_doan_vien_moi": 30, "chi_tieu_buoi_pho_bien": 4},
                          action="submit", author="toan", base_revision=None, request_token=None)
    page = unescape(signed(office).get(f"/review/TOAN/{SELF}/2022").get_data(as_text=True))
    summary, box, targets, table = (page.index(m) for m in ('id="summary-title"', 'id="decision-form"',
                                                             'id="targets-title"', '<table class="report">'))
    assert summary < box < targets < table
    top = page[summary:table]
    assert "Tổng điểm" in top and "Điểm đạt" in top and "Đơn vị đạt điều kiện công nhận" in top
    assert re.search(r"Số đoàn viên mới kết nạp: <strong>30</strong> đoàn viên", top)
    assert re.search(r"Số đoàn viên mới được kết nạp trong năm: <strong>\d+</strong> đoàn viên", top)


def test_targets_pair_by_criterion_only_what_the_registration_answered():
    forms = {d.id: d for d in _latest()}
    registration, assessment = forms[REGISTRATION], forms[SELF]
    from scoring import score

    report = score(assessment, EXAMPLE_ANSWERS, {}, lang="vi")
    paired = board.pair_targets(registration, {"chi_tieu_buoi_pho_bien": 4}, assessment, report, "vi")
    assert [p["criterion"] for p in paired] == ["2.1.4"]
    assert paired[0]["targets"] == [{"label": "Số buổi phổ biến, tuyên truyền đường lối, chính sách, pháp luật",
                                     "value": 4, "unit": "buổi"}]
    assert all(r["unit"] == "buổi" for r in paired[0]["results"]) and paired[0]["max_points"] > 0
    assert board.pair_targets(registration, {}, assessment, report, "vi") == []


def _latest():
    from form_definitions import load_definitions

    latest: dict[str, object] = {}
    for d in load_definitions():
        if d.id not in latest or d.version > latest[d.id].version:
            latest[d.id] = d
    return latest.values()
