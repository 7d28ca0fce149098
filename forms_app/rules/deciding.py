"""The standing committee's decisions and the reviewers' point adjustments: appended, audited, never overwritten.

A decision is one new row in `decisions`; the latest for a unit, form and year is the current
one (flagged `is_current`). An adjustment is one new row in `adjustments`; the latest per question
is the current one (no points: the adjustment is removed). The automatic scores stay as they are;
the adjusted ones are stored beside them (`adjusted_total`, `adjusted_points`, `adjusted_score`).

The rules of a decision live here once, for the review page, the decision for many units at once
(`record_many`) and `decisions import` alike (interfaces.md, "Decisions"): a recognition or a
withdrawal carries its number and date, a withdrawal its reason; a form with a `result` is
recognised or not (a reason when its result does not meet `recognised_if`: `rules.verdict`), a
form without one (a registration) is accepted; either may be returned with a comment and a date.

No Flask here: a refusal is a `DecisionError` holding codes and the field each belongs to; the
review pages and the command line turn them into sentences with `message()`, from `MESSAGES`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from form_definitions import Definition
from forms_app.data import audit, clock
from forms_app.data import decisions as data
from forms_app.data import submissions as data_submissions
from forms_app.data.connection import Database, write
from forms_app.rules import messages, registry, units, verdict, windows
from forms_app.rules.messages import Refusal
from forms_app.rules.submitting import (
    current_adjustments,
    refresh_adjusted_scores,
    revision_answers,
    scored_revision,
)
from scoring import score, visibility
from scoring.answers import is_number

KINDS = ("recognised", "not_recognised", "returned", "withdrawn", "accepted")
# The committee's verdict on the year (a certificate follows a recognition).
VERDICTS = ("recognised", "not_recognised")
# What a form may be given: one with a `result` is judged, one without (a registration) is accepted; both returned.
SCORED_KINDS = ("recognised", "not_recognised", "returned", "withdrawn")
UNSCORED_KINDS = ("accepted", "returned")
NUMBERED = ("recognised", "withdrawn")  # always with the decision's number and date
SOURCES = ("web", "import")
MAX_COMMENT = 2000
MAX_DECISION_NO = 64
MAX_REASON = 500
_READ = object()  # check_decision reads the current decision (or the facts) itself

# One sentence per refusal of a decision or an adjustment, and per problem of a decisions file
# (decisions_import). A code says the same thing everywhere; `code/place` is a wording kept for one
# place only: on a page the field is beside the sentence, a file's row needs the cell's value named.
MESSAGES: messages.Catalogue = {
    "kind": {"vi": "Hãy chọn một quyết định: công nhận, không công nhận, trả lại để bổ sung, thu hồi công nhận "
                   "hoặc tiếp nhận.",
             "en": "Choose a decision: recognise, do not recognise, return for completion, withdraw the recognition "
                   "or accept."},
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
    "decision_no": {"vi": "Thiếu số quyết định: công nhận và thu hồi công nhận luôn ghi số quyết định.",
                    "en": "The decision number is missing: a recognition or a withdrawal always carries its number."},
    "decided_on": {"vi": "Thiếu ngày quyết định: công nhận và thu hồi công nhận luôn ghi ngày quyết định.",
                   "en": "The decision date is missing: a recognition or a withdrawal always carries its date."},
    "reopen_needed": {"vi": "Khi trả lại, hãy cho biết biểu mẫu được mở lại đến hết ngày nào.",
                      "en": "When returning the form, say until which day it reopens."},
    "reopen_past": {"vi": "Ngày mở lại phải từ hôm nay trở đi.", "en": "The reopening date must be today or later."},
    "comment_needed": {"vi": "Khi trả lại, hãy ghi nhận xét để đơn vị biết cần bổ sung gì.",
                       "en": "When returning the form, write a comment telling the unit what to complete."},
    "not_submitted": {"vi": "Đơn vị chưa nộp biểu mẫu này nên chưa thể xét (công nhận, tiếp nhận hay trả lại).",
                      "en": "The unit has not submitted this form, so it cannot be decided on (recognised, accepted "
                            "or returned) yet."},
    "not_submitted/adjustment": {"vi": "Đơn vị chưa nộp biểu mẫu này nên chưa thể điều chỉnh điểm.",
                                 "en": "The unit has not submitted this form, so its points cannot be adjusted yet."},
    "not_submitted/file": {"vi": "Đơn vị {unit} chưa nộp biểu mẫu {form} năm {year}, nên chưa thể xét.",
                           "en": "The unit {unit} has not submitted the form {form} for {year}, so it cannot be decided."},
    "not_scored": {"vi": "Biểu mẫu này không tính điểm (như bản đăng ký) nên không xét công nhận; hãy tiếp nhận "
                         "hoặc trả lại để bổ sung.",
                   "en": "This form is not scored (like the registration), so it is not recognised; accept it or "
                         "return it for completion."},
    "not_scored/file": {"vi": "Biểu mẫu {form} không tính điểm nên không xét công nhận; dùng accepted (tiếp nhận).",
                        "en": "The form {form} is not scored, so it is not recognised; use accepted."},
    "scored_form": {"vi": "Biểu mẫu này được chấm điểm: hãy công nhận, không công nhận hoặc trả lại, không tiếp nhận.",
                    "en": "This form is scored: recognise it, do not recognise it or return it; it is not accepted."},
    "recognition_reason": {"vi": "{why} — cần ghi lý do công nhận.",
                           "en": "{why} — write the reason for recognising it."},
    "recognition_reason/file": {"vi": "{why} — cần ghi lý do công nhận ở cột reason (lý do).",
                                "en": "{why} — write the reason for recognising it in the column reason."},
    "withdrawal_reason": {"vi": "Khi thu hồi công nhận, hãy ghi lý do.", "en": "When withdrawing a recognition, give the reason."},
    "withdrawal_reason/file": {"vi": "Khi thu hồi công nhận, hãy ghi lý do ở cột reason (lý do).",
                               "en": "When withdrawing a recognition, give the reason in the column reason."},
    "not_recognised_now": {"vi": "Chỉ thu hồi được khi đơn vị đang được công nhận.",
                           "en": "Only a current recognition can be withdrawn."},
    "commendation_needs_recognition": {"vi": "Chỉ đơn vị được công nhận mới được đề nghị tuyên dương.",
                                       "en": "Only a recognised unit can be put forward for commendation."},
    "outside_clusters": {"vi": "Đơn vị này không thuộc cụm thi đua bạn phụ trách.",
                         "en": "This unit is not in an emulation cluster you are in charge of."},
    # A decision for many units at once (record_many), after "Đơn vị X: "
    "batch_empty": {"vi": "Hãy chọn ít nhất một đơn vị.", "en": "Choose at least one unit."},
    "batch_twice": {"vi": "Đơn vị này có hai lần trong cùng một quyết định.",
                    "en": "This unit appears twice in the same decision."},
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
    "points_range": {"vi": "Điểm sau điều chỉnh phải từ 0 đến {max} (điểm tối đa của câu này).",
                     "en": "The adjusted points must be from 0 to {max} (this question's maximum)."},
    "points_not_applicable": {"vi": "Câu này không áp dụng với câu trả lời của đơn vị (điểm tối đa 0); "
                                    "chỉ có thể điều chỉnh về 0.",
                              "en": "This question does not apply to the unit's answers (maximum 0); "
                                    "it can only be adjusted to 0."},
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
    "decision": {"vi": "Quyết định \"{value}\" không hợp lệ; dùng recognised (công nhận), not_recognised (không công nhận), "
                       "withdrawn (thu hồi công nhận) hoặc accepted (tiếp nhận).",
                 "en": "The decision \"{value}\" is invalid; use recognised, not_recognised, withdrawn or accepted."},
    "commendation_value": {"vi": "Cột tuyên dương \"{value}\" không hợp lệ; dùng 1/0, có/không hoặc để trống.",
                           "en": "The commendation \"{value}\" is invalid; use 1/0, yes/no, or leave it empty."},
    "duplicate": {"vi": "Đơn vị, biểu mẫu và năm này đã có ở dòng {first}.",
                  "en": "This unit, form and year already appear on row {first}."},
}
PLACES = ("decision", "adjustment", "file")


def message(code: str, lang: str = "vi", place: str = "decision", **params) -> str:
    """The sentence for a refusal or problem `code` in `lang`, worded for its `place` (one of PLACES).

    `decision` and `adjustment` are the review page's two forms, `file` a row of a decisions file. A parameter given
    in each language ({"vi": …, "en": …}, as `recognition_reason`'s `why`) is read in `lang`.
    """
    key = f"{code}/{place}"
    params = {name: (value.get(lang) or value.get("vi")) if isinstance(value, Mapping) else value
              for name, value in params.items()}
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

Key = tuple[str, str, int]  # (unit code, form id, cycle year)


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


def submitted_units(db: Database, form_id: str, cycle_year: int) -> list[str]:
    """The units that submitted a form for a year: those a decision may be taken on."""
    return data.submitted_units(db, form_id, cycle_year)


def kinds_for(definition: Definition) -> tuple[str, ...]:
    """The decisions a form may be given: recognised or not (withdrawn later) when it has a result, accepted when it
    has none; either returned."""
    return SCORED_KINDS if definition.scored else UNSCORED_KINDS


@dataclass(frozen=True)
class Facts:
    """What a decision on one unit's form depends on, read once (for many units at once by `read_facts`)."""

    unit_exists: bool
    cycle_exists: bool
    definition: Definition | None  # the version the unit answered, else the latest
    submitted: bool
    standing: dict | None  # the final result (`verdict.standings`); None for a form without a result or not submitted

    def why(self, lang: str) -> str | None:
        """`verdict.why` of this standing: why the result meets the recognition rule or not."""
        return verdict.why(self.standing, self.definition, lang) if self.definition is not None else None


def read_facts(db: Database, keys: Iterable[Key]) -> dict[Key, Facts]:
    """The facts of each (unit, form, year) of `keys`, in a few statements whatever their number."""
    keys = list(dict.fromkeys(keys))
    by_key, by_submission = verdict.stored(db, keys)
    unit_ok = {code: units.unit_exists(db, code) for code in {k[0] for k in keys}}
    cycle_ok = {pair: windows.cycle_exists(db, *pair) for pair in {k[1:] for k in keys}}
    versions: dict[tuple[str, int | None], Definition | None] = {}
    found = {}
    for key in keys:
        row = by_key.get(key)
        version = (key[1], row["form_version"] if row else None)
        if version not in versions:
            versions[version] = registry.definition(db, *version)
        definition = versions[version]
        submitted = bool(row) and row["status"] == "submitted"
        standing = (verdict.standing(definition, row, by_submission.get(row["id"], {}))
                    if submitted and definition is not None and definition.scored else None)
        found[key] = Facts(unit_ok[key[0]], cycle_ok[key[1:]], definition, submitted, standing)
    return found


def check_decision(db: Database, unit_code: str, form_id: str, cycle_year: int, kind: str, *,
                   comment: str | None = None, reason: str | None = None, reopen_until: Any = None,
                   decision_no: str | None = None, decided_on: Any = None, commendation: bool = False,
                   today: dt.date | None = None, current: Any = _READ, facts: Any = _READ) -> tuple[dict, list[Refusal]]:
    """The decision row that would be written, and every reason not to write it.

    `current` is the decision in force and `facts` what it depends on, when the caller knows them better than the
    database (an import checking its own earlier rows) or has read them for many units at once; by default both are read.
    """
    today = today or clock.today()
    key = (unit_code, form_id, cycle_year)
    comment = (comment or "").strip() or None
    reason = " ".join((reason or "").split()) or None
    decision_no = " ".join((decision_no or "").split()) or None
    if facts is _READ:
        facts = read_facts(db, [key])[key]
    if current is _READ:
        current = current_decision(db, *key)
    refusals = _input_refusals(facts, key, kind, comment, reason, decision_no)
    dates = _read_dates({"decided_on": decided_on, "reopen_until": reopen_until}, today, refusals)
    unreadable = {r.field for r in refusals if r.code == "date"}
    refusals += _form_refusals(kind, key, facts, reason)
    refusals += _state_refusals(kind, current, dates, unreadable, comment, reason, decision_no, commendation, today)
    row = {
        "unit_code": unit_code, "form_id": form_id, "cycle_year": cycle_year, "decision": kind, "comment": comment,
        "reason": reason,
        "reopen_until": dates["reopen_until"].isoformat() if kind == "returned" and dates["reopen_until"] else None,
        "decision_no": decision_no,
        "decided_on": dates["decided_on"].isoformat() if dates["decided_on"] else None,
        "commendation": int(bool(commendation) and kind == "recognised"),
    }
    return row, refusals


def _input_refusals(facts: Facts, key: Key, kind: str, comment: str | None, reason: str | None,
                    decision_no: str | None) -> list[Refusal]:
    """What is wrong with the decision's inputs themselves: its kind, unit, cycle, and the length of its texts."""
    refusals = []
    if kind not in KINDS:
        refusals.append(Refusal("kind", "decision", {"value": str(kind)[:40]}))
    if not facts.unit_exists:
        refusals.append(Refusal("unknown_unit", "unit", {"unit": key[0]}))
    if not facts.cycle_exists:
        refusals.append(Refusal("unknown_cycle", "form", {"form": key[1], "year": key[2]}))
    if comment and len(comment) > MAX_COMMENT:
        refusals.append(Refusal("comment_long", "comment", {"max": MAX_COMMENT}))
    if reason and len(reason) > MAX_REASON:
        refusals.append(Refusal("reason_long", "reason", {"max": MAX_REASON}))
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


def _form_refusals(kind: str, key: Key, facts: Facts, reason: str | None) -> list[Refusal]:
    """What the form and the unit's submission allow: a kind the form takes, a submitted form to decide on, and a
    reason to recognise a unit whose result does not meet the recognition rule."""
    where = {"unit": key[0], "form": key[1], "year": key[2]}
    definition = facts.definition
    if kind not in KINDS or definition is None:
        return []
    if kind not in kinds_for(definition):
        return [Refusal("scored_form" if definition.scored else "not_scored", "decision", where)]
    if kind != "withdrawn" and not facts.submitted:
        return [Refusal("not_submitted", "decision", where)]
    if kind == "recognised" and not reason and verdict.meets(facts.standing) is False:
        why = {lang: facts.why(lang).rstrip(".") for lang in messages.LANGS}
        return [Refusal("recognition_reason", "reason", {"why": why})]
    return []


def _state_refusals(kind: str, current: dict | None, dates: dict, unreadable: set[str], comment: str | None,
                    reason: str | None, decision_no: str | None, commendation: bool, today: dt.date) -> list[Refusal]:
    """What the decision itself needs: a number and a date for a recognition or a withdrawal, a reopening date and a
    comment for a return, a current recognition and a reason for a withdrawal, a recognition for a commendation."""
    refusals = []
    if kind in NUMBERED:
        if not decision_no:
            refusals.append(Refusal("decision_no", "decision_no"))
        if dates["decided_on"] is None and "decided_on" not in unreadable:
            refusals.append(Refusal("decided_on", "decided_on"))
    if kind == "returned":
        reopen = dates["reopen_until"]
        if reopen is None and "reopen_until" not in unreadable:
            refusals.append(Refusal("reopen_needed", "reopen_until"))
        elif reopen is not None and reopen < today:
            refusals.append(Refusal("reopen_past", "reopen_until", {"date": reopen.isoformat()}))
        if not comment:
            refusals.append(Refusal("comment_needed", "comment"))
    if kind == "withdrawn":
        if not current or current["decision"] != "recognised":
            refusals.append(Refusal("not_recognised_now", "decision"))
        if not reason:
            refusals.append(Refusal("withdrawal_reason", "reason"))
    if commendation and kind != "recognised":
        refusals.append(Refusal("commendation_needs_recognition", "commendation"))
    return refusals


def record_decision(db: Database, unit_code: str, form_id: str, year: int, kind: str, actor: str,
                    comment: str | None = None, reopen_until: Any = None, decision_no: str | None = None,
                    decided_on: Any = None, commendation: bool = False, source: str = "web", *,
                    reason: str | None = None, clusters: Iterable[str] | None = None,
                    today: dt.date | None = None) -> dict:
    """Append one decision and its audit entry; the stored row, or DecisionError (nothing written).

    The rules are `check_decision`'s (the module's docstring): 'returned' needs a comment and
    `reopen_until` (a date from today on: the form reopens for the unit until the end of that
    day); 'withdrawn' a current 'recognised'. A reviewer limited to `clusters` is refused
    any unit outside them (OutsideClusters, also a PermissionError).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    check_clusters(db, unit_code, clusters)
    with write(db):
        row, refusals = check_decision(db, unit_code, form_id, year, kind, comment=comment, reason=reason,
                                       reopen_until=reopen_until, decision_no=decision_no, decided_on=decided_on,
                                       commendation=commendation, today=today)
        if refusals:
            raise DecisionError(refusals)
        _append(db, row, actor, source, clock.stamp())
    return row


def _append(db: Database, row: dict, actor: str, source: str, moment: str, **more) -> None:
    """Write one checked decision row (its id set) and its audit entry, inside the caller's transaction."""
    row.update(source=source, recorded_by=actor, recorded_at=moment)
    row["id"] = data.insert(db, row)
    audit.record(db, actor, "decision_recorded", row["unit_code"], row["form_id"], row["cycle_year"], {
        "decision_id": row["id"], "decision": row["decision"], "decision_no": row["decision_no"],
        "decided_on": row["decided_on"], "reopen_until": row["reopen_until"], "commendation": row["commendation"],
        "comment": row["comment"], "reason": row["reason"], "source": source, **more,
    }, at=moment)


# One decision for many units

@dataclass(frozen=True)
class Entry:
    """One unit's part of a decision taken for many units at once (one number, one date)."""

    unit_code: str
    form_id: str
    year: int
    kind: str = "recognised"
    comment: str | None = None
    reason: str | None = None  # needed to recognise a unit whose result does not meet the rule
    commendation: bool = False

    @property
    def key(self) -> Key:
        return (self.unit_code, self.form_id, self.year)


class BatchRefused(DecisionError):
    """A decision for many units refused as a whole (nothing written); `refused` holds each refused unit's reasons."""

    def __init__(self, refused: dict[Key, list[Refusal]]):
        self.refused = refused
        super().__init__([r for found in refused.values() for r in found])

    def sentences(self, lang: str = "vi") -> list[str]:
        """One sentence per refused unit: "Đơn vị TOAN: …" (its code, then every reason)."""
        prefix = "Unit" if lang == "en" else "Đơn vị"
        return [f"{prefix} {key[0]}: " + " ".join(message(r.code, lang, **r.params) for r in found)
                for key, found in self.refused.items()]


def record_many(db: Database, entries: Iterable[Entry], actor: str, *, decision_no: str | None, decided_on: Any,
                source: str = "web", clusters: Iterable[str] | None = None, today: dt.date | None = None,
                recorded_at: str | None = None) -> list[dict]:
    """Record one decision (one number, one date) for many units in one transaction, all or nothing.

    Each entry is checked as `record_decision` checks one (`check_decision`, on facts read for all at once);
    a refused entry refuses them all (BatchRefused: one sentence per refused unit, nothing written). Each unit
    gets its own row and its own audit entry, stamped with the same moment (`recorded_at`, default now).
    An empty list, or a unit twice, is refused too. Returns the stored rows, in the order given.
    """
    entries = list(entries)
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    if not entries:
        raise DecisionError([Refusal("batch_empty", "units")])
    for entry in entries:
        check_clusters(db, entry.unit_code, clusters)
    moment = recorded_at or clock.stamp()
    with write(db):
        keys = [entry.key for entry in entries]
        facts = read_facts(db, keys)
        current = {(r["unit_code"], r["form_id"], r["cycle_year"]): r for r in data.current_of_keys(db, list(set(keys)))}
        rows, refused, seen = [], {}, set()
        for entry in entries:
            row, refusals = check_decision(
                db, *entry.key, entry.kind, comment=entry.comment, reason=entry.reason, decision_no=decision_no,
                decided_on=decided_on, commendation=entry.commendation, today=today,
                current=current.get(entry.key), facts=facts[entry.key])
            if entry.key in seen:
                refusals.append(Refusal("batch_twice", "units"))
            seen.add(entry.key)
            if refusals:
                refused.setdefault(entry.key, []).extend(refusals)
            rows.append(row)
        if refused:
            raise BatchRefused(refused)
        for row in rows:
            _append(db, row, actor, source, moment, units=len(rows))
    return rows


# Adjustments

def adjustment_history(db: Database, submission_id: int) -> list[dict]:
    """Every adjustment of a submission, newest first."""
    return data.adjustment_history(db, submission_id)


def record_adjustment(db: Database, submission_id: int, question_id: str, points: float | None, reason: str,
                      actor: str, *, clusters: Iterable[str] | None = None) -> dict:
    """Append one adjustment of a question's points (None removes the current one); see `record_adjustments`."""
    return record_adjustments(db, submission_id, {question_id: (points, reason)}, actor, clusters=clusters)[0]


def record_adjustments(db: Database, submission_id: int, changes: Mapping[str, tuple[float | None, str]], actor: str,
                       *, clusters: Iterable[str] | None = None) -> list[dict]:
    """Append the adjustments of several questions at once, {question: (points, reason)} (points None removes the
    question's current adjustment), in one transaction: all of them, or none. Each is audited; the adjusted scores
    are stored once; the automatic points stay. Returns the stored rows, in the order given.

    Refused (DecisionError, nothing written): a submission not submitted; for any question, an unknown, hidden or
    unscored question, points that are not a number or lie outside 0 … the question's applicable maximum (the
    score report's `max_points`: 0 for a question that does not apply), a removal with nothing to remove, a missing
    or too long reason. Each refusal of a question carries it in `params["question"]`.
    """
    with write(db):
        submission, refusals, reasons = _checked_adjustments(db, submission_id, changes, clusters)
        if refusals:
            raise DecisionError(refusals)
        rows = []
        for qid, (points, _reason) in changes.items():
            row = {"submission_id": submission_id, "question_id": qid, "points": None if points is None else float(points),
                   "reason": reasons[qid], "recorded_by": actor, "recorded_at": clock.stamp()}
            row["id"] = data.insert_adjustment(db, row)
            rows.append(row)
        report = refresh_adjusted_scores(db, submission_id)
        for row in rows:
            audit.record(db, actor, "points_adjusted" if row["points"] is not None else "adjustment_removed",
                         submission["unit_code"], submission["form_id"], submission["cycle_year"], {
                             "adjustment_id": row["id"], "submission_id": submission_id, "question": row["question_id"],
                             "points": row["points"], "reason": row["reason"],
                             "adjusted_total": report["total"] if report else None,
                         })
    return rows


def check_adjustments(db: Database, submission_id: int, changes: Mapping[str, tuple[float | None, str]], *,
                      clusters: Iterable[str] | None = None) -> list[Refusal]:
    """Every reason `record_adjustments` would refuse these adjustments for; nothing written."""
    return _checked_adjustments(db, submission_id, changes, clusters)[1]


def _checked_adjustments(db: Database, submission_id: int, changes: Mapping[str, tuple[float | None, str]],
                         clusters: Iterable[str] | None) -> tuple[dict, list[Refusal], dict[str, str]]:
    """(the submission, the refusals of these adjustments, each question's reason as it would be stored);
    DecisionError('no_submission') or OutsideClusters before anything else."""
    submission = data_submissions.by_id(db, submission_id)
    if submission is None:
        raise DecisionError([Refusal("no_submission", None)])
    check_clusters(db, submission["unit_code"], clusters)
    definition = registry.definition(db, submission["form_id"], submission["form_version"])
    answers = revision_answers(db, submission_id, scored_revision(submission) or 0) or {}
    reasons = {qid: " ".join((reason or "").split()) for qid, (_points, reason) in changes.items()}
    return submission, _adjustment_refusals(db, submission, definition, answers, changes, reasons), reasons


def _adjustment_refusals(db: Database, submission: dict, definition, answers: Mapping[str, Any],
                         changes: Mapping[str, tuple[float | None, str]], reasons: Mapping[str, str]) -> list[Refusal]:
    """Every reason not to record these adjustments: the submission's state, then each question's, points and reason."""
    refusals = []
    if submission["status"] != "submitted":
        refusals.append(Refusal("not_submitted", None, {"unit": submission["unit_code"], "form": submission["form_id"],
                                                        "year": submission["cycle_year"]}))
    shown = visibility(definition, answers)
    maxima = {q["id"]: q["max_points"] for q in score(definition, answers)["questions"]}
    adjusted = current_adjustments(db, submission["id"])
    for qid, (points, _reason) in changes.items():
        found = _question_refusals(definition.question(qid), qid, shown, maxima, adjusted, points, reasons[qid])
        refusals += [Refusal(r.code, r.field, {**r.params, "question": qid}) for r in found]
    return refusals


def _question_refusals(question, qid: str, shown: Mapping[str, bool], maxima: Mapping[str, float],
                       adjusted: Mapping[str, dict], points: float | None, reason: str) -> list[Refusal]:
    """What is wrong with one question's adjustment: the question, its points against its applicable maximum, the reason."""
    refusals = []
    if question is None:
        refusals.append(Refusal("unknown_question", "question"))
    elif not shown[qid]:
        refusals.append(Refusal("hidden_question", "question"))
    elif question.maximum <= 0:
        refusals.append(Refusal("unscored_question", "question"))
    if points is None:
        if question is not None and qid not in adjusted:
            refusals.append(Refusal("nothing_to_remove", "points"))
    elif not is_number(points):
        refusals.append(Refusal("points", "points"))
    elif question is not None and shown.get(qid) and question.maximum > 0 and not 0 <= points <= maxima[qid]:
        refusals.append(Refusal("points_range" if maxima[qid] > 0 else "points_not_applicable", "points",
                                {"max": maxima[qid]}))
    if not reason:
        refusals.append(Refusal("reason_needed", "reason"))
    elif len(reason) > MAX_REASON:
        refusals.append(Refusal("reason_long", "reason", {"max": MAX_REASON}))
    return refusals


def record_adjustments_many(db: Database, adjustments: list[tuple], *, actor: str) -> None:
    """Append many adjustments at once (the demo's inspections), tuples in the order of
    `data.decisions.ADJUSTMENT_COLUMNS`; the adjusted scores follow, one audit entry in all."""
    with write(db):
        data.insert_adjustments(db, adjustments)
        for submission_id in dict.fromkeys(row[0] for row in adjustments):
            refresh_adjusted_scores(db, submission_id)
        audit.record(db, actor, "demo_adjustments", detail={"adjustments": len(adjustments)})
