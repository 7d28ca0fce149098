"""The office's status board: one status for each unit and cycle year of a form, its counts and pages, and the queue of
submissions awaiting the standing committee's decision.

The status of a unit's form F for a year (`status`, pure) is read from F's side first, then, when the unit has done
nothing on F yet, from the side of the form F requires (its first `requires` entry: the registration); each side is
the cycle's window for the unit (extension and a return's reopening included), the submission, and the decision in
force. In this order, the first that applies:

- `recognised` (công nhận): F's decision in force is a recognition.
- `not_recognised` (không công nhận): F's decision in force refuses or withdraws the recognition.
- `returned` (trả lại): F was returned to the unit, which has not submitted it again since.
- `accepted` (đã tiếp nhận): F has no `result` (a registration) and the office accepted it (not submitted again since).
- `awaiting_decision` (chờ quyết định): F has a `result`, is submitted, and the unit's window is over (its deadline,
  extension or reopening included, has passed) — or it was submitted again after a return whose reopening is over.
- `submitted` (đã nộp): F has a `result` and is submitted, but the unit may still change it (its window is open).
- `registered` (đã đăng ký): F has no `result` and is submitted.
- `draft` (nháp): F has a `result` and only a draft (a registration's draft is not a registration: see below).
- Nothing on F, and F requires a form R: R's own status by the rules above (`returned`, `accepted`,
  `registered`), except that a submitted R whose answers do not meet F's `requires … when` (the unit answered that it
  does not take part) is `not_registered`; nothing submitted on R: as below, on R's window.
- Nothing at all: `not_open` (chưa mở) before the window opens (or without a window that year); after,
  `not_registered` (chưa đăng ký) for a form without a `result`, `not_submitted` (chưa nộp) for a scored form that
  requires nothing.

No Flask here; the pages turn the codes into words with `LABELS`.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections import Counter
from dataclasses import dataclass, replace
from operator import itemgetter
from pathlib import Path

from form_definitions import Definition
from form_definitions.model import Condition
from forms_app.data import board as data
from forms_app.data import summaries as summary_data
from forms_app.data.connection import Database
from forms_app.rules import registry, submitting, summaries, verdict, windows
from scoring.answers import holds

# In the order a unit goes through its year.
STATUSES = ("not_open", "not_registered", "registered", "accepted", "not_submitted", "draft", "submitted",
            "awaiting_decision", "returned", "recognised", "not_recognised")
LABELS = {
    "not_open": {"vi": "Chưa mở", "en": "Not open yet"},
    "not_registered": {"vi": "Chưa đăng ký", "en": "Not registered"},
    "registered": {"vi": "Đã đăng ký", "en": "Registered"},
    "accepted": {"vi": "Đã tiếp nhận", "en": "Accepted"},
    "not_submitted": {"vi": "Chưa nộp", "en": "Not submitted"},
    "draft": {"vi": "Nháp", "en": "Draft"},
    "submitted": {"vi": "Đã nộp", "en": "Submitted"},
    "awaiting_decision": {"vi": "Chờ quyết định", "en": "Awaiting decision"},
    "returned": {"vi": "Trả lại", "en": "Returned"},
    "recognised": {"vi": "Công nhận", "en": "Recognised"},
    "not_recognised": {"vi": "Không công nhận", "en": "Not recognised"},
}
# What the office can decide now, from the queue; `submitted` too when it asks for the forms still in their window.
QUEUE = ("awaiting_decision",)
QUEUE_WITH_OPEN = ("awaiting_decision", "submitted")


@dataclass(frozen=True)
class Side:
    """What the board knows of one form of a unit for one cycle year."""

    scored: bool  # the form has a `result`
    window: windows.Window | None  # for this unit; None: the form has no cycle that year
    submission: str | None = None  # draft, submitted, or None
    submitted_at: str | None = None
    decision: str | None = None  # the kind of the decision in force
    decided_at: str | None = None  # when it was recorded
    meets: bool = True  # a required form: its submission meets the `when` of the form requiring it

    @property
    def resubmitted(self) -> bool:
        """Submitted again after the decision in force (a return, an acceptance)."""
        return bool(self.submission == "submitted" and self.decided_at and self.submitted_at
                    and self.submitted_at > self.decided_at)


def status(form: Side, required: Side | None, today: dt.date) -> str:
    """The one status of a unit's form for a year (see the module's docstring), from its side and the side of the form
    it requires (None: it requires none). Pure."""
    own = _own(form, today)
    if own is not None:
        return own
    if required is not None and required.window is not None:
        found = _own(required, today)
        if found == "registered" and not required.meets:
            return "not_registered"
        return found or _untouched(required, today)
    return _untouched(form, today)


def _own(side: Side, today: dt.date) -> str | None:
    """The status the form's own decision and submission give; None when the unit has done nothing on it."""
    if side.scored and side.decision == "recognised":
        return "recognised"
    if side.scored and side.decision in ("not_recognised", "withdrawn"):
        return "not_recognised"
    if side.decision == "returned" and not side.resubmitted:
        return "returned"
    if not side.scored and side.decision == "accepted" and not side.resubmitted:
        return "accepted"
    if side.submission == "submitted":
        if not side.scored:
            return "registered"
        still_open = side.window is not None and side.window.state(today) in ("open", "not_open")
        return "submitted" if still_open else "awaiting_decision"
    if side.submission == "draft" and side.scored:
        return "draft"
    return None


def _untouched(side: Side, today: dt.date) -> str:
    if side.window is None or today < side.window.opens:
        return "not_open"
    return "not_submitted" if side.scored else "not_registered"


def side_of(row: dict, prefix: str, scored: bool, meets: bool = True) -> Side:
    """One form's side of a row of `data.board.unit_years` (`prefix` "" for the form, "r_" for the one it requires)."""
    side = {name: row[prefix + name] for name in ("opens", "closes", "extension", "status", "submitted_at", "decision",
                                                  "reopen_until", "decided_at")}
    window = None
    if side["opens"] is not None:
        decision = {"decision": side["decision"], "reopen_until": side["reopen_until"]} if side["decision"] else None
        window = windows.unit_window(_day(side["opens"]), _day(side["closes"]), _day(side["extension"]), decision)
    return Side(scored, window, side["status"], side["submitted_at"], side["decision"], side["decided_at"], meets)


@functools.lru_cache(maxsize=4096)
def _day(text: str | None) -> dt.date | None:
    """A stored date read once (a board reads the same few dates thousands of times)."""
    return dt.date.fromisoformat(text) if text else None


def condition_questions(condition: Condition | None) -> set[str]:
    """The questions a condition reads."""
    if condition is None:
        return set()
    found = {condition.question} if condition.question else set()
    for child in condition.children:
        found |= condition_questions(child)
    return found


# Reading the board


def forms(db: Database) -> list[Definition]:
    """The forms the board can show, scored forms first (the default is the first)."""
    found = registry.latest_definitions(db)
    return [d for d in found if d.scored] + [d for d in found if not d.scored]


def years(db: Database, form: Definition, today: dt.date) -> tuple[list[int], int | None]:
    """The form's cycle years, newest first, and the year under way: the newest whose window has opened by `today`,
    else the first one (None: the form has no cycle)."""
    cycles = data.cycle_openings(db, form.id)
    opened = [year for year, opens in cycles if _day(opens) <= today]
    return [year for year, _opens in cycles], opened[0] if opened else (cycles[-1][0] if cycles else None)


def unit_years(db: Database, form: Definition, *, year: int | None, clusters: list[str], query: str,
               today: dt.date, units: list[str] | None = None, columns: tuple[str, ...] | None = None) -> list[dict]:
    """Every unit (of `clusters`, found by `query`, of `units` when given) and cycle year (`year` only, when given) of
    the form, newest year first, each row with its `status`: one query whatever the number of units, and one more for
    the answers a `requires … when` is checked on, when a unit that has done nothing on the form has submitted the
    form it requires.

    With `columns`, each row keeps only those and its status: the rows are read one at a time, and of a row whose
    status waits for those answers only its two sides are held until they are read (at national scale the whole rows
    held together were ~100 MB for a moment, which the worker's memory kept afterwards)."""
    required = registry.required_form(db, form)
    rows = data.unit_years(db, form.id, required.id if required else None, year=year, clusters=clusters, query=query,
                           units=units)
    when = form.requirements[0].when if required is not None else None
    kept, pending = [], []  # pending: (row, its key, the form's side, the required form's) waiting for the answers
    for row in rows:
        own = side_of(row, "", form.scored)
        theirs = None if required is None or _own(own, today) is not None else side_of(row, "r_", required.scored)
        shown = row if columns is None else {name: row[name] for name in columns}
        if theirs is not None and when is not None and theirs.submission == "submitted":
            pending.append((shown, (row["unit_code"], row["year"]), own, theirs))
        else:
            shown["status"] = status(own, theirs, today)
        kept.append(shown)
    answers = data.submitted_answers(db, required.id, year, condition_questions(when), units,
                                     only={key for _row, key, _own, _theirs in pending}) if pending else {}
    for row, key, own, theirs in pending:
        row["status"] = status(own, replace(theirs, meets=holds(when, answers.get(key, {}))), today)
    return kept


@dataclass(frozen=True)
class Listing:
    """(unit, year, status) of every row `unit_years` gives, in its order, and how many rows have each status."""

    items: tuple[tuple[str, int, str], ...]
    counts: dict[str, int]


def listing(db: Database, form: Definition, *, year: int | None, clusters: list[str], query: str,
            today: dt.date, database_file: Path | None = None) -> Listing:
    """The board's rows as `Listing`: computed once (and per day: a window opens and closes with the date), then kept
    (`summaries.kept`); after a write, the statuses of the units written are computed again, the others kept.

    After a write that may change every unit (a unit imported, a window set: seconds at national scale), the board
    as shown (`database_file` given: forms.db's path) is the one kept before, while a thread of its own computes it
    again (`catching_up`). The queue, which the office acts on, never passes it: it is computed at once."""
    def statuses(on: Database, units: list[str] | None) -> list[tuple[str, int, str]]:
        # Kept for as long as the data stands, in every worker: a unit's code is one string whichever form's board
        # holds it, and a year one number (SQLite gives a new object of each per row: ~5 MB more per board at 50,000
        # units).
        years: dict[int, int] = {}
        return [(sys.intern(row["unit_code"]), years.setdefault(row["year"], row["year"]), row["status"])
                for row in unit_years(on, form, year=year, clusters=clusters, query=query, today=today, units=units,
                                      columns=("unit_code", "year"))]

    def compute_on(on: Database) -> Listing:
        return _listing(tuple(statuses(on, None)))

    def refresh(kept: Listing, units: set[str]) -> Listing:
        if not units:
            return kept
        now = {(unit, item_year): status for unit, item_year, status in statuses(db, sorted(units))}
        return _listing(tuple((unit, item_year, now.get((unit, item_year), status)) if unit in units
                              else (unit, item_year, status) for unit, item_year, status in kept.items))

    return summaries.kept(db, "board", (form.id, form.version, year, tuple(clusters), query, today), compute_on,
                          refresh, file=database_file)


def catching_up() -> bool:
    """Whether a board is being computed again after a write that may change every unit (the one shown was computed
    before it)."""
    return summaries.behind("board")


def _listing(items: tuple[tuple[str, int, str], ...]) -> Listing:
    return Listing(items, _counts(items))


def _counts(items) -> dict[str, int]:
    """How many items (whose last element is their status) have each status, every status named."""
    return {code: 0 for code in STATUSES} | Counter(map(itemgetter(-1), items))


def queue(db: Database, form: Definition, *, year: int | None, clusters: list[str], query: str,
          statuses: tuple[str, ...], meets: str, today: dt.date) -> tuple[tuple[str, int, str], ...]:
    """The items of `listing` of these statuses, in its order; only those whose result meets the recognition rule
    (`meets` "yes"), or only those whose result does not ("no"), when asked: kept as `listing` is."""
    def compute(on: Database) -> tuple[tuple[str, int, str], ...]:
        kept = [item for item in listing(on, form, year=year, clusters=clusters, query=query, today=today).items
                if item[2] in statuses]
        if meets:
            found = meeting(on, form.id, [(unit, item_year) for unit, item_year, _status in kept])
            kept = [item for item in kept if found[item[:2]] is (meets == "yes")]
        return tuple(kept)

    return summaries.kept(db, "queue", (form.id, form.version, year, tuple(clusters), query, statuses, meets, today),
                          compute)


def rows_of(db: Database, form: Definition, keys: list[tuple[str, int]], today: dt.date) -> list[dict]:
    """The whole rows of `unit_years` for these (unit, year) pairs, in their order: a page's, read through the units'
    key whatever the number of units."""
    if not keys:
        return []
    years = {year for _unit, year in keys}
    found = unit_years(db, form, year=years.pop() if len(years) == 1 else None, clusters=[], query="", today=today,
                       units=sorted({unit for unit, _year in keys}))
    by_key = {(row["unit_code"], row["year"]): row for row in found}
    return [by_key[key] for key in keys if key in by_key]


def year_summary(db: Database, clusters: list[str]) -> list[dict]:
    """Per form and year: submitted, drafts, average total of the submitted, recognised (units of `clusters` only when
    given), newest year first: read from the sums triggers keep per form, year and cluster (`year_counts`)."""
    return summary_data.year_summary(db, clusters)


@dataclass(frozen=True)
class Page:
    """One page of the board: its rows, the counts per status over every row the other filters keep, and where it is."""

    rows: list[dict]
    counts: dict[str, int]
    total: int  # rows kept, the status filter included
    page: int
    pages: int
    per_page: int

    @property
    def first(self) -> int:
        """The position of the page's first row (1-based; 0 on an empty page)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0


def paged(rows: list[dict], statuses: tuple[str, ...] | None, page: int, per_page: int) -> Page:
    """The rows of these statuses (every row when None), counted per status beforehand, cut to one page (a page past
    the last gives the last one). Pure."""
    found = paged_listing([(row, row["status"]) for row in rows], statuses, page, per_page)
    return Page([row for row, _status in found.rows], found.counts, found.total, found.page, found.pages, per_page)


def paged_listing(items: list | tuple, statuses: tuple[str, ...] | None, page: int, per_page: int,
                  counts: dict[str, int] | None = None) -> Page:
    """`paged` on items whose last element is their status (`Listing.items`: (unit, year, status)): the page's items
    as they are; `counts` when they are already known (`Listing.counts`). Pure."""
    counts = counts or _counts(items)
    kept = items if statuses is None else [item for item in items if item[-1] in statuses]
    pages = max(1, -(-len(kept) // per_page))
    page = min(max(1, page), pages)
    return Page(list(kept[(page - 1) * per_page:page * per_page]), counts, len(kept), page, pages, per_page)


def with_standings(db: Database, rows: list[dict]) -> list[dict]:
    """The rows each with `standing`, its final result as the review page shows it (adjustments applied; None
    without a submitted scored form), `meets`, whether that result meets the recognition rule (None without one),
    and the `definition` it was answered on: read from the stored scores in two queries for all the rows, nothing
    scored again (`verdict.standings`)."""
    found = verdict.standings(db, [(row["unit_code"], row["form_id"], row["year"]) for row in rows])
    versions: dict[tuple[str, int], Definition | None] = {}
    for row in rows:
        row["standing"] = found.get((row["unit_code"], row["form_id"], row["year"]))
        row["meets"] = verdict.meets(row["standing"])
        key = (row["form_id"], row["form_version"])
        if row["standing"] is not None and key not in versions:
            versions[key] = registry.definition(db, *key)
        row["definition"] = versions.get(key)
    return rows


def meeting(db: Database, form_id: str, keys: list[tuple[str, int]]) -> dict[tuple[str, int], bool | None]:
    """{(unit, year): whether its final result meets the recognition rule (None without one)} of the form, read from
    the stored scores as `with_standings` does (two queries for all of them)."""
    found = verdict.standings(db, [(unit, form_id, year) for unit, year in keys])
    return {(unit, year): verdict.meets(found.get((unit, form_id, year))) for unit, year in keys}


def why(row: dict, lang: str) -> str | None:
    """The sentence of why a row's standing (`with_standings`) meets the recognition rule or not (`verdict.why`)."""
    if row.get("standing") is None or row.get("definition") is None:
        return None
    return verdict.why(row["standing"], row["definition"], lang)


def decided_together(db: Database, form: Definition, year: int, decision_no: str, decided_on: str,
                     clusters: list[str]) -> list[dict]:
    """The units whose decision in force for the form and year was recorded under this number and date (one batch)."""
    return data.decided_together(db, form.id, year, decision_no, decided_on, clusters)


# The review page: the registration's targets beside the results

NUMBERS = ("integer", "number")


def targets(db: Database, definition: Definition, unit_code: str, year: int, report: dict | None,
            lang: str) -> list[dict]:
    """The targets the unit registered for the year beside the results it reports (`pair_targets`), read from its
    submitted answers to the form `definition` requires (the version it answered); empty without one."""
    required = registry.required_form(db, definition)
    if required is None or report is None:
        return []
    submission = submitting.find(db, unit_code, required.id, year)
    if submission is None or submission["status"] != "submitted":
        return []
    answered = registry.definition(db, required.id, submission["form_version"]) or required
    answers = submitting.revision_answers(db, submission["id"], submission["submitted_revision"]) or {}
    return pair_targets(answered, answers, definition, report, lang)


def pair_targets(required: Definition, answers: dict, definition: Definition, report: dict, lang: str) -> list[dict]:
    """Per criterion of `definition`, in its order: the targets set for it and the results reported on it. Pure.

    The rule, generic (no form or question named): a target is a number question of the required form (the
    registration's "chỉ tiêu … dùng để đối chiếu") that carries a `criterion` and was answered; the results beside it
    are the answered number questions of `definition` carrying the same criterion, and the criterion's points of the
    report. A criterion without a target is left out. Each entry: criterion, label, targets and results (each a list of
    {label, value, unit}), points and max_points.
    """
    found: dict[str, dict] = {}
    for question in required.questions:
        if question.type in NUMBERS and question.criterion and answers.get(question.id) is not None:
            found.setdefault(question.criterion, {"targets": [], "results": [], "points": 0.0, "max_points": 0.0})[
                "targets"].append(_measure(question, answers[question.id], lang))
    for entry in report["questions"]:
        slot = found.get(entry["criterion"])
        question = definition.question(entry["id"])
        if slot is None or question is None:
            continue
        slot["points"] += entry["points"] or 0.0
        slot["max_points"] += entry["max_points"] or 0.0
        if question.type in NUMBERS and entry["visible"] and entry["answer"] is not None:
            slot["results"].append(_measure(question, entry["answer"], lang))
    labels = {c.id: c.label.get(lang) for c in definition.criteria}
    order = [c.id for c in definition.criteria]
    return [{"criterion": c, "label": labels.get(c, ""), **found[c]}
            for c in sorted(found, key=lambda c: order.index(c) if c in order else len(order))]


def _measure(question, value, lang: str) -> dict:
    return {"label": question.label.get(lang), "value": value, "unit": question.unit.get(lang) if question.unit else ""}
