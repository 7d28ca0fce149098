"""Reviewers' pages from kept summaries (issue 18): the status board's statuses, its year summary and the charts are
computed once per change of the data they read and kept; the write that changes them — whoever makes it — is seen by
the very next request (the charts page: drawn again beside the requests, saying so meanwhile), and a page reads one
page of units through their key, never the long tables whole."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3

import pytest
from support.data import (
    EXAMPLE_ANSWERS,
    REGISTRATION,
    SELF,
    build_data_dir,
    opened,
    register,
)
from support.web import start_session, statements_datasette_runs, unescape

from forms_app.adapters.web.app import create_app
from forms_app.data import reviewer_access, summaries
from forms_app.rules import board, charts, deciding, registry, submitting, units, windows
from forms_app.rules import summaries as kept_results

UTC = dt.timezone.utc
AFTER = dt.datetime(2022, 10, 15, 3, 0, tzinfo=UTC)
TODAY = dt.date(2022, 10, 15)


@pytest.fixture
def office(tmp_path):
    """After the 2022 deadline: TOAN submitted a result that meets the rule, LY and VAN only registered; 60 more units
    in a third cluster, with nothing."""
    data_dir = build_data_dir(tmp_path / "data")
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": AFTER})
    with opened(data_dir) as forms:
        units.save_units(forms, [{"code": f"X{i:03d}", "name": f"Đoàn Khoa Số {i:03d}", "cluster": "Cụm 3 – Kỹ thuật"}
                                 for i in range(60)])
        for unit in ("TOAN", "LY", "VAN"):
            register(app, unit)
        submit(forms, "TOAN")
    return app


def submit(forms, unit: str, answers: dict = EXAMPLE_ANSWERS) -> None:
    submitting.record(forms, unit_code=unit, definition=registry.definition(forms, SELF), cycle_year=2022,
                      answers=answers, action="submit", author=unit.lower(), base_revision=None, request_token=None,
                      now=dt.datetime(2022, 9, 20, tzinfo=dt.timezone.utc))


def counts(app, query: str = "?year=2022") -> dict[str, int]:
    """The status board's counts as a reviewer reads them (2022 by default): {label: number}."""
    client = app.test_client()
    start_session(app, client, "vanphong")
    page = unescape(client.get("/" + query).get_data(as_text=True))
    nav = page.split('class="status-counts"')[1].split("</nav>")[0]
    return {label: int(n) for label, n in re.findall(r"([^<>]+)</span> <strong>(\d+)</strong>", nav)}


def test_a_new_submission_changes_the_board_at_the_next_request(office):
    before = counts(office)
    assert before["Chờ quyết định"] == 1 and before["Đã đăng ký"] == 2
    with opened(office.config["DATA_DIR"]) as forms:
        submit(forms, "LY", {})
    after = counts(office)
    assert after["Chờ quyết định"] == 2 and after["Đã đăng ký"] == 1


def test_a_decision_changes_the_board_and_its_year_summary_at_the_next_request(office):
    assert "Công nhận" not in counts(office)
    with opened(office.config["DATA_DIR"]) as forms:
        deciding.record_decision(forms, "TOAN", SELF, 2022, "recognised", "vanphong", decision_no="52-QĐ/ĐTN",
                                 decided_on="2022-10-14", today=TODAY)
    assert counts(office)["Công nhận"] == 1 and "Chờ quyết định" not in counts(office)


def test_a_unit_moved_to_another_cluster_and_an_extension_are_seen_at_once(office):
    in_cluster_3 = "?year=2022&cluster=Cụm 3 – Kỹ thuật"
    assert "Chờ quyết định" not in counts(office, in_cluster_3)
    with opened(office.config["DATA_DIR"]) as forms:
        units.save_units(forms, [{"code": "TOAN", "name": "Đoàn khoa Toán – Tin", "cluster": "Cụm 3 – Kỹ thuật"}])
    assert counts(office, in_cluster_3)["Chờ quyết định"] == 1
    with opened(office.config["DATA_DIR"]) as forms:
        windows.grant_extension(forms, "TOAN", SELF, 2022, dt.date(2022, 10, 30), "Lý do", "vanphong", on=TODAY)
    assert counts(office, in_cluster_3)["Đã nộp"] == 1  # in its window again: not awaiting a decision any more


@pytest.mark.parametrize("table", summaries.VERSIONED)
def test_every_write_to_a_summarised_table_moves_the_version(office, table):
    with opened(office.config["DATA_DIR"]) as forms:
        deciding.record_decision(forms, "TOAN", SELF, 2022, "recognised", "vanphong", decision_no="52-QĐ/ĐTN",
                                 decided_on="2022-10-14", today=TODAY)
        windows.grant_extension(forms, "LY", SELF, 2022, dt.date(2022, 10, 30), "Lý do", "vanphong", on=TODAY)
        _file, first = summaries.version(forms)
        rowid = forms.execute(f"SELECT MAX(rowid) FROM [{table}]").fetchone()[0]
        column = forms.execute(f"SELECT name FROM pragma_table_info('{table}') ORDER BY cid LIMIT 1").fetchone()[0]
        change = "total = COALESCE(total, 0) + 1" if table == "submissions" else f"[{column}] = [{column}]"
        forms.execute(f"UPDATE [{table}] SET {change} WHERE rowid = ?", [rowid])
        _file, updated = summaries.version(forms)
        forms.execute("PRAGMA foreign_keys = OFF")
        forms.execute(f"DELETE FROM [{table}] WHERE rowid = ?", [rowid])
        _file, deleted = summaries.version(forms)
    assert first < updated < deleted


def test_a_draft_saved_leaves_what_is_kept_alone_and_a_submit_does_not(office):
    with opened(office.config["DATA_DIR"]) as forms:
        definition = registry.definition(forms, SELF)
        save = {"unit_code": "LY", "definition": definition, "cycle_year": 2022, "author": "ly", "request_token": None,
                "now": dt.datetime(2022, 9, 20, tzinfo=dt.timezone.utc)}
        submitting.record(forms, answers={}, action="save", base_revision=None, **save)  # a new draft: a new row
        first = summaries.version(forms)
        base = submitting.find(forms, "LY", SELF, 2022)["current_revision"]
        submitting.record(forms, answers={"so_doan_vien": 10}, action="save", base_revision=base, **save)
        assert summaries.version(forms) == first  # autosaved again: no status, count or chart changed
        submitting.record(forms, answers={}, action="submit", base_revision=base + 1, **save)
        assert summaries.version(forms) > first


def test_a_draft_saved_moves_one_kept_facet_count_the_revisions_and_a_submit_only_what_it_changes(office):
    def kept(forms) -> dict:
        return {row[:4]: row[4] for row in forms.execute("SELECT * FROM facet_counts WHERE n != 0")}

    with opened(office.config["DATA_DIR"]) as forms:
        definition = registry.definition(forms, SELF)
        save = {"unit_code": "LY", "definition": definition, "cycle_year": 2022, "author": "ly", "request_token": None,
                "now": dt.datetime(2022, 9, 20, tzinfo=dt.timezone.utc)}
        submitting.record(forms, answers={}, action="save", base_revision=None, **save)
        before = kept(forms)
        base = submitting.find(forms, "LY", SELF, 2022)["current_revision"]
        submitting.record(forms, answers={"so_doan_vien": 10}, action="save", base_revision=base, **save)
        after = kept(forms)
        assert {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)} == {
            ("revisions", "action", 0, "save")}  # autosaved: one revision more, no other count touched
        submitting.record(forms, answers=EXAMPLE_ANSWERS, action="submit", base_revision=base + 1, **save)
        moved = {key[:2] for key in after.keys() | kept(forms).keys() if after.get(key) != kept(forms).get(key)}
    assert moved == {("revisions", "action"), ("audit_log", "action"), ("tong_quan", "band")}  # and its band


def test_after_a_write_only_the_units_written_are_computed_again(office):
    with opened(office.config["DATA_DIR"]) as forms:
        form = registry.definition(forms, SELF)
        board.listing(forms, form, year=None, clusters=[], query="", today=TODAY)
        _identity, before = summaries.version(forms)
        submit(forms, "LY", {})
        deciding.record_decision(forms, "TOAN", SELF, 2022, "recognised", "vanphong", decision_no="52-QĐ/ĐTN",
                                 decided_on="2022-10-14", today=TODAY)
        assert summaries.changed_units(forms, before, 10) == {"LY", "TOAN"}
        statements: list[str] = []
        forms.conn.set_trace_callback(statements.append)
        again = board.listing(forms, form, year=None, clusters=[], query="", today=TODAY)
        forms.conn.set_trace_callback(None)
        rows = board.unit_years(forms, form, year=None, clusters=[], query="", today=TODAY)
    assert again.items == tuple((r["unit_code"], r["year"], r["status"]) for r in rows)
    assert again.counts == board.paged(rows, None, 1, 50).counts and again.counts["recognised"] == 1
    read = [s for s in statements if "FROM units u" in s]
    assert len(read) == 1 and "u.code IN ('LY','TOAN')" in read[0]  # the two units written, not every unit


def test_a_write_that_may_change_every_unit_computes_the_board_again_in_full(office):
    with opened(office.config["DATA_DIR"]) as forms:
        _identity, before = summaries.version(forms)
        units.save_units(forms, [{"code": "LY", "name": "Đoàn khoa Vật lý", "cluster": "Cụm 3 – Kỹ thuật"}])
        assert summaries.changed_units(forms, before, 10) is None
        windows.grant_extension(forms, "VAN", SELF, 2022, dt.date(2022, 10, 30), "Lý do", "vanphong", on=TODAY)
        _identity, after = summaries.version(forms)
        assert summaries.changed_units(forms, after - 1, 10) == {"VAN"}
        assert summaries.changed_units(forms, after - 1, 0) is None  # more than asked for: in full


def test_the_log_of_writes_keeps_its_last_rows_and_says_when_it_no_longer_reaches_back(office):
    with opened(office.config["DATA_DIR"]) as forms:
        _identity, first = summaries.version(forms)
        with forms.conn:
            forms.conn.executemany("INSERT INTO summary_changes (unit_code) VALUES (?)",
                                   (("TOAN",) for _ in range(summaries.KEPT_CHANGES + 5)))
        assert forms.execute("SELECT COUNT(*) FROM summary_changes").fetchone()[0] == summaries.KEPT_CHANGES
        _identity, last = summaries.version(forms)
        assert last == first + summaries.KEPT_CHANGES + 5
        assert summaries.changed_units(forms, first, 10) is None  # its first writes are forgotten: in full
        assert summaries.changed_units(forms, last - 3, 10) == {"TOAN"}


def rounded(summary: list[dict]) -> list[dict]:
    """A year summary as the board shows it: no recognition is 0, averages to one decimal."""
    return [{**row, "recognised": row["recognised"] or 0,
             "average": None if row["average"] is None else round(row["average"], 1)} for row in summary]


def test_the_year_summary_kept_by_triggers_is_the_one_computed_from_the_rows(office):
    from forms_app.data import submissions as stored

    cluster_1 = ["Cụm 1 – Khoa học Tự nhiên"]
    with opened(office.config["DATA_DIR"]) as forms:
        def same():
            for clusters in ([], cluster_1, ["Cụm 3 – Kỹ thuật"]):
                assert rounded(summaries.year_summary(forms, clusters)) == rounded(stored.year_summary(forms, clusters))
        same()
        submit(forms, "LY", {})  # a second submission, another total
        definition = registry.definition(forms, SELF)
        submitting.record(forms, unit_code="X001", definition=definition, cycle_year=2022, answers={}, action="save",
                          author="x", base_revision=None, request_token=None, now=dt.datetime(2022, 9, 20, tzinfo=UTC))
        same()  # a draft
        for kind in ("recognised", "withdrawn", "recognised"):
            deciding.record_decision(forms, "TOAN", SELF, 2022, kind, "vanphong", decision_no=f"5{len(kind)}-QĐ/ĐTN",
                                     decided_on="2022-10-14", comment="Lý do.", reason="Lý do.", today=TODAY)
            same()
        units.save_units(forms, [{"code": "TOAN", "name": "Đoàn khoa Toán – Tin", "cluster": "Cụm 3 – Kỹ thuật"}])
        same()  # moved to another cluster with its submission and its recognition
        assert summaries.year_summary(forms, cluster_1)[0]["recognised"] == 0


def test_the_board_reads_its_year_summary_from_a_few_rows(office):
    with opened(office.config["DATA_DIR"]) as forms:
        statements: list[str] = []
        forms.conn.set_trace_callback(statements.append)
        board.year_summary(forms, [])
        forms.conn.set_trace_callback(None)
        plan = " | ".join(row[3] for row in forms.execute("EXPLAIN QUERY PLAN " + statements[-1]))
    assert "year_counts" in statements[-1] and "submissions" not in statements[-1] and "decisions" not in plan


def test_the_charts_follow_the_next_submission_on_a_reviewers_connection(office):
    data_dir = office.config["DATA_DIR"]
    conn = sqlite3.connect(data_dir / "forms.db", check_same_thread=False)
    reviewer_access.prepare(conn, "forms")  # as Datasette's: nothing said about files
    try:
        assert summaries.version(conn)[0] is conn
        first = charts.charts(conn, "2022")
        assert charts.charts(conn, "2022") is first  # kept
        with opened(data_dir) as forms:
            submit(forms, "LY", {})
        again = charts.charts(conn, "2022")
        assert again is not first and again != first
    finally:
        conn.close()


def test_kept_results_belong_to_their_own_database(tmp_path, office):
    other = create_app({"DATA_DIR": build_data_dir(tmp_path / "other"), "TESTING": True, "NOW": AFTER})
    with opened(office.config["DATA_DIR"]) as one, opened(other.config["DATA_DIR"]) as two:
        assert summaries.version(one)[0] != summaries.version(two)[0]
        form = registry.definition(one, SELF)
        ours = board.listing(one, form, year=2022, clusters=[], query="", today=TODAY)
        theirs = board.listing(two, form, year=2022, clusters=[], query="", today=TODAY)
    assert len(ours.items) == len(theirs.items) + 60


def test_a_backup_restored_in_place_of_the_database_is_another_one(office, tmp_path):
    data_dir = office.config["DATA_DIR"]
    with opened(data_dir) as forms:
        before = summaries.version(forms)
        copy = sqlite3.connect(tmp_path / "forms.db")
        forms.conn.backup(copy)
        copy.close()
    os.replace(tmp_path / "forms.db", data_dir / "forms.db")  # the same data, the same version: another file
    with opened(data_dir) as forms:
        after = summaries.version(forms)
    assert after[1] == before[1] and after[0] != before[0]


def test_the_kept_statuses_are_those_computed_row_by_row(office):
    with opened(office.config["DATA_DIR"]) as forms:
        form = registry.definition(forms, SELF)
        for year in (2022, None):
            rows = board.unit_years(forms, form, year=year, clusters=[], query="", today=TODAY)
            listing = board.listing(forms, form, year=year, clusters=[], query="", today=TODAY)
            assert listing.items == tuple((r["unit_code"], r["year"], r["status"]) for r in rows)
            assert listing.counts == board.paged(rows, None, 1, 50).counts
            keys = [(u, y) for u, y, _s in listing.items[3:9]]
            assert [(r["unit_code"], r["year"], r["status"]) for r in board.rows_of(forms, form, keys, TODAY)] == \
                list(listing.items[3:9])


# sqlite_stat1 of the units, submissions and answers of the 50,000-unit demo (5 years, 17.7 M answers)
DEMO_STATS = [
    ("answers", "idx_answers_question", "17651625 207667"), ("answers", "idx_answers_criterion", "17651625 1260831"),
    ("answers", "answers", "17651625 41 1"), ("units", "idx_units_cluster", "50000 6250"),
    ("units", "sqlite_autoindex_units_1", "50000 1"), ("submissions", "idx_submissions_total", "438959 2661"),
    ("submissions", "idx_submissions_unit_code", "438959 9"), ("submissions", "idx_submissions_recognised", "438959 146320"),
    ("submissions", "idx_submissions_band", "438959 87792"), ("submissions", "idx_submissions_cycle_year", "438959 87792"),
    ("submissions", "idx_submissions_form_id_cycle_year_status", "438959 219480 43896 43896"),
    ("submissions", "sqlite_autoindex_submissions_1", "438959 9 5 1"),
]


def test_one_pages_rows_read_their_units_by_key_and_never_scan_the_long_tables(office):
    with opened(office.config["DATA_DIR"]) as forms:
        forms.execute("ANALYZE")
        with forms.conn:  # the 50,000-unit demo's statistics: the planner sees the sizes the pages are read at
            forms.conn.executemany("INSERT OR REPLACE INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", DEMO_STATS)
        forms.execute("ANALYZE sqlite_schema")  # statistics read again
        statements: list[str] = []
        forms.conn.set_trace_callback(statements.append)  # each statement with its values in place
        board.rows_of(forms, registry.definition(forms, SELF), [("LY", 2022), ("VAN", 2022)], TODAY)
        forms.conn.set_trace_callback(None)
        read = [s for s in statements if "FROM units u" in s or "FROM answers a" in s]
        assert len(read) == 2  # the rows, and the registrations' answers a `requires … when` is checked on
        for sql in read:
            found = " | ".join(row[3] for row in forms.execute("EXPLAIN QUERY PLAN " + sql))
            assert "SCAN" not in found and ("SEARCH u USING" in found or "SEARCH s USING" in found), found


def test_the_year_summary_and_charts_never_read_answers_or_revisions(office):
    with opened(office.config["DATA_DIR"]) as forms:
        statements: list[str] = []
        forms.conn.set_trace_callback(statements.append)
        submitting.year_summary(forms, [])
        charts._charts(forms.conn, "2022")
        forms.conn.set_trace_callback(None)
    read = " ".join(statements)
    assert statements and "answers" not in read and "revisions" not in read


def test_the_queue_and_its_filters_read_the_kept_statuses(office):
    with opened(office.config["DATA_DIR"]) as forms:
        submit(forms, "LY", {})
    client = office.test_client()
    start_session(office, client, "vanphong")
    page = unescape(client.get("/board/queue").get_data(as_text=True))
    assert "2 đơn vị đang chờ quyết định" in page
    meeting = unescape(client.get("/board/queue?meets=no").get_data(as_text=True))
    assert "1 đơn vị đang chờ quyết định" in meeting and "Toán" not in meeting.split("<tbody>")[1]
    with opened(office.config["DATA_DIR"]) as forms:
        deciding.record_decision(forms, "LY", SELF, 2022, "not_recognised", "vanphong", comment="Chưa đạt.",
                                 decision_no="53-QĐ/ĐTN", decided_on="2022-10-14", today=TODAY)
    assert "1 đơn vị đang chờ quyết định" in unescape(client.get("/board/queue").get_data(as_text=True))


def test_the_registration_board_uses_its_own_kept_statuses(office):
    client = office.test_client()
    start_session(office, client, "vanphong")
    page = unescape(client.get(f"/?year=2022&form={REGISTRATION}").get_data(as_text=True))
    assert re.search(r"Đã đăng ký</span> <strong>3</strong>", page)


# Datasette's pages never wait for the count of a whole long table


@pytest.fixture
def product(tmp_path):
    from forms_app.adapters.wsgi import create_wsgi

    data_dir = build_data_dir(tmp_path / "data")
    application = create_wsgi(data_dir, {"TESTING": True, "NOW": AFTER})
    register(application.flask_app, "TOAN")
    with opened(data_dir) as forms:
        submit(forms, "TOAN")
    return application


def datasette_statements(product, url: str) -> tuple[str, list[str]]:
    """The page at `url` for the reviewer `vanphong`, and every statement Datasette ran on forms.db for it."""
    from support.web import ProductClient

    client = ProductClient(product)
    start_session(product.flask_app, client, "vanphong")
    with statements_datasette_runs(product) as ran:
        response = client.get(url)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True)), ran


@pytest.mark.parametrize("table", summaries.LONG_TABLES)
def test_a_long_tables_page_shows_its_rows_without_counting_them_all(product, table):
    page, ran = datasette_statements(product, f"/data/forms/{table}")
    assert f"select count(*) from {table}" in ran  # asked for by Datasette, answered as stopped at its limit
    assert '<h2 class="row-count"></h2>' in page and "<tbody>" in page  # the rows, without a count


def test_the_database_page_lists_every_table_and_counts_the_short_ones(product):
    page, _ran = datasette_statements(product, "/data/forms")
    for table in summaries.LONG_TABLES:
        assert f"({table})" in page  # listed, no count shown
    assert re.search(r"\(units, \d+ dòng\)", page)  # a short table's count still shown


def test_a_filtered_count_and_a_reviewers_own_count_still_run(product):
    with opened(product.flask_app.config["DATA_DIR"]) as forms:
        submission = forms.execute("SELECT submission_id FROM criterion_scores LIMIT 1").fetchone()[0]
        answers = forms.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    page, _ran = datasette_statements(product, f"/data/forms/answers?submission_id={submission}")
    assert re.search(r'<h2 class="row-count">\d+ dòng', page)
    page, _ran = datasette_statements(product, "/data/forms?sql=select+count(*)+from+answers")
    assert "took too long" not in page and f">{answers}<" in page


def _drawn(deadline_s: float = 10.0) -> None:
    """Wait until no chart is being drawn again beside the requests."""
    import time

    stop = time.monotonic() + deadline_s
    while charts.drawing_again() and time.monotonic() < stop:
        time.sleep(0.01)
    assert not charts.drawing_again()


def test_after_a_write_the_charts_are_drawn_again_beside_the_requests(office, monkeypatch):
    """A second at national scale after every submit: a reviewer is shown the charts drawn before the write while a
    thread of their own draws them again from a connection of its own; the next request after that, on any of
    Datasette's connections, gets the new ones."""
    monkeypatch.setattr(kept_results, "ASIDE_AFTER_S", 0.0)  # the test data: computed in milliseconds
    import threading

    data_dir = office.config["DATA_DIR"]
    conn, other = (sqlite3.connect(data_dir / "forms.db", check_same_thread=False) for _ in range(2))
    for each in (conn, other):
        reviewer_access.prepare(each, "forms")  # as Datasette's: nothing said about files
    opens = data_dir / "forms.db"
    try:
        first = charts.charts(conn, "2022", opens)  # nothing kept yet: drawn at once
        assert not charts.drawing_again()
        assert charts.charts(other, "2022", opens) is first  # kept for the file: every connection to it shares them
        with opened(data_dir) as forms:
            submit(forms, "LY", {})
        drawn_by, release, original = [], threading.Event(), charts._charts

        def slow(db, year):
            drawn_by.append(threading.current_thread().name)
            assert release.wait(10)
            return original(db, year)

        monkeypatch.setattr(charts, "_charts", slow)
        assert charts.charts(conn, "2022", opens) is first  # returned at once: the drawing waits for `release`
        assert charts.drawing_again()
        assert charts.charts(conn, "2022", opens) is first  # one drawing at a time
        release.set()
        _drawn()
        again = charts.charts(conn, "2022", opens)
        assert drawn_by == ["forms-app-kept-charts"]
        assert again is not first and again == original(conn, "2022")
        assert charts.charts(other, "2022", opens) is again
    finally:
        conn.close()
        other.close()


def test_the_charts_page_says_when_it_shows_the_charts_drawn_before_a_write(office, monkeypatch):
    monkeypatch.setattr(kept_results, "ASIDE_AFTER_S", 0.0)  # the test data: computed in milliseconds
    import threading

    from support.web import ProductClient

    from forms_app.adapters.wsgi import create_wsgi

    product = create_wsgi(office.config["DATA_DIR"], {"TESTING": True, "NOW": AFTER})
    client = ProductClient(product)
    start_session(product.flask_app, client, "vanphong")
    page = client.get("/data/-/bieu-do").get_data(as_text=True)
    assert page.count('<svg class="chart"') == 3 and "đang được vẽ lại" not in page
    with opened(office.config["DATA_DIR"]) as forms:
        submit(forms, "LY", {})
    release, original = threading.Event(), charts._charts
    monkeypatch.setattr(charts, "_charts", lambda db, year: (release.wait(10), original(db, year))[1])
    try:
        page = client.get("/data/-/bieu-do").get_data(as_text=True)  # answered while the drawing waits
        assert "đang được vẽ lại" in page and page.count('<svg class="chart"') == 3
    finally:
        release.set()
    _drawn()
    assert "đang được vẽ lại" not in client.get("/data/-/bieu-do").get_data(as_text=True)


@pytest.mark.slow  # a real Chromium
def test_the_charts_page_saying_it_is_drawing_again_has_no_serious_axe_violation(office, monkeypatch):
    monkeypatch.setattr(kept_results, "ASIDE_AFTER_S", 0.0)  # the test data: computed in milliseconds
    import threading

    from support.browser import launched, no_serious_violations
    from support.web import ProductClient
    from werkzeug.serving import make_server

    from forms_app.adapters.web.context import SESSION_COOKIE
    from forms_app.adapters.wsgi import create_wsgi

    product = create_wsgi(office.config["DATA_DIR"], {"TESTING": True, "NOW": AFTER})
    token = start_session(product.flask_app, ProductClient(product), "vanphong")
    server = make_server("127.0.0.1", 0, product, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    release, original = threading.Event(), charts._charts
    browsers = launched()
    try:
        context = next(browsers).new_context(viewport={"width": 360, "height": 780})
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])
        page = context.new_page()
        page.goto(base + "/data/-/bieu-do")  # drawn at once: nothing kept yet
        with opened(office.config["DATA_DIR"]) as forms:
            submit(forms, "LY", {})
        monkeypatch.setattr(charts, "_charts", lambda db, year: (release.wait(10), original(db, year))[1])
        page.goto(base + "/data/-/bieu-do")
        assert "đang được vẽ lại" in page.inner_text("main")
        no_serious_violations(page, "the charts page, drawing again")
    finally:
        release.set()
        next(browsers, None)
        server.shutdown()
    _drawn()


def test_after_a_change_to_every_unit_the_board_is_computed_again_beside_the_requests_and_the_queue_at_once(
        office, monkeypatch):
    """A unit imported or a window set may change every unit's status: seconds at national scale. The board as shown
    is the one computed before, saying so, while a thread of its own computes it again; the queue, which the office
    acts on (a decision for every unit it lists), is computed at once."""
    monkeypatch.setattr(kept_results, "ASIDE_AFTER_S", 0.0)  # the test data: computed in milliseconds
    import threading
    import time

    client = office.test_client()
    start_session(office, client, "vanphong")
    before = counts(office)
    assert "1 đơn vị đang chờ quyết định" in unescape(client.get("/board/queue").get_data(as_text=True))
    release, original = threading.Event(), board.unit_years

    def slow(*args, **kwargs):
        if threading.current_thread().name.startswith("forms-app-kept-"):
            assert release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(board, "unit_years", slow)
    with opened(office.config["DATA_DIR"]) as forms:
        units.save_units(forms, [{"code": "X999", "name": "Đoàn Khoa Mới", "cluster": "Cụm 3 – Kỹ thuật"}])
        submit(forms, "LY", {})
    try:
        page = unescape(client.get("/?year=2022").get_data(as_text=True))
        assert "đang được tính lại" in page and counts(office) == before
        assert board.catching_up()
        assert "2 đơn vị đang chờ quyết định" in unescape(client.get("/board/queue").get_data(as_text=True))
    finally:
        release.set()
    stop = time.monotonic() + 10
    while board.catching_up() and time.monotonic() < stop:
        time.sleep(0.01)
    page = unescape(client.get("/?year=2022").get_data(as_text=True))
    assert "đang được tính lại" not in page
    after = counts(office)
    assert sum(after.values()) == sum(before.values()) + 1 and after != before


def test_a_worker_computes_the_offices_first_pages_as_it_starts(office, monkeypatch):
    """`forms-app serve`'s workers compute each form's board of the year under way and the charts as they start: the
    first reviewer after a restart waited for them (seconds at national scale)."""
    from forms_app.adapters.operations import server

    data_dir = office.config["DATA_DIR"]
    server.warm_up(data_dir, today=TODAY)
    original = board.unit_years

    def one_page_only(*args, **kwargs):  # a page's own rows are read for it; every unit's statuses must not be
        assert kwargs.get("units") is not None, "the board computed again"
        return original(*args, **kwargs)

    monkeypatch.setattr(board, "unit_years", one_page_only)
    monkeypatch.setattr(charts, "_charts", lambda *args, **kwargs: pytest.fail("the charts drawn again"))
    assert counts(office)["Chờ quyết định"] == 1  # the office's first page, read from what the worker computed
    conn = sqlite3.connect(data_dir / "forms.db", check_same_thread=False)
    reviewer_access.prepare(conn, "forms")
    try:
        assert charts.charts(conn, None, data_dir / "forms.db")
    finally:
        conn.close()
