"""A unit's submissions: immutable revisions of every save or submit, scores stored for reviewers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from form_definitions import Definition
from forms_app.data import audit
from forms_app.data import decisions as data_decisions
from forms_app.data import submissions as data
from forms_app.data.clock import stamp, utcnow
from forms_app.data.connection import Database, write
from forms_app.data.submissions import stored_value
from forms_app.rules import registry, windows
from scoring import Points, points, rounded, score, visibility, visible_answers


def find(db: Database, unit_code: str, form_id: str, cycle_year: int) -> dict | None:
    """The unit's submission of a form for a year, or None."""
    return data.find(db, unit_code, form_id, cycle_year)


def revisions(db: Database, submission_id: int) -> list[dict]:
    """Every revision of a submission (without its answers), newest first."""
    return data.revisions(db, submission_id)


def revision_answers(db: Database, submission_id: int, number: int) -> dict | None:
    """The answers stored by one revision, or None when there is no such revision."""
    return data.revision_answers(db, submission_id, number)


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
    # The deadline is read before the write lock: what is read under it, it holds (a statement each).
    after_deadline = late or windows.after_deadline(db, unit_code, definition.id, cycle_year, moment)
    with write(db):
        state = data.write_state(db, request_token, unit_code, definition.id, cycle_year)
        if state.seen is not None:
            return Outcome("duplicate", *state.seen)
        submission = (state.submission
                      or data.create(db, unit_code, definition.id, cycle_year, definition.version, stamp(moment)))
        if submission["form_version"] != definition.version:
            raise ValueError("a submission keeps the definition version it was started on")
        number = state.last_number + 1
        stale = base_revision is not None and base_revision != submission["current_revision"]
        kind = "late" if late else ("conflict" if stale else action)
        data.add_revision(db, submission["id"], number, kind, author, stamp(moment), kept, result.total, request_token,
                          after_deadline)
        if kind == "conflict":
            last = data.revision_author(db, submission["id"], submission["current_revision"])
            return Outcome("conflict", number, submission["id"], *(last or (None, None)))
        if kind == "late":
            audit.record(db, author, "late_submit_refused", unit_code, definition.id, cycle_year, {"revision": number})
            return Outcome("late", number, submission["id"])
        _make_current(db, submission, definition, number, action, (kept, result, shown), stamp(moment))
        if action == "submit" and state.adjusted:
            # A resubmission (after a return) keeps the reviewers' adjustments: they apply to the new answers.
            refresh_adjusted_scores(db, submission["id"])
        if action == "submit":
            audit.record(db, author, "submitted", unit_code, definition.id, cycle_year,
                         {"revision": number, "total": result.total})
        return Outcome("submitted" if action == "submit" else "saved", number, submission["id"])


def _make_current(db: Database, submission: dict, definition: Definition, number: int, action: str,
                  scored: tuple[dict, Points, dict], now: str) -> None:
    """The new revision becomes the one being edited; a submit (or a first save) also becomes the scored one."""
    kept, result, shown = scored
    changes: dict[str, Any] = {"current_revision": number, "updated_at": now}
    # Scores follow the submitted revision; a draft saved after a submit leaves the submission as submitted.
    if action == "submit" or submission["submitted_revision"] is None:
        changes.update({
            "total": result.total, "max_total": result.max_total, "band": result.band,
            "recognised": None if result.recognised is None else int(result.recognised),
        })
        _sid, answers, sections, criteria = scored_rows(
            submission["id"], definition, kept, result, shown,
            cycle_year=submission["cycle_year"] if action == "submit" else None)
        data.replace_scores(db, answers, sections, criteria)
    if action == "submit":
        changes.update({"status": "submitted", "submitted_revision": number, "submitted_at": now})
    # Only what changed: every column an UPDATE sets has its indexes written (and `tong_quan`'s), moved or not.
    data.update(db, submission["id"], {k: v for k, v in changes.items() if submission.get(k) != v})


ScoreRows = tuple[int, list[tuple], list[tuple], list[tuple] | None]


def scored_rows(submission_id: int, definition: Definition, kept: dict[str, Any], result: Points,
                shown: dict[str, bool], *, cycle_year: int | None) -> ScoreRows:
    """The rows of `answers`, `section_scores` and (with `cycle_year`, for a submitted revision) `criterion_scores`.

    `kept` are the visible, answered answers the scores in `result` were computed from. Maxima and pass
    marks are those that applied, as in the score report (a question that did not apply has maximum 0).
    """
    earned = result.questions
    answers = [
        (submission_id, q.id, q.section, q.criterion, q.type, stored_value(kept.get(q.id)), earned.get(q.id, 0.0),
         result.maximum(q), int(shown[q.id]))
        for q in definition.questions
    ]
    sections = [
        (submission_id, sid, score, most, pass_min, int(passed))
        for (sid, score, passed), (most, pass_min) in zip(result.sections, result.limits, strict=True)
    ]
    criteria = None
    if cycle_year is not None:
        sums: dict[str, list[float]] = {}
        for q in definition.questions:
            if q.criterion is not None and q.maximum > 0:
                total = sums.setdefault(q.criterion, [0.0, 0.0])
                total[0] += earned.get(q.id, 0.0)
                total[1] += 0.0 if q.id in result.not_applicable else q.maximum
        criteria = [(submission_id, definition.id, cycle_year, criterion, rounded(got), None, rounded(most))
                    for criterion, (got, most) in sums.items()]
    return submission_id, answers, sections, criteria


def of_units(db: Database, unit_codes: list[str]) -> dict[str, list[dict]]:
    """{unit: its submissions (form, year, status, total, band), oldest year first} for these units."""
    found: dict[str, list[dict]] = {}
    for row in data.of_units(db, unit_codes):
        found.setdefault(row["unit_code"], []).append(row)
    return found


def year_summary(db: Database, clusters: list[str]) -> list[dict]:
    """Per form and year: how many submitted, drafts, the average total and how many recognised (within `clusters`)."""
    return data.year_summary(db, clusters)


def next_submission_id(db: Database) -> int:
    """The id the next new submission gets (a bulk load numbers its rows itself)."""
    return data.next_id(db)


def record_many(db: Database, submissions: list[tuple], revisions: list[tuple], scores: tuple[list, list, list]) -> None:
    """Store whole submitted submissions at once (the demo): their rows, first revisions (answers as dicts) and the
    long-form rows `scored_rows` made for them, in one transaction."""
    with write(db):
        data.insert_many(db, submissions, revisions)
        data.insert_scores(db, *scores)


def submitted_scored(db: Database, form_ids: list[str], years: list[int]) -> list[tuple]:
    """(id, unit, form, year, recognised, total) of every submitted, scored submission of these forms and years."""
    return data.submitted_scored(db, form_ids, years)


def first_scored_file(db: Database, submission_id: int) -> str | None:
    """The first visible file question that earned points in the submission's scored revision, or None."""
    return data.first_scored_file(db, submission_id)


# The reviewers' adjustments applied to the scored revision (recorded by forms_app.rules.deciding).

def current_adjustments(db: Database, submission_id: int) -> dict[str, dict]:
    """The adjustment in force per question ({question: {"points", "reason"}}); removed ones left out."""
    return {qid: {"points": points, "reason": reason}
            for qid, points, reason in data_decisions.latest_adjustments(db, submission_id) if points is not None}


def effective_adjustments(db: Database, submission_id: int, definition, answers: Mapping[str, Any]) -> dict[str, dict]:
    """The current adjustments that still apply to these answers (a resubmission may have hidden a question)."""
    shown = visibility(definition, answers)
    return {qid: change for qid, change in current_adjustments(db, submission_id).items()
            if definition.question(qid) is not None and shown.get(qid)}


def refresh_adjusted_scores(db: Database, submission_id: int) -> dict | None:
    """Store the adjusted scores of a submission's scored revision (NULL where nothing is adjusted); its report.

    Runs inside the caller's transaction. The automatic columns are never written here.
    """
    submission = data.by_id(db, submission_id)
    if submission is None:
        return None
    definition = registry.definition(db, submission["form_id"], submission["form_version"])
    number = scored_revision(submission)
    answers = (revision_answers(db, submission_id, number) if number else None) or {}
    changes = effective_adjustments(db, submission_id, definition, answers)
    data_decisions.clear_adjusted_scores(db, submission_id)
    if not changes:
        data_decisions.store_adjusted_scores(db, submission_id, None)
        return None
    report = score(definition, answers, changes)
    adjusted = [q for q in report["questions"] if q["adjusted"]]
    touched = {q["section"] for q in adjusted}
    by_criterion = _criterion_points(report)
    data_decisions.store_adjusted_scores(
        db, submission_id, report["total"],
        questions=[(q["id"], q["points"]) for q in adjusted],
        sections=[(s["id"], s["score"]) for s in report["sections"] if s["id"] in touched],
        criteria=[(c, rounded(by_criterion[c])) for c in {q["criterion"] for q in adjusted} if c in by_criterion])
    return report


def _criterion_points(report: dict) -> dict[str, float]:
    """The points of a report per criterion, over its scored questions (unrounded)."""
    by_criterion: dict[str, float] = {}
    for q in report["questions"]:
        if q["criterion"] is not None and q["max_points"] > 0:
            by_criterion[q["criterion"]] = by_criterion.get(q["criterion"], 0.0) + q["points"]
    return by_criterion
