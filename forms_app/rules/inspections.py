"""The inspection committee's inspections of a unit's scored form (its report) and year: the date, the team, the
conclusion and the minutes (a file kept as the units' uploads are: `rules.uploads` checks its type, size and the unit's quota).

An inspection is appended and audited, never changed. The points the committee adjusts are recorded beside it by
`rules.deciding.record_adjustments` (one form, all at once). No Flask here: a refusal is an `InspectionError`
holding `Refusal`s (the field each belongs to) and the minutes already stored, so the page can keep them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from form_definitions import Question, Text
from forms_app.data import audit, clock
from forms_app.data import inspections as data
from forms_app.data.connection import Database, write
from forms_app.rules import messages, registry, units, uploads, windows
from forms_app.rules.deciding import parse_date
from forms_app.rules.messages import Refusal

MAX_MEMBERS = 1000
MAX_CONCLUSION = 4000
# The minutes are an upload of their own "question": an id no definition can use (ids start with a letter), so no
# unit can send the minutes' reference back as an answer of its form.
MINUTES = Question(id="_bien_ban_kiem_tra", type="file", label=Text((("vi", "Biên bản kiểm tra"),), "vi"), section="",
                   path="$.inspection.minutes", index=0, accept=("pdf", "doc", "docx", "jpg", "jpeg", "png"), max_mb=20)

MESSAGES: messages.Catalogue = {
    "date_needed": {"vi": "Hãy nhập ngày kiểm tra.", "en": "Enter the date of the inspection."},
    "date": {"vi": "Ngày không hợp lệ; hãy nhập dạng ngày/tháng/năm, ví dụ 20/10/2022.",
             "en": "Invalid date; enter it as day/month/year, for example 20/10/2022."},
    "date_future": {"vi": "Ngày kiểm tra không thể sau hôm nay.", "en": "The inspection date cannot be after today."},
    "members_needed": {"vi": "Hãy ghi thành phần đoàn kiểm tra (họ tên, chức vụ).",
                       "en": "Name the members of the inspection team (names, positions)."},
    "members_long": {"vi": "Thành phần đoàn kiểm tra dài quá {max} ký tự.",
                     "en": "The inspection team is longer than {max} characters."},
    "conclusion_needed": {"vi": "Hãy ghi kết luận kiểm tra.", "en": "Write the conclusion of the inspection."},
    "conclusion_long": {"vi": "Kết luận dài quá {max} ký tự.", "en": "The conclusion is longer than {max} characters."},
    "minutes_needed": {"vi": "Hãy tải lên biên bản kiểm tra ({accept}).",
                       "en": "Upload the minutes of the inspection ({accept})."},
    "unknown_cycle": {"vi": "Đơn vị hoặc chu kỳ này không có.", "en": "There is no such unit or cycle."},
    "not_scored": {"vi": "Biểu mẫu này không chấm điểm; kết quả kiểm tra được ghi trên báo cáo có chấm điểm của đơn vị.",
                   "en": "This form is not scored; an inspection is recorded on the unit's scored report."},
}


def message(refusal: Refusal, lang: str = "vi") -> str:
    """The sentence of a refused inspection's field (a file's own refusals are the uploads' and the page's)."""
    return messages.text(MESSAGES, refusal.code, lang, **refusal.params)


class InspectionError(ValueError):
    """A refused inspection; nothing recorded. `minutes` is the minutes' reference when the file itself was stored,
    for the page to keep; an `UploadError` of the file is in `upload_error`."""

    def __init__(self, refusals: list[Refusal], minutes: str | None = None,
                 upload_error: uploads.UploadError | None = None):
        self.refusals, self.minutes, self.upload_error = refusals, minutes, upload_error
        super().__init__(", ".join(r.code for r in refusals) or (upload_error.code if upload_error else ""))


def history(db: Database, unit_code: str, form_id: str, cycle_year: int) -> list[dict]:
    """Every inspection of a unit's form and year, the latest first, with its minutes' file name (`minutes_name`)."""
    return [{**row, "minutes_name": uploads.clean_name(row["minutes_name"]) if row["minutes_name"] else None}
            for row in data.of_unit(db, unit_code, form_id, cycle_year)]


def record_inspection(db: Database, data_dir: Path, *, unit_code: str, form_id: str, cycle_year: int, inspected_on: Any,
                      members: str, conclusion: str, actor: str, minutes_upload=None, minutes: str | None = None,
                      today: dt.date | None = None, recorded_at: str | None = None) -> dict:
    """Append one inspection and its audit entry `inspection_recorded`; the stored row, or InspectionError.

    The minutes are a new upload (`minutes_upload`: anything with `filename` and `stream`), or the reference of
    minutes stored by an earlier, refused attempt for the same unit, form and year (`minutes`). A new file is stored
    even when another field is refused, so the page need not ask for it again. `recorded_at` stands in for the clock
    (the demo's past inspections).
    """
    if not units.unit_exists(db, unit_code) or not windows.cycle_exists(db, form_id, cycle_year):
        raise InspectionError([Refusal("unknown_cycle", None)])
    if not registry.definition(db, form_id).scored:
        raise InspectionError([Refusal("not_scored", None)])
    members = " ".join((members or "").split())
    conclusion = (conclusion or "").strip()
    refusals = _refusals(inspected_on, members, conclusion, today or clock.today())
    token, upload_error = _minutes(db, data_dir, unit_code, form_id, cycle_year, minutes_upload, minutes, actor)
    if token is None and upload_error is None:
        refusals.append(Refusal("minutes_needed", "minutes", {"accept": ", ".join(MINUTES.accept)}))
    if refusals or upload_error is not None:
        raise InspectionError(refusals, token, upload_error)
    row = {"unit_code": unit_code, "form_id": form_id, "cycle_year": cycle_year,
           "inspected_on": parse_date(inspected_on).isoformat(), "members": members, "conclusion": conclusion,
           "minutes_token": token, "recorded_by": actor, "recorded_at": recorded_at or clock.stamp()}
    with write(db):
        row["id"] = data.insert(db, row)
        audit.record(db, actor, "inspection_recorded", unit_code, form_id, cycle_year, {
            "inspection_id": row["id"], "inspected_on": row["inspected_on"], "members": members,
            "conclusion": conclusion})
    return row


def _refusals(inspected_on: Any, members: str, conclusion: str, today: dt.date) -> list[Refusal]:
    """What is wrong with the date, the team and the conclusion."""
    refusals = []
    try:
        day = parse_date(inspected_on)
    except (ValueError, TypeError):
        refusals.append(Refusal("date", "inspected_on"))
    else:
        if day is None:
            refusals.append(Refusal("date_needed", "inspected_on"))
        elif day > today:
            refusals.append(Refusal("date_future", "inspected_on"))
    if not members:
        refusals.append(Refusal("members_needed", "members"))
    elif len(members) > MAX_MEMBERS:
        refusals.append(Refusal("members_long", "members", {"max": MAX_MEMBERS}))
    if not conclusion:
        refusals.append(Refusal("conclusion_needed", "conclusion"))
    elif len(conclusion) > MAX_CONCLUSION:
        refusals.append(Refusal("conclusion_long", "conclusion", {"max": MAX_CONCLUSION}))
    return refusals


def _minutes(db: Database, data_dir: Path, unit_code: str, form_id: str, cycle_year: int, upload, kept: str | None,
             actor: str) -> tuple[str | None, uploads.UploadError | None]:
    """(the minutes' reference, the refusal of a new file): a new file stored, else the kept one if it really is
    minutes of this unit, form and year."""
    if upload is not None and getattr(upload, "filename", None):
        try:
            return uploads.store(db, data_dir, unit_code=unit_code, form_id=form_id, cycle_year=cycle_year,
                                 question=MINUTES, upload=upload, author=actor), None
        except uploads.UploadError as exc:
            return None, exc
    if kept and uploads.owned(db, kept, unit_code, form_id, cycle_year, MINUTES.id):
        return kept, None
    return None, None
