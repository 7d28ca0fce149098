"""The two shipped questionnaires say what the plan says, and ship with the package."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from form_definitions import load_definitions, shipped_folder
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
    return {d.id: d for d in load_definitions()}


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
    assert labels == ["Xuất sắc", "Tốt", "Đạt", "Chưa đạt"]
    assert [b.at_least for b in result.bands] == sorted((b.at_least for b in result.bands), reverse=True)


def test_self_assessment_requires_the_registration(assessment, registration):
    assert assessment.requires == (registration.id,)
    assert registration.requires == ()


@pytest.mark.parametrize("year", [2018, 2020, 2022])
def test_deadlines_follow_the_plan(assessment, registration, year):
    assert registration.schedule.window(year)[1] == dt.date(year - 1, 10, 10)
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
    assert len(files) >= 5
    assert all(q.if_provided and q.accept and q.max_mb for q in files)


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
