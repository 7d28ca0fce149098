"""Decisions that can be trusted (issue 14): every refusal of the spec on the web with nothing recorded, the
confirmation step that says what will happen, registrations accepted or returned, one decision for many units in one
transaction, and the demo's decisions agreeing with the results."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sqlite3

import pytest
from click.testing import CliRunner
from support.data import EXAMPLE_ANSWERS, REGISTRATION, SELF, forms_sql, opened, register
from support.web import FormPage, complete_self_assessment, csrf_token, pdf_upload, post_answers, unescape

TODAY = dt.date(2022, 9, 15)  # OPEN_DAY in Hà Nội
REVIEW = f"/review/TOAN/{SELF}/2022"
REG_REVIEW = f"/review/TOAN/{REGISTRATION}/2022"
# TOAN's complete answers without proofs earn 11/100: its recognition needs a reason.
TOAN_WHY = ("Đơn vị chưa đạt điều kiện công nhận: tổng điểm 11/100 < 70; nhóm 2.1 đạt 5/40 < 28; nhóm 2.2 đạt 6/40 "
            "< 28; nhóm 2.3 đạt 0/20 < 14")
NUMBERED = {"decision_no": "45-QĐ/ĐTN", "decided_on": "2022-09-14"}


@pytest.fixture
def forms(app):
    from forms_app.data import connection as database

    connection = database.open_forms(app.config["DATA_DIR"])
    yield connection
    connection.close()


def submit(client) -> None:
    """A complete self-assessment with the work plan and the review of members in difficulty as proofs (11/100)."""
    files = {name: pdf_upload(f"{name}.pdf") for name in ("file_ke_hoach_cong_tac", "file_ra_soat_hoan_canh_kho_khan")}
    answers = {**complete_self_assessment(), "co_cong_trinh_phan_viec": "false"}
    assert post_answers(client, answers, "submit", files=files).status_code == 303


@pytest.fixture
def submitted(app, toan):
    """TOAN submitted its 2022 self-assessment (11/100); the unit's client."""
    submit(toan)
    return toan


def submit_example(app, unit: str) -> None:
    """The unit registers and submits the shipped example answers, which meet the recognition rule (76/98)."""
    from forms_app.rules import registry, submitting

    register(app, unit)
    with opened(app.config["DATA_DIR"]) as db:
        submitting.record(db, unit_code=unit, definition=registry.definition(db, SELF), cycle_year=2022,
                          answers=EXAMPLE_ANSWERS, action="submit", author=unit.lower(), base_revision=None,
                          request_token=None)


def post_decision(client, url: str = REVIEW, **fields):
    return client.post(url + "/decision", data={"csrf_token": csrf_token(client, url), **fields})


def counts(app) -> tuple:
    """How many decisions and audit entries there are: a refused decision changes neither."""
    return forms_sql(app, "SELECT (SELECT COUNT(*) FROM decisions), (SELECT COUNT(*) FROM audit_log)")[0]


def text_of(html: str) -> str:
    """A page's words without its tags (a page already unescaped keeps its "<" only inside words, never before one)."""
    return " ".join(unescape(re.sub(r"<[a-zA-Z/!][^>]*>", " ", html)).split())


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


# Every refusal of the spec, on the web: at the first step and when the confirmation is posted directly.

REFUSED = [
    pytest.param({"decision": "recognised", "decided_on": "2022-09-14", "reason": "Tiêu biểu"}, "decision_no",
                 "Thiếu số quyết định: công nhận và thu hồi công nhận luôn ghi số quyết định.", id="recognised-no-number"),
    pytest.param({"decision": "recognised", "decision_no": "45-QĐ/ĐTN", "reason": "Tiêu biểu"}, "decided_on",
                 "Thiếu ngày quyết định: công nhận và thu hồi công nhận luôn ghi ngày quyết định.", id="recognised-no-date"),
    pytest.param({"decision": "recognised", **NUMBERED}, "reason", TOAN_WHY + " — cần ghi lý do công nhận.",
                 id="recognised-below-the-rule-without-a-reason"),
    pytest.param({"decision": "accepted"}, "decision",
                 "Biểu mẫu này được chấm điểm: hãy công nhận, không công nhận hoặc trả lại, không tiếp nhận.",
                 id="accepted-on-a-scored-form"),
    pytest.param({"decision": "approved"}, "decision", "Hãy chọn một quyết định", id="unknown-kind"),
]


@pytest.mark.parametrize("step", [None, "confirm"])
@pytest.mark.parametrize("fields, field, sentence", REFUSED)
def test_each_refused_decision_is_said_beside_its_field_and_nothing_is_recorded(app, submitted, signed_in, fields,
                                                                                field, sentence, step):
    reviewer = signed_in("vanphong")
    before = counts(app)
    response = post_decision(reviewer, **fields, **({"step": step} if step else {}))
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert f"{field}-error" in FormPage(html).error_ids() and sentence in html
    offered = [a["value"] for a in FormPage(html).inputs if a.get("name") == "decision"]
    assert FormPage(html).checked("decision") == [k for k in offered if k == fields["decision"]]  # kept as typed
    assert counts(app) == before


@pytest.mark.parametrize("step", [None, "confirm"])
def test_a_withdrawal_without_number_date_or_reason_is_refused_and_nothing_is_recorded(app, submitted, signed_in,
                                                                                       forms, step):
    from forms_app.rules.deciding import record_decision

    record_decision(forms, "TOAN", SELF, 2022, "recognised", "vanphong", reason="Tiêu biểu", today=TODAY, **NUMBERED)
    reviewer = signed_in("vanphong")
    before = counts(app)
    response = post_decision(reviewer, decision="withdrawn", comment="Sai phạm", **({"step": step} if step else {}))
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert {"decision_no-error", "decided_on-error", "reason-error"} <= set(FormPage(html).error_ids())
    assert "Khi thu hồi công nhận, hãy ghi lý do." in html
    assert counts(app) == before


def test_a_unit_that_did_not_submit_cannot_be_recognised(app, signed_in):
    reviewer = signed_in("vanphong")
    before = counts(app)
    response = post_decision(reviewer, f"/review/VAN/{SELF}/2022", decision="recognised", reason="x", **NUMBERED,
                             step="confirm")
    assert response.status_code == 422
    assert "Đơn vị chưa nộp biểu mẫu này nên chưa thể xét" in unescape(response.get_data(as_text=True))
    assert counts(app) == before


@pytest.mark.parametrize("kind", ["recognised", "not_recognised", "withdrawn"])
def test_a_registration_is_never_judged(app, toan, signed_in, kind):
    reviewer = signed_in("vanphong")
    before = counts(app)
    response = post_decision(reviewer, REG_REVIEW, decision=kind, reason="x", **NUMBERED, step="confirm")
    assert response.status_code == 422
    assert "Biểu mẫu này không tính điểm (như bản đăng ký) nên không xét công nhận" in unescape(
        response.get_data(as_text=True))
    assert counts(app) == before
    assert forms_sql(app, "SELECT COUNT(*) FROM certificates") == [(0,)]


# The box and the confirmation step

def test_the_reason_field_is_there_only_when_a_recognition_needs_one(app, submitted, signed_in):
    reviewer = signed_in("vanphong")
    html = page(reviewer, REVIEW)
    assert "reason" in FormPage(html).textareas
    assert "Lý do công nhận (bắt buộc vì đơn vị chưa đạt điều kiện công nhận)" in html
    assert f"Theo kết quả: {TOAN_WHY}." in text_of(html)
    submit_example(app, "VAN")
    html = page(reviewer, f"/review/VAN/{SELF}/2022")
    assert "reason" not in FormPage(html).textareas
    # One question did not apply: the marks are scaled to what applied (70 × 98/100).
    assert "Theo kết quả: Đơn vị đạt điều kiện công nhận: tổng điểm 76/98 ≥ 68,6; mọi nhóm đạt điểm tối thiểu." in text_of(html)
    offered = [a["value"] for a in FormPage(html).inputs if a.get("name") == "decision"]
    assert offered == ["recognised", "not_recognised", "returned"]  # nothing to withdraw yet


def test_the_confirmation_says_what_will_happen_and_nothing_is_written_before_it(app, submitted, signed_in):
    reviewer = signed_in("vanphong")
    fields = {"decision": "recognised", **NUMBERED, "reason": "Dẫn đầu phong trào tình nguyện của cụm."}
    before = counts(app)
    said = post_decision(reviewer, **fields)
    assert said.status_code == 200 and counts(app) == before
    words = text_of(said.get_data(as_text=True))
    assert "Quyết định: công nhận cho Đoàn khoa Toán – Tin (TOAN)" in words
    assert "Theo Quyết định số 45-QĐ/ĐTN ngày 14/09/2022." in words
    assert TOAN_WHY + "." in words and "Lý do: Dẫn đầu phong trào tình nguyện của cụm." in words
    assert "Giấy chứng nhận được cấp ngay để đơn vị tải về." in words
    kept = FormPage(unescape(said.get_data(as_text=True)))
    assert kept.value("reason") == fields["reason"] and kept.value("decision_no") == "45-QĐ/ĐTN"

    back = reviewer.post(REVIEW + "/decision", data={"csrf_token": csrf_token(reviewer, REVIEW), **fields, "step": "edit"})
    assert back.status_code == 200 and FormPage(unescape(back.get_data(as_text=True))).value("reason") == fields["reason"]
    assert counts(app) == before

    done = post_decision(reviewer, **fields, step="confirm")
    assert done.status_code == 303
    assert forms_sql(app, "SELECT decision, decision_no, decided_on, reason FROM decisions") == [
        ("recognised", "45-QĐ/ĐTN", "2022-09-14", "Dẫn đầu phong trào tình nguyện của cụm.")]
    assert forms_sql(app, "SELECT COUNT(*) FROM certificates WHERE unit_code = 'TOAN'") == [(1,)]


def test_a_return_is_confirmed_with_the_one_deadline_it_gives(app, submitted, signed_in):
    reviewer = signed_in("vanphong")
    said = post_decision(reviewer, decision="returned", comment="Bổ sung minh chứng.", reopen_until="2022-09-20")
    words = text_of(said.get_data(as_text=True))
    # The window closes on 01/10/2022: a return until an earlier day leaves the unit that deadline.
    assert "Biểu mẫu mở lại cho đơn vị sửa và nộp lại đến hết ngày 01/10/2022." in words


# Registrations: accepted or returned

def test_a_registrations_review_page_offers_only_accept_or_return_and_no_score(app, toan, signed_in):
    html = page(signed_in("vanphong"), REG_REVIEW)
    offered = [a["value"] for a in FormPage(html).inputs if a.get("name") == "decision"]
    assert offered == ["accepted", "returned"]
    words = text_of(html)
    assert "Tổng điểm" not in words and "0 / 0" not in words and "Công nhận" not in words
    assert not FormPage(html).has_input("decision_no") and "reason" not in FormPage(html).textareas
    result = text_of(page(signed_in("vanphong"), f"/units/TOAN/forms/{REGISTRATION}/2022/result"))
    assert "Đã nộp; Văn phòng Đoàn trường chưa tiếp nhận." in result and "Tổng điểm" not in result and "0 / 0" not in result


def test_a_registration_accepted_is_what_the_unit_sees_and_locks_it(app, toan, signed_in):
    reviewer = signed_in("vanphong")
    said = post_decision(reviewer, REG_REVIEW, decision="accepted")
    assert said.status_code == 200 and "Quyết định: tiếp nhận cho Đoàn khoa Toán – Tin" in text_of(said.get_data(as_text=True))
    assert post_decision(reviewer, REG_REVIEW, decision="accepted", step="confirm").status_code == 303
    assert forms_sql(app, "SELECT form_id, decision, decision_no FROM decisions") == [(REGISTRATION, "accepted", None)]
    assert forms_sql(app, "SELECT action FROM audit_log WHERE action = 'decision_recorded'") == [("decision_recorded",)]
    card = text_of(page(toan, "/")).split("Đăng ký xây dựng", 1)[1].split("Báo cáo tự đánh giá", 1)[0]
    assert "Đã tiếp nhận" in card and "Văn phòng Đoàn trường đã tiếp nhận; biểu mẫu chỉ còn để xem." in card
    result = text_of(page(toan, f"/forms/{REGISTRATION}/2022/result"))
    assert "Đã tiếp nhận" in result and "Tổng điểm" not in result and "0 / 0" not in result and "tạm tính" not in result
    form = page(toan, f"/forms/{REGISTRATION}/2022")
    assert "Văn phòng Đoàn trường đã tiếp nhận biểu mẫu này nên đơn vị không thể sửa nữa." in form
    assert 'name="action"' not in form


def test_a_registration_returned_reopens_with_one_deadline_and_the_unit_reads_why(app, toan, signed_in):
    app.config["NOW"] = dt.datetime(2021, 10, 20, 3, 0, tzinfo=dt.timezone.utc)  # after the 2022 registration closed
    reviewer = signed_in("vanphong")
    assert post_decision(reviewer, REG_REVIEW, decision="returned", comment="Thiếu kế hoạch có chữ ký.",
                         reopen_until="2021-10-30", step="confirm").status_code == 303
    html = page(toan, f"/forms/{REGISTRATION}/2022")
    assert 'name="action"' in html  # open again
    words = text_of(html)
    assert "Hạn nộp: 30/10/2021 (mở lại để bổ sung)" in words and words.count("30/10/2021") == 1
    assert "Biểu mẫu được trả lại để bổ sung: hãy sửa và nộp lại trước hạn nộp. Nhận xét: Thiếu kế hoạch có chữ ký." in words
    card = text_of(page(toan, "/")).split("Đăng ký xây dựng", 1)[1].split("Báo cáo tự đánh giá", 1)[0]
    assert "Trả lại để bổ sung" in card and "Thiếu kế hoạch có chữ ký." in card and card.count("30/10/2021") == 1


# One decision for many units

def test_one_decision_for_many_units_is_one_transaction_with_an_audit_entry_each(app, signed_in, forms):
    from forms_app.rules import deciding

    for unit in ("TOAN", "VAN"):
        submit_example(app, unit)
    register(app, "LY")
    before = counts(app)
    entries = [deciding.Entry("TOAN", SELF, 2022, commendation=True), deciding.Entry("VAN", SELF, 2022),
               deciding.Entry("LY", REGISTRATION, 2022, "accepted")]
    rows = deciding.record_many(forms, entries, "vanphong", decision_no="60-QĐ/ĐTN", decided_on="2022-09-14",
                                today=TODAY)
    assert [r["unit_code"] for r in rows] == ["TOAN", "VAN", "LY"]
    assert forms_sql(app, "SELECT unit_code, decision, decision_no, decided_on, commendation FROM decisions ORDER BY id") == [
        ("TOAN", "recognised", "60-QĐ/ĐTN", "2022-09-14", 1), ("VAN", "recognised", "60-QĐ/ĐTN", "2022-09-14", 0),
        ("LY", "accepted", "60-QĐ/ĐTN", "2022-09-14", 0)]
    entries_ = forms_sql(app, "SELECT unit_code, detail FROM audit_log WHERE action = 'decision_recorded' ORDER BY id")
    assert [unit for unit, _ in entries_] == ["TOAN", "VAN", "LY"]
    assert all(json.loads(detail)["units"] == 3 for _, detail in entries_)
    assert counts(app) == (before[0] + 3, before[1] + 3)
    stamps = forms_sql(app, "SELECT DISTINCT recorded_at FROM decisions")
    assert len(stamps) == 1  # one moment for the one decision


def test_one_refused_unit_refuses_the_whole_decision_with_a_sentence_per_unit(app, signed_in, forms):
    from forms_app.rules import deciding

    submit_example(app, "TOAN")
    register(app, "VAN")
    submit(signed_in("van"))  # 11/100
    before = counts(app)
    entries = [deciding.Entry("TOAN", SELF, 2022), deciding.Entry("VAN", SELF, 2022), deciding.Entry("LY", SELF, 2022),
               deciding.Entry("TOAN", SELF, 2022)]
    with pytest.raises(deciding.BatchRefused) as caught:
        deciding.record_many(forms, entries, "vanphong", decision_no="60-QĐ/ĐTN", decided_on="2022-09-14", today=TODAY)
    sentences = caught.value.sentences("vi")
    assert sentences[0] == "Đơn vị VAN: " + TOAN_WHY + " — cần ghi lý do công nhận."
    assert sentences[1].startswith("Đơn vị LY: Đơn vị chưa nộp biểu mẫu này")
    assert sentences[2] == "Đơn vị TOAN: Đơn vị này có hai lần trong cùng một quyết định."
    assert caught.value.sentences("en")[0].startswith("Unit VAN: The unit does not meet the conditions for recognition")
    assert counts(app) == before
    with pytest.raises(deciding.BatchRefused) as caught:
        deciding.record_many(forms, entries[:1], "vanphong", decision_no=None, decided_on=None, today=TODAY)
    assert [r.code for r in caught.value.refusals] == ["decision_no", "decided_on"]
    with pytest.raises(deciding.DecisionError) as caught:
        deciding.record_many(forms, [], "vanphong", decision_no="1", decided_on="2022-09-14", today=TODAY)
    assert caught.value.code == "batch_empty"
    with_reason = [deciding.Entry("VAN", SELF, 2022, reason="Đơn vị mới thành lập, được Ban Thường vụ khuyến khích.")]
    deciding.record_many(forms, with_reason, "vanphong", decision_no="61-QĐ/ĐTN", decided_on="2022-09-14", today=TODAY)
    assert forms_sql(app, "SELECT unit_code, reason FROM decisions") == [("VAN", with_reason[0].reason)]


# The demo's decisions agree with the results

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from forms_app.adapters.cli import cli

    data_dir = tmp_path_factory.mktemp("demo") / "data"
    result = CliRunner().invoke(cli, ["demo", "--units", "40", "--years", "2019-2022", "--seed", "5",
                                      "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return data_dir


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def test_the_demos_decisions_agree_with_the_results(demo):
    from forms_app.data import connection as database
    from forms_app.rules import deciding, verdict

    forms = database.open_forms(demo)
    try:
        rows = list(forms.query("SELECT unit_code, form_id, cycle_year, decision, comment, decision_no FROM decisions "
                                "WHERE decision IN ('recognised', 'not_recognised')"))
        facts = deciding.read_facts(forms, [(r["unit_code"], r["form_id"], r["cycle_year"]) for r in rows])
    finally:
        forms.close()
    assert {r["decision"] for r in rows} == {"recognised", "not_recognised"}
    for row in rows:
        fact = facts[(row["unit_code"], row["form_id"], row["cycle_year"])]
        assert (row["decision"] == "recognised") == verdict.meets(fact.standing), row
        if row["decision"] == "not_recognised":
            assert row["comment"] == fact.why("vi"), row
            said = re.search(r"tổng điểm ([\d,]+)/[\d,]+ < ([\d,]+)", row["comment"])
            assert said is None or _number(said[1]) == fact.standing["total"] < _number(said[2]), row  # never ≥ the mark
            assert "tổng điểm chưa đạt" not in row["comment"].lower()


def test_the_demo_takes_one_decision_per_year_and_accepts_the_registrations(demo):
    conn = sqlite3.connect(demo / "forms.db")
    try:
        numbers = conn.execute("SELECT cycle_year, COUNT(DISTINCT decision_no), COUNT(DISTINCT decided_on), "
                               "COUNT(DISTINCT recorded_at), COUNT(*) FROM decisions WHERE form_id = ? "
                               "GROUP BY cycle_year", [SELF]).fetchall()
        accepted = conn.execute("SELECT COUNT(*) FROM decisions WHERE form_id = ? AND decision = 'accepted'",
                                [REGISTRATION]).fetchone()[0]
        submitted = conn.execute("SELECT COUNT(*) FROM submissions WHERE form_id = ? AND status = 'submitted'",
                                 [REGISTRATION]).fetchone()[0]
        audited = conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'decision_recorded'").fetchone()[0]
        total = conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    finally:
        conn.close()
    assert [n[0] for n in numbers] == [2019, 2020, 2021, 2022]
    assert all(n[1:4] == (1, 1, 1) and n[4] > 1 for n in numbers)  # one Quyết định per year, many units
    assert accepted == submitted and audited == total
    with (demo / "demo-accounts.csv").open(encoding="utf-8") as handle:
        assert any(row["role"] == "reviewer" for row in csv.DictReader(handle))
