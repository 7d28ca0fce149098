"""The year-end review (báo cáo tổng kết năm) and the phase review of a scored form: the figures read from forms.db,
the office's narrative sections (kept with their history) and the lists of recognised and commended units."""

from __future__ import annotations

from dataclasses import dataclass

from exports.certificate import Issuer
from forms_app.data import audit, clock, cycles, reporting
from forms_app.data import narratives as stored
from forms_app.data.clock import today
from forms_app.data.connection import Database, write
from forms_app.rules import messages, proposals, registry, requirements

PHASE = 0  # the cycle year the phase review's narrative is kept under

# The narrative sections of a review, in the order the report prints them (key, heading).
SECTIONS = (
    ("results", "Kết quả đạt được"), ("strengths", "Ưu điểm"), ("shortcomings", "Hạn chế"), ("causes", "Nguyên nhân"),
    ("lessons", "Bài học kinh nghiệm"), ("directions", "Phương hướng"), ("proposals", "Đề xuất, kiến nghị"),
)
NUMBER = "number"  # the report's number, "12" of "Số: 12-BC/ĐTN" (blank: the office writes it by hand)
MAX_SECTION = 6000
MAX_NUMBER = 20
RECIPIENTS = ("Thành đoàn (để báo cáo)", "Đảng ủy Nhà trường (để báo cáo)", "Các cơ sở Đoàn trực thuộc", "Lưu VP")

MESSAGES: messages.Catalogue = {
    "too_long": {"vi": "Phần “{section}” dài {length} ký tự, quá {max} ký tự cho phép; hãy rút gọn.",
                 "en": "“{section}” has {length} characters, more than the {max} allowed; shorten it."},
    "saved": {"vi": "Đã lưu {count} phần của báo cáo.", "en": "{count} parts of the report saved."},
    "unchanged": {"vi": "Không có phần nào thay đổi.", "en": "Nothing changed."},
    # The office's narrative page (templates/office/narrative.html)
    "title": {"vi": "Nội dung báo cáo tổng kết {period}", "en": "The narrative of the review of {period}"},
    "crumb": {"vi": "Nội dung báo cáo tổng kết", "en": "Review narrative"}, "home": {"vi": "Trang chính", "en": "Home"},
    "year": {"vi": "Năm {year}", "en": "{year}"}, "phase": {"vi": "Cả giai đoạn", "en": "The whole phase"},
    "period_year": {"vi": "năm {year}", "en": "{year}"},
    "period_phase": {"vi": "giai đoạn {first}–{last}", "en": "the phase {first}–{last}"},
    "hint": {"vi": "Viết từng phần thành các đoạn văn, cách nhau một dòng trống; mỗi phần tối đa {max} ký tự. Mỗi lần "
                   "lưu được ghi thêm, không ghi đè: bản mới nhất được in vào báo cáo, các bản trước xem ở cuối trang. Số "
                   "liệu, danh sách đơn vị được công nhận và được tuyên dương do hệ thống lập.",
             "en": "Write each part as paragraphs separated by an empty line, at most {max} characters a part. Every save "
                   "is added, nothing is overwritten: the latest is printed, the earlier ones are listed below. The "
                   "figures and the lists of recognised and commended units are made by the app."},
    "download": {"vi": "Tải báo cáo (PDF)", "en": "Download the report (PDF)"},
    "not_saved": {"vi": "Chưa lưu được", "en": "Not saved"},
    "number": {"vi": "Số báo cáo (phần trước “-BC/ĐTN”; để trống để viết tay khi in)",
               "en": "The report's number (before “-BC/ĐTN”; leave it empty to write it by hand)"},
    "save": {"vi": "Lưu nội dung", "en": "Save"}, "history": {"vi": "Các lần ghi", "en": "Every save"},
    "no_history": {"vi": "Chưa có nội dung nào được ghi.", "en": "Nothing written yet."},
    "empty": {"vi": "(để trống)", "en": "(empty)"},
    "years": {"vi": "Năm của báo cáo", "en": "The report's year"},
}


def page_texts(lang: str, **params) -> dict[str, str]:
    """Every text of the narrative page in `lang` (`params`: max, period, …, filled where a text names them)."""
    return {key: messages.text(MESSAGES, key, lang, **params) for key in MESSAGES if key not in ("too_long", "saved")}


@dataclass(frozen=True)
class TooLong:
    """A section longer than its maximum: its key, heading, length and maximum."""

    section: str
    heading: str
    length: int
    maximum: int

    def sentence(self, lang: str = "vi") -> str:
        return messages.text(MESSAGES, "too_long", lang, section=self.heading, length=self.length, max=self.maximum)


def _headings() -> dict[str, str]:
    return dict(SECTIONS) | {NUMBER: "Số báo cáo"}


def report_years(db: Database, form_id: str) -> list[int]:
    """The form's cycle years, oldest first: the years a review can be written for."""
    return sorted(cycles.years(db, form_id))


def narrative(db: Database, form_id: str, cycle_year: int) -> dict[str, str]:
    """{section: its current text} of a review (`cycle_year` PHASE: the phase review)."""
    return stored.current(db, form_id, cycle_year)


def narrative_history(db: Database, form_id: str, cycle_year: int) -> list[dict]:
    """Every text written for a review, the latest first, each with its section's heading."""
    headings = _headings()
    return [row | {"heading": headings.get(row["section"], row["section"])}
            for row in stored.history(db, form_id, cycle_year)]


def check_narrative(values: dict[str, str]) -> list[TooLong]:
    """The sections of `values` longer than allowed (the number: MAX_NUMBER; the others: MAX_SECTION)."""
    headings = _headings()
    found = []
    for key, text in values.items():
        maximum = MAX_NUMBER if key == NUMBER else MAX_SECTION
        if key in headings and len(text) > maximum:
            found.append(TooLong(key, headings[key], len(text), maximum))
    return found


def save_narrative(db: Database, form_id: str, cycle_year: int, values: dict[str, str], actor: str) -> list[str]:
    """Append the sections whose text changed (line ends normalised, outer spaces stripped); the keys appended.
    Refused by the caller first with check_narrative."""
    current = stored.current(db, form_id, cycle_year)
    at = clock.stamp()
    rows = []
    for key in _headings():
        if key not in values:
            continue
        text = values[key].replace("\r\n", "\n").replace("\r", "\n").strip()
        if text != current.get(key, ""):
            rows.append((form_id, cycle_year, key, text, actor, at))
    if rows:
        with write(db):
            stored.append(db, rows)
            audit.record(db, actor, "report_narrative", form_id=form_id, cycle_year=cycle_year,
                         detail={"sections": [r[2] for r in rows]})
    return [r[2] for r in rows]


def _registrations(db: Database, form, registration, year: int) -> dict[str | None, list[int]]:
    """{cluster: [registered, committed]}: units that submitted the required form, and those whose answers meet its
    `when` (the requirement's condition, as the form checks before it opens; no condition: every registration)."""
    found: dict[str | None, list[int]] = {}
    if registration is None:
        return found
    for code, cluster in reporting.registered_units(db, registration.id, year):
        counts = found.setdefault(cluster, [0, 0])
        counts[0] += 1
        unmet = requirements.unmet(db, code, form, year)
        counts[1] += not any(u.requirement.form == registration.id for u in unmet)
    return found


def _clusters(db: Database, form, registration, year: int) -> tuple[list[dict], dict]:
    """The per-cluster rows of a year (registered split into committed and not) and their totals."""
    clusters = reporting.cluster_counts(db, year, form.id, registration.id if registration else None)
    registered = _registrations(db, form, registration, year)
    for row in clusters:
        total, committed = registered.get(row["cluster"], [0, 0])
        row.update(committed=committed, not_committed=total - committed)
    keys = ("units", "registered", "committed", "not_committed", "submitted", "recognised")
    return clusters, {key: sum(c[key] or 0 for c in clusters) for key in keys}


def _trend(db: Database, form_id: str, years: list[int]) -> list[dict]:
    trend = []
    for y in years:
        submitted, average, recognised = reporting.year_figures(db, form_id, y)
        trend.append({"year": y, "submitted": submitted, "recognised": recognised, "average": average})
    return trend


def _commended(db: Database, year: int) -> list[dict]:
    """The units commended for the year: selected by the office, or put forward in their recognition decision."""
    listed = proposals.year_list(db, year)["commendation"]
    return [{"year": year, "code": e["unit_code"], "name": e["unit_name"], "cluster": e["cluster"],
             "selected": bool(e["selected"]),
             "decision_no": next((p["reason"] for p in e["proposals"] if p["source"] == "decision"), None)}
            for e in listed if e["selected"] or any(p["source"] == "decision" for p in e["proposals"])]


def _common(db: Database, form, registration, cycle_year: int, issuer: Issuer | None) -> dict:
    """What both reviews print: titles, the issuer, the narrative, the number, the recipients, today's date."""
    texts = stored.current(db, form.id, cycle_year)
    return {
        "form_title": form.title.get(form.default_language),
        "registration_title": registration.title.get(registration.default_language) if registration else None,
        "issuer": issuer or Issuer(), "number": texts.get(NUMBER, ""), "sent_to": RECIPIENTS,
        "sections": [(heading, texts.get(key, "")) for key, heading in SECTIONS], "today": today(),
    }


def report_data(db: Database, year: int, issuer: Issuer | None = None, form_id: str | None = None) -> dict:
    """The year-end review of a scored form (the only one when none is given; registry.FormChoice otherwise): counts
    per cluster for `year` (registrations that commit apart from those that do not), the recognition trend over the
    phase, the weakest criteria, the recognised and commended units, the office's narrative."""
    form = registry.the_scored_form(db, form_id)
    registration = registry.required_form(db, form)
    clusters, totals = _clusters(db, form, registration, year)
    years = sorted(cycles.years(db, form.id))
    return _common(db, form, registration, year, issuer) | {
        "kind": "year", "year": year, "first_year": years[0] if years else year,
        "last_year": years[-1] if years else year, "clusters": clusters, "totals": totals,
        "trend": _trend(db, form.id, years), "criteria": reporting.weakest_criteria(db, form.id, year),
        "recognised": reporting.recognised_units(db, form.id, year), "commended": _commended(db, year),
    }


def phase_data(db: Database, issuer: Issuer | None = None, form_id: str | None = None) -> dict:
    """The phase review of a scored form: one row per cycle year of the form (units, registrations that commit and
    that do not, submitted, recognised, average), the trend, the weakest criteria over the phase, every unit
    recognised with its years, the commended units of every year, the office's narrative for the phase."""
    form = registry.the_scored_form(db, form_id)
    registration = registry.required_form(db, form)
    years = sorted(cycles.years(db, form.id))
    trend = _trend(db, form.id, years)
    rows = []
    for point in trend:
        _clusters_of_year, totals = _clusters(db, form, registration, point["year"])
        rows.append(totals | point)
    first, last = (years[0], years[-1]) if years else (today().year, today().year)
    return _common(db, form, registration, PHASE, issuer) | {
        "kind": "phase", "year": last, "first_year": first, "last_year": last, "years": rows, "trend": trend,
        "criteria": reporting.weakest_criteria(db, form.id),
        "recognised": reporting.recognised_years(db, form.id),
        "commended": [entry for y in years for entry in _commended(db, y)],
    }
