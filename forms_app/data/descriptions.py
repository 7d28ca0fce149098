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
    narratives,
    proposals,
    reminders,
    submissions,
    units,
    uploads,
)

ORDER = ("units", "form_versions", "questions", "criteria", "cycles", "extensions", "submissions", "revisions", "answers",
         "section_scores", "criterion_scores", "criterion_totals", "uploads", "upload_quotas", "decisions", "adjustments", "tong_quan",
         "current_decisions", "certificates", "inspections", "unit_comments", "proposals", "selections", "report_narratives",
         "calendar_tokens", "reminders_sent", "audit_log")

_ALL = {**units.DESCRIPTIONS, **definitions.DESCRIPTIONS, **cycles.DESCRIPTIONS, **submissions.DESCRIPTIONS,
        **uploads.DESCRIPTIONS, **decisions.DESCRIPTIONS, **certificates.DESCRIPTIONS, **inspections.DESCRIPTIONS,
        **proposals.DESCRIPTIONS, **narratives.DESCRIPTIONS, **calendars.DESCRIPTIONS, **reminders.DESCRIPTIONS,
        **audit.DESCRIPTIONS}
DESCRIPTIONS: dict[str, dict] = {name: _ALL[name] for name in ORDER} | {n: d for n, d in _ALL.items() if n not in ORDER}
