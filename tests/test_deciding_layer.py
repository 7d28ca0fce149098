"""Decisions and adjustments through their data layer: one decision in force, batch inserts, one catalogue of refusals."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from support.data import SELF, forms_sql, submission_row
from support.web import complete_self_assessment, csrf_token, pdf_upload, post_answers, unescape

from forms_app.rules import deciding, decisions_import, submitting
from forms_app.rules.messages import LANGS

TODAY = dt.date(2022, 9, 15)
REVIEW = f"/review/TOAN/{SELF}/2022"
RULES = Path(deciding.__file__).parent


@pytest.fixture
def forms(app):
    from forms_app.data import connection as database

    connection = database.open_forms(app.config["DATA_DIR"])
    yield connection
    connection.close()


@pytest.fixture
def submitted(app, toan):
    """TOAN's 2022 self-assessment, submitted with its work plan (the proof co_chuong_trinh_hanh_dong's 4 points need)."""
    files = {"file_ke_hoach_cong_tac": pdf_upload("ke-hoach.pdf")}
    assert post_answers(toan, complete_self_assessment(), "submit", files=files).status_code == 303
    return toan


def flagged(app, unit: str = "TOAN") -> list[tuple]:
    return forms_sql(app, "SELECT id, decision FROM decisions WHERE unit_code = ? AND is_current = 1", (unit,))


# One decision in force

def test_the_current_decision_is_the_flagged_row_and_the_latest_after_several_decisions(app, submitted, forms):
    def decide(kind, **kw):
        return deciding.record_decision(forms, "TOAN", SELF, 2022, kind, "vanphong", today=TODAY, **kw)

    decide("returned", comment="Bổ sung minh chứng", reopen_until="2022-09-30")
    decide("recognised", decision_no="7-QĐ/ĐTN")
    decide("withdrawn", comment="Sai sót")
    last = decide("recognised", decision_no="9-QĐ/ĐTN")

    current = deciding.current_decision(forms, "TOAN", SELF, 2022)
    [(flagged_id, flagged_kind)] = flagged(app)
    [(max_id,)] = forms_sql(app, "SELECT MAX(id) FROM decisions WHERE unit_code = 'TOAN'")
    assert current["id"] == flagged_id == max_id == last["id"] and current["decision"] == flagged_kind == "recognised"
    assert deciding.history(forms, "TOAN", SELF, 2022)[0] == current
    assert deciding.current_decisions(forms, ["TOAN"]) == {("TOAN", SELF, 2022): current}
    assert [r["decision"] for r in deciding.history(forms, "TOAN", SELF, 2022)] == [
        "recognised", "withdrawn", "recognised", "returned"]


def test_no_decision_means_no_current_one(app, forms):
    assert deciding.current_decision(forms, "TOAN", SELF, 2022) is None
    assert deciding.history(forms, "TOAN", SELF, 2022) == []
    assert deciding.current_decisions(forms, ["TOAN"]) == {} and deciding.current_decisions(forms, []) == {}


# Batch inserts (the demo)

def test_decisions_and_adjustments_inserted_in_batches_keep_the_latest_current(app, submitted, forms):
    sid = submission_row(app, "TOAN")["id"]
    at = "2022-10-20T02:00:00+00:00"
    rows = [("TOAN", SELF, 2022, "not_recognised", "Thiếu minh chứng", None, "1-QĐ/ĐTN", "2022-10-19", 0, "import", "demo", at),
            ("TOAN", SELF, 2022, "recognised", None, None, "2-QĐ/ĐTN", "2022-10-20", 1, "import", "demo", at)]
    deciding.record_many(forms, rows, [(sid, "co_chuong_trinh_hanh_dong", 0.0, "Thiếu chữ ký", "kiemtra", at)], actor="demo")
    assert [r[1] for r in flagged(app)] == ["recognised"]
    assert deciding.current_decision(forms, "TOAN", SELF, 2022)["decision_no"] == "2-QĐ/ĐTN"
    assert submitting.current_adjustments(forms, sid) == {"co_chuong_trinh_hanh_dong": {"points": 0.0, "reason": "Thiếu chữ ký"}}
    row = submission_row(app, "TOAN")
    assert row["adjusted_total"] == row["total"] - 4
    assert forms_sql(app, "SELECT decision FROM tong_quan WHERE submission_id = ?", (sid,)) == [("recognised",)]


# One catalogue of refusals

def _codes_raised(path: Path, call: str, position: int) -> set[str]:
    """The literal codes given to `call(...)` at `position` (Refusal: 0, Problem: 1) in a module of the rules."""
    codes = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == call and len(node.args) > position:
            code = node.args[position]
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                codes.add(code.value)
    return codes


def test_every_refusal_and_problem_code_has_a_sentence_in_both_languages():
    raised = _codes_raised(RULES / "deciding.py", "Refusal", 0) | _codes_raised(RULES / "decisions_import.py", "Problem", 1)
    assert {"kind", "not_submitted", "reason_needed", "duplicate", "year"} <= raised
    raised |= {"unreadable", "empty", "columns"}  # read_table's problems, shared with the units' import
    assert raised <= {code.split("/")[0] for code in deciding.MESSAGES}, raised - set(deciding.MESSAGES)
    for code, texts in deciding.MESSAGES.items():
        assert set(texts) == set(LANGS), code
        assert sorted(re.findall(r"\{(\w+)\}", texts["vi"])) == sorted(re.findall(r"\{(\w+)\}", texts["en"])), code
        assert code.split("/")[-1] in deciding.PLACES or "/" not in code, code


def test_a_refusal_reads_the_same_on_the_page_and_in_a_file_unless_the_file_must_name_the_cell():
    same = deciding.message("not_recognised_now", "vi", "file")
    assert same == deciding.message("not_recognised_now", "vi", "decision") == "Chỉ thu hồi được khi đơn vị đang được công nhận."
    assert deciding.message("not_submitted", "vi", "file", unit="LY", form=SELF, year=2022) == (
        f"Đơn vị LY chưa nộp biểu mẫu {SELF} năm 2022, nên chưa thể xét.")
    assert deciding.message("not_submitted", "en", "adjustment") == (
        "The unit has not submitted this form, so its points cannot be adjusted yet.")
    assert deciding.message("date", "vi", "file", value="20.10.2022").startswith("Ngày \"20.10.2022\" không hợp lệ")
    assert deciding.message("no_such_code", "en") == "no_such_code"
    problem = decisions_import.Problem(7, "duplicate", {"first": 3})
    assert problem.message("en") == "Row 7: This unit, form and year already appear on row 3."
    assert decisions_import.Problem(0, "empty").message("vi") == "Tệp không có dòng dữ liệu nào."


def test_a_refused_decision_is_told_in_the_pages_language(app, submitted, signed_in):
    reviewer = signed_in("vanphong")
    reviewer.get("/login?lang=en")
    response = reviewer.post(REVIEW + "/decision", data={"csrf_token": csrf_token(reviewer, REVIEW), "decision": "returned",
                                                         "reopen_until": "14/09/2022", "comment": ""})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "The reopening date must be today or later." in html
    assert "When returning the form, write a comment telling the unit what to complete." in html
    assert "Ngày mở lại" not in html


def test_an_adjustment_before_the_submit_is_refused_with_the_adjustments_sentence(app, toan, forms):
    assert post_answers(toan, complete_self_assessment(), "save").status_code == 303
    sid = submission_row(app, "TOAN")["id"]
    with pytest.raises(deciding.DecisionError) as caught:
        deciding.record_adjustment(forms, sid, "co_chuong_trinh_hanh_dong", 1, "x", "kiemtra")
    [refusal] = caught.value.refusals
    assert deciding.message(refusal.code, "vi", "adjustment", **refusal.params) == (
        "Đơn vị chưa nộp biểu mẫu này nên chưa thể điều chỉnh điểm.")
