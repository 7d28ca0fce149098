"""`forms-app check`: the shipped definitions pass, every rejection rule of the format names the file, the
JSON path and one sentence in both languages, usage errors exit 2, and no input makes it print a traceback."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.definitions import minimal_document

from form_definitions import check_paths, shipped_folder
from form_definitions.errors import MESSAGES
from forms_app.adapters.cli import cli

SHIPPED_IDS = ("dang-ky-3-chu-dong", "tu-danh-gia-3-chu-dong")

# The minimal document's one section: its maximum is 4 + 3 + 5 + 2 + min(2 + 2, 3) + 1 = 18.
MINIMAL_MAXIMUM = 18


# --------------------------------------------------------------------------- helpers


def invoke(*args: str, env: dict | None = None):
    """Run `forms-app ARGS` in-process; FORMS_APP_LANG is unset unless `env` sets it."""
    return CliRunner().invoke(cli, list(args), env={"FORMS_APP_LANG": None, **(env or {})})


def check(*paths, lang: str = "vi", env: dict | None = None):
    return invoke("check", "--lang", lang, *map(str, paths), env=env)


def console_script() -> str:
    """The installed `forms-app` console script of this venv."""
    beside = Path(sys.executable).parent / "forms-app"
    if beside.exists():
        return str(beside)
    found = shutil.which("forms-app")
    assert found, "the forms-app console script is not installed"
    return found


def shipped_count() -> int:
    """How many definition files ship (each version of a form is one file)."""
    return len(list(shipped_folder().glob("*.json")))


def question(document: dict, index: int, section: int = 0) -> dict:
    return document["sections"][section]["questions"][index]


def write(folder: Path, name: str, content) -> Path:
    """A document (dict), text (str) or bytes written as folder/name."""
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, "utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False, indent=2), "utf-8")
    return path


def assert_one_sentence(message: str) -> None:
    assert message.strip(), "empty message"
    assert "\n" not in message and "\r" not in message, message
    assert message.rstrip().endswith("."), message
    assert "Traceback" not in message, message


def assert_no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


# The minimal document's questions, by index (section phan_a):
# 0 co_ke_hoach boolean · 1 tong_so integer · 2 danh_gia integer, ratio_to tong_so · 3 hinh_thuc single_choice
# 4 kenh multi_choice, visible_if co_ke_hoach · 5 minh_chung file, visible_if any[kenh in, not tong_so at_least]
# 6 ghi_chu text · 7 ngay date · 8 ti_le number, visible_if tong_so answered
ID = {q["id"]: i for i, q in enumerate(minimal_document()["sections"][0]["questions"])}


def q_path(index: int, rest: str = "") -> str:
    return f"$.sections[0].questions[{index}]{rest}"


# --------------------------------------------------------------------------- accepted definitions


def test_accepts_the_shipped_definitions_when_given_no_path():
    result = invoke("check", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert_no_traceback(result)
    for form_id in SHIPPED_IDS:
        assert form_id in result.output
    assert result.output.startswith(f"{shipped_count()} valid definition(s)")


def test_accepts_the_shipped_folder_named_explicitly_in_vietnamese_by_default():
    result = invoke("check", str(shipped_folder()))
    assert result.exit_code == 0, result.output
    assert f"{shipped_count()} định nghĩa hợp lệ" in result.output


def test_console_script_accepts_the_shipped_definitions_from_any_directory(tmp_path):
    completed = subprocess.run(
        [console_script(), "check", "--lang", "en"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    for form_id in SHIPPED_IDS:
        assert form_id in completed.stdout


def test_console_script_rejects_a_bad_file_with_one_line_per_problem_and_exit_1(tmp_path):
    document = minimal_document()
    document["schedule"]["first_year"] = 2030
    path = write(tmp_path, "mau-thu.json", document)
    completed = subprocess.run(
        [console_script(), "check", "--lang", "en", str(path)], capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        f"{path}: $.schedule.first_year: \"first_year\" (2030) is after \"last_year\" (2022); the first year must be ≤ the last."
    ]
    assert completed.stderr.strip() == "1 problem(s)."
    assert "Traceback" not in completed.stderr


def test_accepts_the_minimal_document_as_a_file_and_in_a_folder(write_json, tmp_path):
    path = write_json(minimal_document())
    for target in (path, tmp_path):
        result = check(target, lang="en")
        assert result.exit_code == 0, result.output
        assert result.output == "1 valid definition(s): mau-thu v1.\n"
    definitions, problems = check_paths([path])
    assert problems == [] and [d.id for d in definitions] == ["mau-thu"]


def test_accepts_a_requirement_found_in_the_same_folder(tmp_path):
    required = minimal_document()
    required["id"] = "dang-ky"
    requiring = minimal_document()
    requiring["requires"] = ["dang-ky"]
    write(tmp_path, "dang-ky.json", required)
    write(tmp_path, "mau-thu.json", requiring)
    result = check(tmp_path, lang="en")
    assert result.exit_code == 0, result.output


def test_accepts_a_requirement_named_as_a_second_path():
    folder = shipped_folder()
    result = check(folder / "tu-danh-gia-3-chu-dong.json", folder / "dang-ky-3-chu-dong.json")
    assert result.exit_code == 0, result.output


def test_rejects_the_shipped_self_assessment_checked_without_the_registration_it_requires():
    path = shipped_folder() / "tu-danh-gia-3-chu-dong.json"
    result = check(path, lang="en")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}: $.requires[0]: \"requires\" names the form \"dang-ky-3-chu-dong\"")


def test_accepts_two_versions_of_the_same_form(tmp_path):
    second = minimal_document()
    second["version"] = 2
    write(tmp_path, "mau-thu-v1.json", minimal_document())
    write(tmp_path, "mau-thu-v2.json", second)
    assert check(tmp_path).exit_code == 0


def test_accepts_thresholds_exactly_at_the_maximum(write_json):
    document = minimal_document()
    document["sections"][0]["pass_min"] = MINIMAL_MAXIMUM
    document["result"]["recognised_if"]["total_at_least"] = MINIMAL_MAXIMUM
    result = check(write_json(document))
    assert result.exit_code == 0, result.output


def test_accepts_a_window_that_opens_in_the_previous_calendar_year(write_json):
    document = minimal_document()
    document["schedule"]["opens"] = {"month": 10, "day": 10, "year_offset": -1}
    document["schedule"]["closes"] = {"month": 8, "day": 1}
    result = check(write_json(document))
    assert result.exit_code == 0, result.output


def test_accepts_a_one_day_window_and_a_single_year(write_json):
    document = minimal_document()
    document["schedule"] = {"first_year": 2020, "last_year": 2020,
                            "opens": {"month": 12, "day": 31}, "closes": {"month": 12, "day": 31}}
    assert check(write_json(document)).exit_code == 0


def test_accepts_a_file_starting_with_a_utf8_byte_order_mark(tmp_path):
    path = write(tmp_path, "mau-thu.json", b"\xef\xbb\xbf" + json.dumps(minimal_document()).encode("utf-8"))
    result = check(path)
    assert result.exit_code == 0, result.output


def test_accepts_plain_strings_as_default_language_text_when_the_default_is_english(write_json):
    document = minimal_document()
    document["languages"] = ["en", "vi"]
    document["title"] = "Test form"
    question(document, ID["co_ke_hoach"])["label"] = {"en": "Has a plan?"}
    assert check(write_json(document)).exit_code == 0


# --------------------------------------------------------------------------- format 1.1, accepted

FOREIGN = Path(__file__).resolve().parent / "data" / "foreign"


def test_accepts_the_foreign_pair_that_uses_every_key_of_format_1_1():
    definitions, problems = check_paths([FOREIGN])
    assert problems == []
    by_id = {d.id: d for d in definitions}
    assessment, registration = by_id["danh-gia-doi-tinh-nguyen"], by_id["ghi-danh-doi-tinh-nguyen"]
    # …and it does use every 1.1 key, so passing means something.
    assert [q.id for q in assessment.questions if q.at_most] == ["so_doi_vien_tich_cuc", "so_truong_hop_duoc_giup"]
    assert [(q.id, q.evidence) for q in assessment.questions if q.evidence] == [("co_so_tay", "tep_so_tay")]
    assert [q.id for q in assessment.questions if q.may_not_apply] == ["so_truong_hop_duoc_giup"]
    assert assessment.certificate_title.get("en") == "Outstanding volunteer team"
    assert [(r.form, sorted(r.when.questions())) for r in assessment.requirements] == [
        ("ghi-danh-doi-tinh-nguyen", ["dong_y_tham_gia", "tep_ke_hoach"])]
    assert registration.question("tep_ke_hoach").accept == ("pdf", "docx")
    assert {q.criterion for q in assessment.questions} == {c.id for c in assessment.criteria}
    result = check(FOREIGN, lang="en")
    assert result.exit_code == 0, result.output
    assert result.output == "2 valid definition(s): danh-gia-doi-tinh-nguyen v1, ghi-danh-doi-tinh-nguyen v1.\n"


def test_accept_written_with_a_dot_or_in_capitals_means_the_lower_case_extension(write_json):
    document = minimal_document()
    question(document, ID["minh_chung"])["accept"] = [".PDF", "Docx", "jpg"]
    definitions, problems = check_paths([write_json(document)])
    assert problems == []
    assert definitions[0].question("minh_chung").accept == ("pdf", "docx", "jpg")


def _with_every_1_1_key() -> dict[str, dict]:
    """dang-ky, and mau-thu using every 1.1 key on the minimal document's questions."""
    document = form("mau-thu", [{"form": "dang-ky", "when": {"all": [
        COMMITTED, {"question": "minh_chung", "answered": True}, {"question": "hinh_thuc", "in": ["truc_tiep"]},
        {"not": {"question": "tong_so", "at_least": 500}}]}}])
    question(document, ID["danh_gia"])["at_most"] = "tong_so"
    question(document, ID["danh_gia"])["points"]["if_zero_denominator"] = "not_applicable"
    question(document, ID["co_ke_hoach"])["evidence"] = "minh_chung"
    question(document, ID["hinh_thuc"])["evidence"] = "minh_chung"  # points on its choices
    question(document, ID["ti_le"])["at_most"] = "danh_gia"  # a number at most an integer
    document["result"]["certificate"] = {"title": {"vi": "Giấy khen", "en": "Certificate of merit"}}
    return {"dang-ky.json": form("dang-ky"), "mau-thu.json": document}


def test_accepts_every_key_of_format_1_1_on_the_minimal_document(tmp_path):
    for name, document in _with_every_1_1_key().items():
        write(tmp_path, name, document)
    definitions, problems = check_paths([tmp_path])
    assert problems == []
    requiring_form = next(d for d in definitions if d.id == "mau-thu")
    assert requiring_form.requires == ("dang-ky",)
    assert requiring_form.requirements[0].path == "$.requires[0]"
    assert requiring_form.certificate_title.get() == "Giấy khen"
    assert check(tmp_path).exit_code == 0


def test_an_evidence_question_may_come_after_the_points_it_proves(write_json):
    document = minimal_document()
    question(document, ID["co_ke_hoach"])["evidence"] = "minh_chung"  # question 0 proven by question 5
    assert check_paths([write_json(document)])[1] == []


def test_a_requirement_written_as_an_id_or_as_an_object_is_the_same_requirement(tmp_path):
    write(tmp_path, "dang-ky.json", form("dang-ky"))
    write(tmp_path, "mau-a.json", form("mau-a", ["dang-ky"]))
    write(tmp_path, "mau-b.json", form("mau-b", [{"form": "dang-ky"}]))
    definitions, problems = check_paths([tmp_path])
    assert problems == []
    by_id = {d.id: d for d in definitions}
    assert by_id["mau-a"].requirements == by_id["mau-b"].requirements
    assert by_id["mau-b"].requirements[0].when is None


def test_requires_when_may_name_a_question_of_any_version_of_the_required_form_checked_together(tmp_path):
    old = form("dang-ky", version=1)
    new = form("dang-ky", version=2)
    question(new, ID["ghi_chu"])["id"] = "cam_ket"  # only version 2 asks it (a text question there)
    write(tmp_path, "dang-ky-v1.json", old)
    write(tmp_path, "dang-ky-v2.json", new)
    write(tmp_path, "mau-thu.json", form("mau-thu", [{"form": "dang-ky", "when": {"question": "cam_ket", "answered": True}}]))
    assert check_paths([tmp_path])[1] == []


def test_requires_when_values_must_fit_every_version_that_has_the_question_reported_once(tmp_path):
    old = form("dang-ky", version=1)
    new = form("dang-ky", version=2)
    question(old, ID["ghi_chu"])["id"] = "cam_ket"  # text in version 1
    question(new, ID["ghi_chu"]).update(id="cam_ket", type="boolean", label="Cam kết")  # boolean in version 2
    del question(new, ID["ghi_chu"])["multiline"], question(new, ID["ghi_chu"])["max_length"]
    for when in ({"question": "cam_ket", "equals": True}, {"question": "cam_ket", "equals": "Có"}):
        for name, document in (("dang-ky-v1.json", old), ("dang-ky-v2.json", new),
                               ("mau-thu.json", form("mau-thu", [{"form": "dang-ky", "when": when}]))):
            write(tmp_path, name, document)
        _, problems = check_paths([tmp_path])
        assert [(Path(p.file).name, p.code, p.path) for p in problems] == [
            ("mau-thu.json", "condition_wrong_type", "$.requires[0].when.equals")], when


def test_requires_when_on_a_broken_required_form_reports_only_the_broken_form(tmp_path):
    required = form("dang-ky")
    required["schedule"]["first_year"] = 2030
    write(tmp_path, "dang-ky.json", required)
    write(tmp_path, "mau-thu.json", form("mau-thu", [{"form": "dang-ky", "when": {"question": "khong_co", "answered": True}}]))
    _, problems = check_paths([tmp_path])
    assert [(Path(p.file).name, p.code) for p in problems] == [("dang-ky.json", "years_reversed")]


def test_a_file_with_its_own_problems_still_has_its_requires_checked_in_the_same_run(tmp_path):
    document = form("mau-thu", [{"form": "dang-ky", "when": {"question": "bien_ban", "answered": True}}, "khong-co"])
    document["schedule"]["first_year"] = 2030
    write(tmp_path, "dang-ky.json", form("dang-ky"))
    write(tmp_path, "mau-thu.json", document)
    definitions, problems = check_paths([tmp_path])
    assert [d.id for d in definitions] == ["dang-ky"]
    assert [(Path(p.file).name, p.code, p.path) for p in problems] == [
        ("mau-thu.json", "years_reversed", "$.schedule.first_year"),
        ("mau-thu.json", "unknown_when_question", "$.requires[0].when.question"),
        ("mau-thu.json", "unknown_required_form", "$.requires[1]"),
    ]


def test_accepts_a_criterion_on_a_form_that_declares_no_criteria(write_json):
    document = minimal_document()
    del document["criteria"]
    question(document, ID["tong_so"])["criterion"] = "7.3"
    assert check_paths([write_json(document)])[1] == []


def test_console_script_rejects_a_part_whose_whole_comes_later(tmp_path):
    document = minimal_document()
    question(document, ID["danh_gia"])["at_most"] = "ti_le"
    path = write(tmp_path, "mau-thu.json", document)
    completed = subprocess.run(
        [console_script(), "check", "--lang", "en", str(path)], capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        f"{path}: {q_path(ID['danh_gia'], '.at_most')}: the question \"ti_le\" does not come before this one; "
        "conditions, ratios and \"at_most\" may only refer to earlier questions."
    ]
    assert completed.stderr.strip() == "1 problem(s)."


# --------------------------------------------------------------------------- one case per rejection rule


@dataclass
class Case:
    """One rejection: the files to write, and the problem expected in `file` at `path` with `code`."""

    name: str
    files: dict[str, Any]  # file name → document (dict), text (str) or bytes
    code: str
    path: str
    file: str = "mau-thu.json"
    vi: tuple[str, ...] = ()  # substrings of the Vietnamese message
    en: tuple[str, ...] = ()  # substrings of the English message
    only: bool = True  # the expected problem is the only one

    def __str__(self) -> str:
        return self.name


def mutated(change: Callable[[dict], Any]) -> dict:
    """minimal_document() after `change` (which edits it in place)."""
    document = minimal_document()
    change(document)
    return document


def one(name, change, code, path, **kw) -> Case:
    return Case(name, {"mau-thu.json": mutated(change)}, code, path, **kw)


def setq(index: int, **values) -> Callable[[dict], None]:
    def change(document):
        question(document, index).update(values)
    return change


def delq(index: int, key: str) -> Callable[[dict], None]:
    def change(document):
        del question(document, index)[key]
    return change


def set_visible_if(index: int, condition: dict) -> Callable[[dict], None]:
    return setq(index, visible_if=condition)


def set_ratio_to(target: str) -> Callable[[dict], None]:
    def change(document):
        question(document, ID["danh_gia"])["points"]["ratio_to"] = target
    return change


def set_schedule(**values) -> Callable[[dict], None]:
    def change(document):
        document["schedule"].update(values)
    return change


def form(form_id: str, requires: list[str | dict] | None = None, version: int = 1) -> dict:
    document = minimal_document()
    document["id"] = form_id
    document["version"] = version
    if requires is not None:
        document["requires"] = requires
    return document


def set_points(index: int, **values) -> Callable[[dict], None]:
    def change(document):
        question(document, index)["points"].update(values)
    return change


def set_certificate(certificate: dict) -> Callable[[dict], None]:
    def change(document):
        document["result"]["certificate"] = certificate
    return change


COMMITTED = {"question": "co_ke_hoach", "equals": True}


def requiring(when: dict | None = None, *more: str | dict) -> dict[str, dict]:
    """Two files: the form dang-ky, and mau-thu requiring it on condition `when` (then any `more` entries)."""
    entry = {"form": "dang-ky"} if when is None else {"form": "dang-ky", "when": when}
    return {"dang-ky.json": form("dang-ky"), "mau-thu.json": form("mau-thu", [entry, *more])}


def with_duplicate_key() -> str:
    """The minimal document with `"id"` written twice in question tong_so."""
    text = json.dumps(minimal_document(), ensure_ascii=False)
    return text.replace('"id": "tong_so"', '"id": "tong_so", "id": "tong_so"', 1)


INVALID_UTF8 = b'{"id": "\xff"}'
TRAILING_COMMA = '{\n  "id": "mau-thu",\n  "version": 1,}\n'  # the "}" after the comma: line 3, column 16

CASES = [
    # --- reading
    Case("malformed_json_with_a_trailing_comma", {"mau-thu.json": TRAILING_COMMA}, "json.syntax", "$",
         vi=("dòng 3, cột 16",), en=("line 3, column 16",)),
    Case("malformed_json_cut_short", {"mau-thu.json": '{\n"id": "mau-thu",\n"version": '}, "json.syntax", "$",
         vi=("dòng 3",), en=("line 3",)),
    Case("a_nan_literal", {"mau-thu.json": '{"version": NaN}'}, "json.syntax", "$", en=("NaN",)),
    Case("invalid_utf8", {"mau-thu.json": INVALID_UTF8}, "io.not_utf8", "$", vi=("UTF-8", "8"), en=("UTF-8", "offset 8")),
    Case("a_duplicated_json_key", {"mau-thu.json": with_duplicate_key()}, "json.duplicate_key", q_path(1, ".id"),
         vi=('"id"',), en=('"id"', "twice")),
    Case("a_document_that_is_not_an_object", {"mau-thu.json": "[]"}, "schema.type", "$", en=("an object",)),
    # --- JSON Schema
    one("a_missing_required_key", lambda d: d.pop("title"), "schema.required", "$", vi=('"title"',), en=('"title"',)),
    one("a_question_missing_its_label", delq(0, "label"), "schema.required", q_path(0), en=('"label"',)),
    one("an_unknown_top_level_key", lambda d: d.update(colour="red"), "schema.unknown_key", "$.colour",
        en=('"colour"', "sections")),
    one("an_unknown_key_in_a_question", setq(0, hint="x"), "schema.unknown_key", q_path(0, ".hint"), en=('"hint"',)),
    one("a_version_of_the_wrong_type", lambda d: d.update(version="1"), "schema.type", "$.version",
        vi=("một chuỗi", "một số nguyên"), en=("a string", "an integer")),
    one("a_required_flag_of_the_wrong_type", setq(0, required="yes"), "schema.type", q_path(0, ".required"),
        en=("true or false",)),
    one("a_version_below_one", lambda d: d.update(version=0), "schema.minimum", "$.version", en=("≥ 1",)),
    one("a_form_id_of_the_wrong_form", lambda d: d.update(id="Mau_Thu"), "schema.pattern", "$.id",
        en=('"Mau_Thu"', "lower-case letters and digits")),
    one("a_question_id_of_the_wrong_form", setq(6, id="Ghi-chu"), "schema.pattern", q_path(6, ".id"),
        en=('"Ghi-chu"', "lower-case letter")),
    one("an_unknown_question_type", setq(6, type="textarea"), "schema.enum", q_path(6, ".type"),
        en=('"textarea"', '"single_choice"'), only=False),
    one("an_empty_sections_list", lambda d: d.update(sections=[]), "schema.min_items", "$.sections", en=("at least 1",)),
    one("a_text_question_with_points", setq(6, points={"if_provided": 1}), "schema.unknown_key", q_path(6, ".points"),
        en=('"points"',)),
    # the bogus `["?"]` line that comes with it is the bug of test_reports_an_error_inside_a_types_own_keys_alone
    one("a_file_question_without_accept", delq(5, "accept"), "schema.required", q_path(5), en=('"accept"',), only=False),
    one("an_empty_title", lambda d: d.update(title=""), "schema.shape", "$.title", en=("non-empty string",)),
    one("a_condition_with_two_operators",
        set_visible_if(4, {"question": "co_ke_hoach", "equals": True, "answered": True}),
        "schema.shape", q_path(4, ".visible_if"), en=("exactly one",)),
    one("a_date_rule_day_out_of_range", set_schedule(opens={"month": 4, "day": 32}), "schema.maximum",
        "$.schedule.opens.day", en=("≤ 31",)),
    # --- duplicate ids
    one("a_question_id_used_twice", setq(6, id="tong_so"), "duplicate_id", q_path(6, ".id"),
        en=('"tong_so"', q_path(1))),
    one("a_question_id_equal_to_a_section_id", setq(6, id="phan_a"), "duplicate_id", q_path(6, ".id"),
        en=('"phan_a"', "$.sections[0]")),
    one("a_section_id_used_twice",
        lambda d: d["sections"].append({"id": "phan_a", "title": "B", "questions": [
            {"id": "them", "type": "text", "label": "x"}]}),
        "duplicate_id", "$.sections[1].id", en=('"phan_a"',)),
    # --- visible_if
    one("visible_if_naming_an_unknown_question", set_visible_if(4, {"question": "khong_co", "answered": True}),
        "unknown_question", q_path(4, ".visible_if.question"), en=('"khong_co"',)),
    one("visible_if_naming_a_later_question", set_visible_if(4, {"question": "ghi_chu", "answered": True}),
        "not_earlier", q_path(4, ".visible_if.question"), en=('"ghi_chu"', "earlier")),
    one("visible_if_naming_its_own_question", set_visible_if(4, {"question": "kenh", "answered": True}),
        "not_earlier", q_path(4, ".visible_if.question"), en=('"kenh"',)),
    one("visible_if_naming_a_later_question_inside_any_and_not",
        lambda d: question(d, 5)["visible_if"]["any"][1]["not"].update(question="ti_le"),
        "not_earlier", q_path(5, ".visible_if.any[1].not.question"), en=('"ti_le"',)),
    one("visible_if_at_least_on_a_text_question", set_visible_if(7, {"question": "ghi_chu", "at_least": 1}),
        "condition_wrong_type", q_path(7, ".visible_if.at_least"), en=('"at_least"', '"ghi_chu"', "text")),
    one("visible_if_at_least_on_a_boolean_question", set_visible_if(4, {"question": "co_ke_hoach", "at_least": 1}),
        "condition_wrong_type", q_path(4, ".visible_if.at_least"), en=("integer or number",)),
    one("visible_if_equals_on_a_file_question", set_visible_if(7, {"question": "minh_chung", "equals": "x"}),
        "condition_wrong_type", q_path(7, ".visible_if.equals"), en=('"minh_chung"', '"answered"')),
    one("visible_if_equals_a_value_that_is_not_a_choice", set_visible_if(7, {"question": "hinh_thuc", "equals": "khac"}),
        "condition_unknown_choice", q_path(7, ".visible_if.equals"), en=('"khac"', '"truc_tiep"', '"truc_tuyen"')),
    one("visible_if_in_with_a_value_that_is_not_a_choice",
        lambda d: question(d, 5)["visible_if"]["any"][0].update({"in": ["zalo", "telegram"]}),
        "condition_unknown_choice", q_path(5, ".visible_if.any[0].in[1]"), en=('"telegram"',)),
    one("visible_if_equals_a_string_on_a_boolean_question",
        set_visible_if(4, {"question": "co_ke_hoach", "equals": "true"}),
        "condition_wrong_type", q_path(4, ".visible_if.equals"), en=("true/false",)),
    one("visible_if_equals_a_string_on_an_integer_question", set_visible_if(8, {"question": "tong_so", "equals": "10"}),
        "condition_wrong_type", q_path(8, ".visible_if.equals"), en=("number",)),
    # --- ratio_to
    one("ratio_to_naming_an_unknown_question", set_ratio_to("khong_co"), "unknown_question",
        q_path(2, ".points.ratio_to"), en=('"khong_co"',)),
    one("ratio_to_naming_a_later_question", set_ratio_to("ti_le"), "not_earlier", q_path(2, ".points.ratio_to"),
        en=('"ti_le"',)),
    one("ratio_to_pointing_at_itself", set_ratio_to("danh_gia"), "ratio_to_self", q_path(2, ".points.ratio_to"),
        en=("itself",)),
    one("ratio_to_pointing_at_a_non_numeric_question", set_ratio_to("co_ke_hoach"), "ratio_to_wrong_type",
        q_path(2, ".points.ratio_to"), en=('"co_ke_hoach"', "boolean", "integer or number")),
    # --- choices and bands
    one("duplicate_single_choice_values",
        lambda d: question(d, 3)["choices"][1].update(value="truc_tiep"),
        "duplicate_choice", q_path(3, ".choices[1].value"), en=('"truc_tiep"', q_path(3, ".choices[0].value"))),
    one("duplicate_multi_choice_values",
        lambda d: question(d, 4)["choices"][2].update(value="zalo"),
        "duplicate_choice", q_path(4, ".choices[2].value"), en=('"zalo"',)),
    one("question_bands_in_ascending_order",
        lambda d: question(d, 1)["points"].update(bands=[{"at_least": 10, "points": 1}, {"at_least": 100, "points": 3}]),
        "bands_order", q_path(1, ".points.bands[1].at_least"), en=("decreasing", "100")),
    one("question_bands_with_a_repeated_threshold",
        lambda d: question(d, 2)["points"].update(bands=[{"at_least": 0.5, "points": 5}, {"at_least": 0.5, "points": 3}]),
        "bands_order", q_path(2, ".points.bands[1].at_least")),
    one("result_bands_in_ascending_order", lambda d: d["result"]["bands"].reverse(),
        "bands_order", "$.result.bands[1].at_least", en=("decreasing",)),
    # --- ranges
    one("integer_min_above_max", setq(1, min=200000), "min_above_max", q_path(1, ".min"),
        en=('"min" (200000)', '"max" (100000)')),
    one("number_min_above_max", setq(8, min=2), "min_above_max", q_path(8, ".min")),
    one("date_min_after_max", setq(7, min="2023-01-01"), "min_above_max", q_path(7, ".min"), en=("2023-01-01",)),
    one("min_selected_above_max_selected", setq(4, min_selected=3, max_selected=2), "min_above_max",
        q_path(4, ".min_selected"), en=('"min_selected" (3)', '"max_selected" (2)')),
    one("min_selected_above_the_number_of_choices",
        lambda d: (question(d, 4).pop("max_selected"), question(d, 4).update(min_selected=4)),
        "min_selected_above_choices", q_path(4, ".min_selected"), en=("only 3 choice",)),
    # --- reachable thresholds
    one("pass_min_above_the_sections_maximum",
        lambda d: d["sections"][0].update(pass_min=MINIMAL_MAXIMUM + 0.5),
        "pass_min_unreachable", "$.sections[0].pass_min", en=("18.5", f"at most {MINIMAL_MAXIMUM}")),
    one("total_at_least_above_the_forms_maximum",
        lambda d: d["result"]["recognised_if"].update(total_at_least=MINIMAL_MAXIMUM + 1),
        "total_unreachable", "$.result.recognised_if.total_at_least", en=("19", f"at most {MINIMAL_MAXIMUM}")),
    # --- languages
    one("a_label_missing_the_default_language", setq(0, label={"en": "Has a plan?"}),
        "missing_default_language", q_path(0, ".label"), vi=('"vi"',), en=('"vi"',)),
    one("a_choice_label_missing_the_default_language",
        lambda d: question(d, 3)["choices"][0].update(label={"en": "In person"}),
        "missing_default_language", q_path(3, ".choices[0].label")),
    one("a_title_missing_the_default_language_when_it_is_english",
        lambda d: d.update(languages=["en", "vi"], title={"vi": "Biểu mẫu thử"}),
        "missing_default_language", "$.title", en=('"en"',)),
    one("a_translation_in_an_undeclared_language",
        lambda d: question(d, 0)["label"].update(fr="Un plan ?"),
        "unknown_language", q_path(0, ".label.fr"), en=('"fr"', "vi, en")),
    # --- requires and versions, across the files checked together
    one("requires_naming_a_form_that_is_not_checked", lambda d: d.update(requires=["dang-ky"]),
        "unknown_required_form", "$.requires[0]", en=('"dang-ky"', "mau-thu")),
    one("requires_naming_itself", lambda d: d.update(requires=["mau-thu"]), "requires_self", "$.requires[0]",
        en=('"mau-thu"',)),
    Case("a_requires_cycle_between_two_files",
         {"mau-a.json": form("mau-a", ["mau-b"]), "mau-b.json": form("mau-b", ["mau-a"])},
         "requires_cycle", "$.requires", file="mau-a.json", en=("mau-a → mau-b → mau-a",)),
    Case("two_files_with_the_same_id_and_version",
         {"a.json": minimal_document(), "b.json": minimal_document()},
         "duplicate_form_version", "$.version", file="b.json", en=('"mau-thu"', "version 1", "a.json")),
    # --- schedule
    one("first_year_after_last_year", set_schedule(first_year=2023), "years_reversed", "$.schedule.first_year",
        en=("2023", "2022")),
    one("a_date_rule_on_31_april", set_schedule(opens={"month": 4, "day": 31}), "invalid_date_rule",
        "$.schedule.opens", vi=("31/4",), en=("31/4",)),
    one("a_date_rule_on_30_february", set_schedule(closes={"month": 2, "day": 30}), "invalid_date_rule",
        "$.schedule.closes", en=("30/2",)),
    one("a_date_rule_on_29_february", set_schedule(opens={"month": 2, "day": 29}), "invalid_date_rule",
        "$.schedule.opens", en=("29/2", "29 February")),
    one("a_window_that_opens_after_it_closes",
        set_schedule(opens={"month": 10, "day": 2}, closes={"month": 10, "day": 1}),
        "window_empty", "$.schedule.opens", en=("2018-10-02", "2018-10-01")),
    one("a_window_that_opens_after_it_closes_because_of_year_offset",
        set_schedule(opens={"month": 8, "day": 1}, closes={"month": 10, "day": 1, "year_offset": -1}),
        "window_empty", "$.schedule.opens", en=("2018-08-01", "2017-10-01")),
    # --- criteria
    one("a_criterion_that_is_not_declared", setq(0, criterion="9.9"), "unknown_criterion", q_path(0, ".criterion"),
        en=('"9.9"', "2.1.1")),
    one("a_criterion_declared_twice", lambda d: d["criteria"].append(dict(d["criteria"][0])),
        "duplicate_criterion", "$.criteria[1].id", en=('"2.1.1"',)),
    # --- format 1.1: at_most
    one("at_most_naming_an_unknown_question", setq(2, at_most="khong_co"), "unknown_question", q_path(2, ".at_most"),
        en=('"khong_co"', "earlier")),
    one("at_most_naming_a_later_question", setq(2, at_most="ti_le"), "not_earlier", q_path(2, ".at_most"),
        en=('"ti_le"', '"at_most"'), vi=('"ti_le"', '"at_most"')),
    one("at_most_naming_its_own_question", setq(2, at_most="danh_gia"), "at_most_self", q_path(2, ".at_most"),
        en=("itself", "integer or number"), vi=("chính câu hỏi này",)),
    one("at_most_naming_a_question_that_is_not_a_number", setq(8, at_most="co_ke_hoach"), "at_most_wrong_type",
        q_path(8, ".at_most"), en=('"co_ke_hoach"', "boolean", "integer or number"), vi=('"co_ke_hoach"', "boolean")),
    one("at_most_on_a_choice_question", setq(3, at_most="tong_so"), "schema.unknown_key", q_path(3, ".at_most"),
        en=('"at_most"',)),
    one("at_most_that_is_not_a_question_id", setq(2, at_most="Tong so"), "schema.pattern", q_path(2, ".at_most"),
        en=('"Tong so"', "lower-case letter")),
    # --- format 1.1: evidence
    one("evidence_naming_an_unknown_question", setq(0, evidence="bien_ban"), "evidence_unknown",
        q_path(0, ".evidence"), en=('"bien_ban"', "file question"), vi=('"bien_ban"', "câu hỏi tệp")),
    one("evidence_naming_a_question_that_is_not_a_file", setq(0, evidence="tong_so"), "evidence_not_file",
        q_path(0, ".evidence"), en=('"tong_so"', "integer", "type file"), vi=('"tong_so"', "kiểu file")),
    one("evidence_naming_its_own_question", setq(5, evidence="minh_chung"), "evidence_self", q_path(5, ".evidence"),
        en=("itself", "another file question")),
    one("evidence_on_a_question_that_earns_no_points", setq(6, evidence="minh_chung"), "evidence_without_points",
        q_path(6, ".evidence"), en=('"minh_chung"', '"points"')),
    # --- format 1.1: if_zero_denominator
    one("if_zero_denominator_without_ratio_to", set_points(1, if_zero_denominator="not_applicable"),
        "if_zero_denominator_without_ratio", q_path(1, ".points.if_zero_denominator"),
        en=('"not_applicable"', '"ratio_to"'), vi=('"ratio_to"', "mẫu số")),
    one("if_zero_denominator_zero_written_without_ratio_to", set_points(1, if_zero_denominator="zero"),
        "if_zero_denominator_without_ratio", q_path(1, ".points.if_zero_denominator"), en=('"zero"',)),
    one("if_zero_denominator_with_another_value", set_points(2, if_zero_denominator="skip"), "schema.enum",
        q_path(2, ".points.if_zero_denominator"), en=('"skip"', '"zero", "not_applicable"')),
    one("if_zero_denominator_on_a_file_rule", set_points(5, if_zero_denominator="zero"), "schema.unknown_key",
        q_path(5, ".points.if_zero_denominator"), en=('"if_zero_denominator"', "if_provided")),
    # --- format 1.1: requires entries with a condition on the required form's answers
    Case("requires_when_naming_a_question_the_required_form_lacks",
         requiring({"all": [COMMITTED, {"question": "bien_ban", "answered": True}]}),
         "unknown_when_question", "$.requires[0].when.all[1].question",
         en=('"bien_ban"', 'the form "dang-ky"'), vi=('"bien_ban"', 'biểu mẫu "dang-ky"')),
    Case("requires_when_comparing_a_boolean_with_a_string", requiring({"question": "co_ke_hoach", "equals": "Có"}),
         "condition_wrong_type", "$.requires[0].when.equals", en=('"co_ke_hoach"', "true/false")),
    Case("requires_when_with_a_value_that_is_not_a_choice",
         requiring({"question": "hinh_thuc", "in": ["truc_tiep", "qua_thu"]}),
         "condition_unknown_choice", "$.requires[0].when.in[1]", en=('"qua_thu"', '"truc_tuyen"')),
    Case("requires_when_comparing_a_file_question", requiring({"question": "minh_chung", "equals": "x"}),
         "condition_wrong_type", "$.requires[0].when.equals", en=('"minh_chung"', '"answered"')),
    Case("requires_when_at_least_on_a_boolean", requiring({"not": {"question": "co_ke_hoach", "at_least": 1}}),
         "condition_wrong_type", "$.requires[0].when.not.at_least", en=("integer or number",)),
    one("requires_entry_naming_a_form_that_is_not_checked",
        lambda d: d.update(requires=[{"form": "dang-ky", "when": COMMITTED}]),
        "unknown_required_form", "$.requires[0]", en=('"dang-ky"', "mau-thu")),
    one("requires_entry_naming_itself", lambda d: d.update(requires=[{"form": "mau-thu", "when": COMMITTED}]),
        "requires_self", "$.requires[0]", en=('"mau-thu"',)),
    Case("a_requires_cycle_through_entries_with_conditions",
         {"mau-a.json": form("mau-a", [{"form": "mau-b", "when": COMMITTED}]), "mau-b.json": form("mau-b", [{"form": "mau-a"}])},
         "requires_cycle", "$.requires", file="mau-a.json", en=("mau-a → mau-b → mau-a",)),
    Case("requires_naming_a_form_twice", requiring(COMMITTED, "dang-ky"), "duplicate_required_form", "$.requires[1]",
         en=('"dang-ky"', "$.requires[0]", '"all"')),
    one("requires_entry_with_an_unknown_key", lambda d: d.update(requires=[{"form": "dang-ky", "if": COMMITTED}]),
        "schema.unknown_key", "$.requires[0].if", en=('"if"', "form, when")),
    one("requires_entry_without_a_form", lambda d: d.update(requires=[{"when": COMMITTED}]),
        "schema.required", "$.requires[0]", en=('"form"',)),
    one("requires_entry_with_a_condition_without_an_operator",
        lambda d: d.update(requires=[{"form": "dang-ky", "when": {"question": "co_ke_hoach"}}]),
        "schema.shape", "$.requires[0].when", en=("exactly one",)),
    one("requires_entry_that_is_a_number", lambda d: d.update(requires=[5]), "schema.type", "$.requires[0]",
        en=("a string or an object",)),
    one("requires_entry_naming_a_form_id_of_the_wrong_form", lambda d: d.update(requires=[{"form": "Dang_Ky"}]),
        "schema.pattern", "$.requires[0].form", en=('"Dang_Ky"', "lower-case letters and digits")),
    # --- format 1.1: result.certificate
    one("a_certificate_title_missing_the_default_language", set_certificate({"title": {"en": "Good unit"}}),
        "missing_default_language", "$.result.certificate.title", en=('"vi"',)),
    one("a_certificate_without_a_title", set_certificate({}), "schema.required", "$.result.certificate",
        en=('"title"',)),
    one("a_certificate_with_an_unknown_key", set_certificate({"title": "Giấy khen", "template": "a4"}),
        "schema.unknown_key", "$.result.certificate.template", en=('"template"', "title")),
    # --- format 1.1: accept
    one("accept_listing_an_extension_twice_once_with_a_dot_and_capitals", setq(5, accept=["pdf", "docx", ".PDF"]),
        "duplicate_extension", q_path(5, ".accept[2]"), en=('".PDF"', '"pdf"', q_path(5, ".accept[0]")),
        vi=('".PDF"', '"pdf"')),
    one("accept_with_a_dot_inside_the_extension", setq(5, accept=["tar.gz"]), "schema.pattern",
        q_path(5, ".accept[0]"), en=('"tar.gz"', "with or without the dot")),
    # --- criteria (part of the contract since 1.1)
    one("a_criterion_id_that_is_not_numbers_joined_by_dots", lambda d: d["criteria"][0].update(id="2.a"),
        "schema.pattern", "$.criteria[0].id", en=('"2.a"', "numbers joined by dots")),
]


def _write_case(case: Case, folder: Path) -> Path:
    for name, content in case.files.items():
        write(folder, name, content)
    return folder / case.file


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rejects(case: Case, tmp_path):
    folder = tmp_path / "definitions"
    folder.mkdir()
    target = _write_case(case, folder)

    _, problems = check_paths([folder])
    found = [p for p in problems if (p.code, p.path, p.file) == (case.code, case.path, str(target))]
    assert found, f"expected {case.code} at {case.path} in {target}, got {[(p.code, p.path, p.file) for p in problems]}"
    if case.only:
        assert len(problems) == 1, [(p.code, p.path) for p in problems]
    problem = found[0]

    for lang, expected_parts in (("vi", case.vi), ("en", case.en)):
        message = problem.message(lang)
        assert_one_sentence(message)
        for part in expected_parts:
            assert part in message, (lang, part, message)

        result = check(folder, lang=lang)
        assert result.exit_code == 1, result.output
        assert_no_traceback(result)
        lines = result.stdout.splitlines()
        assert f"{target}: {case.path}: {message}" in lines
        assert len(lines) == len(problems)
        assert all(line.startswith(f"{folder}/") for line in lines), lines
        summary = "lỗi." if lang == "vi" else "problem(s)."
        assert result.stderr.strip() == f"{len(problems)} {summary}"

    assert problem.message("vi") != problem.message("en")


def test_every_error_code_has_one_sentence_in_each_language():
    for code, texts in MESSAGES.items():
        assert set(texts) == {"vi", "en"}, code
        for text in texts.values():
            assert text.strip().endswith(".") and "\n" not in text, (code, text)


def test_the_table_covers_every_rule_of_the_format():
    codes = {case.code for case in CASES}
    wanted = {
        "json.syntax", "io.not_utf8", "json.duplicate_key", "schema.required", "schema.unknown_key", "schema.type",
        "schema.pattern", "schema.enum", "schema.min_items", "schema.shape", "duplicate_id", "unknown_question",
        "not_earlier", "ratio_to_self", "ratio_to_wrong_type", "condition_wrong_type", "condition_unknown_choice",
        "duplicate_choice", "bands_order", "min_above_max", "min_selected_above_choices", "pass_min_unreachable",
        "total_unreachable", "missing_default_language", "unknown_language", "unknown_required_form",
        "requires_self", "requires_cycle", "duplicate_form_version", "years_reversed", "invalid_date_rule",
        "window_empty", "unknown_criterion", "duplicate_criterion",
        # format 1.1
        "at_most_self", "at_most_wrong_type", "evidence_unknown", "evidence_not_file", "evidence_self",
        "evidence_without_points", "if_zero_denominator_without_ratio", "unknown_when_question",
        "duplicate_required_form", "duplicate_extension",
    }
    assert wanted <= codes, wanted - codes


def test_the_language_comes_from_forms_app_lang_when_not_given(write_json):
    document = minimal_document()
    document["schedule"]["first_year"] = 2030
    path = write_json(document)
    english = invoke("check", str(path), env={"FORMS_APP_LANG": "en"})
    vietnamese = invoke("check", str(path))
    assert "is after" in english.stdout and english.exit_code == 1
    assert "sau" in vietnamese.stdout and vietnamese.exit_code == 1


# --------------------------------------------------------------------------- several problems at once


def _many_problems() -> dict:
    document = minimal_document()
    question(document, 3)["choices"][1]["value"] = "truc_tiep"
    question(document, 1)["points"]["bands"].reverse()
    question(document, 0)["criterion"] = "9.9"
    document["schedule"]["first_year"] = 2030
    set_visible_if(4, {"question": "ghi_chu", "answered": True})(document)
    return document


MANY_EXPECTED = {
    ("duplicate_choice", q_path(3, ".choices[1].value")),
    ("bands_order", q_path(1, ".points.bands[1].at_least")),
    ("unknown_criterion", q_path(0, ".criterion")),
    ("years_reversed", "$.schedule.first_year"),
    ("not_earlier", q_path(4, ".visible_if.question")),
}


def test_reports_every_problem_of_a_file_one_line_each(write_json):
    path = write_json(_many_problems())
    _, problems = check_paths([path])
    assert {(p.code, p.path) for p in problems} == MANY_EXPECTED
    result = check(path, lang="en")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [p.line("en") for p in problems]
    assert all(line.startswith(f"{path}: $") for line in result.stdout.splitlines())
    assert result.stderr.strip() == "5 problem(s)."


def test_json_format_lists_the_same_problems(write_json):
    path = write_json(_many_problems())
    _, problems = check_paths([path])
    for lang in ("vi", "en"):
        result = invoke("check", "--format", "json", "--lang", lang, str(path))
        assert result.exit_code == 1
        report = json.loads(result.stdout)
        assert report["valid"] is False
        assert report["definitions"] == []
        assert report["problems"] == [p.as_dict(lang) for p in problems]
        assert {(p["code"], p["path"]) for p in report["problems"]} == MANY_EXPECTED
        assert all(p["file"] == str(path) for p in report["problems"])


def test_json_format_of_valid_definitions_lists_them(write_json):
    path = write_json(minimal_document())
    result = invoke("check", "--format", "json", str(path))
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["problems"] == []
    assert [(d["id"], d["version"], d["file"]) for d in report["definitions"]] == [("mau-thu", 1, str(path))]
    assert re.fullmatch(r"[0-9a-f]{64}", report["definitions"][0]["sha256"])


def test_reports_the_problems_of_every_file_and_keeps_checking_after_a_broken_one(tmp_path):
    write(tmp_path, "a.json", TRAILING_COMMA)
    write(tmp_path, "b.json", INVALID_UTF8)
    bad_years = minimal_document()
    bad_years["id"] = "mau-c"
    bad_years["schedule"]["first_year"] = 2030
    write(tmp_path, "c.json", bad_years)
    write(tmp_path, "d.json", minimal_document())
    result = check(tmp_path, lang="en")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [str(tmp_path / n) for n in ("a.json", "b.json", "c.json")]


# --------------------------------------------------------------------------- usage


def test_an_unknown_option_is_a_usage_error():
    result = invoke("check", "--frobnicate")
    assert result.exit_code == 2
    assert "--frobnicate" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_language_is_a_usage_error():
    assert invoke("check", "--lang", "fr").exit_code == 2


def test_an_unknown_format_is_a_usage_error():
    assert invoke("check", "--format", "xml").exit_code == 2


def test_console_script_exits_2_on_an_unknown_option():
    completed = subprocess.run([console_script(), "check", "--frobnicate"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr


def test_a_path_that_does_not_exist_is_named_in_one_sentence(tmp_path):
    missing = tmp_path / "khong-co.json"
    for lang, words in (("vi", "không có tệp"), ("en", "no such file")):
        result = check(missing, lang=lang)
        assert result.exit_code == 1
        assert_no_traceback(result)
        lines = result.stdout.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"{missing}: $: ")
        assert_one_sentence(lines[0])
        assert words in lines[0]


def test_a_missing_path_is_reported_beside_the_problems_of_the_others(tmp_path, write_json):
    good = write_json(minimal_document())
    missing = tmp_path / "khong-co.json"
    result = check(good, missing)
    assert result.exit_code == 1
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == [str(missing)]


def test_an_empty_folder_is_rejected(tmp_path):
    result = check(tmp_path, lang="en")
    assert result.exit_code == 1
    assert_no_traceback(result)
    assert result.stdout.splitlines() == [
        f"{tmp_path}: $: no .json definition file found; point at a definition file or a folder holding some."
    ]


def test_a_folder_holding_only_other_files_is_rejected(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "schema").mkdir()
    write(tmp_path / "schema", "nested.json", minimal_document())
    result = check(tmp_path)
    assert result.exit_code == 1
    _, problems = check_paths([tmp_path])
    assert [p.code for p in problems] == ["no_definitions"]


# --------------------------------------------------------------------------- bugs found


def test_reports_every_missing_required_key(write_json):
    document = minimal_document()
    del document["title"]
    del document["schedule"]
    _, problems = check_paths([write_json(document)])
    messages = [p.message("en") for p in problems if p.code == "schema.required"]
    assert any('"title"' in m for m in messages) and any('"schedule"' in m for m in messages), messages


@pytest.mark.parametrize("index, change", [
    (7, {"min": "2022-02-30"}),
    (4, {"min_selected": -1}),
    (1, {"min": "x"}),
    (5, {"accept": ["pdf", "docx", ".p.df"]}),
    (2, {"at_most": 5}),
], ids=["date_min_not_a_date", "min_selected_negative", "integer_min_a_string", "accept_two_dots", "at_most_a_number"])
def test_reports_an_error_inside_a_types_own_keys_alone(write_json, index, change):
    document = minimal_document()
    question(document, index).update(change)
    _, problems = check_paths([write_json(document)])
    assert problems
    assert all(not p.path.endswith('["?"]') for p in problems), [(p.code, p.path) for p in problems]
    assert len(problems) == 1


# (name, change, where, value as written): JSON Schema would count 8.0 as an integer; the check does not, since
# Python would then use a float as a month, a day or a count.
INTEGRAL_FLOATS = [
    ("opens_month", lambda d: d["schedule"]["opens"].update(month=8.0), "$.schedule.opens.month", "8.0"),
    ("opens_day", lambda d: d["schedule"]["opens"].update(day=1.0), "$.schedule.opens.day", "1.0"),
    ("year_offset", lambda d: d["schedule"]["closes"].update(year_offset=0.0), "$.schedule.closes.year_offset", "0.0"),
    ("first_year", lambda d: d["schedule"].update(first_year=2018.0), "$.schedule.first_year", "2018.0"),
    ("max_selected", lambda d: question(d, 4).update(max_selected=2.0), "$.sections[0].questions[4].max_selected", "2.0"),
]


@pytest.mark.parametrize("change, where, value", [c[1:] for c in INTEGRAL_FLOATS], ids=[c[0] for c in INTEGRAL_FLOATS])
def test_an_integral_float_where_an_integer_is_expected_is_refused_where_it_is(write_json, change, where, value):
    path = write_json(mutated(change))
    result = check(path, lang="en")
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert result.stdout == f"{path}: {where}: the value {value} is a number, but an integer is needed here.\n"


def test_a_key_with_a_newline_still_gives_one_line_per_problem(write_json):
    document = minimal_document()
    document["ghi\nchu"] = 1
    path = write_json(document)
    result = check(path, lang="en")
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1, result.stdout


def test_a_lone_surrogate_escape_is_reported_not_crashed_on(tmp_path):
    text = json.dumps(minimal_document()).replace('"id": "mau-thu"', '"id": "\\ud800"', 1)
    path = write(tmp_path, "mau-thu.json", text)
    result = check(path, lang="en")
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}: $.id: ")


def test_rejects_a_number_that_overflows_to_infinity(tmp_path):
    text = json.dumps(minimal_document()).replace('"if_provided": 1', '"if_provided": 1e400', 1)
    path = write(tmp_path, "mau-thu.json", text)
    result = check(path, lang="en")
    assert result.exit_code == 1
    assert q_path(5, ".points.if_provided") in result.stdout


def test_naming_the_same_file_twice_checks_it_once(write_json, tmp_path):
    path = write_json(minimal_document())
    result = check(path, tmp_path, lang="en")
    assert result.exit_code == 0, result.output


def test_a_requirement_whose_file_is_broken_is_not_reported_as_unknown(tmp_path):
    required = form("dang-ky")
    required["schedule"]["first_year"] = 2030
    write(tmp_path, "dang-ky.json", required)
    write(tmp_path, "mau-thu.json", form("mau-thu", ["dang-ky"]))
    _, problems = check_paths([tmp_path])
    assert [(Path(p.file).name, p.code) for p in problems] == [("dang-ky.json", "years_reversed")]


# --------------------------------------------------------------------------- no input makes it crash

SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=False), st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(st.text(max_size=10), children, max_size=5)),
    max_leaves=20,
)
# Replacement values include integral floats (8.0), which JSON Schema would count as integers.
mutation_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=False), st.text(max_size=20),
    st.sampled_from(["", "vi", "en", "tong_so", "kenh", "co_ke_hoach", "mau-thu", "2020-02-29", "integer", "file",
                     "so_doi_vien", "tep_so_tay", "dong_y_tham_gia", "not_applicable", ".PDF", "ghi-danh-doi-tinh-nguyen"]),
)
mutation_values = st.recursive(
    mutation_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=10,
)


def _node_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _node_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            paths += _node_paths(value, prefix + (i,))
    return paths


class Nodes:
    """The places of a valid document that mutations replace, transplant or delete."""

    def __init__(self, document: dict):
        self.document = document
        self.paths = _node_paths(document)
        self.keys = [p for p in self.paths if p and isinstance(p[-1], str)]
        self.by_type: dict[type, list[tuple]] = {}
        for path in self.paths:
            self.by_type.setdefault(type(_get(document, path)), []).append(path)


def _get(document, path):
    for part in path:
        document = document[part]
    return document


def _parent(document, path):
    node = document
    for part in path[:-1]:
        node = node[part]
    return node


MINIMAL_NODES = Nodes(minimal_document())
FOREIGN_ASSESSMENT = "danh-gia-doi-tinh-nguyen.json"
FOREIGN_NODES = Nodes(json.loads((FOREIGN / FOREIGN_ASSESSMENT).read_text("utf-8")))


@st.composite
def mutated_documents(draw, nodes: Nodes = MINIMAL_NODES):
    document = copy.deepcopy(nodes.document)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["replace", "transplant", "delete"]))
        if kind != "delete":
            path = draw(st.sampled_from(nodes.paths))
            if kind == "replace":
                value = draw(mutation_values)
            else:  # another node of the valid document of the same JSON type: reaches the semantic checks
                try:
                    current = _get(document, path)
                except (KeyError, IndexError, TypeError):
                    continue
                same_type = nodes.by_type.get(type(current))
                if not same_type:
                    continue
                value = copy.deepcopy(_get(nodes.document, draw(st.sampled_from(same_type))))
            if not path:
                document = value
            else:
                try:
                    _parent(document, path)[path[-1]] = value
                except (KeyError, IndexError, TypeError):
                    pass  # an earlier mutation removed or replaced the place
        else:
            path = draw(st.sampled_from(nodes.keys))
            try:
                del _parent(document, path)[path[-1]]
            except (KeyError, IndexError, TypeError):
                pass
    return document


def _check_content(content, name: str = "mau-thu.json", beside: tuple[Path, ...] = ()) -> None:
    """Check `content` written as `name`, with copies of the files `beside` in the same folder."""
    with tempfile.TemporaryDirectory() as folder:
        for other in beside:
            shutil.copy(other, folder)
        path = Path(folder) / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(json.dumps(content, ensure_ascii=False), "utf-8")
        for lang in ("vi", "en"):
            result = check(folder if beside else path, lang=lang)
            assert_no_traceback(result)
            assert result.exit_code in (0, 1), (result.exit_code, result.output)
            assert result.output.strip()
            if result.exit_code == 1:
                assert result.stdout.startswith(f"{path}: $"), result.stdout


@SETTINGS
@given(json_values)
def test_any_json_document_is_accepted_or_rejected_without_a_traceback(document):
    _check_content(document)


@SETTINGS
@given(mutated_documents())
def test_any_mutation_of_a_valid_document_is_accepted_or_rejected_without_a_traceback(document):
    _check_content(document)


@SETTINGS
@given(mutated_documents(FOREIGN_NODES))
def test_any_mutation_of_a_format_1_1_document_is_accepted_or_rejected_without_a_traceback(document):
    """The foreign assessment (every 1.1 key) mutated, checked beside the registration it requires."""
    _check_content(document, FOREIGN_ASSESSMENT, beside=(FOREIGN / "ghi-danh-doi-tinh-nguyen.json",))


@SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_are_rejected_without_a_traceback(data):
    _check_content(data)
