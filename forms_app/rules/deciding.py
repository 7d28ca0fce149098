"""The standing committee's decisions and the reviewers' point adjustments: appended, audited, never overwritten.

A decision is one new row in `decisions`; the latest for a unit, form and year is the current
one (flagged `is_current`). An adjustment is one new row in `adjustments`; the latest per question
is the current one (no points: the adjustment is removed). The automatic scores stay as they are;
the adjusted ones are stored beside them (`adjusted_total`, `adjusted_points`, `adjusted_score`).

No Flask here: a refusal is a `DecisionError` holding codes and the field each belongs to; the
review pages and the command line turn them into sentences with `message()`, from `MESSAGES`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable, Mapping

from forms_app.data import audit, clock
from forms_app.data import decisions as data
from forms_app.data import submissions as data_submissions
from forms_app.data.connection import Database, write
from forms_app.rules import messages, registry, units, windows
from forms_app.rules.messages import Refusal
from forms_app.rules.submitting import (
    current_adjustments,
    find,
    refresh_adjusted_scores,
    revision_answers,
    scored_revision,
)
from scoring import score, visibility
from scoring.answers import is_number

KINDS = ("recognised", "not_recognised", "returned", "withdrawn")
# The committee's verdict on the year (a certificate follows a recognition).
VERDICTS = ("recognised", "not_recognised")
SOURCES = ("web", "import")
MAX_COMMENT = 2000
MAX_DECISION_NO = 64
MAX_REASON = 500
_READ = object()  # check_decision reads the current decision itself

# One sentence per refusal of a decision or an adjustment, and per problem of a decisions file
# (decisions_import). A code says the same thing everywhere; `code/place` is a wording kept for one
# place only: on a page the field is beside the sentence, a file's row needs the cell's value named.
MESSAGES: messages.Catalogue = {
    "kind": {"vi": "Hãy chọn một quyết định: công nhận, không công nhận, trả lại để bổ sung hoặc thu hồi công nhận.",
             "en": "Choose a decision: recognise, do not recognise, return for completion or withdraw the recognition."},
    "unknown_unit": {"vi": "Không có đơn vị mang mã \"{unit}\".", "en": "No unit has the code \"{unit}\"."},
    "unknown_cycle": {"vi": "Biểu mẫu {form} không có chu kỳ năm {year}.", "en": "The form {form} has no cycle {year}."},
    "comment_long": {"vi": "Nhận xét dài quá {max} ký tự.", "en": "The comment is longer than {max} characters."},
    "decision_no_long": {"vi": "Số quyết định dài quá {max} ký tự.",
                         "en": "The decision number is longer than {max} characters."},
    "date": {"vi": "Ngày không hợp lệ; hãy nhập dạng ngày/tháng/năm, ví dụ 20/10/2022.",
             "en": "Invalid date; enter it as day/month/year, for example 20/10/2022."},
    "date/file": {"vi": "Ngày \"{value}\" không hợp lệ; dùng YYYY-MM-DD hoặc DD/MM/YYYY.",
                  "en": "The date \"{value}\" is invalid; use YYYY-MM-DD or DD/MM/YYYY."},
    "decided_in_future": {"vi": "Ngày quyết định không thể sau hôm nay.", "en": "The decision date cannot be after today."},
    "decided_in_future/file": {"vi": "Ngày quyết định {date} ở sau hôm nay.", "en": "The decision date {date} is after today."},
    "reopen_needed": {"vi": "Khi trả lại, hãy cho biết biểu mẫu được mở lại đến hết ngày nào.",
                      "en": "When returning the form, say until which day it reopens."},
    "reopen_past": {"vi": "Ngày mở lại phải từ hôm nay trở đi.", "en": "The reopening date must be today or later."},
    "comment_needed": {"vi": "Khi trả lại, hãy ghi nhận xét để đơn vị biết cần bổ sung gì.",
                       "en": "When returning the form, write a comment telling the unit what to complete."},
    "not_submitted": {"vi": "Đơn vị chưa nộp biểu mẫu này nên chưa thể công nhận, không công nhận hay trả lại.",
                      "en": "The unit has not submitted this form, so it cannot be recognised, refused or returned yet."},
    "not_submitted/adjustment": {"vi": "Đơn vị chưa nộp biểu mẫu này nên chưa thể điều chỉnh điểm.",
                                 "en": "The unit has not submitted this form, so its points cannot be adjusted yet."},
    "not_submitted/file": {"vi": "Đơn vị {unit} chưa nộp biểu mẫu {form} năm {year}, nên chưa thể xét.",
                           "en": "The unit {unit} has not submitted the form {form} for {year}, so it cannot be decided."},
    "not_recognised_now": {"vi": "Chỉ thu hồi được khi đơn vị đang được công nhận.",
                           "en": "Only a current recognition can be withdrawn."},
    "commendation_needs_recognition": {"vi": "Chỉ đơn vị được công nhận mới được đề nghị tuyên dương.",
                                       "en": "Only a recognised unit can be put forward for commendation."},
    "outside_clusters": {"vi": "Đơn vị này không thuộc cụm thi đua bạn phụ trách.",
                         "en": "This unit is not in an emulation cluster you are in charge of."},
    # Adjustments
    "no_submission": {"vi": "Đơn vị chưa có bài nộp.", "en": "The unit has no submission."},
    "unknown_question": {"vi": "Biểu mẫu không có câu hỏi “{question}”.", "en": "The form has no question “{question}”."},
    "hidden_question": {
        "vi": "Câu hỏi “{question}” đang bị ẩn theo câu trả lời của đơn vị nên không có điểm để điều chỉnh.",
        "en": "The question “{question}” is hidden by the unit’s answers, so it has no points to adjust."},
    "unscored_question": {"vi": "Câu hỏi “{question}” không tính điểm.", "en": "The question “{question}” carries no points."},
    "nothing_to_remove": {"vi": "Hãy nhập điểm sau điều chỉnh (chỉ để trống khi huỷ một điều chỉnh đã có).",
                          "en": "Enter the adjusted points (leave the field empty only to remove an existing adjustment)."},
    "points": {"vi": "Hãy nhập một số, ví dụ 2,5.", "en": "Enter a number, for example 2.5."},
    "reason_needed": {"vi": "Hãy ghi lý do điều chỉnh.", "en": "Give the reason for the adjustment."},
    "reason_long": {"vi": "Lý do dài quá {max} ký tự.", "en": "The reason is longer than {max} characters."},
    # A decisions file (forms-app decisions import), after "Dòng N: "
    "unreadable": {"vi": "Không đọc được tệp: {reason}.", "en": "Cannot read the file: {reason}."},
    "empty": {"vi": "Tệp không có dòng dữ liệu nào.", "en": "The file has no data rows."},
    "columns": {"vi": "Thiếu cột {missing}; dòng tiêu đề phải có ít nhất unit, form, year, decision, decision_no, decided_on "
                      "(hoặc mã đơn vị, biểu mẫu, năm, quyết định, số quyết định, ngày quyết định).",
                "en": "Missing column {missing}; the header row needs at least unit, form, year, decision, decision_no, decided_on."},
    "unknown_form": {"vi": "Không có biểu mẫu \"{form}\".", "en": "No form has the id \"{form}\"."},
    "year": {"vi": "Năm \"{value}\" không phải một chu kỳ của biểu mẫu {form} (các năm {years}).",
             "en": "The year \"{value}\" is not a cycle of the form {form} (years {years})."},
    "decision": {"vi": "Quyết định \"{value}\" không hợp lệ; dùng recognised (công nhận), not_recognised (không công nhận) "
                       "hoặc withdrawn (thu hồi công nhận).",
                 "en": "The decision \"{value}\" is invalid; use recognised, not_recognised or withdrawn."},
    "decision_no": {"vi": "Thiếu số quyết định.", "en": "The decision number is missing."},
    "decided_on": {"vi": "Thiếu ngày quyết định.", "en": "The decision date is missing."},
    "commendation_value": {"vi": "Cột tuyên dương \"{value}\" không hợp lệ; dùng 1/0, có/không hoặc để trống.",
                           "en": "The commendation \"{value}\" is invalid; use 1/0, yes/no, or leave it empty."},
    "duplicate": {"vi": "Đơn vị, biểu mẫu và năm này đã có ở dòng {first}.",
                  "en": "This unit, form and year already appear on row {first}."},
}
PLACES = ("decision", "adjustment", "file")


def message(code: str, lang: str = "vi", place: str = "decision", **params) -> str:
    """The sentence for a refusal or problem `code` in `lang`, worded for its `place` (one of PLACES).

    `decision` and `adjustment` are the review page's two forms, `file` a row of a decisions file.
    """
    key = f"{code}/{place}"
    return messages.text(MESSAGES, key if key in MESSAGES else code, lang, **params)


class DecisionError(ValueError):
    """A refused decision or adjustment; nothing was written."""

    def __init__(self, refusals: Iterable[Refusal]):
        self.refusals = list(refusals)
        super().__init__(", ".join(r.code for r in self.refusals))

    @property
    def code(self) -> str:
        return self.refusals[0].code


class OutsideClusters(DecisionError, PermissionError):
    """The unit is outside the emulation clusters the reviewer is limited to."""

    def __init__(self, unit_code: str):
        super().__init__([Refusal("outside_clusters", None, {"unit": unit_code})])


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")


def parse_date(value: Any) -> dt.date | None:
    """A date from a date, `2022-10-20` (a spreadsheet may add ` 00:00:00`) or `20/10/2022`; None when empty."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    text = str(value).strip()
    if not text:
        return None
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DMY.match(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValueError(text)
    return dt.date(year, month, day)  # ValueError for 31/02/2022


def check_clusters(db: Database, unit_code: str, clusters: Iterable[str] | None) -> None:
    """OutsideClusters unless the unit is in one of `clusters` (None or empty: every unit)."""
    clusters = list(clusters or [])
    if not clusters:
        return
    unit = units.find_unit(db, unit_code)
    if unit is None or unit["cluster"] not in clusters:
        raise OutsideClusters(unit_code)


# Decisions

def current_decision(db: Database, unit_code: str, form_id: str, cycle_year: int) -> dict | None:
    """The decision in force for a unit, form and year (the latest one), or None."""
    return data.current(db, unit_code, form_id, cycle_year)


def history(db: Database, unit_code: str, form_id: str, cycle_year: int) -> list[dict]:
    """Every decision for a unit, form and year, newest first."""
    return data.history(db, unit_code, form_id, cycle_year)


def submitted_since_decision(db: Database, unit_code: str, form_id: str, cycle_year: int) -> bool:
    """Whether the unit submitted again after the current decision (say, once its form was returned)."""
    return audit.submitted_since_last_decision(db, unit_code, form_id, cycle_year)


def current_decisions(db: Database, unit_codes: list[str]) -> dict[tuple[str, str, int], dict]:
    """The current decision of each (unit, form, year) of these units."""
    return {(row["unit_code"], row["form_id"], row["cycle_year"]): row for row in data.current_of_units(db, unit_codes)}


def check_decision(db: Database, unit_code: str, form_id: str, cycle_year: int, kind: str, *,
                   comment: str | None = None, reopen_until: Any = None, decision_no: str | None = None,
                   decided_on: Any = None, commendation: bool = False, today: dt.date | None = None,
                   current: Any = _READ) -> tuple[dict, list[Refusal]]:
    """The decision row that would be written, and every reason not to write it.

    `current` is the decision in force when the caller knows it better than the database (an import
    checking its own earlier rows); by default it is read.
    """
    today = today or clock.today()
    comment = (comment or "").strip() or None
    decision_no = " ".join((decision_no or "").split()) or None
    refusals = _input_refusals(db, unit_code, form_id, cycle_year, kind, comment, decision_no)
    dates = _read_dates({"decided_on": decided_on, "reopen_until": reopen_until}, today, refusals)
    if current is _READ:
        current = current_decision(db, unit_code, form_id, cycle_year)
    submitted = (find(db, unit_code, form_id, cycle_year) or {}).get("status") == "submitted"
    reopen_unreadable = any(r.field == "reopen_until" for r in refusals)
    refusals += _state_refusals(kind, {"unit": unit_code, "form": form_id, "year": cycle_year}, submitted, current,
                                dates["reopen_until"], reopen_unreadable, comment, commendation, today)
    row = {
        "unit_code": unit_code, "form_id": form_id, "cycle_year": cycle_year, "decision": kind, "comment": comment,
        "reopen_until": dates["reopen_until"].isoformat() if kind == "returned" and dates["reopen_until"] else None,
        "decision_no": decision_no,
        "decided_on": dates["decided_on"].isoformat() if dates["decided_on"] else None,
        "commendation": int(bool(commendation) and kind == "recognised"),
    }
    return row, refusals


def _input_refusals(db: Database, unit_code: str, form_id: str, cycle_year: int, kind: str, comment: str | None,
                    decision_no: str | None) -> list[Refusal]:
    """What is wrong with the decision's inputs themselves: its kind, unit, cycle, and the length of its texts."""
    refusals = []
    if kind not in KINDS:
        refusals.append(Refusal("kind", "decision", {"value": str(kind)[:40]}))
    if not units.unit_exists(db, unit_code):
        refusals.append(Refusal("unknown_unit", "unit", {"unit": unit_code}))
    if not windows.cycle_exists(db, form_id, cycle_year):
        refusals.append(Refusal("unknown_cycle", "form", {"form": form_id, "year": cycle_year}))
    if comment and len(comment) > MAX_COMMENT:
        refusals.append(Refusal("comment_long", "comment", {"max": MAX_COMMENT}))
    if decision_no and len(decision_no) > MAX_DECISION_NO:
        refusals.append(Refusal("decision_no_long", "decision_no", {"max": MAX_DECISION_NO}))
    return refusals


def _read_dates(values: dict[str, Any], today: dt.date, refusals: list[Refusal]) -> dict[str, dt.date | None]:
    """Each named date parsed (None when empty or unreadable); a refusal appended for an unreadable one and for a
    decision dated after today."""
    dates = {}
    for name, value in values.items():
        try:
            dates[name] = parse_date(value)
        except (ValueError, TypeError):
            dates[name] = None
            refusals.append(Refusal("date", name, {"value": str(value)[:40]}))
    if dates["decided_on"] and dates["decided_on"] > today:
        refusals.append(Refusal("decided_in_future", "decided_on", {"date": dates["decided_on"].isoformat()}))
    return dates


def _state_refusals(kind: str, key: dict, submitted: bool, current: dict | None, reopen_until: dt.date | None,
                    reopen_unreadable: bool, comment: str | None, commendation: bool, today: dt.date) -> list[Refusal]:
    """What the submission and the decision in force allow: a verdict or a return needs a submitted form, a return a
    reopening date and a comment, a withdrawal a current recognition, a commendation a recognition."""
    refusals = []
    if kind in VERDICTS + ("returned",) and not submitted:
        refusals.append(Refusal("not_submitted", "decision", key))
    if kind == "returned":
        if reopen_until is None and not reopen_unreadable:
            refusals.append(Refusal("reopen_needed", "reopen_until"))
        elif reopen_until is not None and reopen_until < today:
            refusals.append(Refusal("reopen_past", "reopen_until", {"date": reopen_until.isoformat()}))
        if not comment:
            refusals.append(Refusal("comment_needed", "comment"))
    if kind == "withdrawn" and (not current or current["decision"] != "recognised"):
        refusals.append(Refusal("not_recognised_now", "decision"))
    if commendation and kind != "recognised":
        refusals.append(Refusal("commendation_needs_recognition", "commendation"))
    return refusals


def record_decision(db: Database, unit_code: str, form_id: str, year: int, kind: str, actor: str,
                    comment: str | None = None, reopen_until: Any = None, decision_no: str | None = None,
                    decided_on: Any = None, commendation: bool = False, source: str = "web", *,
                    clusters: Iterable[str] | None = None, today: dt.date | None = None) -> dict:
    """Append one decision and its audit entry; the stored row, or DecisionError (nothing written).

    'recognised' and 'not_recognised' need a submitted submission; 'returned' needs a comment and
    `reopen_until` (a date from today on: the form reopens for the unit until the end of that
    day); 'withdrawn' needs a current 'recognised'. A reviewer limited to `clusters` is refused
    any unit outside them (OutsideClusters, also a PermissionError).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    check_clusters(db, unit_code, clusters)
    with write(db):
        row, refusals = check_decision(db, unit_code, form_id, year, kind, comment=comment, reopen_until=reopen_until,
                                       decision_no=decision_no, decided_on=decided_on, commendation=commendation,
                                       today=today)
        if refusals:
            raise DecisionError(refusals)
        row.update(source=source, recorded_by=actor, recorded_at=clock.stamp())
        row["id"] = data.insert(db, row)
        audit.record(db, actor, "decision_recorded", unit_code, form_id, year, {
            "decision_id": row["id"], "decision": kind, "decision_no": row["decision_no"],
            "decided_on": row["decided_on"], "reopen_until": row["reopen_until"], "commendation": row["commendation"],
            "comment": row["comment"], "source": source,
        })
    return row


# Adjustments

def adjustment_history(db: Database, submission_id: int) -> list[dict]:
    """Every adjustment of a submission, newest first."""
    return data.adjustment_history(db, submission_id)


def record_adjustment(db: Database, submission_id: int, question_id: str, points: float | None, reason: str,
                      actor: str, *, clusters: Iterable[str] | None = None) -> dict:
    """Append one adjustment of a question's points (None removes the current one), audit it, store the adjusted scores.

    Points are clamped to [0, the question's maximum] by the scoring; the automatic points stay.
    Refused (DecisionError, nothing written): an unknown, hidden or unscored question, a missing
    reason, a submission not submitted, or points that are not a number. Returns the stored row.
    """
    with write(db):
        submission = data_submissions.by_id(db, submission_id)
        if submission is None:
            raise DecisionError([Refusal("no_submission", None)])
        check_clusters(db, submission["unit_code"], clusters)
        definition = registry.definition(db, submission["form_id"], submission["form_version"])
        answers = revision_answers(db, submission_id, scored_revision(submission) or 0) or {}
        reason = " ".join((reason or "").split())
        refusals = _adjustment_refusals(db, submission, definition, answers, question_id, points, reason)
        if refusals:
            raise DecisionError(refusals)
        stored = None
        if points is not None:
            # The scoring clamps; what it keeps is what is stored, and what was typed goes to the audit log.
            entry = next(q for q in score(definition, answers, {question_id: points})["questions"] if q["id"] == question_id)
            stored = entry["points"]
        row = {"submission_id": submission_id, "question_id": question_id, "points": stored, "reason": reason,
               "recorded_by": actor, "recorded_at": clock.stamp()}
        row["id"] = data.insert_adjustment(db, row)
        report = refresh_adjusted_scores(db, submission_id)
        audit.record(db, actor, "points_adjusted" if stored is not None else "adjustment_removed",
                     submission["unit_code"], submission["form_id"], submission["cycle_year"], {
                         "adjustment_id": row["id"], "submission_id": submission_id, "question": question_id,
                         "points": stored, "requested": points, "reason": reason,
                         "adjusted_total": report["total"] if report else None,
                     })
    return row


def _adjustment_refusals(db: Database, submission: dict, definition, answers: Mapping[str, Any], question_id: str,
                         points: float | None, reason: str) -> list[Refusal]:
    """Every reason not to record this adjustment: the submission's state, the question, the points, the reason."""
    refusals = []
    question = definition.question(question_id)
    if submission["status"] != "submitted":
        refusals.append(Refusal("not_submitted", None, {"unit": submission["unit_code"], "form": submission["form_id"],
                                                        "year": submission["cycle_year"]}))
    if question is None:
        refusals.append(Refusal("unknown_question", "question", {"question": question_id}))
    elif not visibility(definition, answers)[question_id]:
        refusals.append(Refusal("hidden_question", "question", {"question": question_id}))
    elif question.maximum <= 0:
        refusals.append(Refusal("unscored_question", "question", {"question": question_id}))
    if points is None:
        if question is not None and question_id not in current_adjustments(db, submission["id"]):
            refusals.append(Refusal("nothing_to_remove", "points"))
    elif not is_number(points):
        refusals.append(Refusal("points", "points"))
    if not reason:
        refusals.append(Refusal("reason_needed", "reason"))
    elif len(reason) > MAX_REASON:
        refusals.append(Refusal("reason_long", "reason", {"max": MAX_REASON}))
    return refusals


def record_many(db: Database, decisions: list[tuple], adjustments: list[tuple], *, actor: str) -> None:
    """Append many decisions and adjustments at once (the demo), tuples in the order of
    `data.decisions.DECISION_COLUMNS` and `ADJUSTMENT_COLUMNS`; the adjusted scores follow, one audit entry in all."""
    with write(db):
        data.insert_many(db, decisions)
        data.insert_adjustments(db, adjustments)
        for submission_id in dict.fromkeys(row[0] for row in adjustments):
            refresh_adjusted_scores(db, submission_id)
        audit.record(db, actor, "demo_decisions", detail={"decisions": len(decisions), "adjustments": len(adjustments)})
