"""The standing committee's decisions and the reviewers' point adjustments: appended, audited, never overwritten.

A decision is one new row in `decisions`; the latest for a unit, form and year is the current
one. An adjustment is one new row in `adjustments`; the latest per question is the current one
(no points: the adjustment is removed). The automatic scores stay as they are; the adjusted ones
are stored beside them (`adjusted_total`, `adjusted_points`, `adjusted_score`).

No Flask here: a refusal is a `DecisionError` holding codes and the field each belongs to; the
review pages and the command line turn them into sentences.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Iterable, Mapping

from sqlite_utils import Database

from scoring import rounded, score, visibility
from scoring.answers import is_number

from forms_app.rules import registry
from forms_app.data.connection import write
from forms_app.data.clock import stamp
from forms_app.rules.submitting import audit, find, revision_answers, scored_revision, today as local_today

KINDS = ("recognised", "not_recognised", "returned", "withdrawn")
# The committee's verdict on the year (a certificate follows a recognition).
VERDICTS = ("recognised", "not_recognised")
# After these the unit can no longer change the form, even inside its window.
LOCKING = ("recognised", "not_recognised", "withdrawn")
SOURCES = ("web", "import")
MAX_COMMENT = 2000
MAX_DECISION_NO = 64
MAX_REASON = 500
_READ = object()  # check_decision reads the current decision itself


@dataclass(frozen=True)
class Refusal:
    """Why a decision or an adjustment was not recorded: a code, the input it concerns, and its values."""

    code: str
    field: str | None = None
    params: dict = dataclass_field(default_factory=dict)


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


def _unit(db: Database, unit_code: str) -> dict | None:
    rows = list(db.query("SELECT code, name, cluster FROM units WHERE code = ?", [unit_code]))
    return rows[0] if rows else None


def check_clusters(db: Database, unit_code: str, clusters: Iterable[str] | None) -> None:
    """OutsideClusters unless the unit is in one of `clusters` (None or empty: every unit)."""
    clusters = list(clusters or [])
    if not clusters:
        return
    unit = _unit(db, unit_code)
    if unit is None or unit["cluster"] not in clusters:
        raise OutsideClusters(unit_code)


# Decisions

def current_decision(db: Database, unit_code: str, form_id: str, cycle_year: int) -> dict | None:
    """The latest decision for a unit, form and year, or None."""
    rows = list(db.query(
        "SELECT * FROM decisions WHERE unit_code = ? AND form_id = ? AND cycle_year = ? ORDER BY id DESC LIMIT 1",
        [unit_code, form_id, cycle_year],
    ))
    return rows[0] if rows else None


def history(db: Database, unit_code: str, form_id: str, cycle_year: int) -> list[dict]:
    """Every decision for a unit, form and year, newest first."""
    return list(db.query(
        "SELECT * FROM decisions WHERE unit_code = ? AND form_id = ? AND cycle_year = ? ORDER BY id DESC",
        [unit_code, form_id, cycle_year],
    ))


def submitted_since_decision(db: Database, unit_code: str, form_id: str, cycle_year: int) -> bool:
    """Whether the unit submitted again after the current decision (say, once its form was returned)."""
    key = [unit_code, form_id, cycle_year]
    row = db.execute(
        "SELECT 1 FROM audit_log WHERE action = 'submitted' AND unit_code = ? AND form_id = ? AND cycle_year = ? "
        "AND id > (SELECT MAX(id) FROM audit_log WHERE action = 'decision_recorded' AND unit_code = ? AND form_id = ? "
        "AND cycle_year = ?) LIMIT 1", key + key).fetchone()
    return row is not None


def current_decisions(db: Database, unit_codes: list[str]) -> dict[tuple[str, str, int], dict]:
    """The current decision of each (unit, form, year) of these units."""
    if not unit_codes:
        return {}
    marks = ",".join("?" * len(unit_codes))
    return {
        (row["unit_code"], row["form_id"], row["cycle_year"]): row
        for row in db.query(f"SELECT * FROM current_decisions WHERE unit_code IN ({marks})", unit_codes)
    }


def check_decision(db: Database, unit_code: str, form_id: str, cycle_year: int, kind: str, *,
                   comment: str | None = None, reopen_until: Any = None, decision_no: str | None = None,
                   decided_on: Any = None, commendation: bool = False, today: dt.date | None = None,
                   current: Any = _READ) -> tuple[dict, list[Refusal]]:
    """The decision row that would be written, and every reason not to write it.

    `current` is the decision in force when the caller knows it better than the database (an import
    checking its own earlier rows); by default it is read.
    """
    today = today or local_today()
    refusals: list[Refusal] = []
    comment = (comment or "").strip() or None
    decision_no = " ".join((decision_no or "").split()) or None
    if kind not in KINDS:
        refusals.append(Refusal("kind", "decision", {"value": str(kind)[:40]}))
    if _unit(db, unit_code) is None:
        refusals.append(Refusal("unknown_unit", "unit", {"unit": unit_code}))
    if db.execute("SELECT 1 FROM cycles WHERE form_id = ? AND cycle_year = ?", [form_id, cycle_year]).fetchone() is None:
        refusals.append(Refusal("unknown_cycle", "form", {"form": form_id, "year": cycle_year}))
    if comment and len(comment) > MAX_COMMENT:
        refusals.append(Refusal("comment_long", "comment", {"max": MAX_COMMENT}))
    if decision_no and len(decision_no) > MAX_DECISION_NO:
        refusals.append(Refusal("decision_no_long", "decision_no", {"max": MAX_DECISION_NO}))
    dates = {}
    for name, value in (("decided_on", decided_on), ("reopen_until", reopen_until)):
        try:
            dates[name] = parse_date(value)
        except (ValueError, TypeError):
            dates[name] = None
            refusals.append(Refusal("date", name, {"value": str(value)[:40]}))
    if dates["decided_on"] and dates["decided_on"] > today:
        refusals.append(Refusal("decided_in_future", "decided_on", {"date": dates["decided_on"].isoformat()}))

    submission = find(db, unit_code, form_id, cycle_year)
    if current is _READ:
        current = current_decision(db, unit_code, form_id, cycle_year)
    if kind in VERDICTS + ("returned",) and (submission is None or submission["status"] != "submitted"):
        refusals.append(Refusal("not_submitted", "decision", {"unit": unit_code, "form": form_id, "year": cycle_year}))
    if kind == "returned":
        if dates["reopen_until"] is None and not any(r.field == "reopen_until" for r in refusals):
            refusals.append(Refusal("reopen_needed", "reopen_until"))
        elif dates["reopen_until"] is not None and dates["reopen_until"] < today:
            refusals.append(Refusal("reopen_past", "reopen_until", {"date": dates["reopen_until"].isoformat()}))
        if not comment:
            refusals.append(Refusal("comment_needed", "comment"))
    if kind == "withdrawn" and (not current or current["decision"] != "recognised"):
        refusals.append(Refusal("not_recognised_now", "decision"))
    if commendation and kind != "recognised":
        refusals.append(Refusal("commendation_needs_recognition", "commendation"))
    row = {
        "unit_code": unit_code, "form_id": form_id, "cycle_year": cycle_year, "decision": kind, "comment": comment,
        "reopen_until": dates["reopen_until"].isoformat() if kind == "returned" and dates["reopen_until"] else None,
        "decision_no": decision_no,
        "decided_on": dates["decided_on"].isoformat() if dates["decided_on"] else None,
        "commendation": int(bool(commendation) and kind == "recognised"),
    }
    return row, refusals


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
        row.update(source=source, recorded_by=actor, recorded_at=stamp())
        row["id"] = db["decisions"].insert(row).last_pk
        audit(db, actor, "decision_recorded", unit_code, form_id, year, {
            "decision_id": row["id"], "decision": kind, "decision_no": row["decision_no"],
            "decided_on": row["decided_on"], "reopen_until": row["reopen_until"], "commendation": row["commendation"],
            "comment": row["comment"], "source": source,
        })
    return row


# Adjustments

def adjustment_history(db: Database, submission_id: int) -> list[dict]:
    """Every adjustment of a submission, newest first."""
    return list(db.query("SELECT * FROM adjustments WHERE submission_id = ? ORDER BY id DESC", [submission_id]))


def current_adjustments(db: Database, submission_id: int) -> dict[str, dict]:
    """The adjustment in force per question ({question: {"points", "reason"}}); removed ones left out."""
    rows = db.execute(
        "SELECT a.question_id, a.points, a.reason FROM adjustments a WHERE a.submission_id = ? AND a.id = "
        "(SELECT MAX(b.id) FROM adjustments b WHERE b.submission_id = a.submission_id AND b.question_id = a.question_id)",
        [submission_id],
    ).fetchall()
    return {qid: {"points": points, "reason": reason} for qid, points, reason in rows if points is not None}


def effective_adjustments(db: Database, submission_id: int, definition, answers: Mapping[str, Any]) -> dict[str, dict]:
    """The current adjustments that still apply to these answers (a resubmission may have hidden a question)."""
    shown = visibility(definition, answers)
    return {qid: change for qid, change in current_adjustments(db, submission_id).items()
            if definition.question(qid) is not None and shown.get(qid)}


def refresh_adjusted_scores(db: Database, submission_id: int) -> dict | None:
    """Store the adjusted scores of a submission's scored revision (NULL where nothing is adjusted); its report.

    Runs inside the caller's transaction. The automatic columns are never written here.
    """
    rows = list(db.query("SELECT * FROM submissions WHERE id = ?", [submission_id]))
    if not rows:
        return None
    submission = rows[0]
    definition = registry.definition(db, submission["form_id"], submission["form_version"])
    number = scored_revision(submission)
    answers = (revision_answers(db, submission_id, number) if number else None) or {}
    changes = effective_adjustments(db, submission_id, definition, answers)
    db.execute("UPDATE answers SET adjusted_points = NULL WHERE submission_id = ?", [submission_id])
    db.execute("UPDATE section_scores SET adjusted_score = NULL WHERE submission_id = ?", [submission_id])
    db.execute("UPDATE criterion_scores SET adjusted_points = NULL WHERE submission_id = ? AND adjusted_points IS NOT NULL",
               [submission_id])
    if not changes:
        db.execute("UPDATE submissions SET adjusted_total = NULL WHERE id = ?", [submission_id])
        return None
    report = score(definition, answers, changes)
    db.execute("UPDATE submissions SET adjusted_total = ? WHERE id = ?", [report["total"], submission_id])
    db.conn.executemany(
        "UPDATE answers SET adjusted_points = ? WHERE submission_id = ? AND question_id = ?",
        [(q["points"], submission_id, q["id"]) for q in report["questions"] if q["adjusted"]],
    )
    touched = {q["section"] for q in report["questions"] if q["adjusted"]}
    db.conn.executemany(
        "UPDATE section_scores SET adjusted_score = ? WHERE submission_id = ? AND section_id = ?",
        [(s["score"], submission_id, s["id"]) for s in report["sections"] if s["id"] in touched],
    )
    by_criterion: dict[str, float] = {}
    for q in report["questions"]:
        if q["criterion"] is not None and q["max_points"] > 0:
            by_criterion[q["criterion"]] = by_criterion.get(q["criterion"], 0.0) + q["points"]
    adjusted_criteria = {q["criterion"] for q in report["questions"] if q["adjusted"]}
    db.conn.executemany(
        "UPDATE criterion_scores SET adjusted_points = ? WHERE submission_id = ? AND criterion = ?",
        [(rounded(by_criterion[c]), submission_id, c) for c in adjusted_criteria if c in by_criterion],
    )
    return report


def record_adjustment(db: Database, submission_id: int, question_id: str, points: float | None, reason: str,
                      actor: str, *, clusters: Iterable[str] | None = None) -> dict:
    """Append one adjustment of a question's points (None removes the current one), audit it, store the adjusted scores.

    Points are clamped to [0, the question's maximum] by the scoring; the automatic points stay.
    Refused (DecisionError, nothing written): an unknown, hidden or unscored question, a missing
    reason, a submission not submitted, or points that are not a number. Returns the stored row.
    """
    with write(db):
        rows = list(db.query("SELECT * FROM submissions WHERE id = ?", [submission_id]))
        if not rows:
            raise DecisionError([Refusal("no_submission", None)])
        submission = rows[0]
        check_clusters(db, submission["unit_code"], clusters)
        definition = registry.definition(db, submission["form_id"], submission["form_version"])
        answers = revision_answers(db, submission_id, scored_revision(submission) or 0) or {}
        question = definition.question(question_id)
        refusals: list[Refusal] = []
        reason = " ".join((reason or "").split())
        if submission["status"] != "submitted":
            refusals.append(Refusal("not_submitted", None, {"unit": submission["unit_code"],
                                                            "form": submission["form_id"], "year": submission["cycle_year"]}))
        if question is None:
            refusals.append(Refusal("unknown_question", "question", {"question": question_id}))
        elif not visibility(definition, answers)[question_id]:
            refusals.append(Refusal("hidden_question", "question", {"question": question_id}))
        elif question.maximum <= 0:
            refusals.append(Refusal("unscored_question", "question", {"question": question_id}))
        if points is None:
            if question is not None and question_id not in current_adjustments(db, submission_id):
                refusals.append(Refusal("nothing_to_remove", "points"))
        elif not is_number(points):
            refusals.append(Refusal("points", "points"))
        if not reason:
            refusals.append(Refusal("reason_needed", "reason"))
        elif len(reason) > MAX_REASON:
            refusals.append(Refusal("reason_long", "reason", {"max": MAX_REASON}))
        if refusals:
            raise DecisionError(refusals)
        stored = None
        if points is not None:
            # The scoring clamps; what it keeps is what is stored, and what was typed goes to the audit log.
            entry = next(q for q in score(definition, answers, {question_id: points})["questions"] if q["id"] == question_id)
            stored = entry["points"]
        row = {"submission_id": submission_id, "question_id": question_id, "points": stored, "reason": reason,
               "recorded_by": actor, "recorded_at": stamp()}
        row["id"] = db["adjustments"].insert(row).last_pk
        report = refresh_adjusted_scores(db, submission_id)
        audit(db, actor, "points_adjusted" if stored is not None else "adjustment_removed", submission["unit_code"],
              submission["form_id"], submission["cycle_year"], {
                  "adjustment_id": row["id"], "submission_id": submission_id, "question": question_id,
                  "points": stored, "requested": points, "reason": reason,
                  "adjusted_total": report["total"] if report else None,
              })
    return row
