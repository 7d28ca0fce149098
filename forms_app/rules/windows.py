"""When a form is open for a unit: the cycle's window, the unit's extension, a return that reopens it, a decision that
locks it (the forms it `requires` first: forms_app.rules.requirements)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from form_definitions import Definition
from forms_app.data import audit, cycles
from forms_app.data import decisions as data_decisions
from forms_app.data.clock import stamp, today
from forms_app.data.connection import Database, write

# After these decisions the unit can no longer change the form, even inside its window.
LOCKING = ("recognised", "not_recognised", "withdrawn")


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
        if self.decision in LOCKING:
            return "decided"
        if today < self.opens:
            return "not_open"
        if today > self.closes:
            return "closed"
        return "open"

    def days_left(self, today: dt.date) -> int:
        return (self.closes - today).days


def window(db: Database, unit_code: str, form_id: str, cycle_year: int, decision: dict | None = None) -> Window | None:
    """The cycle's window for one unit; None when the form has no such cycle.

    The unit's extension applies; a current decision 'returned' reopens the form until the end of
    its `reopen_until`; a current 'recognised', 'not_recognised' or 'withdrawn' locks it (state
    "decided"). `decision` is the current decision when the caller has already read it.
    """
    found = cycles.dates(db, form_id, cycle_year)
    if found is None:
        return None
    opens, closes = found
    extended = False
    extension = cycles.extension(db, unit_code, form_id, cycle_year)
    if extension is not None and extension > closes:
        closes, extended = extension, True
    if decision is None:
        decision = data_decisions.current(db, unit_code, form_id, cycle_year)
    reopened = None
    if decision is not None and decision["decision"] == "returned" and decision["reopen_until"]:
        reopened = dt.date.fromisoformat(decision["reopen_until"])
        closes = max(closes, reopened)
    return Window(opens, closes, extended=extended, reopened_until=reopened,
                  decision=decision["decision"] if decision else None)


def cycle_years(db: Database, form_id: str) -> list[int]:
    """The form's cycle years, newest first."""
    return cycles.years(db, form_id)


def add_default_windows(db: Database, definition: Definition, years) -> None:
    """The windows of the definition's schedule for these years, where an admin has not set one (inside a transaction)."""
    for year in years:
        cycles.add_default(db, definition.id, year, *definition.schedule.window(year))


def cycle_exists(db: Database, form_id: str, cycle_year: int) -> bool:
    return cycles.exists(db, form_id, cycle_year)


def year_exists(db: Database, cycle_year: int) -> bool:
    """Whether any form has a cycle in this year."""
    return cycles.year_exists(db, cycle_year)


def after_deadline(db: Database, unit_code: str, form_id: str, cycle_year: int, moment: dt.datetime) -> bool:
    """Whether `moment` is past the end of the unit's closing day (its extension included), in Vietnam."""
    deadline = cycles.unit_deadline(db, unit_code, form_id, cycle_year)
    return deadline is not None and today(moment) > deadline


def all_windows(db: Database) -> tuple[list[dict], list[dict]]:
    """(every form's window per year, every unit's extension), newest first: the admin's page."""
    return cycles.all_cycles(db), cycles.all_extensions(db)


def set_window(db: Database, form_id: str, cycle_year: int, opens: dt.date, closes: dt.date, actor: str) -> bool:
    """Change a cycle's window (the definition's dates are only the default), audited; False when there is no such cycle."""
    with write(db):
        changed = cycles.change(db, form_id, cycle_year, opens, closes, actor, stamp())
        if changed:
            audit.record(db, actor, "cycle_changed", None, form_id, cycle_year,
                         {"opens": opens.isoformat(), "closes": closes.isoformat()})
    return changed


def grant_extension(db: Database, unit_code: str, form_id: str, cycle_year: int, closes: dt.date, reason: str | None,
                    actor: str) -> None:
    """Record (or replace) one unit's extended deadline, with an audit entry."""
    with write(db):
        cycles.save_extension(db, unit_code, form_id, cycle_year, closes, reason, actor, stamp())
        audit.record(db, actor, "deadline_extended", unit_code, form_id, cycle_year,
                     {"closes": closes.isoformat(), "reason": reason})
