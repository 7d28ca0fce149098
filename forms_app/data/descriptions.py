"""The Vietnamese title and description of every table, view and column of forms.db, as reviewers read them in
Datasette: each family module keeps the descriptions beside its SQL; this collects them in one mapping."""

from __future__ import annotations

from forms_app.data import (
    audit,
    calendars,
    certificates,
    cycles,
    decisions,
    definitions,
    inspections,
    jobs,
    narratives,
    proposals,
    readable,
    reminders,
    submissions,
    summaries,
    units,
    uploads,
)

# The views reviewers open every day (Vietnamese columns and words), listed first on the database page.
EVERYDAY = readable.VIEWS
# The readable views first, then the tables as the product writes them.
ORDER = EVERYDAY + (
         "units", "form_versions", "questions", "criteria", "cycles", "extensions", "submissions", "revisions", "answers",
         "section_scores", "criterion_scores", "criterion_totals", "uploads", "upload_quotas", "decisions", "adjustments", "tong_quan",
         "current_decisions", "certificates", "inspections", "unit_comments", "proposals", "selections", "report_narratives",
         "calendar_tokens", "reminders_sent", "audit_log", "year_counts", "summary_changes", "jobs")

# Said after the description of every table and view of the product's own: the codes as stored, for analysts.
FOR_ANALYSTS = ("Bảng gốc, cho người phân tích: giá trị lưu dưới dạng mã (như submitted, recognised). Xem hằng ngày: "
                + ", ".join(f"“{readable.DESCRIPTIONS[name]['title']}”" for name in readable.VIEWS) + ".")


def _for_analysts(described: dict) -> dict:
    return described | {"description": f"{described['description']} {FOR_ANALYSTS}"}


_TABLES = {**units.DESCRIPTIONS, **definitions.DESCRIPTIONS, **cycles.DESCRIPTIONS, **submissions.DESCRIPTIONS,
          **uploads.DESCRIPTIONS, **decisions.DESCRIPTIONS, **certificates.DESCRIPTIONS, **inspections.DESCRIPTIONS,
          **proposals.DESCRIPTIONS, **narratives.DESCRIPTIONS, **calendars.DESCRIPTIONS, **reminders.DESCRIPTIONS,
          **audit.DESCRIPTIONS, **summaries.DESCRIPTIONS, **jobs.DESCRIPTIONS}
_ALL = {**readable.DESCRIPTIONS, **{name: _for_analysts(described) for name, described in _TABLES.items()}}
DESCRIPTIONS: dict[str, dict] = {name: _ALL[name] for name in ORDER} | {n: d for n, d in _ALL.items() if n not in ORDER}
