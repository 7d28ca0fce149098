"""A unit's submissions: windows and deadlines, immutable revisions, scores stored for reviewers."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from form_definitions import Definition
from scoring import Points, points, rounded, visibility, visible_answers

from forms_app.rules import registry
from forms_app.data.connection import write
from forms_app.data.clock import stamp, today, utcnow


@dataclass(frozen=True)
class Window:
    """When a form is open for one unit and one cycle year (dates inclusive, in the deployment's time zone)."""

    opens: dt.date
    closes: dt.date
    extended: bool = False
    reopened_until: dt.date | None = None
    decision: str | None = None  # the current decision of the standing committee, if any

    def state(self, today: dt.date) -> str:
        """not_open, open, closed, or decided (the committee's decision locks the form whatever the date)."""
        from forms_app.rules.deciding import LOCKING

        if self.decision in LOCKING:
            return "decided"
        if today < self.opens:
            return "not_open"
        if today > self.closes:
            return "closed"
        return "open"

    def days_left(self, today: dt.date) -> int:
        return (self.closes - today).days


def window(db: Database, unit_code: str, form_id: str, cycle_year: int) -> Window | None:
    """The cycle's window for one unit; None when the form has no such cycle.

    The unit's extension applies; a current decision 'returned' reopens the form until the end of
    its `reopen_until`; a current 'recognised', 'not_recognised' or 'withdrawn' locks it (state
    "decided").
    """
    from forms_app.rules.deciding import current_decision

    row = db.execute("SELECT opens, closes FROM cycles WHERE form_id = ? AND cycle_year = ?", [form_id, cycle_year]).fetchone()
    if row is None:
        return None
    opens, closes = dt.date.fromisoformat(row[0]), dt.date.fromisoformat(row[1])
    extended = False
    extension = db.execute(
        "SELECT closes FROM extensions WHERE unit_code = ? AND form_id = ? AND cycle_year = ?",
        [unit_code, form_id, cycle_year],
    ).fetchone()
    if extension is not None and dt.date.fromisoformat(extension[0]) > closes:
        closes, extended = dt.date.fromisoformat(extension[0]), True
    decision = current_decision(db, unit_code, form_id, cycle_year)
    reopened = None
    if decision is not None and decision["decision"] == "returned" and decision["reopen_until"]:
        reopened = dt.date.fromisoformat(decision["reopen_until"])
        closes = max(closes, reopened)
    return Window(opens, closes, extended=extended, reopened_until=reopened,
                  decision=decision["decision"] if decision else None)


def cycle_years(db: Database, form_id: str) -> list[int]:
    return [r[0] for r in db.execute("SELECT cycle_year FROM cycles WHERE form_id = ? ORDER BY cycle_year DESC", [form_id])]


def find(db: Database, unit_code: str, form_id: str, cycle_year: int) -> dict | None:
    rows = list(db.query(
        "SELECT * FROM submissions WHERE unit_code = ? AND form_id = ? AND cycle_year = ?", [unit_code, form_id, cycle_year]
    ))
    return rows[0] if rows else None


def current_answers(db: Database, submission: dict | None) -> dict[str, Any]:
    """The answers of the revision being edited ({} before the first save)."""
    if not submission or not submission["current_revision"]:
        return {}
    return revision_answers(db, submission["id"], submission["current_revision"]) or {}


def scored_revision(submission: dict | None) -> int | None:
    """The revision whose score counts: the last submitted one, else the draft."""
    if not submission:
        return None
    return submission["submitted_revision"] or submission["current_revision"] or None


def has_unsubmitted_draft(submission: dict | None) -> bool:
    """A draft saved after the last submit, not yet submitted."""
    return bool(submission and submission["submitted_revision"]
                and submission["current_revision"] != submission["submitted_revision"])


def definition_for(db: Database, submission: dict | None, form_id: str) -> Definition | None:
    """The version a submission was started on, or the latest for a new one."""
    if submission:
        return registry.definition(db, form_id, submission["form_version"])
    return registry.definition(db, form_id)


def requirement_missing(db: Database, unit_code: str, definition: Definition, cycle_year: int) -> list[str]:
    """Forms this one `requires` that the unit has not submitted for the same cycle year."""
    missing = []
    for required in definition.requires:
        row = db.execute(
            "SELECT status FROM submissions WHERE unit_code = ? AND form_id = ? AND cycle_year = ?",
            [unit_code, required, cycle_year],
        ).fetchone()
        if row is None or row[0] != "submitted":
            missing.append(required)
    return missing


@dataclass(frozen=True)
class Outcome:
    """What happened to a save or submit: saved, submitted, duplicate, conflict or late."""

    kind: str
    revision: int
    submission_id: int
    conflict_author: str | None = None
    conflict_at: str | None = None


def record(db: Database, *, unit_code: str, definition: Definition, cycle_year: int, answers: dict[str, Any],
           action: str, author: str, base_revision: int | None, request_token: str | None,
           late: bool = False, now: dt.datetime | None = None) -> Outcome:
    """Store one save or submit as a new immutable revision, in one transaction.

    `answers` must already be valid for `definition` (hidden answers are dropped here). A request
    token seen before returns the first outcome (a double click saves once); a base revision that
    is no longer current stores the answers as a 'conflict' revision that does not become current
    (the later editor is told, nothing is overwritten); a late submit is kept as a 'late' revision.
    A revision written after the unit's deadline is marked `after_deadline` (`now` stands in for the clock).
    """
    shown = visibility(definition, answers)
    kept = visible_answers(definition, answers, shown)
    result = points(definition, kept)
    moment = now or utcnow()
    now = stamp(moment)
    with write(db):
        if request_token:
            seen = db.execute(
                "SELECT r.number, r.action, r.submission_id FROM revisions r WHERE r.request_token = ?", [request_token]
            ).fetchone()
            if seen is not None:
                return Outcome("duplicate", seen[0], seen[2])
        submission = find(db, unit_code, definition.id, cycle_year)
        if submission is None:
            db["submissions"].insert({
                "unit_code": unit_code, "form_id": definition.id, "cycle_year": cycle_year,
                "form_version": definition.version, "status": "draft", "current_revision": 0,
                "created_at": now, "updated_at": now,
            })
            submission = find(db, unit_code, definition.id, cycle_year)
        submission_id = submission["id"]
        if submission["form_version"] != definition.version:
            raise ValueError("a submission keeps the definition version it was started on")
        number = 1 + (db.execute("SELECT MAX(number) FROM revisions WHERE submission_id = ?", [submission_id]).fetchone()[0] or 0)
        stale = base_revision is not None and base_revision != submission["current_revision"]
        kind = "late" if late else ("conflict" if stale else action)
        db.execute(
            "INSERT INTO revisions (submission_id, number, action, author, created_at, answers, total, request_token, "
            "after_deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [submission_id, number, kind, author, now, json.dumps(kept, ensure_ascii=False, sort_keys=True),
             result.total, request_token, int(late or _after_deadline(db, unit_code, definition.id, cycle_year, moment))])
        if kind == "conflict":
            last = db.execute(
                "SELECT author, created_at FROM revisions WHERE submission_id = ? AND number = ?",
                [submission_id, submission["current_revision"]],
            ).fetchone()
            return Outcome("conflict", number, submission_id, *(last or (None, None)))
        if kind == "late":
            audit(db, author, "late_submit_refused", unit_code, definition.id, cycle_year, {"revision": number})
            return Outcome("late", number, submission_id)
        changes = {"current_revision": number, "updated_at": now}
        # Scores follow the submitted revision; a draft saved after a submit leaves the submission as submitted.
        if action == "submit" or submission["submitted_revision"] is None:
            changes.update({
                "total": result.total, "max_total": rounded(definition.maximum), "band": result.band,
                "recognised": None if result.recognised is None else int(result.recognised),
            })
            store_scores(db, *scored_rows(submission_id, definition, kept, result, shown,
                                          cycle_year=cycle_year if action == "submit" else None))
        if action == "submit":
            changes.update({"status": "submitted", "submitted_revision": number, "submitted_at": now})
        db["submissions"].update(submission_id, changes)
        if action == "submit" and db.execute("SELECT 1 FROM adjustments WHERE submission_id = ? LIMIT 1", [submission_id]).fetchone():
            # A resubmission (after a return) keeps the reviewers' adjustments: they apply to the new answers.
            from forms_app.rules.deciding import refresh_adjusted_scores

            refresh_adjusted_scores(db, submission_id)
        if action == "submit":
            audit(db, author, "submitted", unit_code, definition.id, cycle_year, {"revision": number, "total": result.total})
        return Outcome("submitted" if action == "submit" else "saved", number, submission_id)


def _after_deadline(db: Database, unit_code: str, form_id: str, cycle_year: int, moment: dt.datetime) -> bool:
    """Whether `moment` is past the end of the unit's closing day (its extension included), in Vietnam."""
    row = db.execute(
        "SELECT COALESCE(e.closes, c.closes) FROM cycles c LEFT JOIN extensions e ON e.unit_code = ? "
        "AND e.form_id = c.form_id AND e.cycle_year = c.cycle_year WHERE c.form_id = ? AND c.cycle_year = ?",
        [unit_code, form_id, cycle_year]).fetchone()
    return row is not None and today(moment) > dt.date.fromisoformat(row[0])


ScoreRows = tuple[int, list[tuple], list[tuple], list[tuple] | None]


def scored_rows(submission_id: int, definition: Definition, kept: dict[str, Any], result: Points,
                shown: dict[str, bool], *, cycle_year: int | None) -> ScoreRows:
    """The rows of `answers`, `section_scores` and (with `cycle_year`, for a submitted revision) `criterion_scores`.

    `kept` are the visible, answered answers the scores in `result` were computed from.
    """
    earned = result.questions
    answers = [
        (submission_id, q.id, q.section, q.criterion, q.type, stored_value(kept.get(q.id)), earned.get(q.id, 0.0),
         rounded(q.maximum), int(shown[q.id]))
        for q in definition.questions
    ]
    sections = [
        (submission_id, section.id, score, rounded(section.maximum),
         None if section.pass_min is None else float(section.pass_min), int(passed))
        for section, (_sid, score, passed) in zip(definition.sections, result.sections)
    ]
    criteria = None
    if cycle_year is not None:
        sums: dict[str, list[float]] = {}
        for q in definition.questions:
            if q.criterion is not None and q.maximum > 0:
                total = sums.setdefault(q.criterion, [0.0, 0.0])
                total[0] += earned.get(q.id, 0.0)
                total[1] += q.maximum
        criteria = [(submission_id, definition.id, cycle_year, criterion, rounded(got), None, rounded(most))
                    for criterion, (got, most) in sums.items()]
    return submission_id, answers, sections, criteria


def store_scores(db: Database, submission_id: int, answers: list[tuple], sections: list[tuple],
                 criteria: list[tuple] | None) -> None:
    """Replace the long-form rows of one submission (inside the caller's transaction)."""
    conn = db.conn
    conn.execute("DELETE FROM answers WHERE submission_id = ?", [submission_id])
    conn.execute("DELETE FROM section_scores WHERE submission_id = ?", [submission_id])
    if criteria is not None:
        conn.execute("DELETE FROM criterion_scores WHERE submission_id = ?", [submission_id])
    insert_scores(db, answers, sections, criteria)


ANSWER_INSERT = ("INSERT INTO answers (submission_id, question_id, section_id, criterion, type, value, points, "
                 "max_points, visible) VALUES (?,?,?,?,?,?,?,?,?)")
SECTION_INSERT = "INSERT INTO section_scores (submission_id, section_id, score, max, pass_min, passed) VALUES (?,?,?,?,?,?)"
CRITERION_INSERT = ("INSERT INTO criterion_scores (submission_id, form_id, cycle_year, criterion, points, "
                    "adjusted_points, max_points) VALUES (?,?,?,?,?,?,?)")


def insert_scores(db: Database, answers: list[tuple], sections: list[tuple], criteria: list[tuple] | None) -> None:
    """Insert long-form rows (of one or many submissions: the demo batches them)."""
    db.conn.executemany(ANSWER_INSERT, answers)
    db.conn.executemany(SECTION_INSERT, sections)
    if criteria:
        db.conn.executemany(CRITERION_INSERT, criteria)


def stored_value(value: Any) -> Any:
    """An answer as one SQLite value: numbers and text as they are, booleans as 0/1, lists as JSON."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def revisions(db: Database, submission_id: int) -> list[dict]:
    return list(db.query(
        "SELECT number, action, author, created_at, total FROM revisions WHERE submission_id = ? ORDER BY number DESC",
        [submission_id],
    ))


def revision_answers(db: Database, submission_id: int, number: int) -> dict | None:
    row = db.execute("SELECT answers FROM revisions WHERE submission_id = ? AND number = ?", [submission_id, number]).fetchone()
    return json.loads(row[0]) if row else None


def audit(db: Database, actor: str, action: str, unit_code: str | None, form_id: str | None,
           cycle_year: int | None, detail: dict | None = None) -> None:
    db["audit_log"].insert({
        "at": stamp(), "actor": actor, "action": action, "unit_code": unit_code, "form_id": form_id,
        "cycle_year": cycle_year, "detail": json.dumps(detail or {}, ensure_ascii=False),
    })


