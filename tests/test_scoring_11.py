"""Format 1.1 in scoring: a part never above its whole (`at_most`), points bound to a proof (`evidence`), a ratio
that may not apply (`if_zero_denominator: "not_applicable"`) with every threshold scaled to what applied, the
compiled scorer equal to the reference on 1.1 forms, and the stored rows of a submit agreeing with the report."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.data import opened
from support.foreign import ASSESSMENT, FOREIGN, NOW, YEAR, build_foreign_data_dir, sign_up
from test_scoring import (
    PROPERTY_SETTINGS,
    agree,
    check_invariants,
    checked,
    choices,
    document,
    entry,
    form,
    q,
    section,
    value_strategy,
)

from form_definitions.loader import load_file
from form_definitions.model import Definition
from scoring import InvalidAnswers, describe_rule, points, score, validate_answers, visibility


@pytest.fixture(scope="module")
def foreign() -> Definition:
    """The assessment of the questionnaire pair written elsewhere (tests/data/foreign), with every 1.1 key."""
    definition, problems = load_file(FOREIGN / f"{ASSESSMENT}.json")
    assert not problems, [p.line("en") for p in problems]
    return definition


RATIO = {"bands": [{"at_least": 1, "points": 4}, {"at_least": 0.5, "points": 2}]}

# ---------------------------------------------------------------------------------------------
# 1. at_most: a part is never larger than its whole.
# ---------------------------------------------------------------------------------------------


def parts_form(kind: str = "integer", **whole) -> Definition:
    """`phan` (a part, at most `tong`) scored as a ratio of `tong`; `whole` adds keys to `tong`."""
    return form(q("co", "boolean"), q("tong", kind, min=0, **whole),
                q("bo_phan", kind, min=0, at_most="tong", points={"ratio_to": "tong", **RATIO}))


def test_part_larger_than_its_whole_is_refused_naming_both_questions():
    errors = validate_answers(parts_form(), {"tong": 120, "bo_phan": 150})
    assert [(e.code, e.question) for e in errors] == [("at_most", "bo_phan")]
    assert errors[0].message() == "\"Câu hỏi bo_phan\" (150) không được lớn hơn \"Câu hỏi tong\" (120)."
    assert validate_answers(parts_form(), {"tong": 120, "bo_phan": 150}, "en")[0].message("en") == (
        "\"Question bo_phan\" (150) must not be greater than \"Question tong\" (120).")


def test_part_larger_than_its_whole_beside_the_field_still_names_the_whole():
    [error] = validate_answers(parts_form(), {"tong": 120, "bo_phan": 150})
    beside = error.message(beside_field=True)
    assert "\"Câu hỏi tong\" (120)" in beside and "150" in beside and "Câu hỏi bo_phan" not in beside
    assert "\"Question tong\"" in validate_answers(parts_form(), {"tong": 120, "bo_phan": 150}, "en")[0].message(
        "en", beside_field=True)


def test_the_foreign_form_refuses_150_members_assessed_of_120(foreign):
    with pytest.raises(InvalidAnswers) as caught:
        score(foreign, {"so_doi_vien": 120, "so_doi_vien_tich_cuc": 150})
    [error] = caught.value.errors
    assert (error.code, error.question) == ("at_most", "so_doi_vien_tich_cuc")
    assert error.message() == ("\"Số đội viên tham gia đủ các buổi\" (150) không được lớn hơn "
                               "\"Tổng số đội viên\" (120).")


@pytest.mark.parametrize("answers", [
    {"tong": 120, "bo_phan": 120}, {"tong": 120, "bo_phan": 0}, {"tong": 0, "bo_phan": 0}, {"bo_phan": 150}, {"tong": 120},
    {"tong": 120, "bo_phan": None}, {},
], ids=["equal", "zero part", "both zero", "whole unanswered", "part unanswered", "part null", "nothing"])
def test_a_part_up_to_its_whole_or_alone_is_accepted(answers):
    assert validate_answers(parts_form(), answers) == []


def test_a_hidden_whole_limits_nothing():
    definition = parts_form(visible_if={"question": "co", "equals": True})
    assert validate_answers(definition, {"co": False, "tong": 10, "bo_phan": 50}) == []
    assert [e.code for e in validate_answers(definition, {"co": True, "tong": 10, "bo_phan": 50})] == ["at_most"]


def test_a_part_of_the_wrong_type_is_said_once_by_its_own_error():
    assert [e.code for e in validate_answers(parts_form(), {"tong": 10, "bo_phan": "năm mươi"})] == ["integer"]
    assert [e.code for e in validate_answers(parts_form(), {"tong": "mười", "bo_phan": 50})] == ["integer"]


@pytest.mark.parametrize("part, whole, refused", [(2.5, 2, True), (2.0001, 2, True), (2, 2, False), (1.9999, 2, False)])
def test_decimal_parts_are_compared_exactly_and_shown_as_typed(part, whole, refused):
    errors = validate_answers(parts_form("number"), {"tong": whole, "bo_phan": part})
    assert [e.code for e in errors] == (["at_most"] if refused else [])
    if refused:
        assert f"({str(part).replace('.', ',')})" in errors[0].message()


# ---------------------------------------------------------------------------------------------
# 2. evidence: points that need their proof.
# ---------------------------------------------------------------------------------------------

PROOF = q("tep", "file", points={"if_provided": 1})


def evidence_form(claim: dict, proof: dict = PROOF, *before: dict) -> Definition:
    """`claim` bound to the file question `tep`, which comes after it in the form."""
    return form(*before, {**claim, "evidence": "tep"}, proof)


def test_points_without_their_proof_are_zero_and_the_rule_says_the_proof_is_missing():
    definition = evidence_form(q("b", "boolean", points={"true": 4, "false": 0}))
    item = entry(score(definition, {"b": True}), "b")
    assert (item["points"], item["max_points"], item["applicable"]) == (0.0, 4.0, True)
    assert item["rule"] == "Có → 4 điểm; cần minh chứng: Câu hỏi tep — chưa có → 0 điểm"
    assert entry(score(definition, {"b": True}, lang="en"), "b")["rule"] == (
        "Yes → 4 points; needs proof: Question tep — missing → 0 points")


def test_points_with_their_proof_count_even_when_the_proof_comes_later():
    definition = evidence_form(q("b", "boolean", points={"true": 4, "false": 0}))
    report = score(definition, {"b": True, "tep": "so-theo-doi.pdf"})
    assert entry(report, "b")["points"] == 4.0 and report["total"] == 5.0
    assert entry(report, "b")["rule"] == "Có → 4 điểm (minh chứng: đã nộp)"
    assert entry(score(definition, {"b": True, "tep": "x.pdf"}, lang="en"), "b")["rule"] == "Yes → 4 points (proof: provided)"


def test_an_answer_that_earns_nothing_does_not_ask_for_proof():
    definition = evidence_form(q("b", "boolean", points={"true": 4, "false": 0}))
    assert entry(score(definition, {"b": False}), "b")["rule"] == "Không → 0 điểm"
    assert entry(score(definition, {}), "b")["rule"] == "Chưa trả lời → 0 điểm"


def test_a_hidden_proof_is_no_proof():
    proof = q("tep", "file", points={"if_provided": 1}, visible_if={"question": "co_tep", "equals": True})
    definition = evidence_form(q("b", "boolean", points={"true": 4}), proof, q("co_tep", "boolean"))
    assert entry(score(definition, {"b": True, "co_tep": False, "tep": "x.pdf"}), "b")["points"] == 0.0
    assert entry(score(definition, {"b": True, "co_tep": True, "tep": "x.pdf"}), "b")["points"] == 4.0


@pytest.mark.parametrize("claim, answers, earned", [
    (q("c", "single_choice", choices=choices(a=3, b=1)), {"c": "a"}, 3.0),
    (q("c", "multi_choice", max_points=3, choices=choices(x=2, y=2)), {"c": ["x", "y"]}, 3.0),
    (q("c", "integer", min=0, points={"bands": [{"at_least": 10, "points": 5}]}), {"c": 12}, 5.0),
    (q("c", "integer", min=0, points={"ratio_to": "n", **RATIO}), {"n": 4, "c": 4}, 4.0),
    (q("c", "file", points={"if_provided": 2}), {"c": "bien-ban.pdf"}, 2.0),
], ids=["single", "multi", "bands", "ratio", "file"])
def test_every_rule_can_need_a_proof(claim, answers, earned):
    definition = evidence_form(claim, PROOF, q("n", "integer", min=0))
    assert entry(score(definition, answers), "c")["points"] == 0.0
    assert "cần minh chứng: Câu hỏi tep — chưa có → 0 điểm" in entry(score(definition, answers), "c")["rule"]
    assert entry(score(definition, {**answers, "tep": "x.pdf"}), "c")["points"] == earned
    agree(definition, answers)
    agree(definition, {**answers, "tep": "x.pdf"})


def test_a_reviewer_may_still_give_the_points_of_a_proof_seen_elsewhere():
    definition = evidence_form(q("b", "boolean", points={"true": 4}))
    item = entry(score(definition, {"b": True}, {"b": {"points": 9, "reason": "biên bản gửi bản giấy"}}), "b")
    assert (item["points"], item["auto_points"], item["max_points"]) == (4.0, 0.0, 4.0)


def test_describe_rule_says_the_proof_and_names_it_with_the_definition(foreign):
    claim = foreign.question("co_so_tay")
    assert describe_rule(claim, "vi", foreign) == (
        "Có → 4 điểm; Không → 0 điểm; cần minh chứng: Minh chứng: ảnh chụp sổ theo dõi")
    assert describe_rule(claim, "en") == "Yes → 4 points; No → 0 points; needs proof"


# ---------------------------------------------------------------------------------------------
# 3. not applicable: a ratio over a denominator answered 0.
# ---------------------------------------------------------------------------------------------


def lapsing_form(mode: str = "not_applicable", **denominator) -> Definition:
    return form(q("co", "boolean"), q("d", "integer", min=0, **denominator),
                q("r", "integer", min=0, points={"ratio_to": "d", "if_zero_denominator": mode, **RATIO}),
                q("c", "boolean", points={"true": 2}), pass_min=3)


@pytest.mark.parametrize("own", [None, 0, 5], ids=["unanswered", "zero", "five"])
def test_a_ratio_over_a_denominator_answered_0_does_not_apply_whatever_its_answer(own):
    report = score(lapsing_form(), {"d": 0, "r": own, "c": True})
    item = entry(report, "r")
    assert (item["points"], item["max_points"], item["applicable"], item["visible"]) == (0.0, 0.0, False, True)
    assert item["rule"] == "Không phát sinh: \"Câu hỏi d\" = 0 → không tính"
    assert entry(score(lapsing_form(), {"d": 0, "r": own}, lang="en"), "r")["rule"] == (
        "Did not arise: \"Question d\" = 0 → not counted")
    sec = report["sections"][0]
    assert (sec["score"], sec["max"], sec["full_max"], sec["pass_min"], sec["passed"]) == (2.0, 2.0, 6.0, 1.0, True)
    assert (report["max_total"], report["full_max_total"]) == (2.0, 6.0)


@pytest.mark.parametrize("answers, mode, extra", [
    ({"r": 3}, "not_applicable", {}),  # denominator unanswered: earns 0, as in version 1
    ({"d": 0, "r": 3}, "zero", {}),  # the default: a 0 denominator earns 0
    ({"co": False, "d": 0, "r": 3}, "not_applicable", {"visible_if": {"question": "co", "equals": True}}),  # hidden
], ids=["denominator unanswered", "zero mode", "denominator hidden"])
def test_a_ratio_still_applies_unless_a_visible_denominator_is_answered_0(answers, mode, extra):
    report = score(lapsing_form(mode, **extra), answers)
    item = entry(report, "r")
    assert (item["points"], item["max_points"], item["applicable"]) == (0.0, 4.0, True)
    assert "mẫu số \"d\" bằng 0 hoặc chưa trả lời" in item["rule"]
    assert report["max_total"] == report["full_max_total"] == 6.0
    assert report["sections"][0]["pass_min"] == 3.0


def test_a_hidden_ratio_keeps_its_full_maximum():
    definition = form(q("co", "boolean"), q("d", "integer", min=0),
                      q("r", "integer", min=0, visible_if={"question": "co", "equals": True},
                        points={"ratio_to": "d", "if_zero_denominator": "not_applicable", **RATIO}))
    item = entry(score(definition, {"co": False, "d": 0}), "r")
    assert (item["visible"], item["applicable"], item["max_points"]) == (False, True, 4.0)


def test_an_adjustment_of_a_question_that_did_not_apply_is_clamped_to_0():
    item = entry(score(lapsing_form(), {"d": 0, "r": 1}, {"r": {"points": 3, "reason": "x"}}), "r")
    assert (item["points"], item["auto_points"], item["max_points"], item["adjusted"]) == (0.0, 0.0, 0.0, True)


def test_describe_rule_says_when_a_ratio_does_not_apply(foreign):
    ratio = foreign.question("so_truong_hop_duoc_giup")
    assert describe_rule(ratio, "vi", foreign).endswith(
        "; \"Số trường hợp khó khăn phát hiện\" = 0 → không phát sinh, không tính")
    assert describe_rule(ratio, "en").endswith("; a denominator of 0 → did not arise, not counted")


FOREIGN_ANSWERS = {"so_doi_vien": 10, "so_doi_vien_tich_cuc": 8, "co_so_tay": True, "tep_so_tay": "so.jpg",
                   "so_truong_hop": 0, "co_quy_ho_tro": "co"}


def test_the_foreign_form_scales_what_applied_when_no_case_arose(foreign):
    report = score(foreign, FOREIGN_ANSWERS)
    assert all(isinstance(item["applicable"], bool) for item in report["questions"])
    assert [item["id"] for item in report["questions"] if not item["applicable"]] == ["so_truong_hop_duoc_giup"]
    ho_tro = report["sections"][1]
    assert (ho_tro["id"], ho_tro["max"], ho_tro["full_max"], ho_tro["pass_min"], ho_tro["passed"]) == (
        "ho_tro", 2.0, 6.0, 1.0, True)
    assert report["sections"][0]["pass_min"] == 6.0 and report["sections"][0]["max"] == 10.0
    assert (report["total"], report["max_total"], report["full_max_total"]) == (12.0, 12.0, 16.0)
    assert report["band"] == "Tốt" and report["recognised"] is True  # 12 of 12: 12 × 16 ≥ 15 × 12
    agree(foreign, FOREIGN_ANSWERS)


@pytest.mark.parametrize("change, total, recognised", [
    ({"co_quy_ho_tro": "khong", "tep_so_tay": None, "co_so_tay": False, "so_doi_vien_tich_cuc": 8}, 4.0, False),
    ({"co_quy_ho_tro": "khong", "tep_so_tay": None}, 4.0, False),  # 4 + 0 + 0 + 0: the proof missing takes 4
    ({"tep_so_tay": None}, 6.0, False),  # 6 × 16 < 10 × 12
    ({"so_doi_vien_tich_cuc": 5}, 10.0, True),  # 10 × 16 ≥ 10 × 12 (the scaled mark is 7.5)
])
def test_the_foreign_forms_recognition_is_scaled_to_12_points(foreign, change, total, recognised):
    answers = {**FOREIGN_ANSWERS, **change}
    report = score(foreign, answers)
    assert report["total"] == total and report["max_total"] == 12.0
    assert report["recognised"] is recognised
    agree(foreign, answers)


# ---------------------------------------------------------------------------------------------
# 4. Scaled thresholds at their exact boundaries (section pass marks, bands, recognition).
# ---------------------------------------------------------------------------------------------

# `x` earns exactly what it is answered, for these values: just below, at and above every scaled mark below.
X_POINTS = [3, 2.5001, 2.5, 2.4999, 2.0001, 2, 1.9999, 1.0001, 1, 0.9999, 0.6667, 0.6666, 0.3001, 0.3, 0.2999]


def boundary_form(pass_min: float | None = None, result: dict | None = None, lapsing: float = 6) -> Definition:
    """`x` (at most 3) and a ratio `r` worth `lapsing` that does not apply when `d` is 0: full max 3 + lapsing."""
    return form(q("x", "number", min=0, points={"bands": [{"at_least": p, "points": p} for p in X_POINTS]}),
                q("d", "integer", min=0),
                q("r", "integer", min=0, points={"ratio_to": "d", "if_zero_denominator": "not_applicable",
                                                 "bands": [{"at_least": 1, "points": lapsing}]}),
                pass_min=pass_min, result=result)


@pytest.mark.parametrize("pass_min, shown, x, passed", [
    (3, 1.0, 0.9999, False), (3, 1.0, 1, True), (3, 1.0, 1.0001, True),  # 3 × 3/9
    (7.5, 2.5, 2.4999, False), (7.5, 2.5, 2.5, True), (7.5, 2.5, 2.5001, True),  # 7.5 × 3/9
    (2, 0.6667, 0.6666, False), (2, 0.6667, 0.6667, True),  # 2/3 is no decimal: the report shows it rounded
])
def test_section_passes_at_exactly_its_scaled_pass_mark(pass_min, shown, x, passed):
    report = score(boundary_form(pass_min), {"x": x, "d": 0, "r": 4})
    sec = report["sections"][0]
    assert (sec["max"], sec["full_max"], sec["pass_min"], sec["passed"]) == (3.0, 9.0, shown, passed)
    agree(boundary_form(pass_min), {"x": x, "d": 0, "r": 4})


@pytest.mark.parametrize("x, passed", [(1.9999, False), (2, True), (2.0001, True)])
def test_section_pass_mark_is_not_scaled_when_everything_applied(x, passed):
    report = score(boundary_form(2), {"x": x, "d": 1, "r": 0})
    sec = report["sections"][0]
    assert (sec["max"], sec["pass_min"], sec["passed"]) == (9.0, 2.0, passed)


@pytest.mark.parametrize("x, passed", [(0.2999, False), (0.3, True), (0.3001, True)])
def test_scaled_marks_compare_the_decimals_as_written(x, passed):
    """1 × 3/10 is 0.3: 0.3 reaches it, though the float nearest 0.3, times 10, is a hair under 3."""
    definition = boundary_form(1, lapsing=7)
    report = score(definition, {"x": x, "d": 0})
    assert (report["sections"][0]["pass_min"], report["sections"][0]["passed"]) == (0.3, passed)
    agree(definition, {"x": x, "d": 0})


BANDS = [{"at_least": 6, "label": {"vi": "Tốt", "en": "Good"}}, {"at_least": 0, "label": {"vi": "Chưa đạt", "en": "Not yet"}}]


@pytest.mark.parametrize("at_least, x, band, recognised", [
    (6, 1.9999, "Chưa đạt", False), (6, 2, "Tốt", True), (6, 2.0001, "Tốt", True),  # 6 × 3/9 = 2
    (7.5, 2.4999, "Chưa đạt", False), (7.5, 2.5, "Tốt", True), (7.5, 2.5001, "Tốt", True),  # 7.5 × 3/9 = 2.5
])
def test_band_and_recognition_are_reached_at_exactly_the_scaled_total(at_least, x, band, recognised):
    bands = [{**BANDS[0], "at_least": at_least}, BANDS[1]]
    definition = boundary_form(result={"bands": bands, "recognised_if": {"total_at_least": at_least}})
    report = score(definition, {"x": x, "d": 0, "r": 1})
    assert (report["max_total"], report["full_max_total"]) == (3.0, 9.0)
    assert (report["band"], report["recognised"]) == (band, recognised)
    agree(definition, {"x": x, "d": 0, "r": 1}, "en")
    unscaled = score(definition, {"x": x, "d": 2, "r": 0})  # everything applies: 2.5 of 9 reaches neither
    assert (unscaled["band"], unscaled["recognised"]) == ("Chưa đạt", False)


def test_a_section_with_nothing_left_to_apply_passes():
    definition = form(q("d", "integer", min=0),
                      q("r", "integer", min=0, points={"ratio_to": "d", "if_zero_denominator": "not_applicable", **RATIO}),
                      pass_min=2)
    sec = score(definition, {"d": 0})["sections"][0]
    assert (sec["score"], sec["max"], sec["pass_min"], sec["passed"]) == (0.0, 0.0, 0.0, True)


# ---------------------------------------------------------------------------------------------
# 5. The compiled scorer equals the reference on 1.1 forms (the foreign one and generated ones).
# ---------------------------------------------------------------------------------------------

FRACTIONS = st.sampled_from([0.1, 0.25, 0.3, 0.5, 0.7, 1, 1.5, 2, 2.5001, 3, 4])


@st.composite
def forms_11(draw) -> Definition:
    """A valid 1.1 form: proofs before and after their claims, one hidden by a condition; ratios that may not
    apply, one under a condition and one over a hidden denominator; parts of wholes; scaled marks."""
    na = st.sampled_from(["not_applicable", "not_applicable", "zero"])
    ratio = lambda other: {"ratio_to": other, "if_zero_denominator": draw(na),  # noqa: E731
                           "bands": [{"at_least": 1, "points": draw(FRACTIONS)}, {"at_least": 0.5, "points": draw(FRACTIONS)}]}
    first = [q("tep_truoc", "file", points={"if_provided": draw(FRACTIONS)}),
             q("co", "boolean", points={"true": draw(FRACTIONS), "false": 0}, evidence="tep_sau"),
             q("tong", "integer", min=0, max=40),
             q("bo_phan", "integer", min=0, at_most="tong", points=ratio("tong"))]
    second = [q("dk", "boolean"),
              q("mau", "number", min=0, max=30, visible_if={"question": "dk", "equals": True}),
              q("ti", "number", min=0, max=30, points=ratio("mau"), visible_if={"question": "co", "answered": True}),
              q("chon", "single_choice", choices=choices(a=draw(FRACTIONS), b=0.5), evidence="tep_truoc"),
              q("tep_sau", "file", points={"if_provided": draw(FRACTIONS)}, visible_if={"question": "dk", "equals": False})]
    plain = checked(document(section("mot", *first), section("hai", *second)))
    marks = [round(s.maximum * draw(st.sampled_from([0, 0.25, 0.5, 0.6, 0.75, 1])), 4) for s in plain.sections]
    at_least = round(plain.maximum * draw(st.sampled_from([0.3, 0.5, 0.7, 0.8, 1])), 4)
    result = {"bands": [{"at_least": at_least, "label": "Tốt"}, {"at_least": 0, "label": "Chưa đạt"}],
              "recognised_if": {"total_at_least": at_least, "all_sections_pass": draw(st.booleans())}}
    return checked(document(section("mot", *first, pass_min=marks[0]), section("hai", *second, pass_min=marks[1]),
                            result=result))


def answers_11(definition: Definition) -> st.SearchStrategy:
    """Valid answers: denominators often 0, parts cut to their wholes."""
    wholes = {qq.ratio_to for qq in definition.questions if qq.ratio_to}

    def value(qq):
        return st.sampled_from([0, 0, 1, 3]) | value_strategy(qq) if qq.id in wholes else value_strategy(qq)

    def fit(answers: dict) -> dict:
        for qq in definition.questions:
            part, whole = answers.get(qq.id), answers.get(qq.at_most) if qq.at_most else None
            if isinstance(part, (int, float)) and isinstance(whole, (int, float)) and part > whole:
                answers[qq.id] = whole
        return answers

    return st.fixed_dictionaries({}, optional={qq.id: value(qq) for qq in definition.questions}).map(fit)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_property_points_agree_with_score_on_the_foreign_form(data):
    definition, _problems = load_file(FOREIGN / f"{ASSESSMENT}.json")
    answers = data.draw(answers_11(definition), label="answers")
    assert validate_answers(definition, answers) == []
    check_invariants(definition, answers, None)
    agree(definition, answers, data.draw(st.sampled_from(["vi", "en"]), label="lang"))


@PROPERTY_SETTINGS
@given(data=st.data())
def test_property_points_agree_with_score_on_generated_1_1_forms(data):
    definition = data.draw(forms_11(), label="form")
    answers = data.draw(answers_11(definition), label="answers")
    assert validate_answers(definition, answers) == []
    check_invariants(definition, answers, None)
    shown = visibility(definition, answers)
    junk = {qid: "rác" for qid, visible in shown.items() if not visible}  # hidden answers count for neither
    agree(definition, {**answers, **junk}, data.draw(st.sampled_from(["vi", "en"]), label="lang"))


def test_generated_forms_reach_what_the_properties_are_about():
    """The generator is not vacuous: a proof after its claim, ratios that lapse, scaled marks reached and missed."""
    definition = checked(document(
        section("mot", q("co", "boolean", points={"true": 2}, evidence="tep"), q("d", "integer", min=0),
                q("r", "integer", min=0, points={"ratio_to": "d", "if_zero_denominator": "not_applicable", **RATIO}),
                pass_min=4),
        section("hai", q("tep", "file", points={"if_provided": 1})),
        result={"bands": BANDS, "recognised_if": {"total_at_least": 5, "all_sections_pass": True}}))
    for answers in ({"co": True, "d": 0}, {"co": True, "d": 0, "tep": "x"}, {"co": True, "d": 2, "r": 2, "tep": "x"}):
        check_invariants(definition, answers, None)
        agree(definition, answers)
    lapsed = points(definition, {"co": True, "d": 0, "tep": "x"})
    assert lapsed.not_applicable == ("r",) and lapsed.max_total == 3.0 and lapsed.limits == ((2.0, 1.3333), (1.0, None))
    assert lapsed.recognised is True  # 3 × 7 ≥ 5 × 3 and 2 × 6 ≥ 4 × 2


# ---------------------------------------------------------------------------------------------
# 6. A submit stores the maxima that applied: tables and exports agree with the report.
# ---------------------------------------------------------------------------------------------


def test_a_submit_stores_the_maxima_and_marks_that_applied(tmp_path, foreign):
    from forms_app.rules import registry, submitting

    data_dir = build_foreign_data_dir(tmp_path / "data")
    unit = "TOAN"
    sign_up(data_dir, unit)
    with opened(data_dir) as forms:
        definition = registry.definition(forms, ASSESSMENT)
        submitting.record(forms, unit_code=unit, definition=definition, cycle_year=YEAR, answers=FOREIGN_ANSWERS,
                          action="submit", author="test", base_revision=None, request_token=None, now=NOW)
        stored = submitting.find(forms, unit, ASSESSMENT, YEAR)
        rows = {r[0]: r[1:] for r in forms.execute(
            "SELECT question_id, points, max_points FROM answers WHERE submission_id = ?", [stored["id"]]).fetchall()}
        sections = forms.execute("SELECT section_id, score, max, pass_min, passed FROM section_scores "
                                 "WHERE submission_id = ? ORDER BY section_id", [stored["id"]]).fetchall()
        criteria = dict(forms.execute("SELECT criterion, max_points FROM criterion_scores WHERE submission_id = ?",
                                      [stored["id"]]).fetchall())
    report = score(foreign, FOREIGN_ANSWERS)
    assert (stored["total"], stored["max_total"], stored["recognised"]) == (report["total"], 12.0, 1)
    assert rows == {item["id"]: (item["points"], item["max_points"]) for item in report["questions"]}
    assert rows["so_truong_hop_duoc_giup"] == (0.0, 0.0)
    assert sections == [("ho_tro", 2.0, 2.0, 1.0, 1), ("quy_mo", 10.0, 10.0, 6.0, 1)]
    assert criteria == {"1.1": 4.0, "1.2": 6.0, "2.1": 2.0}
