"""The standing committee's written decisions, imported from CSV or XLSX: every row checked first, then all recorded or none.

A row is checked by the one rule of a decision (`deciding.check_decision`, the review page's): what the file itself
can get wrong (an unknown unit, form or year, a decision or commendation not understood, a unit twice) is checked
here, everything else there — a number and a date for a recognition or a withdrawal, a `reason` (`lý do`) to
recognise a unit whose result does not meet the rule or to withdraw a recognition, a registration accepted, not
recognised. Problems are values (row number, code, parameters); their sentences are in `deciding.MESSAGES`, the one
catalogue of the decisions' refusals, worded for a file's row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from forms_app.data import audit, clock
from forms_app.data import cycles as data_cycles
from forms_app.data import definitions as data_definitions
from forms_app.data.connection import Database, write
from forms_app.data.text import fold_name
from forms_app.rules import deciding, messages, units
from forms_app.rules.deciding import DecisionError, check_decision, current_decision, record_decision
from forms_app.rules.units import read_table

# Accepted header spellings, English and Vietnamese, compared without case, diacritics or underscores.
HEADERS = {
    "unit": ("unit", "unit code", "unit_code", "code", "ma don vi", "ma dv", "don vi", "ma"),
    "form": ("form", "form id", "form_id", "bieu mau", "ma bieu mau"),
    "year": ("year", "cycle year", "cycle_year", "nam"),
    "decision": ("decision", "quyet dinh", "ket qua"),
    "decision_no": ("decision no", "decision number", "so quyet dinh", "so qd"),
    "decided_on": ("decided on", "decision date", "ngay quyet dinh", "ngay qd", "ngay"),
    "comment": ("comment", "nhan xet", "ghi chu"),
    "reason": ("reason", "ly do"),
    "commendation": ("commendation", "tuyen duong", "de nghi tuyen duong"),
}
REQUIRED = ("unit", "form", "year", "decision", "decision_no", "decided_on")
DECISIONS = {
    "recognised": "recognised", "recognized": "recognised", "cong nhan": "recognised",
    "not recognised": "not_recognised", "not recognized": "not_recognised", "khong cong nhan": "not_recognised",
    "withdrawn": "withdrawn", "thu hoi": "withdrawn", "thu hoi cong nhan": "withdrawn",
    "accepted": "accepted", "tiep nhan": "accepted", "da tiep nhan": "accepted",
}
YES = {"1", "x", "yes", "true", "co", "y"}
NO = {"", "0", "no", "false", "khong", "n"}


@dataclass(frozen=True)
class Problem:
    """One reason a file is refused: its row as a spreadsheet shows it (0: the whole file), a code, values."""

    row: int
    code: str
    params: dict = field(default_factory=dict)

    def message(self, lang: str = "vi") -> str:
        """`Dòng 7: …` (or `Row 7: …`) and the sentence for this problem."""
        return messages.row_prefix(self.row, lang) + deciding.message(self.code, lang, "file", **self.params)


def _year(text: str) -> int | None:
    match = re.fullmatch(r"(\d{4})(?:\.0+)?", text.strip())  # a spreadsheet may hold 2022 as 2022.0
    return int(match[1]) if match else None


def parse(db: Database, path: Path, today: dt.date | None = None) -> tuple[list[dict], list[Problem]]:
    """The decisions a file asks for, and every problem found in it (nothing is written)."""
    today = today or clock.today()
    rows, index, problem = read_table(path, HEADERS, REQUIRED)
    if problem:
        return [], [Problem(*problem)]
    forms = set(data_definitions.form_ids(db))
    cycles: dict[str, list[int]] = {}
    for form_id, year in data_cycles.pairs(db):
        cycles.setdefault(form_id, []).append(year)
    wanted, problems, seen, state = [], [], {}, {}
    for number, row in rows:
        def cell(key: str) -> str:
            return row[index[key]].strip() if key in index and index[key] < len(row) else ""

        entry, found = _read_row(db, number, cell, forms, cycles)
        key = (entry["unit"], entry["form"], entry["year"])
        if key in seen:
            found.append(Problem(number, "duplicate", {"first": seen[key]}))
        seen.setdefault(key, number)
        if not found:
            # Earlier rows of the file count as decided (a withdrawal may follow a recognition in the same file).
            current = state[key] if key in state else current_decision(db, *key)
            _row, refusals = check_decision(db, *key, entry["kind"], comment=entry["comment"], reason=entry["reason"],
                                            decision_no=entry["decision_no"], decided_on=entry["decided_on"],
                                            commendation=entry["commendation"], today=today, current=current)
            found += [Problem(number, r.code, {**r.params, "value": cell(r.field) if r.field in index else ""})
                      for r in refusals]
            state[key] = {"decision": entry["kind"]}
        problems += found
        wanted.append(entry)
    if not wanted:
        problems.append(Problem(0, "empty"))
    return wanted, problems


def _read_row(db: Database, number: int, cell, forms: set[str], cycles: dict[str, list[int]]) -> tuple[dict, list[Problem]]:
    """One row's decision as the file writes it, and what is wrong with its cells."""
    found: list[Problem] = []
    unit, form_id, year = cell("unit"), cell("form"), _year(cell("year"))
    kind = DECISIONS.get(fold_name(cell("decision")))
    if not units.unit_exists(db, unit):
        found.append(Problem(number, "unknown_unit", {"unit": unit[:40]}))
    if form_id not in forms:
        found.append(Problem(number, "unknown_form", {"form": form_id[:60]}))
    elif year is None or year not in cycles.get(form_id, []):
        years = cycles.get(form_id, [])
        found.append(Problem(number, "year", {"value": cell("year")[:20], "form": form_id,
                                              "years": f"{years[0]}–{years[-1]}" if years else "—"}))
    if kind is None:
        found.append(Problem(number, "decision", {"value": cell("decision")[:40]}))
    commendation = fold_name(cell("commendation"))
    if commendation not in YES | NO:
        found.append(Problem(number, "commendation_value", {"value": cell("commendation")[:20]}))
    entry = {"row": number, "unit": unit, "form": form_id, "year": year, "kind": kind, "comment": cell("comment"),
             "reason": cell("reason"), "decision_no": cell("decision_no"), "decided_on": cell("decided_on"),
             "commendation": commendation in YES}
    return entry, found


def import_decisions(db: Database, path: Path, actor: str = "cli", today: dt.date | None = None) -> tuple[int, list[Problem]]:
    """Record every decision of a file in one transaction (source 'import'); (count, problems), nothing written on a problem."""
    wanted, problems = parse(db, path, today)
    if problems:
        return 0, problems
    try:
        with write(db):
            for entry in wanted:
                try:
                    record_decision(db, entry["unit"], entry["form"], entry["year"], entry["kind"], actor,
                                    comment=entry["comment"], reason=entry["reason"], decision_no=entry["decision_no"],
                                    decided_on=entry["decided_on"], commendation=entry["commendation"],
                                    source="import", today=today)
                except DecisionError as exc:
                    raise _RowRefused(entry["row"], exc) from exc
            audit.record(db, actor, "decisions_imported", None, None, None, {"file": path.name, "count": len(wanted)})
    except _RowRefused as refused:  # changed between the check and the write: nothing was kept
        return 0, [Problem(refused.row, r.code, r.params) for r in refused.error.refusals]
    return len(wanted), []


class _RowRefused(Exception):
    def __init__(self, row: int, error: DecisionError):
        super().__init__(row)
        self.row, self.error = row, error

