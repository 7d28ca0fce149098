"""`forms-app score DEFINITION ANSWERS [--format json|text] [--lang CODE] [--adjustments FILE]` through click."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from support.definitions import make_definition, minimal_document
from support.foreign import ASSESSMENT, FOREIGN

from forms_app.adapters.cli import cli, main
from scoring import score

ANSWERS = {"co_ke_hoach": True, "tong_so": 100, "danh_gia": 50, "hinh_thuc": "truc_tuyen", "kenh": ["zalo", "khac"],
           "minh_chung": "uploads/minh-chung.pdf", "ghi_chu": "Ghi chú", "ngay": "2020-05-01", "ti_le": 0.5}
SELF_ASSESSMENT = "tu-danh-gia-3-chu-dong"


def run(*args: str, lang_env: str | None = None, stdin: str | None = None):
    """Invoke the click group as `forms-app` would, with FORMS_APP_LANG unset unless given."""
    return CliRunner().invoke(cli, list(args), input=stdin, env={"FORMS_APP_LANG": lang_env})


@pytest.fixture
def files(write_json, monkeypatch, tmp_path):
    """The minimal definition and an answer set written to tmp_path, which is also the working directory."""
    monkeypatch.chdir(tmp_path)
    write_json(minimal_document(), "mau-thu.json")
    write_json(ANSWERS, "answers.json")
    return tmp_path


def assert_clean_failure(result, code: int = 1):
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.strip()
    assert result.stdout == ""


# --- json ----------------------------------------------------------------------------------------

def test_json_report_equals_the_scoring_report(files):
    result = run("score", "mau-thu.json", "answers.json", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report == score(make_definition(), ANSWERS)
    assert report["form"] == {"id": "mau-thu", "version": 1}
    assert isinstance(report["total"], float) and report["total"] == 4 + 3 + 5 + 1 + 2 + 1


def test_json_report_in_english(files):
    result = run("score", "mau-thu.json", "answers.json", "--format", "json", "--lang", "en")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == score(make_definition(), ANSWERS, lang="en")
    assert report["band"] == "Good"


def test_answers_can_come_from_stdin(files):
    result = run("score", "mau-thu.json", "-", "--format", "json", stdin=json.dumps({"co_ke_hoach": False}))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == score(make_definition(), {"co_ke_hoach": False})


def test_answers_file_with_utf8_bom_is_read(files):
    (files / "bom.json").write_text(json.dumps(ANSWERS, ensure_ascii=False), "utf-8-sig")
    result = run("score", "mau-thu.json", "bom.json", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == score(make_definition(), ANSWERS)["total"]


# --- text ----------------------------------------------------------------------------------------

def two_sections_document() -> dict:
    doc = minimal_document()
    doc["sections"].append({"id": "phan_b", "title": {"vi": "Phần B", "en": "Part B"},
                            "questions": [{"id": "co_bao_cao", "type": "boolean",
                                           "label": {"vi": "Có báo cáo?", "en": "Has a report?"},
                                           "points": {"true": 2}}]})
    return doc


def test_text_report_is_a_table_per_section_with_pass_marks_in_vietnamese(files, write_json):
    write_json(two_sections_document(), "hai-phan.json")
    result = run("score", "hai-phan.json", "answers.json")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Tổng điểm: 16 / 20" in text
    assert "Phần phan_a: Phần A" in text and "Phần phan_b: Phần B" in text
    assert "điểm đạt 5" in text
    assert "pass mark" not in text
    block_a, block_b = text.split("Phần phan_b")
    assert "16 / 18" in block_a and "ĐẠT" in block_a
    for label in ("Có kế hoạch?", "Tổng số đoàn viên", "Hình thức", "Minh chứng", "Tỉ lệ"):
        assert label in block_a and label not in block_b
    assert "Có báo cáo?" in block_b and "0 / 2" in block_b
    assert "điểm đạt" not in block_b  # no pass_min in this section
    assert "50/100 = 50% ≥ 50% → 5 điểm" in block_a


def test_text_report_in_english_with_lang_option(files):
    result = run("score", "mau-thu.json", "answers.json", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "pass mark 5" in result.stdout and "PASSED" in result.stdout
    assert "Section phan_a: Part A" in result.stdout
    assert "điểm" not in result.stdout


def test_text_report_language_follows_the_environment(files):
    result = run("score", "mau-thu.json", "answers.json", lang_env="en")
    assert result.exit_code == 0, result.output
    assert "pass mark" in result.stdout


def test_text_report_marks_a_failed_section_and_missing_required_questions(files, write_json):
    write_json({"tong_so": 5}, "it.json")
    result = run("score", "mau-thu.json", "it.json")
    assert result.exit_code == 0, result.output
    assert "CHƯA ĐẠT" in result.stdout
    assert "Câu bắt buộc chưa trả lời: co_ke_hoach, ti_le" in result.stdout


# --- the shipped form named by id ------------------------------------------------------------------

@pytest.mark.parametrize("named, version", [("", "latest"), ("@1", 1)])
def test_shipped_form_can_be_named_by_id_its_latest_version_or_one_given(files, write_json, named, version):
    from test_scoring import SHIPPED

    write_json({}, "empty.json")
    result = run("score", SELF_ASSESSMENT + named, "empty.json", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected = SHIPPED[SELF_ASSESSMENT].version if version == "latest" else version
    assert expected > 1 or version == 1
    assert report["form"] == {"id": SELF_ASSESSMENT, "version": expected}
    assert report["total"] == 0 and report["max_total"] == 100 and report["recognised"] is False


def test_shipped_form_best_answers_score_100_through_the_command(files, write_json):
    from test_scoring import SHIPPED, best_answers

    latest = SHIPPED[SELF_ASSESSMENT]  # the latest shipped version, named by its file
    write_json(best_answers(latest), "best.json")
    result = run("score", latest.file, "best.json")
    assert result.exit_code == 0, result.output
    assert "Tổng điểm: 100 / 100" in result.stdout and "Xuất sắc" in result.stdout
    for pass_mark in ("điểm đạt 28", "điểm đạt 14"):
        assert pass_mark in result.stdout
    assert "CHƯA ĐẠT" not in result.stdout


# --- format 1.1: the questionnaire pair written elsewhere (tests/data/foreign) -------------------------

FOREIGN_ANSWERS = {"so_doi_vien": 10, "so_doi_vien_tich_cuc": 8, "co_so_tay": True, "so_truong_hop": 0,
                   "co_quy_ho_tro": "co"}


@pytest.mark.parametrize("lang, sentence", [
    ("vi", "\"Số đội viên tham gia đủ các buổi\" (150) không được lớn hơn \"Tổng số đội viên\" (120)."),
    ("en", "\"Số đội viên tham gia đủ các buổi\" (150) must not be greater than \"Tổng số đội viên\" (120)."),
])
def test_a_part_larger_than_its_whole_exits_1_with_the_sentence(files, write_json, lang, sentence):
    write_json({**FOREIGN_ANSWERS, "so_doi_vien": 120, "so_doi_vien_tich_cuc": 150}, "too-many.json")
    result = run("score", str(FOREIGN / f"{ASSESSMENT}.json"), "too-many.json", "--lang", lang)
    assert_clean_failure(result)
    assert result.stderr.strip() == f"too-many.json: so_doi_vien_tich_cuc: {sentence}"


def test_json_report_of_a_1_1_form_says_what_applied(files, write_json):
    write_json(FOREIGN_ANSWERS, "no-case.json")
    result = run("score", str(FOREIGN / f"{ASSESSMENT}.json"), "no-case.json", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert all(item["applicable"] is (item["id"] != "so_truong_hop_duoc_giup") for item in report["questions"])
    lapsed = next(item for item in report["questions"] if item["id"] == "so_truong_hop_duoc_giup")
    assert (lapsed["points"], lapsed["max_points"]) == (0, 0)
    assert lapsed["rule"] == "Không phát sinh: \"Số trường hợp khó khăn phát hiện\" = 0 → không tính"
    proofless = next(item for item in report["questions"] if item["id"] == "co_so_tay")
    assert proofless["points"] == 0 and "cần minh chứng: Minh chứng: ảnh chụp sổ theo dõi — chưa có" in proofless["rule"]
    ho_tro = next(s for s in report["sections"] if s["id"] == "ho_tro")
    assert (ho_tro["max"], ho_tro["pass_min"], ho_tro["passed"]) == (2, 1, True)
    assert (report["total"], report["max_total"], report["recognised"]) == (6, 12, False)  # 6 × 16 < 10 × 12


def test_text_report_of_a_1_1_form_shows_the_applicable_maxima(files, write_json):
    write_json({**FOREIGN_ANSWERS, "tep_so_tay": "so.jpg"}, "no-case.json")
    result = run("score", str(FOREIGN / f"{ASSESSMENT}.json"), "no-case.json")
    assert result.exit_code == 0, result.output
    assert "Tổng điểm: 12 / 12" in result.stdout and "Không phát sinh" in result.stdout


# --- invalid input ----------------------------------------------------------------------------------

def test_invalid_answers_exit_1_naming_each_question(files, write_json):
    write_json({"tong_so": "một trăm", "khong_co": 1, "ngay": "2020-13-01"}, "invalid.json")
    result = run("score", "mau-thu.json", "invalid.json")
    assert_clean_failure(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("invalid.json: ") for line in lines)
    by_question = {line.split(": ")[1]: line for line in lines}
    assert set(by_question) == {"tong_so", "khong_co", "ngay"}
    assert "Tổng số đoàn viên" in by_question["tong_so"]
    assert "YYYY-MM-DD" in by_question["ngay"]


def test_invalid_answers_in_english(files, write_json):
    write_json({"co_ke_hoach": "yes"}, "invalid.json")
    result = run("score", "mau-thu.json", "invalid.json", "--lang", "en")
    assert_clean_failure(result)
    assert result.stderr.strip() == 'invalid.json: co_ke_hoach: "Has a plan?": choose yes or no.'


def test_invalid_value_of_a_hidden_question_is_accepted(files, write_json):
    write_json({"co_ke_hoach": False, "kenh": "không phải danh sách"}, "hidden.json")
    result = run("score", "mau-thu.json", "hidden.json", "--format", "json")
    assert result.exit_code == 0, result.output
    kenh = next(q for q in json.loads(result.stdout)["questions"] if q["id"] == "kenh")
    assert kenh["visible"] is False and kenh["answer"] is None and kenh["points"] == 0


@pytest.mark.parametrize("lang, where", [("en", "line 3, column 3"), ("vi", "dòng 3, cột 3")])
def test_malformed_answers_json_exit_1_with_line_and_column(files, lang, where):
    (files / "broken.json").write_text('{\n  "co_ke_hoach": true,\n  oops\n}', "utf-8")
    result = run("score", "mau-thu.json", "broken.json", "--lang", lang)
    assert_clean_failure(result)
    assert "broken.json" in result.stderr and where in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_answers_file_exit_1(files):
    result = run("score", "mau-thu.json", "khong-co.json")
    assert_clean_failure(result)
    assert "khong-co.json" in result.stderr


def test_missing_definition_file_exit_1(files):
    result = run("score", "khong-co-dinh-nghia.json", "answers.json")
    assert_clean_failure(result)
    assert result.stderr.startswith("khong-co-dinh-nghia.json: $: ")


def test_missing_argument_is_a_usage_error(files):
    result = run("score", "mau-thu.json")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_unknown_format_is_a_usage_error(files):
    assert run("score", "mau-thu.json", "answers.json", "--format", "xml").exit_code == 2


PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+): (?P<path>\$[^ ]*): (?P<message>.+)$")


def broken_definitions() -> list:
    missing_id = minimal_document()
    del missing_id["id"]
    bad_ratio = minimal_document()
    bad_ratio["sections"][0]["questions"][2]["points"]["ratio_to"] = "khong_co"
    bad_type = minimal_document()
    bad_type["sections"][0]["questions"][0]["type"] = "yes_no"
    unreachable = minimal_document()
    unreachable["sections"][0]["pass_min"] = 1000
    return [
        pytest.param(missing_id, "$", id="missing-id"),
        pytest.param(bad_ratio, "$.sections[0].questions[2].points.ratio_to", id="unknown-ratio-to"),
        pytest.param(bad_type, "$.sections[0].questions[0]", id="unknown-type"),
        pytest.param(unreachable, "$.sections[0].pass_min", id="unreachable-pass-min"),
        pytest.param('{"id": "mau-thu",\n "version": 1,,}', "$", id="malformed-json"),
    ]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("document, path", broken_definitions())
def test_invalid_definition_exit_1_with_file_path_message_lines(files, write_json, document, path, lang):
    write_json(document, "hong.json")
    result = run("score", "hong.json", "answers.json", "--lang", lang)
    assert_clean_failure(result)
    lines = result.stderr.strip().splitlines()
    assert lines
    for line in lines:
        match = PROBLEM_LINE.match(line)
        assert match, line
        assert match["file"] == "hong.json"
    assert any(PROBLEM_LINE.match(line)["path"].startswith(path) for line in lines), lines


def test_malformed_definition_names_line_and_column(files, write_json):
    write_json('{"id": "mau-thu",\n "version": 1,,}', "hong.json")
    result = run("score", "hong.json", "answers.json", "--lang", "en")
    assert_clean_failure(result)
    assert "line 2" in result.stderr and "column" in result.stderr


# --- adjustments --------------------------------------------------------------------------------------

def test_adjustments_file_applies(files, write_json):
    adjustments = {"hinh_thuc": {"points": 2, "reason": "Có biên bản họp trực tiếp"}, "danh_gia": -3}
    write_json(adjustments, "adjustments.json")
    result = run("score", "mau-thu.json", "answers.json", "--adjustments", "adjustments.json", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == score(make_definition(), ANSWERS, adjustments)
    by_id = {q["id"]: q for q in report["questions"]}
    assert by_id["hinh_thuc"]["points"] == 2 and by_id["hinh_thuc"]["auto_points"] == 1
    assert by_id["danh_gia"]["points"] == 0 and by_id["danh_gia"]["auto_points"] == 5
    assert report["total"] == report["auto_total"] + 1 - 5


def test_adjustments_show_in_the_text_report(files, write_json):
    write_json({"ghi_chu": 0, "hinh_thuc": {"points": 2, "reason": "bổ sung"}}, "adjustments.json")
    result = run("score", "mau-thu.json", "answers.json", "--adjustments", "adjustments.json")
    assert result.exit_code == 0, result.output
    assert "Tổng điểm: 17 / 18" in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("Hình thức"))
    assert "điều chỉnh của người đánh giá: 2 (tự động: 1; lý do: bổ sung)" in line
    notes = next(line for line in result.stdout.splitlines() if line.strip().startswith("Ghi chú"))
    assert "[đã điều chỉnh]" in notes


def test_text_report_always_shows_that_a_question_was_adjusted(files, write_json):
    from test_scoring import SHIPPED, best_answers

    latest = SHIPPED[SELF_ASSESSMENT]
    write_json(best_answers(latest), "best.json")
    write_json({"kenh_nam_bat_tinh_hinh": {"points": 3, "reason": "thiếu minh chứng"}}, "adjustments.json")
    result = run("score", latest.file, "best.json", "--adjustments", "adjustments.json")
    assert result.exit_code == 0, result.output
    assert "Tổng điểm: 97 / 100" in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("Đoàn cơ sở nắm bắt"))
    assert "điều chỉnh" in line, line


@pytest.mark.parametrize("adjustments, named", [
    pytest.param({"khong_co": 1}, "khong_co", id="unknown-question"),
    pytest.param({"hinh_thuc": "hai"}, "hinh_thuc", id="not-a-number"),
    pytest.param({"ti_le": 1}, "ti_le", id="hidden-question"),
])
def test_invalid_adjustments_exit_1_naming_the_question(files, write_json, adjustments, named):
    write_json(adjustments, "adjustments.json")
    write_json({"co_ke_hoach": True, "hinh_thuc": "truc_tiep"}, "few.json")  # ti_le hidden: tong_so unanswered
    result = run("score", "mau-thu.json", "few.json", "--adjustments", "adjustments.json")
    assert_clean_failure(result)
    assert named in result.stderr


def test_malformed_adjustments_json_exit_1(files):
    (files / "adjustments.json").write_text("{\"hinh_thuc\": }", "utf-8")
    result = run("score", "mau-thu.json", "answers.json", "--adjustments", "adjustments.json", "--lang", "en")
    assert_clean_failure(result)
    assert "adjustments.json" in result.stderr and "line 1, column" in result.stderr


# --- input that is valid JSON but not an object --------------------------------------------------------

@pytest.mark.parametrize("content", ["[]", "[1, 2]", "\"answers\"", "null"])
def test_answers_that_are_not_an_object_exit_1_with_a_sentence(files, content):
    (files / "list.json").write_text(content, "utf-8")
    result = run("score", "mau-thu.json", "list.json")
    assert_clean_failure(result)
    assert "list.json" in result.stderr and "JSON" in result.stderr


@pytest.mark.parametrize("content", ["[[\"hinh_thuc\", 1]]", "\"hinh_thuc\"", "3"])
def test_adjustments_that_are_not_an_object_exit_1_with_a_sentence(files, content):
    (files / "adjustments.json").write_text(content, "utf-8")
    result = run("score", "mau-thu.json", "answers.json", "--adjustments", "adjustments.json")
    assert_clean_failure(result)


def test_console_script_never_prints_a_traceback_even_on_unexpected_errors(tmp_path, capsys, monkeypatch):
    """No command expects a forms.db that is not a database: the entry point's last line of defence answers."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "forms.db").write_text("Đây không phải là một cơ sở dữ liệu SQLite, chỉ là chữ.", "utf-8")
    monkeypatch.setenv("FORMS_APP_LANG", "en")
    with pytest.raises(SystemExit) as exited:
        main(["report", "--year", "2022", "--data-dir", str(data_dir), "--out", str(tmp_path / "bao-cao.pdf")])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.err == ("Unexpected error (DatabaseError): file is not a database. "
                            "Please report it to the administrator.\n")
    assert captured.out == "" and not (tmp_path / "bao-cao.pdf").exists()
