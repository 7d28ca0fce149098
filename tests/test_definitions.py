"""The two shipped questionnaires say what the plan says, and ship with the package.

The tests read the latest shipped version of each form (what new submissions are answered on); version 1 stays
shipped for what was answered on it."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from form_definitions import check_paths, load_definitions, shipped_folder
from form_definitions.schema_check import schema

ROOT = Path(__file__).resolve().parent.parent

# The 13 criteria of section 2 of the plan, by group.
CRITERIA = {
    "2.1": ["2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.1.5"],
    "2.2": ["2.2.1", "2.2.2", "2.2.3", "2.2.4", "2.2.5"],
    "2.3": ["2.3.1", "2.3.2", "2.3.3"],
}


@pytest.fixture(scope="module")
def shipped():
    """The latest shipped version of each form (what new submissions are answered on)."""
    return {d.id: d for d in sorted(load_definitions(), key=lambda d: d.version)}


@pytest.fixture(scope="module")
def every_version():
    """Every shipped definition, by (id, version)."""
    return {(d.id, d.version): d for d in load_definitions()}


@pytest.fixture(scope="module")
def assessment(shipped):
    return shipped["tu-danh-gia-3-chu-dong"]


@pytest.fixture(scope="module")
def registration(shipped):
    return shipped["dang-ky-3-chu-dong"]


def test_the_schema_is_valid_json_schema_2020_12():
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema())


def test_every_shipped_definition_points_at_the_schema():
    for path in sorted(shipped_folder().glob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        target = (path.parent / document["$schema"]).resolve()
        assert target == (shipped_folder() / "schema" / "form-definition.schema.json").resolve(), path.name
        assert not list(Draft202012Validator(schema()).iter_errors(document)), path.name


@pytest.mark.parametrize("group", sorted(CRITERIA))
def test_each_of_the_13_criteria_has_a_scored_question(assessment, group):
    for criterion in CRITERIA[group]:
        scored = [q for q in assessment.questions if q.criterion == criterion and q.maximum > 0]
        assert scored, f"criterion {criterion} has no scored question"
        # …and every such question lives in its group's section.
        sections = {q.section for q in scored}
        assert len(sections) == 1


def test_the_13_criteria_are_declared_with_their_labels(assessment):
    declared = [c.id for c in assessment.criteria]
    assert declared == [c for group in CRITERIA.values() for c in group]
    for criterion in assessment.criteria:
        assert criterion.label.get("vi") and criterion.label.get("en")


def test_self_assessment_has_one_section_per_group_and_totals_100(assessment):
    assert len(assessment.sections) == 3
    assert assessment.maximum == 100
    for section, group in zip(assessment.sections, sorted(CRITERIA), strict=True):
        assert {q.criterion for q in section.questions if q.criterion} == set(CRITERIA[group])
        assert section.pass_min is not None and 0 < section.pass_min <= section.maximum


def test_recognition_needs_the_total_and_all_three_sections(assessment):
    result = assessment.result
    assert result.total_at_least is not None and result.all_sections_pass is True
    labels = [b.label.get("vi") for b in result.bands]
    # 70–79 is "Khá", not "Đạt": beside "Không công nhận" (a failed section) it cannot be read as a pass.
    assert labels == ["Xuất sắc", "Tốt", "Khá", "Chưa đạt"]
    assert [b.at_least for b in result.bands] == [90, 80, 70, 0]
    assert result.total_at_least == 70
    # The scale is the standing committee's scoring guide, not the plan's, and the description says so.
    assert "hướng dẫn chấm điểm của Ban Thường vụ" in assessment.description.get("vi")
    assert "scoring guide" in assessment.description.get("en")


def test_self_assessment_requires_the_registration(assessment, registration):
    assert assessment.requires == (registration.id,)
    assert registration.requires == ()


def test_only_a_committing_registration_with_its_plan_opens_the_self_assessment(assessment, registration):
    from scoring.answers import holds

    [requirement] = assessment.requirements
    assert requirement.form == registration.id and requirement.when is not None
    committing = {"cam_ket_xay_dung": True, "file_ke_hoach_3_chu_dong": "ke-hoach.pdf"}
    assert holds(requirement.when, committing)
    assert not holds(requirement.when, {**committing, "cam_ket_xay_dung": False})
    assert not holds(requirement.when, {"cam_ket_xay_dung": True})
    assert registration.question("file_ke_hoach_3_chu_dong").required
    assert registration.question("cam_ket_xay_dung").required


def test_recognition_earns_a_certificate_with_the_plans_title(assessment, registration):
    assert assessment.certificate_title.get("vi") == "Đoàn cơ sở “3 chủ động”"
    assert assessment.certificate_title.get("en")
    assert registration.certificate_title is None


def test_every_part_is_at_most_its_whole(assessment):
    parts = {q.id: q.at_most for q in assessment.questions if q.at_most}
    assert parts == {
        "so_doan_vien_duoc_danh_gia": "so_doan_vien",
        "so_dvtn_kho_khan_duoc_giup_do": "so_dvtn_hoan_canh_kho_khan",
        "so_kien_nghi_duoc_giai_quyet": "so_kien_nghi_tiep_nhan",
        "so_hoat_dong_da_thuc_hien": "so_hoat_dong_theo_ke_hoach",
        "so_chi_doan_sinh_hoat_dinh_ky": "so_chi_doan",
        "so_thanh_nien_duoc_tap_hop": "so_thanh_nien_chua_vao_doan_hoi",
        "so_chi_doan_duoc_kiem_tra": "so_chi_doan",
        "so_de_xuat_duoc_tiep_thu": "so_de_xuat_tham_muu_cap_uy",
    }
    # Every ratio measures a part against its whole.
    assert all(parts.get(q.id) == q.ratio_to for q in assessment.questions if q.ratio_to)


def test_counts_that_can_honestly_be_zero_are_not_applicable_then(assessment):
    may_not_apply = {q.id for q in assessment.questions if q.may_not_apply}
    assert may_not_apply == {"so_dvtn_kho_khan_duoc_giup_do", "so_kien_nghi_duoc_giai_quyet",
                             "so_thanh_nien_duoc_tap_hop", "so_de_xuat_duoc_tiep_thu"}
    for qid in may_not_apply:  # shown whenever the denominator is answered, so that a 0 there makes it not apply
        question = assessment.question(qid)
        assert question.visible_if is not None and question.visible_if.op == "answered"
        assert question.visible_if.question == question.ratio_to


def test_the_1_plus_1_measure_is_reachable_where_nearly_everyone_is_a_member(assessment):
    from scoring import score

    measure = assessment.question("so_thanh_nien_duoc_tap_hop")
    assert measure.ratio_to == "so_thanh_nien_chua_vao_doan_hoi"  # young people outside the Union and the Association
    answers = {"so_doan_vien": 1500, "so_thanh_nien_chua_vao_doan_hoi": 20, "so_thanh_nien_duoc_tap_hop": 10,
               "file_bao_cao_1_1": "bao-cao.pdf"}
    points = {q["id"]: q["points"] for q in score(assessment, answers)["questions"]}
    assert points["so_thanh_nien_duoc_tap_hop"] == measure.maximum > 0


def test_points_of_declared_practices_need_a_document_for_every_criterion(assessment):
    files = {q.id: q for q in assessment.questions if q.type == "file"}
    for criterion in [c for group in CRITERIA.values() for c in group]:
        assert any(f.criterion == criterion for f in files.values()), f"criterion {criterion} has no evidence question"
    for question in assessment.questions:
        if question.maximum > 0:
            assert question.evidence in files, f"{question.id}'s points are bound to no document"
            assert files[question.evidence].criterion == question.criterion, question.id
    assert set(files) == {q.evidence for q in assessment.questions if q.evidence}  # every document proves something


def test_minutes_uploads_ask_to_cover_names(assessment):
    for question in assessment.questions:
        text = (question.label.get("vi") + " " + (question.help.get("vi") if question.help else "")).lower()
        if question.type == "file" and "biên bản" in text:
            assert "che họ tên" in text, question.id


def test_double_barrelled_practices_are_asked_one_at_a_time(assessment):
    for qid in ("dung_quy_trinh_phat_trien_doan_vien", "trien_khai_chuong_trinh_ren_luyen",
                "dung_quy_trinh_chuyen_sinh_hoat", "quy_trinh_truong_thanh_doan", "quy_trinh_ky_luat_doan_vien"):
        assert assessment.question(qid).criterion == "2.1.2"
    assert "Chương trình rèn luyện" not in assessment.question("dung_quy_trinh_phat_trien_doan_vien").label.get("vi")
    assert "kỷ luật" not in assessment.question("dung_quy_trinh_chuyen_sinh_hoat").label.get("vi")


def test_members_are_counted_at_the_yearly_assessment_and_money_in_millions(assessment):
    assert "thời điểm nhận xét, đánh giá" in assessment.question("so_doan_vien").label.get("vi")
    money = assessment.question("gia_tri_ho_tro")
    assert money.unit.get("vi") == "triệu đồng" and money.max is not None and money.max <= 10_000


def test_version_1_stays_shipped_for_what_was_answered_on_it(every_version, assessment, registration):
    for definition in (assessment, registration):
        assert (definition.id, 1) in every_version and definition.version > 1
        old = every_version[(definition.id, 1)]
        for qid in {q.id for q in old.questions} & {q.id for q in definition.questions}:
            assert old.question(qid).type == definition.question(qid).type, qid  # so answers compare across versions
    bands = [b.label.get("vi") for b in every_version[(assessment.id, 1)].result.bands]
    assert bands == ["Xuất sắc", "Tốt", "Đạt", "Chưa đạt"]


def test_every_example_answer_set_is_valid_and_the_latest_one_is_recognised(every_version, assessment):
    from support.data import example_answers

    from scoring import score, validate_answers

    for (form_id, version), definition in every_version.items():
        answers = example_answers(form_id, version)
        assert validate_answers(definition, answers, require=True) == [], (form_id, version)
    report = score(assessment, example_answers(assessment.id, assessment.version))
    assert report["recognised"] is True and report["band"] == "Khá"
    assert [q["id"] for q in report["questions"] if q.get("applicable") is False] == ["so_kien_nghi_duoc_giai_quyet"]


@pytest.mark.parametrize("year", [2018, 2020, 2022])
def test_deadlines_follow_the_plan(assessment, registration, year):
    # Registration before 10 October of the year before; the phase's first one by 20 July 2018 (the plan, section IV).
    assert registration.schedule.window(year)[1] == (dt.date(2018, 7, 20) if year == 2018 else dt.date(year - 1, 10, 10))
    assert assessment.schedule.window(year)[1] == dt.date(year, 10, 1)
    for definition in (assessment, registration):
        opens, closes = definition.schedule.window(year)
        assert opens < closes
        assert (definition.schedule.first_year, definition.schedule.last_year) == (2018, 2022)


def test_registration_asks_for_the_plan_document_and_the_officers(registration):
    types = {q.id: q for q in registration.questions}
    plan = [q for q in registration.questions if q.type == "file" and q.required]
    assert plan, "the unit's plan document must be a required file"
    assert any(q.type == "integer" and q.required for q in registration.questions)
    assert registration.result is None or registration.maximum == 0
    assert types  # the registration is collected, not scored


def test_every_question_type_is_used_by_the_shipped_forms(shipped):
    used = {q.type for d in shipped.values() for q in d.questions}
    assert used == {"boolean", "single_choice", "multi_choice", "integer", "number", "text", "date", "file"}


def test_self_assessment_asks_for_evidence_files(assessment):
    files = [q for q in assessment.questions if q.type == "file"]
    assert len(files) >= 13  # at least one per criterion
    assert all(q.accept and q.max_mb and "pdf" in q.accept for q in files)


def test_texts_are_nfc_and_in_both_languages():
    for path in sorted(shipped_folder().glob("*.json")):
        text = path.read_text("utf-8")
        assert unicodedata.normalize("NFC", text) == text, path.name
        document = json.loads(text)

        def walk(node, where):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("title", "description", "label", "help", "unit"):
                        assert isinstance(value, dict) and value.get("vi") and value.get("en"), f"{path.name} {where}.{key}"
                    else:
                        walk(value, f"{where}.{key}")
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, f"{where}[{i}]")

        walk(document, "$")


def test_no_question_collects_names_of_young_people(shipped):
    """Privacy: the forms collect counts and documents, never lists of named people."""
    for definition in shipped.values():
        for question in definition.questions:
            label = question.label.get("vi").lower()
            assert "họ tên" not in label and "họ và tên" not in label, question.id
            if question.type == "text":
                assert question.multiline is False or question.max_length, question.id


@pytest.mark.slow
def test_the_wheel_carries_the_definitions_and_the_schema(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("forms_app-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "form_definitions/schema/form-definition.schema.json" in names
    assert "form_definitions/tu-danh-gia-3-chu-dong.json" in names
    assert "form_definitions/dang-ky-3-chu-dong.json" in names
    assert "form_definitions/examples/tu-danh-gia-3-chu-dong.answers.json" in names
    assert "form_definitions/tu-danh-gia-3-chu-dong-v2.json" in names
    assert "form_definitions/examples/tu-danh-gia-3-chu-dong-v2.answers.json" in names


# --------------------------------------------------------------------------- docs/definition-format.md

FORMAT_PAGE = ROOT / "docs" / "definition-format.md"


def _json_blocks() -> list:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", FORMAT_PAGE.read_text("utf-8"), re.S)]


def _nodes(value):
    yield value
    if isinstance(value, dict):
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from _nodes(child)


def test_the_format_pages_whole_example_passes_check_and_every_smaller_example_is_part_of_it(tmp_path):
    blocks = _json_blocks()
    whole = [b for b in blocks if isinstance(b, dict) and "sections" in b]
    assert [d["id"] for d in whole] == ["dang-ky-mau", "tu-danh-gia-mau"]
    for document in whole:
        (tmp_path / f"{document['id']}.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    definitions, problems = check_paths([tmp_path])
    assert problems == [] and len(definitions) == 2
    nodes = [node for document in whole for node in _nodes(document)]
    pieces = [b for b in blocks if b not in whole]
    assert len(pieces) >= 7  # one per key of version 1.1
    for piece in pieces:
        assert piece in nodes, piece


def test_the_format_page_names_every_key_of_the_schema():
    page = FORMAT_PAGE.read_text("utf-8")
    keys = {key for node in _nodes(schema()) if isinstance(node, dict) for key in node.get("properties", {})}
    missing = sorted(key for key in keys if f'"{key}"' not in page and f"`{key}`" not in page)
    assert missing == []
