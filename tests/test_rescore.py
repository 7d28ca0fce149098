"""`forms-app rescore --preview`: the demo's units whose band or recognition would change on another version of the
self-assessment, checked against scoring each unit here with `scoring.score`, and nothing written."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sqlite3
import statistics
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from support.data import opened

from forms_app.adapters.cli import cli
from forms_app.rules import deciding, registry, submitting
from scoring import InvalidAnswers, score

YEAR = 2021
STORED_LANG = "vi"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def _stricter(document: dict, version: int) -> dict:
    """Another scoring guide: every band and the recognition total 5 and 10 points higher, pass marks 4 lower
    (so units move both ways)."""
    document = copy.deepcopy(document)
    document["version"] = version
    result = document["result"]
    for band in result["bands"]:
        if band["at_least"] > 0:
            band["at_least"] += 5
    rule = result.get("recognised_if") or {}
    if "total_at_least" in rule:
        rule["total_at_least"] += 10
    for section in document["sections"]:
        if section.get("pass_min"):
            section["pass_min"] = max(0, section["pass_min"] - 4)
    return document


def _refusing(document: dict, version: int, answered: list[dict]) -> tuple[dict, int]:
    """A version that drops one answered question nothing refers to, and caps the integer question the units answered
    most diversely at the median of their answers (so some answers exceed it); (document, the cap)."""
    document = copy.deepcopy(document)
    document["version"] = version
    source = json.dumps(document, ensure_ascii=False)
    questions = [(section, q) for section in document["sections"] for q in section["questions"]]
    criteria = [q.get("criterion") for _, q in questions]
    values = {q["id"]: [a[q["id"]] for a in answered if isinstance(a.get(q["id"]), int)]
              for _, q in questions if q["type"] == "integer"}
    capped = max(values, key=lambda qid: len(set(values[qid])))
    section, dropped = next(
        (section, q) for section, q in questions
        if q["id"] != capped and source.count(f'"{q["id"]}"') == 1 and len(section["questions"]) > 1
        and any(q["id"] in a for a in answered)
        and (q.get("criterion") is None or criteria.count(q.get("criterion")) > 1) and not q.get("required"))
    section["questions"].remove(dropped)
    question = next(q for _, q in questions if q["id"] == capped)
    question["max"] = int(statistics.median(values[capped]))
    return document, question["max"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    """The demo (30 units, 2020–2021, adjustments included; its answers on the latest shipped version) plus two more
    versions of its scored form loaded with `forms-app init --definitions`: a stricter guide (latest + 1) and one that
    refuses some answers (latest + 2). `shipped`: the scored form's earlier shipped versions."""
    root = tmp_path_factory.mktemp("rescore")
    data_dir = root / "data"
    result = run("demo", "--units", "30", "--years", f"{YEAR - 1}-{YEAR}", "--seed", "11", "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    with opened(data_dir) as forms:
        latest = registry.latest_definitions(forms)
        scored = next(d for d in latest if d.result is not None and d.result.has_recognition_rule)
        submitted = submitting.submitted_scored(forms, [scored.id], [YEAR])
        answered = [submitting.revision_answers(forms, sid, 1) for sid, *_ in submitted]
        adjusted = _adjust_one(forms, scored, submitted)
    folder = root / "definitions"
    folder.mkdir()
    for definition in latest:  # the others unchanged (same version, same text), so `requires` resolves
        if definition is not scored:
            (folder / f"{definition.id}.json").write_text(definition.source, "utf-8")
    document = json.loads(scored.source)
    stricter = _stricter(document, scored.version + 1)
    refusing, cap = _refusing(document, scored.version + 2, answered)
    for name, doc in (("stricter", stricter), ("refusing", refusing)):
        (folder / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    result = run("init", "--definitions", folder, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    with opened(data_dir) as forms:
        shipped = [v for v in range(1, scored.version) if registry.definition(forms, scored.id, v) is not None]
    return {"data_dir": data_dir, "form": scored.id, "unscored": next(d.id for d in latest if d.result is None),
            "stored": scored.version, "shipped": shipped, "stricter": scored.version + 1,
            "refusing": scored.version + 2, "cap": cap, "adjusted": adjusted, "root": root}


def _adjust_one(forms, definition, submitted: list[tuple]) -> str:
    """An inspector takes the points of one scored answer away from the best unit of YEAR (through the product,
    whatever the demo adjusted); its unit."""
    sid, unit, *_ = max(submitted, key=lambda row: row[5])
    answers = submitting.revision_answers(forms, sid, 1)
    question = next(q["id"] for q in score(definition, answers)["questions"] if q["points"] > 0)
    deciding.record_adjustment(forms, sid, question, 0, "Ban Kiểm tra: minh chứng chưa đúng yêu cầu.", "kiemtra")
    return unit


def rescore(demo: dict, version: int, *more, year: int = YEAR):
    return run("rescore", "--form", demo["form"], "--year", year, "--version", version, "--preview",
               "--data-dir", demo["data_dir"], *more)


def expected(demo: dict, version: int, year: int = YEAR) -> dict[str, tuple]:
    """{unit: (old band, old recognised, new band, new recognised) or ("problem", sentence)}, scored here with
    `scoring.score`: the stored result (of the adjusted total when a reviewer adjusted points) against the stored
    answers of each submitted unit on version N, the ids N lacks dropped, the adjustments kept."""
    conn = sqlite3.connect(demo["data_dir"] / "forms.db")
    try:
        units = [r[0] for r in conn.execute("SELECT unit_code FROM submissions WHERE form_id = ? AND cycle_year = ? "
                                            "AND status = 'submitted'", [demo["form"], year])]
    finally:
        conn.close()
    found = {}
    with opened(demo["data_dir"]) as forms:
        target = registry.definition(forms, demo["form"], version)
        for unit in units:
            submission = submitting.find(forms, unit, demo["form"], year)
            stored = registry.definition(forms, demo["form"], submission["form_version"])
            answers = submitting.revision_answers(forms, submission["id"], submission["submitted_revision"])
            old = (submission["band"], bool(submission["recognised"]))
            if submission["adjusted_total"] is not None:
                report = score(stored, answers, submitting.effective_adjustments(forms, submission["id"], stored,
                                                                                 answers))
                assert report["total"] == submission["adjusted_total"]
                old = (report["band"], report["recognised"])
            kept = {qid: value for qid, value in answers.items() if target.question(qid) is not None}
            try:
                new = score(target, kept, submitting.effective_adjustments(forms, submission["id"], target, kept))
            except InvalidAnswers as exc:
                found[unit] = ("problem", " ".join(e.message("vi") for e in exc.errors))
                continue
            found[unit] = (*old, new["band"], new["recognised"])
    return found


def workbook_rows(path: Path) -> dict[str, dict]:
    sheet = load_workbook(path).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


YES_NO = {True: "Có", False: "Không", None: "—"}


def checked_preview(demo: dict, version: int, out: Path, year: int = YEAR) -> dict[str, tuple]:
    """Run the preview on `version` and check every unit of its XLSX, its stdout marks and its summary against
    `expected`; what `expected` gives."""
    result = rescore(demo, version, "--out", out, year=year)
    assert result.exit_code == 0, result.output
    want = expected(demo, version, year)
    problems = {unit: w[1] for unit, w in want.items() if w[0] == "problem"}
    changed = {unit for unit, w in want.items() if unit not in problems and (w[0] != w[2] or w[1] != w[3])}
    rows = workbook_rows(out)
    assert set(rows) == set(want)
    for unit, sentence in problems.items():
        assert rows[unit]["Thay đổi"] == f"không chấm được theo phiên bản {version}: {sentence}", unit
        assert rows[unit]["Tổng điểm mới"] is None and rows[unit]["Xếp loại mới"] is None, unit
    for unit, (old_band, old_rec, new_band, new_rec) in ((u, w) for u, w in want.items() if u not in problems):
        row = rows[unit]
        assert (row["Xếp loại cũ"], row["Công nhận cũ"]) == (old_band, YES_NO[old_rec]), unit
        assert (row["Xếp loại mới"], row["Công nhận mới"]) == (new_band, YES_NO[new_rec]), unit
        assert bool(row["Thay đổi"]) == (unit in changed), unit
        if old_rec != new_rec:
            assert ("được công nhận" if new_rec else "không còn được công nhận") in row["Thay đổi"]
    marked = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("* ")}
    assert marked == changed | set(problems)
    moved = [w for u, w in want.items() if u in changed]
    gained, lost = sum(1 for w in moved if w[3] and not w[1]), sum(1 for w in moved if w[1] and not w[3])
    assert (f"{sum(1 for w in moved if w[0] != w[2])} đơn vị đổi xếp loại" in result.stdout
            and f"{gained + lost} đơn vị đổi công nhận ({gained} được công nhận thêm, {lost} không còn được công nhận)"
            in result.stdout and f"{len(problems)} đơn vị không chấm được" in result.stdout), result.stdout
    return want


def test_the_preview_shows_the_units_whose_band_or_recognition_changes(demo, tmp_path):
    want = checked_preview(demo, demo["stricter"], tmp_path / "cham-lai.xlsx")
    scored = [w for w in want.values() if w[0] != "problem"]
    assert any(w[:2] != w[2:] for w in scored), "the stricter guide changes no unit: the test would prove nothing"


def test_the_preview_between_the_shipped_versions_matches_scoring_each_unit(demo, tmp_path):
    if not demo["shipped"]:
        pytest.skip("the scored form ships one version only")
    for version in demo["shipped"]:
        checked_preview(demo, version, tmp_path / f"v{version}.xlsx")


def snapshot(data_dir: Path) -> dict:
    """Both databases' SHA-256 and every file of the data directory with its size and modification time."""
    files = {str(p.relative_to(data_dir)): (p.stat().st_size, p.stat().st_mtime_ns)
             for p in sorted(data_dir.rglob("*")) if p.is_file()}
    digests = {name: hashlib.sha256((data_dir / name).read_bytes()).hexdigest() for name in ("forms.db", "accounts.db")}
    return {"files": files, "sha256": digests}


def test_the_preview_writes_nothing_to_the_data_directory(demo, tmp_path):
    before = snapshot(demo["data_dir"])
    for version in (demo["stricter"], demo["refusing"]):
        assert rescore(demo, version, "--out", tmp_path / f"v{version}.xlsx").exit_code == 0
    assert rescore(demo, demo["stricter"], "--lang", "en").exit_code == 0
    assert snapshot(demo["data_dir"]) == before
    assert set(os.listdir(tmp_path)) == {f"v{demo['refusing']}.xlsx", f"v{demo['stricter']}.xlsx"}


def test_rescoring_on_the_version_answered_changes_nothing_adjusted_units_included(demo, tmp_path):
    out = tmp_path / "cung-phien-ban.xlsx"
    want = checked_preview(demo, demo["stored"], out)
    assert all(w[:2] == w[2:] for w in want.values() if w[0] != "problem")
    with opened(demo["data_dir"]) as forms:
        submission = submitting.find(forms, demo["adjusted"], demo["form"], YEAR)
    assert submission["adjusted_total"] < submission["total"]
    # The stored result of an adjusted unit is its adjusted total; the same on the same version.
    row = workbook_rows(out)[demo["adjusted"]]
    assert row["Tổng điểm cũ"] == row["Tổng điểm mới"] == submission["adjusted_total"]


def test_answers_the_version_refuses_are_reported_per_unit_and_the_others_scored(demo, tmp_path):
    want = checked_preview(demo, demo["refusing"], tmp_path / "tu-choi.xlsx")
    problems = [w[1] for w in want.values() if w[0] == "problem"]
    assert problems and len(problems) < len(want)
    assert any(f"≤ {demo['cap']}" in sentence for sentence in problems)


def test_the_preview_speaks_english_with_lang_en(demo):
    result = rescore(demo, demo["stricter"], "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "unit(s) change band" in result.stdout and "đổi xếp loại" not in result.stdout
    with opened(demo["data_dir"]) as forms:
        labels = {b.label.get("en") for b in registry.definition(forms, demo["form"], demo["stricter"]).result.bands}
    assert any(label in result.stdout for label in labels)


def test_without_preview_nothing_runs_and_one_sentence_says_only_the_preview_exists(demo):
    before = snapshot(demo["data_dir"])
    result = run("rescore", "--form", demo["form"], "--year", YEAR, "--version", demo["stricter"],
                 "--data-dir", demo["data_dir"])
    assert result.exit_code == 1
    assert result.stderr.strip() == ("Chỉ có chế độ xem trước: hãy thêm --preview. "
                                     "Lệnh này không bao giờ thay đổi kết quả đã lưu.")
    assert snapshot(demo["data_dir"]) == before


@pytest.mark.parametrize("change, sentence", [
    (lambda demo: {"--form": "khong-co"}, 'Không có biểu mẫu "khong-co"'),
    (lambda demo: {"--form": demo["unscored"], "--version": 1}, "không được chấm điểm"),
    (lambda demo: {"--version": 99}, "không có phiên bản 99 (phiên bản mới nhất là"),
    (lambda demo: {"--year": 1999}, "năm 1999."),
], ids=["form", "unscored-form", "version", "year"])
def test_an_unknown_form_version_or_year_exits_1_with_one_sentence(demo, change, sentence):
    args = {"--form": demo["form"], "--year": YEAR, "--version": demo["stricter"], **change(demo)}
    result = run("rescore", *[x for pair in args.items() for x in pair], "--preview", "--data-dir", demo["data_dir"])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and sentence in result.stderr
    assert not result.stdout


def test_an_out_file_inside_the_data_directory_or_not_xlsx_is_refused(demo):
    before = snapshot(demo["data_dir"])
    inside = rescore(demo, demo["stricter"], "--out", demo["data_dir"] / "xem-truoc.xlsx")
    assert inside.exit_code == 1 and "nằm trong thư mục dữ liệu" in inside.stderr
    csv = rescore(demo, demo["stricter"], "--out", demo["root"] / "xem-truoc.csv")
    assert csv.exit_code == 1 and "phải có đuôi .xlsx" in csv.stderr
    assert snapshot(demo["data_dir"]) == before and not (demo["root"] / "xem-truoc.csv").exists()


def test_a_data_directory_without_databases_is_refused_and_left_empty(tmp_path):
    result = run("rescore", "--form", "x", "--year", YEAR, "--version", 1, "--preview", "--data-dir", tmp_path)
    assert result.exit_code == 1 and "forms-app init" in result.stderr
    assert list(tmp_path.iterdir()) == []
