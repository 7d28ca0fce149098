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

    numbered = {"decided_on": "2022-09-15", "reason": "Đơn vị tiêu biểu"}  # its result is below the rule
    decide("returned", comment="Bổ sung minh chứng", reopen_until="2022-09-30")
    decide("recognised", decision_no="7-QĐ/ĐTN", **numbered)
    decide("withdrawn", decision_no="8-QĐ/ĐTN", **numbered)
    last = decide("recognised", decision_no="9-QĐ/ĐTN", **numbered)

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


# Adjustments in bulk (the demo's inspections)

def test_adjustments_inserted_at_once_refresh_the_adjusted_scores(app, submitted, forms):
    sid = submission_row(app, "TOAN")["id"]
    at = "2022-10-20T02:00:00+00:00"
    deciding.record_adjustments_many(forms, [(sid, "co_chuong_trinh_hanh_dong", 0.0, "Thiếu chữ ký", "kiemtra", at)],
                                     actor="demo")
    assert submitting.current_adjustments(forms, sid) == {"co_chuong_trinh_hanh_dong": {"points": 0.0, "reason": "Thiếu chữ ký"}}
    row = submission_row(app, "TOAN")
    assert row["adjusted_total"] == row["total"] - 4
    # The standing a decision reads follows the adjustment (and says the same numbers the report does).
    facts = deciding.read_facts(forms, [("TOAN", SELF, 2022)])[("TOAN", SELF, 2022)]
    assert facts.submitted and facts.standing["total"] == row["adjusted_total"]


# Why a result meets the recognition rule or not (rules.verdict)

def _definition():
    """The shipped self-assessment, version 2 (its sections 2.1–2.3, pass marks 28, 28, 14; total at least 70)."""
    from form_definitions import load_definitions

    return next(d for d in load_definitions() if d.id == SELF and d.version == 2)


def _report(total, sections, max_total=100.0, full=100.0):
    """A score report's numbers: sections as (id, score, max, pass mark, passed)."""
    return {"total": total, "max_total": max_total, "full_max_total": full,
            "sections": [{"id": i, "score": sc, "max": m, "pass_min": pm, "passed": ok} for i, sc, m, pm, ok in sections],
            "recognised": total >= 70 and all(s[4] for s in sections)}


def test_why_names_what_fails_by_section_titles_and_what_holds():
    from forms_app.rules import verdict

    definition = _definition()
    failing = _report(81, [("nhom_2_1", 35, 40, 28, True), ("nhom_2_2", 35, 40, 28, True), ("nhom_2_3", 11, 20, 14, False)])
    assert verdict.why(failing, definition, "vi") == "Đơn vị chưa đạt điều kiện công nhận: nhóm 2.3 đạt 11/20 < 14."
    assert verdict.why(failing, definition, "en") == (
        "The unit does not meet the conditions for recognition: section 2.3 scored 11/20 < 14.")
    low = _report(65.5, [("nhom_2_1", 30, 40, 28, True), ("nhom_2_2", 27.5, 40, 28, False), ("nhom_2_3", 8, 20, 14, False)])
    assert verdict.why(low, definition, "vi") == (
        "Đơn vị chưa đạt điều kiện công nhận: tổng điểm 65,5/100 < 70; nhóm 2.2 đạt 27,5/40 < 28; nhóm 2.3 đạt 8/20 < 14.")
    holding = _report(70, [("nhom_2_1", 28, 40, 28, True), ("nhom_2_2", 28, 40, 28, True), ("nhom_2_3", 14, 20, 14, True)])
    assert verdict.why(holding, definition, "vi") == (
        "Đơn vị đạt điều kiện công nhận: tổng điểm 70/100 ≥ 70; mọi nhóm đạt điểm tối thiểu.")
    assert verdict.meets(holding) is True and verdict.meets(low) is False and verdict.meets(None) is None


def test_why_scales_the_total_mark_to_what_applied_and_never_shows_two_equal_numbers():
    from forms_app.rules import verdict

    definition = _definition()
    # 97 points applied: the mark is 70 × 97/100 = 67.9; 67.89 is under it, and says so with enough decimals.
    scaled = _report(67.89, [("nhom_2_1", 28, 37, 25.9, True), ("nhom_2_2", 28, 40, 28, True),
                             ("nhom_2_3", 14, 20, 14, True)], max_total=97.0)
    assert verdict.why(scaled, definition, "vi") == "Đơn vị chưa đạt điều kiện công nhận: tổng điểm 67,89/97 < 67,9."
    close = _report(69.999, [("nhom_2_1", 28, 40, 28, True), ("nhom_2_2", 28, 40, 28, True), ("nhom_2_3", 14, 20, 14, True)])
    assert "tổng điểm 69,999/100 < 70" in verdict.why(close, definition, "vi")


def test_why_says_nothing_for_a_form_without_a_recognition_rule():
    from support.data import REGISTRATION

    from form_definitions import load_definitions
    from forms_app.rules import verdict

    registration = next(d for d in load_definitions() if d.id == REGISTRATION)
    assert verdict.why({"total": 0, "max_total": 0, "sections": []}, registration, "vi") is None
    assert verdict.why(None, _definition(), "vi") is None


def test_a_sections_name_is_its_number_or_its_title():
    from forms_app.rules import verdict

    assert verdict._name("2.3. Chủ động tham mưu cấp ủy", "vi") == "nhóm 2.3"
    assert verdict._name("Phong trào tình nguyện", "vi") == "nhóm “Phong trào tình nguyện”"
    assert verdict._name("III Công tác khác", "en") == "section “III Công tác khác”"


# m010: decisions rebuilt with `accepted` and `reason`, every row, id and certificate kept

def test_m010_keeps_every_decision_and_the_certificates_that_refer_to_them(tmp_path):
    import sqlite3

    from sqlite_utils import Database

    from forms_app.data.migrations import forms_migrations

    path = tmp_path / "forms.db"
    db = Database(sqlite3.connect(path))
    db.execute("PRAGMA foreign_keys = ON")
    forms_migrations.apply(db, stop_before="m010_decisions_accepted_and_reasons")
    with db.conn:
        db.execute("INSERT INTO units (code, name, cluster, name_ascii, created_at, updated_at) "
                   "VALUES ('TOAN', 'Toán', 'Cụm 1', 'toan', 'now', 'now')")
        for kind in ("recognised", "withdrawn", "recognised"):
            db.execute("INSERT INTO decisions (unit_code, form_id, cycle_year, decision, decision_no, decided_on, "
                       "recorded_by, recorded_at) VALUES ('TOAN', 'f', 2022, ?, '1', '2022-10-20', 'vp', 'now')", [kind])
        db.execute("INSERT INTO certificates (serial, unit_code, form_id, cycle_year, decision_id, file, created_at) "
                   "VALUES ('S', 'TOAN', 'f', 2022, 3, 'x.pdf', 'now')")
    before = db.execute("SELECT id, decision, is_current FROM decisions ORDER BY id").fetchall()
    forms_migrations.apply(db)
    assert db.execute("SELECT id, decision, is_current FROM decisions ORDER BY id").fetchall() == before
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("SELECT decision_id FROM certificates").fetchall() == [(3,)]
    with db.conn:
        db.execute("INSERT INTO decisions (unit_code, form_id, cycle_year, decision, reason, recorded_by, recorded_at) "
                   "VALUES ('TOAN', 'f', 2022, 'accepted', 'x', 'vp', 'now')")
    assert db.execute("SELECT id, is_current FROM decisions ORDER BY id").fetchall() == [(1, 0), (2, 0), (3, 0), (4, 1)]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO decisions (unit_code, form_id, cycle_year, decision, recorded_by, recorded_at) "
                   "VALUES ('TOAN', 'f', 2022, 'approved', 'vp', 'now')")
    db.close()


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
