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
from forms_app.rules import messages, units
from forms_app.rules.messages import Refusal

# After these decisions the unit can no longer change the form, even inside its window (a registration the office
# accepted included: a return reopens it).
LOCKING = ("recognised", "not_recognised", "withdrawn", "accepted")

# The deadlines the office sets must make sense (issue 14): one sentence per refusal, beside its field.
MESSAGES: messages.Catalogue = {
    "window_reversed": {"vi": "Ngày đóng ({closes}) phải sau hoặc bằng ngày mở ({opens}).",
                        "en": "The closing date ({closes}) must be on or after the opening date ({opens})."},
    "extension_past": {"vi": "Hạn mới ({date}) đã qua; hãy chọn một ngày từ hôm nay ({today}) trở đi.",
                       "en": "The new deadline ({date}) has passed; choose a day from today ({today}) on."},
    "extension_earlier": {"vi": "Hạn mới ({date}) sớm hơn hạn hiện tại của đơn vị ({current}); gia hạn chỉ được "
                                "lùi hạn nộp về sau.",
                          "en": "The new deadline ({date}) is before the unit's current deadline ({current}); an "
                                "extension can only move the deadline later."},
    "unknown_cycle": {"vi": "Không có đơn vị hoặc chu kỳ này.", "en": "There is no such unit or cycle."},
}


class WindowError(ValueError):
    """A refused window or extension; nothing was written. `refusals` say why (dates as DD/MM/YYYY in `params`)."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = list(refusals)
        super().__init__(", ".join(r.code for r in self.refusals))

    def messages(self, lang: str = "vi") -> dict[str | None, str]:
        """{field: its sentence(s)} in `lang`."""
        found: dict[str | None, list[str]] = {}
        for refusal in self.refusals:
            found.setdefault(refusal.field, []).append(messages.text(MESSAGES, refusal.code, lang, **refusal.params))
        return {field: " ".join(texts) for field, texts in found.items()}


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Window:
    """When a form is open for one unit and one cycle year (dates inclusive, in the deployment's time zone)."""

    opens: dt.date
    closes: dt.date
    extended: bool = False
    reopened_until: dt.date | None = None  # while returned: the deadline the return gives (the same as `closes`)
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


_UNREAD = object()  # `window`'s decision when the caller did not read it (None: read, and there is none)


def window(db: Database, unit_code: str, form_id: str, cycle_year: int,
           decision: dict | None | object = _UNREAD) -> Window | None:
    """The cycle's window for one unit; None when the form has no such cycle.

    The unit's extension applies; a current decision 'returned' reopens the form until the end of
    its `reopen_until`; a current 'recognised', 'not_recognised' or 'withdrawn' locks it (state
    "decided"). `decision` is the current decision (or None: none) when the caller has already read it.
    """
    found = cycles.dates(db, form_id, cycle_year)
    if found is None:
        return None
    if decision is _UNREAD:
        decision = data_decisions.current(db, unit_code, form_id, cycle_year)
    return unit_window(*found, cycles.extension(db, unit_code, form_id, cycle_year), decision)


def unit_window(opens: dt.date, closes: dt.date, extension: dt.date | None, decision: dict | None) -> Window:
    """The window of one unit from its parts (pure; `window` reads them): the cycle's dates, the unit's extended
    deadline (kept only when later), the current decision (`decision` and `reopen_until` read; None: none)."""
    extended = False
    if extension is not None and extension > closes:
        closes, extended = extension, True
    reopened = None
    if decision is not None and decision["decision"] == "returned" and decision["reopen_until"]:
        # One deadline: a return until a day before the unit's own deadline leaves that deadline, one after it moves it.
        reopened = closes = max(closes, dt.date.fromisoformat(decision["reopen_until"]))
    return Window(opens, closes, extended=extended, reopened_until=reopened,
                  decision=decision["decision"] if decision else None)


def cycle_years(db: Database, form_id: str) -> list[int]:
    """The form's cycle years, newest first."""
    return cycles.years(db, form_id)


def add_default_windows(db: Database, definition: Definition, years) -> None:
    """The windows of the definition's schedule for these years, where an admin has not set one (inside a transaction).

    A window already there is kept, except the first year's when the definition has a `schedule.first_window`: that
    one replaces a default window (another version's rule) but never an admin's. So the order in which versions are
    loaded does not matter.
    """
    schedule = definition.schedule
    for year in years:
        if schedule.first_window is not None and year == schedule.first_year:
            cycles.replace_default(db, definition.id, year, *schedule.first_window)
        else:
            cycles.add_default(db, definition.id, year, *schedule.window(year))


def cycle_exists(db: Database, form_id: str, cycle_year: int) -> bool:
    return cycles.exists(db, form_id, cycle_year)


def year_exists(db: Database, cycle_year: int) -> bool:
    """Whether any form has a cycle in this year."""
    return cycles.year_exists(db, cycle_year)


def all_years(db: Database) -> list[int]:
    """Every year some form has a cycle in, newest first."""
    return cycles.years_of_all(db)


def after_deadline(db: Database, unit_code: str, form_id: str, cycle_year: int, moment: dt.datetime) -> bool:
    """Whether `moment` is past the end of the unit's closing day (its extension included), in Vietnam."""
    deadline = cycles.unit_deadline(db, unit_code, form_id, cycle_year)
    return deadline is not None and today(moment) > deadline


def all_windows(db: Database) -> tuple[list[dict], list[dict]]:
    """(every form's window per year, every unit's extension), newest first: the admin's page."""
    return cycles.all_cycles(db), cycles.all_extensions(db)


def set_window(db: Database, form_id: str, cycle_year: int, opens: dt.date, closes: dt.date, actor: str) -> bool:
    """Change a cycle's window (the definition's dates are only the default), audited; False when there is no such cycle.

    WindowError('window_reversed') when it would close before it opens.
    """
    if closes < opens:
        raise WindowError([Refusal("window_reversed", "closes", {"opens": _day(opens), "closes": _day(closes)})])
    with write(db):
        changed = cycles.change(db, form_id, cycle_year, opens, closes, actor, stamp())
        if changed:
            audit.record(db, actor, "cycle_changed", None, form_id, cycle_year,
                         {"opens": opens.isoformat(), "closes": closes.isoformat()})
    return changed


def grant_extension(db: Database, unit_code: str, form_id: str, cycle_year: int, closes: dt.date, reason: str | None,
                    actor: str, *, on: dt.date | None = None) -> None:
    """Record (or replace) one unit's extended deadline, with an audit entry.

    WindowError when the new deadline is in the past (before `on`, today in Vietnam by default) or before the unit's
    current deadline (its extension, else the cycle's closing day): an extension only moves a deadline later.
    """
    on = on or today()
    with write(db):
        current = cycles.unit_deadline(db, unit_code, form_id, cycle_year)
        if current is None or not units.unit_exists(db, unit_code):
            raise WindowError([Refusal("unknown_cycle", None)])
        refusals = []
        if closes < on:
            refusals.append(Refusal("extension_past", "closes", {"date": _day(closes), "today": _day(on)}))
        if closes < current:
            refusals.append(Refusal("extension_earlier", "closes", {"date": _day(closes), "current": _day(current)}))
        if refusals:
            raise WindowError(refusals)
        cycles.save_extension(db, unit_code, form_id, cycle_year, closes, reason, actor, stamp())
        audit.record(db, actor, "deadline_extended", unit_code, form_id, cycle_year,
                     {"closes": closes.isoformat(), "reason": reason})
