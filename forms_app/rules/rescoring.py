"""The rescoring preview: each unit's stored result beside the result its stored answers would get on another version.

The standing committee sees what a new scoring guide would change before adopting it. Nothing is
written: the preview reads the submitted revisions and the reviewers' adjustments and scores them
with the pure scorer (`scoring.score`) on the version asked for. Answers to questions that version
does not ask are dropped; answers it refuses (a removed choice, a new `at_most`) make the unit
"not scoreable on that version", with the scorer's sentence, instead of stopping the preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from exports.tables import xlsx_bytes
from form_definitions import Definition
from forms_app.data import reporting
from forms_app.data.connection import Database
from forms_app.rules import messages, registry, submitting
from scoring import InvalidAnswers, score
from scoring.rules import fmt

# Bands are stored as labelled in this language (what `scoring.points` and `rules.submitting` store).
STORED_LANG = "vi"

MESSAGES: messages.Catalogue = {
    "preview_only": {"vi": "Chỉ có chế độ xem trước: hãy thêm --preview. Lệnh này không bao giờ thay đổi kết quả đã lưu.",
                     "en": "Only the preview exists: add --preview. This command never changes a stored result."},
    "no_data": {"vi": "Không có dữ liệu trong {path}: chưa chạy forms-app init.",
                "en": "There is no data in {path}: forms-app init has not been run."},
    "out_in_data_dir": {"vi": "Tệp --out {path} nằm trong thư mục dữ liệu; lệnh xem trước không ghi gì vào đó, "
                              "hãy chọn nơi khác.",
                        "en": "The --out file {path} is inside the data directory; the preview writes nothing there, "
                              "choose another place."},
    "out_not_xlsx": {"vi": "Tệp --out {path} phải có đuôi .xlsx.", "en": "The --out file {path} must end in .xlsx."},
    "unknown_version": {"vi": "Biểu mẫu \"{form}\" không có phiên bản {version} (phiên bản mới nhất là {latest}).",
                        "en": "The form \"{form}\" has no version {version} (the latest is {latest})."},
    "unscored": {"vi": "Biểu mẫu \"{form}\" phiên bản {version} không chấm điểm, nên không có gì để chấm lại.",
                 "en": "The form \"{form}\" version {version} is not scored, so there is nothing to rescore."},
    "no_submissions": {"vi": "Không có bài đã nộp nào của biểu mẫu \"{form}\" năm {year}.",
                       "en": "No unit submitted the form \"{form}\" for {year}."},
    "title": {"vi": "{title} — năm {year}: kết quả đã lưu và kết quả nếu chấm theo phiên bản {version} "
                    "(xem trước, không ghi gì).",
              "en": "{title} — {year}: the stored results and the results if scored on version {version} "
                    "(preview, nothing written)."},
    "summary": {"vi": "Theo phiên bản {version}: {band} đơn vị đổi xếp loại ({up} lên, {down} xuống), {recognition} "
                      "đơn vị đổi công nhận ({gained} được công nhận thêm, {lost} không còn được công nhận), "
                      "{failed} đơn vị không chấm được; trên {units} đơn vị đã nộp năm {year}.",
                "en": "On version {version}: {band} unit(s) change band ({up} up, {down} down), {recognition} unit(s) "
                      "change recognition ({gained} newly recognised, {lost} no longer recognised), {failed} cannot "
                      "be scored; of {units} unit(s) that submitted for {year}."},
    "unscoreable": {"vi": "không chấm được theo phiên bản {version}: {reason}",
                    "en": "cannot be scored on version {version}: {reason}"},
    "band_up": {"vi": "lên xếp loại", "en": "band up"},
    "band_down": {"vi": "xuống xếp loại", "en": "band down"},
    "band_renamed": {"vi": "đổi tên xếp loại", "en": "band renamed"},
    "gained": {"vi": "được công nhận", "en": "now recognised"},
    "lost": {"vi": "không còn được công nhận", "en": "no longer recognised"},
}
HEADER = {
    "vi": ["Mã đơn vị", "Tên đơn vị", "Phiên bản đã nộp", "Tổng điểm cũ", "Tối đa cũ", "Xếp loại cũ", "Công nhận cũ",
           "Tổng điểm mới", "Tối đa mới", "Xếp loại mới", "Công nhận mới", "Thay đổi"],
    "en": ["Unit code", "Unit name", "Version submitted", "Old total", "Old max", "Old band", "Old recognised",
           "New total", "New max", "New band", "New recognised", "Change"],
}
TEXT_HEADER = {
    "vi": ["Mã đơn vị", "Tên đơn vị", "Bản", "Đã lưu", "Xếp loại", "Công nhận", "", "Theo v{version}", "Xếp loại",
           "Công nhận", "Thay đổi"],
    "en": ["Unit", "Name", "Ver.", "Stored", "Band", "Recognised", "", "On v{version}", "Band", "Recognised", "Change"],
}
YES_NO = {"vi": {True: "Có", False: "Không", None: "—"}, "en": {True: "Yes", False: "No", None: "—"}}
SUMMARY_HEADER = {"vi": ("Tóm tắt", "Số đơn vị"), "en": ("Summary", "Units")}
SUMMARY_ROWS = {
    "vi": ("Đã nộp", "Đổi xếp loại", "Lên xếp loại", "Xuống xếp loại", "Đổi công nhận", "Được công nhận thêm",
           "Không còn được công nhận", "Không chấm được"),
    "en": ("Submitted", "Band changes", "Band up", "Band down", "Recognition changes", "Newly recognised",
           "No longer recognised", "Cannot be scored"),
}


class RescoreError(Exception):
    """Why there is no preview: an unknown version, an unscored version, no submission that year."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code, self.params = code, params

    def message(self, lang: str = "vi") -> str:
        """The sentence in `lang`."""
        return messages.text(MESSAGES, self.code, lang, **self.params)


@dataclass(frozen=True)
class Result:
    """One side of a unit's line: total, maximum, band (labelled in STORED_LANG, as stored, and in the language
    asked for) and recognition."""

    total: float | None
    max_total: float | None
    band: str | None
    label: str | None  # the band in the language asked for
    recognised: bool | None


@dataclass(frozen=True)
class Line:
    """A unit's stored result and its result on the version asked for (None with `problem` when not scoreable)."""

    unit_code: str
    unit_name: str
    form_version: int
    old: Result
    new: Result | None
    problem: str | None = None
    band_move: str | None = None  # "band_up", "band_down", "band_renamed" or None
    recognition_move: str | None = None  # "gained", "lost" or None

    @property
    def changed(self) -> bool:
        """Whether the band or the recognition changes."""
        return bool(self.band_move or self.recognition_move)


@dataclass(frozen=True)
class Preview:
    """Every unit that submitted the form for the year, in cluster and code order, against `definition`."""

    definition: Definition
    year: int
    lines: tuple[Line, ...]

    def counts(self) -> dict[str, int]:
        """How many units submitted, change band (up, down), change recognition (gained, lost), cannot be scored."""
        moves = [line.band_move for line in self.lines]
        gains = [line.recognition_move for line in self.lines]
        return {
            "units": len(self.lines), "band": sum(m is not None for m in moves), "up": moves.count("band_up"),
            "down": moves.count("band_down"), "recognition": sum(g is not None for g in gains),
            "gained": gains.count("gained"), "lost": gains.count("lost"),
            "failed": sum(line.problem is not None for line in self.lines),
        }


def preview(db: Database, form_id: str | None, year: int, version: int, lang: str = "vi") -> Preview:
    """Each submitted unit's stored result and its result on `version` of the form (the only scored form when
    `form_id` is None); reads only. Raises registry.FormChoice (no such scored form) or RescoreError."""
    latest = registry.the_scored_form(db, form_id)
    target = registry.definition(db, latest.id, version)
    if target is None:
        raise RescoreError("unknown_version", form=latest.id, version=version, latest=latest.version)
    if target.result is None:
        raise RescoreError("unscored", form=latest.id, version=version)
    lines = tuple(_line(db, row, target, year, lang) for row in reporting.submissions_of_year(db, latest.id, year)
                  if row["status"] == "submitted")
    if not lines:
        raise RescoreError("no_submissions", form=latest.id, year=year)
    return Preview(target, year, lines)


def _line(db: Database, row: Mapping[str, Any], target: Definition, year: int, lang: str) -> Line:
    """One unit: its stored result (the adjusted one when a reviewer adjusted points) and its result on `target`."""
    submission = submitting.find(db, row["code"], target.id, year)
    stored = registry.definition(db, target.id, submission["form_version"])
    answers = submitting.revision_answers(db, submission["id"], submitting.scored_revision(submission)) or {}
    old = _stored_result(db, submission, stored, answers, lang)
    kept = {qid: value for qid, value in answers.items() if target.question(qid) is not None}
    head = {"unit_code": row["code"], "unit_name": row["name"], "form_version": submission["form_version"], "old": old}
    try:
        report = score(target, kept, submitting.effective_adjustments(db, submission["id"], target, kept), lang)
    except InvalidAnswers as exc:
        reason = " ".join(error.message(lang) for error in exc.errors)
        return Line(**head, new=None, problem=messages.text(MESSAGES, "unscoreable", lang, version=target.version,
                                                              reason=reason))
    new = Result(report["total"], report["max_total"], _relabel(target, report["band"], lang, STORED_LANG),
                 report["band"], report["recognised"])
    return Line(**head, new=new, band_move=_band_move(stored, old.band, target, new.band),
                recognition_move=_recognition_move(old.recognised, new.recognised))


def _stored_result(db: Database, submission: Mapping[str, Any], stored: Definition, answers: Mapping,
                   lang: str) -> Result:
    """The result as stored: the adjusted total when a reviewer adjusted points, else the automatic one.

    The stored band and recognition are the automatic ones; with adjustments they are those of the adjusted total
    on the stored version, as the unit's result page shows them.
    """
    recognised = None if submission["recognised"] is None else bool(submission["recognised"])
    band, adjusted = submission["band"], submission["adjusted_total"]
    total = submission["total"] if adjusted is None else adjusted
    if adjusted is not None:
        changes = submitting.effective_adjustments(db, submission["id"], stored, answers)
        try:
            report = score(stored, answers, changes, STORED_LANG)
            total, band, recognised = report["total"], report["band"], report["recognised"]
        except InvalidAnswers:  # answers stored before a stricter scorer: the stored columns, as they are
            pass
    return Result(total, submission["max_total"], band, _relabel(stored, band, STORED_LANG, lang), recognised)


def _relabel(definition: Definition, label: str | None, source: str, target: str) -> str | None:
    """A band's label in language `target`, given its label in `source` (the label itself when no band has it)."""
    for band in definition.result.bands if definition.result else ():
        if band.label.get(source) == label:
            return band.label.get(target)
    return label


def _rank(definition: Definition, label: str | None) -> int:
    """A band's place from the top (0: the best); past the last band when no band is reached or known."""
    bands = [band.label.get(STORED_LANG) for band in (definition.result.bands if definition.result else ())]
    return bands.index(label) if label in bands else len(bands)


def _band_move(stored: Definition, old: str | None, target: Definition, new: str | None) -> str | None:
    if old == new:
        return None
    before, after = _rank(stored, old), _rank(target, new)
    return "band_up" if after < before else "band_down" if after > before else "band_renamed"


def _recognition_move(old: bool | None, new: bool | None) -> str | None:
    if bool(old) == bool(new):
        return None
    return "gained" if new else "lost"


# What the preview looks like: a text table on stdout, the same rows in an XLSX.

def rows(result: Preview, lang: str = "vi") -> list[list[Any]]:
    """One row per unit in the order of HEADER: numbers as numbers, bands and yes/no in `lang`."""
    yes_no = YES_NO.get(lang, YES_NO["vi"])
    out = []
    for line in result.lines:
        new = line.new or Result(None, None, None, None, None)
        change = line.problem or ", ".join(messages.text(MESSAGES, move, lang)
                                           for move in (line.band_move, line.recognition_move) if move)
        out.append([line.unit_code, line.unit_name, line.form_version, line.old.total, line.old.max_total,
                     line.old.label, yes_no[line.old.recognised], new.total, new.max_total, new.label,
                     yes_no[new.recognised] if line.new else None, change or None])
    return out


def summary(result: Preview, lang: str = "vi") -> str:
    """The summary sentence: how many units change band and recognition, each way, and how many cannot be scored."""
    return messages.text(MESSAGES, "summary", lang, version=result.definition.version, year=result.year,
                         **result.counts())


def title(result: Preview, lang: str = "vi") -> str:
    """The first line: the form, the year and the version the answers are scored on."""
    return messages.text(MESSAGES, "title", lang, title=result.definition.title.get(lang), year=result.year,
                         version=result.definition.version)


def text(result: Preview, lang: str = "vi") -> str:
    """The preview as a plain-text table (changed units marked with *), between its title and its summary."""
    table = [[cell.format(version=result.definition.version) for cell in TEXT_HEADER.get(lang, TEXT_HEADER["vi"])]]
    for line, row in zip(result.lines, rows(result, lang), strict=True):
        old = f"{_number(row[3], lang)}/{_number(row[4], lang)}"
        new = f"{_number(row[7], lang)}/{_number(row[8], lang)}" if line.new else ""
        table.append([("* " if line.changed or line.problem else "  ") + row[0], _cut(row[1], 32), f"v{row[2]}",
                      old, row[5] or "—", row[6], "→", new, row[9] or "", row[10] or "", row[11] or ""])
    widths = [max(len(str(r[i])) for r in table) for i in range(len(table[0]) - 1)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(r, widths, strict=False)) + "  " + str(r[-1])
             for r in table]
    return "\n".join([title(result, lang), "", *(line.rstrip() for line in lines), "", summary(result, lang)])


def xlsx(result: Preview, lang: str = "vi") -> bytes:
    """The preview as an XLSX: the units' sheet (the rows of `rows`) and a summary sheet with the counts."""
    counts = result.counts()
    names = SUMMARY_ROWS.get(lang, SUMMARY_ROWS["vi"])
    keys = ("units", "band", "up", "down", "recognition", "gained", "lost", "failed")
    sheet = ("Chấm lại" if lang == "vi" else "Rescored") + f" v{result.definition.version} {result.year}"
    return xlsx_bytes([
        (sheet, HEADER.get(lang, HEADER["vi"]), rows(result, lang)),
        (SUMMARY_HEADER.get(lang, SUMMARY_HEADER["vi"])[0], SUMMARY_HEADER.get(lang, SUMMARY_HEADER["vi"]),
         [[name, counts[key]] for name, key in zip(names, keys, strict=True)] + [[summary(result, lang), None]]),
    ])


def _number(value: float | None, lang: str) -> str:
    return "—" if value is None else fmt(value, lang)


def _cut(value: str, width: int) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= width else value[: width - 1] + "…"
