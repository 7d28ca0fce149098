"""Format 1.1 on the units' pages, with a questionnaire pair written elsewhere (tests/data/foreign): a sign-up whose
commitment opens the assessment (`requires` with `when`), a part never above its whole (`at_most`), points bound to a
proof (`evidence`) and a ratio that may not apply."""

from __future__ import annotations

import json
import re

import pytest
from support.data import opened
from support.foreign import (
    ASSESSMENT,
    ASSESSMENT_URL,
    FOREIGN,
    NOW,
    SIGNUP,
    SIGNUP_URL,
    WAITING,
    YEAR,
    build_foreign_data_dir,
    init,
    sign_up,
)
from support.web import FormPage, pdf_upload, post_answers, start_session, unescape

from form_definitions import check_paths
from form_definitions.model import Condition
from forms_app.adapters.web.app import create_app
from forms_app.rules import registry, requirements, submitting


@pytest.fixture
def foreign_app(tmp_path):
    """The web app on a data directory holding only the foreign pair (loaded by `forms-app init --definitions`)."""
    return create_app({"DATA_DIR": build_foreign_data_dir(tmp_path / "data"), "TESTING": True, "NOW": NOW})


@pytest.fixture
def unit(foreign_app):
    """A client signed in as toan (unit TOAN)."""
    client = foreign_app.test_client()
    start_session(foreign_app, client, "toan")
    return client


@pytest.fixture
def committed(foreign_app, unit):
    """toan, whose unit submitted its sign-up with the commitment and the plan: the assessment is open."""
    sign_up(foreign_app.config["DATA_DIR"], "TOAN")
    return unit


def _submission(app, form_id: str = ASSESSMENT, unit_code: str = "TOAN"):
    with opened(app.config["DATA_DIR"]) as forms:
        return submitting.find(forms, unit_code, form_id, YEAR)


def _current(app, form_id: str = ASSESSMENT, unit_code: str = "TOAN") -> dict:
    with opened(app.config["DATA_DIR"]) as forms:
        return submitting.current_answers(forms, submitting.find(forms, unit_code, form_id, YEAR))


def _read_only(html: str) -> bool:
    inputs = [a for a in FormPage(html).inputs if a.get("name") == "so_doi_vien"]
    return 'name="action"' not in html and bool(inputs) and all("disabled" in a for a in inputs)


# `requires` with `when`: the sign-up opens the assessment only when it commits and attaches the plan.

def test_before_any_sign_up_the_assessment_says_what_to_submit_with_the_questions_labels(foreign_app, unit):
    page = unescape(unit.get(ASSESSMENT_URL).get_data(as_text=True))
    assert _read_only(page)
    assert re.search(r'<p class="notice readonly" role="status">([^<]*)</p>', page).group(1) == WAITING  # titles, no ids
    dashboard = unescape(unit.get("/").get_data(as_text=True))
    assert WAITING in dashboard


@pytest.mark.parametrize("committed_, plan", [(False, True), (True, False), (False, False)])
def test_a_sign_up_without_the_commitment_or_the_plan_keeps_the_assessment_closed(foreign_app, unit, committed_, plan):
    sign_up(foreign_app.config["DATA_DIR"], "TOAN", committed=committed_, plan=plan)
    assert _submission(foreign_app, SIGNUP)["status"] == "submitted"
    page = unescape(unit.get(ASSESSMENT_URL).get_data(as_text=True))
    assert _read_only(page) and WAITING in page
    assert WAITING in unescape(unit.get("/").get_data(as_text=True))


def test_a_post_to_the_waiting_assessment_is_refused_with_the_sentence_and_keeps_what_was_typed(foreign_app, unit):
    sign_up(foreign_app.config["DATA_DIR"], "TOAN", committed=False)
    refused = post_answers(unit, {"so_doi_vien": "40", "so_doi_vien_tich_cuc": "35"}, "submit", url=ASSESSMENT_URL)
    assert refused.status_code == 409
    html = unescape(refused.get_data(as_text=True))
    assert WAITING in html
    page = FormPage(html)
    assert page.value("so_doi_vien") == "40" and page.value("so_doi_vien_tich_cuc") == "35"
    assert _submission(foreign_app) is None  # nothing stored


def test_a_sign_up_submitted_on_the_web_with_the_commitment_and_the_plan_opens_the_assessment(foreign_app, unit):
    refused = post_answers(unit, {"dong_y_tham_gia": "false"}, "submit", url=SIGNUP_URL,
                           files={"tep_ke_hoach": pdf_upload("ke-hoach.pdf")})
    assert refused.status_code == 303  # the sign-up itself is taken: "Không" is an answer
    assert _read_only(unit.get(ASSESSMENT_URL).get_data(as_text=True))

    page = FormPage(unit.get(SIGNUP_URL).get_data(as_text=True))
    kept = next(a["value"] for a in page.inputs if a.get("name") == "tep_ke_hoach__keep")
    assert post_answers(unit, {"dong_y_tham_gia": "true", "tep_ke_hoach__keep": kept}, "submit",
                        url=SIGNUP_URL).status_code == 303
    opened_page = unescape(unit.get(ASSESSMENT_URL).get_data(as_text=True))
    assert not _read_only(opened_page) and WAITING not in opened_page
    assert post_answers(unit, {"so_doi_vien": "40", "so_doi_vien_tich_cuc": "35", "co_quy_ho_tro": "co"}, "submit",
                        url=ASSESSMENT_URL).status_code == 303
    assert _submission(foreign_app)["status"] == "submitted"


def test_the_condition_is_read_on_the_submitted_sign_up_not_on_a_later_draft(foreign_app, committed):
    data_dir = foreign_app.config["DATA_DIR"]
    sign_up(data_dir, "TOAN", committed=False, action="save")  # a draft after the submit: not what counts
    assert not _read_only(committed.get(ASSESSMENT_URL).get_data(as_text=True))
    sign_up(data_dir, "TOAN", committed=False)  # submitted again without the commitment: closed again
    assert WAITING in unescape(committed.get(ASSESSMENT_URL).get_data(as_text=True))


def test_a_condition_is_told_in_words_with_labels_and_choice_labels():
    definitions, problems = check_paths([FOREIGN])
    assert problems == []
    signup, assessment = (next(d for d in definitions if d.id == form_id) for form_id in (SIGNUP, ASSESSMENT))
    words = requirements.describe_condition
    assert words(assessment.requirements[0].when, signup) == (
        "“Đơn vị đồng ý tham gia đợt đánh giá” = Có và đã đính kèm “Kế hoạch hoạt động của đội”")
    assert words(assessment.requirements[0].when, signup, "en") == (
        "“Đơn vị đồng ý tham gia đợt đánh giá” = Yes and “Kế hoạch hoạt động của đội” attached")
    either = Condition.of({"any": [{"question": "co_quy_ho_tro", "in": ["co"]},
                                   {"all": [{"question": "so_doi_vien", "at_least": 10.5},
                                            {"not": {"question": "tep_so_tay", "answered": True}}]}]})
    assert words(either, assessment) == ("“Đội có quỹ hỗ trợ” = Có hoặc (“Tổng số đội viên” ≥ 10,5 và "
                                         "chưa đính kèm “Minh chứng: ảnh chụp sổ theo dõi”)")
    assert words(Condition.of({"not": {"question": "co_quy_ho_tro", "equals": "khong"}}), assessment) == (
        "“Đội có quỹ hỗ trợ” ≠ Không")
    # A question the version answered on lacks is named from another version, else by its id.
    only_elsewhere = Condition.of({"question": "so_doi_vien", "at_least": 5})
    assert words(only_elsewhere, signup, also=assessment) == "“Tổng số đội viên” ≥ 5"
    assert words(only_elsewhere, signup) == "“so_doi_vien” ≥ 5"


# `at_most`: a part larger than its whole is refused beside the field, the typed value kept.

@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_part_larger_than_its_whole_is_refused_beside_the_field_with_the_typed_value_kept(foreign_app, committed,
                                                                                            action):
    response = post_answers(committed, {"so_doi_vien": "120", "so_doi_vien_tich_cuc": "150", "co_quy_ho_tro": "co"},
                            action, url=ASSESSMENT_URL)
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    page = FormPage(html)
    assert page.value("so_doi_vien_tich_cuc") == "150"  # what was typed stays in the input
    beside = re.search(r'<p class="live-check" id="so_doi_vien_tich_cuc-check"[^>]*>([^<]*)</p>', html)
    assert beside and "Tổng số đội viên" in beside.group(1) and "150" in beside.group(1) and "120" in beside.group(1)
    assert 'href="#q-so_doi_vien_tich_cuc"' in html  # and in the summary on top
    answers = _current(foreign_app)
    assert answers.get("so_doi_vien") == 120 and "so_doi_vien_tich_cuc" not in answers  # the rest kept as a draft
    assert _submission(foreign_app)["status"] == "draft"


def test_a_part_equal_to_its_whole_or_without_a_whole_is_taken(foreign_app, committed):
    assert post_answers(committed, {"so_doi_vien_tich_cuc": "150"}, "save", url=ASSESSMENT_URL).status_code == 303
    assert post_answers(committed, {"so_doi_vien": "1.200", "so_doi_vien_tich_cuc": "1.200", "co_quy_ho_tro": "co"},
                        "submit", url=ASSESSMENT_URL).status_code == 303


def test_the_page_gives_the_live_check_its_whole_and_its_sentence(committed):
    page = FormPage(committed.get(ASSESSMENT_URL).get_data(as_text=True))
    part = next(a for a in page.inputs if a.get("name") == "so_doi_vien_tich_cuc")
    assert part["data-at-most"] == "so_doi_vien"
    assert "so_doi_vien_tich_cuc-check" in part["aria-describedby"].split()
    live = next(a for cls, a in page.classes if cls == "live-check")
    assert live["id"] == "so_doi_vien_tich_cuc-check" and live["aria-live"] == "polite"
    assert live["data-message"] == 'Giá trị {value} không được lớn hơn "Tổng số đội viên" ({limit}).'  # from the page


# `evidence` and not applicable.

def test_an_evidence_bound_question_names_its_proof_on_the_form(committed):
    html = unescape(committed.get(ASSESSMENT_URL).get_data(as_text=True))
    block = html[html.index('id="q-co_so_tay"'):html.index('id="q-tep_so_tay"')]
    rule = re.search(r'<p class="rule">(.*?)</p>', block, re.S).group(1)
    assert "Minh chứng: ảnh chụp sổ theo dõi" in rule  # the file question that is its proof, by its label


def test_points_without_their_proof_are_shown_as_zero_with_the_rule_saying_why(foreign_app, committed):
    answers = {"so_doi_vien": "10", "so_doi_vien_tich_cuc": "9", "co_so_tay": "true", "co_quy_ho_tro": "co"}
    assert post_answers(committed, answers, "submit", url=ASSESSMENT_URL).status_code == 303
    html = unescape(committed.get(ASSESSMENT_URL + "/result").get_data(as_text=True))
    row = _row(html, "co_so_tay")
    assert "0/4" in row and "Minh chứng: ảnh chụp sổ theo dõi" in row
    question = next(q for q in _report(foreign_app)["questions"] if q["id"] == "co_so_tay")
    assert question["points"] == 0 and question["rule"] in row


def _row(html: str, question_id: str) -> str:
    row = html[html.index(f'id="row-{question_id}"'):]
    return row[:row.index("</tr>")]


def test_a_ratio_whose_denominator_is_zero_is_shown_as_not_applicable_on_the_result(foreign_app, committed):
    answers = {"so_doi_vien": "10", "so_doi_vien_tich_cuc": "9", "co_so_tay": "true", "so_truong_hop": "0",
               "so_truong_hop_duoc_giup": "0", "co_quy_ho_tro": "co"}
    assert post_answers(committed, answers, "submit", url=ASSESSMENT_URL,
                        files={"tep_so_tay": pdf_upload("so-tay.pdf")}).status_code == 303
    html = unescape(committed.get(ASSESSMENT_URL + "/result").get_data(as_text=True))
    row = _row(html, "so_truong_hop_duoc_giup")
    assert "Không áp dụng" in row
    report = _report(foreign_app)
    question = next(q for q in report["questions"] if q["id"] == "so_truong_hop_duoc_giup")
    assert question["applicable"] is False
    assert question["rule"] in row  # the scorer's own words beside it
    assert "Không áp dụng" not in _row(html, "co_quy_ho_tro")
    assert "1 câu không áp dụng năm nay" in html


def _report(app) -> dict:
    from scoring import score

    with opened(app.config["DATA_DIR"]) as forms:
        submission = submitting.find(forms, "TOAN", ASSESSMENT, YEAR)
        answers = submitting.revision_answers(forms, submission["id"], submission["submitted_revision"])
        return score(registry.definition(forms, ASSESSMENT), answers, lang="vi")


# A new version never silently changes an open submission.

def _version_2(tmp_path):
    """Version 2 of both forms: other labels, "Có" for the support fund worth 3 points, the sign-up's commitment
    asked under another label, and a stricter condition: at least 20 expected members."""
    folder = tmp_path / "v2"
    folder.mkdir()
    for name in (SIGNUP, ASSESSMENT):
        document = json.loads((FOREIGN / f"{name}.json").read_text("utf-8"))
        document["version"] = 2
        for requirement in document.get("requires", []):
            requirement["when"]["all"].append({"question": "so_doi_vien_du_kien", "at_least": 20})
        for question in (q for s in document["sections"] for q in s["questions"]):
            if question["id"] == "so_doi_vien":
                question["label"] = "Tổng số đội viên (phiên bản hai)"
            if question["id"] == "dong_y_tham_gia":
                question["label"] = "Đơn vị cam kết tham gia (phiên bản hai)"
            for choice in question.get("choices", []):
                if choice["value"] == "co":
                    choice["points"] = 3
        (folder / f"{name}.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return folder


def test_a_draft_started_on_version_1_stays_on_version_1_after_version_2_is_loaded(foreign_app, committed, tmp_path):
    data_dir = foreign_app.config["DATA_DIR"]
    assert post_answers(committed, {"so_doi_vien": "10", "co_quy_ho_tro": "co"}, "save",
                        url=ASSESSMENT_URL).status_code == 303
    init(data_dir, _version_2(tmp_path))

    draft = unescape(committed.get(ASSESSMENT_URL).get_data(as_text=True))
    assert "Phiên bản biểu mẫu 1" in draft and "phiên bản hai" not in draft
    assert FormPage(draft).value("so_doi_vien") == "10"
    # The draft keeps version 1's requirement too (12 expected members are enough there): it stays open.
    assert not _read_only(draft)
    assert post_answers(committed, {"so_doi_vien": "10", "co_quy_ho_tro": "co"}, "submit",
                        url=ASSESSMENT_URL).status_code == 303
    row = _submission(foreign_app)
    assert row["form_version"] == 1 and row["total"] == 2  # "Có" worth 2 on version 1, not 3
    result = unescape(committed.get(ASSESSMENT_URL + "/result").get_data(as_text=True))
    assert "Tổng số đội viên" in result and "phiên bản hai" not in result

    # A unit starting now gets version 2: its requirement, told with version 2's labels, wants 20 expected members.
    other = foreign_app.test_client()
    start_session(foreign_app, other, "van")
    waiting = unescape(other.get(ASSESSMENT_URL).get_data(as_text=True))
    assert "Phiên bản biểu mẫu 2" in waiting
    assert ("với “Đơn vị cam kết tham gia (phiên bản hai)” = Có, đã đính kèm “Kế hoạch hoạt động của đội” và "
            "“Số đội viên dự kiến” ≥ 20 trước khi mở") in waiting
    sign_up(data_dir, "VAN")
    assert _read_only(other.get(ASSESSMENT_URL).get_data(as_text=True))  # 12 expected members: not enough on version 2
    sign_up(data_dir, "VAN", expected=25)
    assert post_answers(other, {"so_doi_vien": "10", "co_quy_ho_tro": "co"}, "submit",
                        url=ASSESSMENT_URL).status_code == 303
    assert _submission(foreign_app, unit_code="VAN")["form_version"] == 2
    assert _submission(foreign_app, unit_code="VAN")["total"] == 3

