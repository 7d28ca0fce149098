"""Cluster leads comment on the units of their clusters and propose them (recognition, commendation, the
experience-sharing forums); the office reads the proposals on the review page and in the yearly list, where it records
the standing committee's selection."""

from __future__ import annotations

import json

import pytest
from support.data import SELF, TRICKY, forms_sql, opened, recognised_app
from support.web import csrf_token, signed_in_clients, unescape
from support.web import page_text as page

REVIEW = f"/review/TOAN/{SELF}/2022"
LY_REVIEW = f"/review/LY/{SELF}/2022"
VAN_REVIEW = f"/review/VAN/{SELF}/2022"
LIST = "/office/proposals?year=2022"


@pytest.fixture
def decided(tmp_path):
    """TOAN and VAN recognised for 2022, LY submitted and not recognised; phutrachcum leads TOAN's and LY's cluster."""
    return recognised_app(tmp_path / "data")


@pytest.fixture
def client_of(decided):
    return signed_in_clients(decided)


def post(client, url: str, **fields):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **fields})


def audit(app, action: str) -> list[tuple]:
    return [(actor, unit, json.loads(detail)) for actor, unit, detail in forms_sql(
        app, "SELECT actor, unit_code, detail FROM audit_log WHERE action = ? ORDER BY id", (action,))]


# On the review page

def test_a_cluster_lead_comments_on_and_proposes_a_unit_of_their_cluster(decided, client_of):
    lead = client_of("phutrachcum")
    assert post(lead, REVIEW + "/comment", comment="Đơn vị tổ chức tốt sinh hoạt chi đoàn.").status_code == 303
    done = post(lead, REVIEW + "/proposal", kind="commendation", reason="Dẫn đầu cụm 3 năm liền")
    assert done.status_code == 303 and done.location.endswith(REVIEW + "#proposals")
    assert post(lead, REVIEW + "/proposal", kind="forum").status_code == 303
    assert forms_sql(decided, "SELECT unit_code, cycle_year, comment, written_by FROM unit_comments") == [
        ("TOAN", 2022, "Đơn vị tổ chức tốt sinh hoạt chi đoàn.", "phutrachcum")]
    assert forms_sql(decided, "SELECT unit_code, kind, proposed_by, reason FROM proposals ORDER BY kind") == [
        ("TOAN", "commendation", "phutrachcum", "Dẫn đầu cụm 3 năm liền"), ("TOAN", "forum", "phutrachcum", None)]
    assert [(a, u, d["kind"]) for a, u, d in audit(decided, "unit_proposed")] == [
        ("phutrachcum", "TOAN", "commendation"), ("phutrachcum", "TOAN", "forum")]
    # The office reads them on the unit's review page; the unit never does.
    office = page(client_of("vanphong"), REVIEW)
    assert "Tuyên dương" in office and "Dẫn đầu cụm 3 năm liền" in office and "phutrachcum" in office
    assert "Đơn vị tổ chức tốt sinh hoạt chi đoàn." in office
    unit = page(client_of("toan"), f"/forms/{SELF}/2022/result")
    assert "Dẫn đầu cụm 3 năm liền" not in unit and "sinh hoạt chi đoàn." not in unit


def test_a_cluster_lead_is_kept_to_their_clusters(decided, client_of):
    lead = client_of("phutrachcum")
    assert lead.get(VAN_REVIEW).status_code == 403
    assert post(lead, VAN_REVIEW + "/comment", comment="Nhận xét").status_code == 403
    assert post(lead, VAN_REVIEW + "/proposal", kind="commendation").status_code == 403
    assert forms_sql(decided, "SELECT COUNT(*) FROM unit_comments") == [(0,)]
    assert forms_sql(decided, "SELECT COUNT(*) FROM proposals") == [(0,)]


def test_the_rules_refuse_a_unit_outside_the_cluster_leads_clusters(decided):
    from forms_app.rules import proposals
    from forms_app.rules.deciding import OutsideClusters

    with opened(decided.config["DATA_DIR"]) as forms:
        with pytest.raises(OutsideClusters):
            proposals.propose(forms, "VAN", 2022, "forum", None, "phutrachcum", clusters=["Cụm 1 – Khoa học Tự nhiên"])
        with pytest.raises(OutsideClusters):
            proposals.add_comment(forms, "VAN", 2022, "x", "phutrachcum", clusters=["Cụm 1 – Khoa học Tự nhiên"])
    assert forms_sql(decided, "SELECT COUNT(*) FROM proposals") == [(0,)]


def test_only_cluster_leads_and_admins_comment_and_propose(decided, client_of):
    for who in ("vanphong", "kiemtra", "toan"):
        client = client_of(who)
        assert post(client, REVIEW + "/comment", comment="x").status_code == 403, who
        assert post(client, REVIEW + "/proposal", kind="forum").status_code == 403, who
    assert "Ghi đề xuất" not in page(client_of("vanphong"), REVIEW)
    assert post(client_of("admin"), VAN_REVIEW + "/proposal", kind="forum").status_code == 303


def test_a_refused_comment_or_proposal_says_why_and_keeps_what_was_typed(decided, client_of):
    lead = client_of("phutrachcum")
    empty = post(lead, REVIEW + "/comment", comment="   ")
    assert empty.status_code == 422 and "Hãy viết nhận xét." in unescape(empty.get_data(as_text=True))
    no_kind = post(lead, REVIEW + "/proposal", reason="Tiêu biểu của cụm")
    html = unescape(no_kind.get_data(as_text=True))
    assert no_kind.status_code == 422 and "Hãy chọn đề xuất" in html and 'id="proposal-kind-error"' in html
    assert ">Tiêu biểu của cụm</textarea>" in html
    assert forms_sql(decided, "SELECT COUNT(*) FROM proposals") == [(0,)]


def test_a_cluster_lead_withdraws_their_own_proposal(decided, client_of):
    lead = client_of("phutrachcum")
    assert post(lead, REVIEW + "/proposal", kind="recognition", reason="Đủ điều kiện").status_code == 303
    assert post(lead, REVIEW + "/proposal", kind="recognition", action="withdraw").status_code == 303
    assert forms_sql(decided, "SELECT COUNT(*) FROM proposals") == [(0,)]
    assert [d["kind"] for _a, _u, d in audit(decided, "proposal_withdrawn")] == ["recognition"]
    again = post(lead, REVIEW + "/proposal", kind="recognition", action="withdraw")
    assert again.status_code == 422 and "Bạn chưa có đề xuất này" in unescape(again.get_data(as_text=True))


# The yearly list

def test_the_yearly_list_shows_who_proposed_each_unit_and_the_offices_selection(decided, client_of):
    lead = client_of("phutrachcum")
    assert post(lead, REVIEW + "/proposal", kind="commendation", reason="Dẫn đầu cụm").status_code == 303
    assert post(lead, LY_REVIEW + "/proposal", kind="commendation").status_code == 303
    assert post(lead, LY_REVIEW + "/proposal", kind="forum", reason="Mô hình chi đoàn số").status_code == 303
    assert post(client_of("admin"), VAN_REVIEW + "/proposal", kind="forum").status_code == 303

    office = client_of("vanphong")
    html = page(office, LIST)  # commendation first, one kind a page
    assert "Đoàn khoa Toán – Tin" in html and "Dẫn đầu cụm" in html and "phutrachcum" in html
    forum = page(office, LIST + "&kind=forum")
    assert "Mô hình chi đoàn số" in forum and "admin" in forum and "Dẫn đầu cụm" not in forum
    raw = office.get(LIST + "&kind=forum").get_data(as_text=True)  # VAN, proposed for the forums
    assert TRICKY not in raw and "&lt;img" in raw  # a unit's name is escaped

    # Commendation needs the unit recognised that year; a forum does not.
    refused = post(office, "/office/proposals/2022/selection", unit_code="LY", kind="commendation", selected="1")
    assert refused.status_code == 422
    assert "Chỉ đơn vị đã được công nhận năm 2022 mới được chọn tuyên dương." in unescape(refused.get_data(as_text=True))
    for unit, kind in (("TOAN", "commendation"), ("LY", "forum")):
        assert post(office, "/office/proposals/2022/selection", unit_code=unit, kind=kind, selected="1").status_code == 303
    assert sorted(forms_sql(decided, "SELECT unit_code, kind, selected_by FROM selections")) == [
        ("LY", "forum", "vanphong"), ("TOAN", "commendation", "vanphong")]
    html = page(office, LIST)
    assert html.count("Đã chọn</span>") == 1 and "Bỏ chọn TOAN" in html and "Chọn LY" in html
    forum = page(office, LIST + "&kind=forum")
    assert forum.count("Đã chọn</span>") == 1 and "Bỏ chọn LY" in forum and "Chọn VAN" in forum

    assert post(office, "/office/proposals/2022/selection", unit_code="TOAN", kind="commendation",
                selected="0").status_code == 303
    assert forms_sql(decided, "SELECT unit_code FROM selections") == [("LY",)]
    assert [(a, u, d["kind"]) for a, u, d in audit(decided, "unit_selected")] == [
        ("vanphong", "TOAN", "commendation"), ("vanphong", "LY", "forum")]
    assert [(a, u) for a, u, _d in audit(decided, "unit_unselected")] == [("vanphong", "TOAN")]


def test_the_office_selects_a_unit_nobody_proposed(decided, client_of):
    office = client_of("vanphong")
    assert post(office, "/office/proposals/2022/selection", unit_code="VAN", kind="commendation",
                selected="1").status_code == 303
    html = page(office, LIST)
    assert "Văn phòng chọn, không qua đề xuất" in html
    unknown = post(office, "/office/proposals/2022/selection", unit_code="KHONGCO", kind="forum", selected="1")
    assert unknown.status_code == 422 and 'id="forum-unit-error"' in unknown.get_data(as_text=True)


def test_who_reads_the_yearly_list_and_who_selects(decided, client_of):
    assert post(client_of("admin"), VAN_REVIEW + "/proposal", kind="forum", reason="Cụm 2").status_code == 303
    assert post(client_of("phutrachcum"), REVIEW + "/proposal", kind="forum", reason="Cụm 1").status_code == 303
    lead = page(client_of("phutrachcum"), LIST + "&kind=forum")
    assert ": Cụm 1</p>" in lead and "Đoàn khoa Toán – Tin" in lead and "Cụm 2</p>" not in lead  # their clusters only
    assert "Chọn TOAN" not in lead  # reads, does not select
    for who in ("phutrachcum", "kiemtra"):
        refused = post(client_of(who), "/office/proposals/2022/selection", unit_code="TOAN", kind="forum", selected="1")
        assert refused.status_code == 403, who
    assert client_of("toan").get(LIST).status_code == 403
    assert decided.test_client().get(LIST).status_code == 302  # to the sign-in page
    assert client_of("vanphong").get("/office/proposals?year=1999").status_code == 404
    assert forms_sql(decided, "SELECT COUNT(*) FROM selections") == [(0,)]


def test_the_yearly_list_exports_as_csv(decided, client_of):
    assert post(client_of("phutrachcum"), REVIEW + "/proposal", kind="commendation", reason="=cmd()").status_code == 303
    response = client_of("vanphong").get(LIST + "&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    assert "Tuyên dương,TOAN,Đoàn khoa Toán – Tin" in text and "'=cmd()" in text  # no formula a spreadsheet would run


def test_a_recognition_that_puts_a_unit_forward_for_commendation_is_in_the_list(decided, client_of):
    import datetime as dt

    from forms_app.rules.deciding import record_decision

    with opened(decided.config["DATA_DIR"]) as forms:
        record_decision(forms, "VAN", SELF, 2022, "recognised", "vanphong", decision_no="46-QĐ/ĐTN",
                        decided_on=dt.date(2022, 9, 14), commendation=True, today=dt.date(2022, 9, 15))
    office = client_of("vanphong")
    html = page(office, LIST)
    assert "Ban Thường vụ đề nghị trong quyết định công nhận số 46-QĐ/ĐTN, 14/09/2022" in html
    assert post(office, "/office/proposals/2022/selection", unit_code="VAN", kind="commendation",
                selected="1").status_code == 303
    assert "Bỏ chọn VAN" in page(office, LIST)
