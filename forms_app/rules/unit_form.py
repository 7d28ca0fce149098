"""The form of one unit for one cycle year, read in one place: what every page about it needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from form_definitions import Definition
from forms_app.data import decisions as data_decisions
from forms_app.data.connection import Database
from forms_app.rules import registry, requirements, submitting, units, windows


@dataclass(frozen=True)
class UnitForm:
    """One unit's form for one cycle year: the unit, the definition version it is (or will be) answered on, its window
    for this unit, its submission and the standing committee's decision in force, and what the unit may do now."""

    unit_code: str
    unit: dict | None
    definition: Definition
    year: int
    window: windows.Window
    today: dt.date
    submission: dict | None
    decision: dict | None
    missing: tuple[requirements.Unmet, ...]  # requirements not met: a required form not submitted, or its `when` not met

    @property
    def state(self) -> str:
        """not_open, open, closed or decided (see `Window.state`)."""
        return self.window.state(self.today)

    @property
    def blocked_by(self) -> str | None:
        """Why the unit cannot change the form now — decided, waiting (for a required form), not_open, closed — or None."""
        if self.state == "decided":
            return "decided"
        if self.missing:
            return "waiting"
        if self.state in ("not_open", "closed"):
            return self.state
        return None

    @property
    def keeps_late_posts(self) -> bool:
        """A post after the deadline is refused but kept (a 'late' revision); before the window or while waiting, not."""
        return self.state == "closed" and not self.missing

    def waiting_for(self, lang: str = "vi") -> list[str]:
        """What must be submitted first, one sentence per requirement not met (naming forms by title)."""
        return [unmet.sentence(self.definition, lang) for unmet in self.missing]

    @property
    def has_answers(self) -> bool:
        return bool(self.submission and self.submission["current_revision"])


def load(db: Database, unit_code: str, form_id: str, year: int, today: dt.date) -> UnitForm | None:
    """The unit's form for the year; None when the form, its cycle for that year or the unit does not exist."""
    unit = units.find_unit(db, unit_code)
    if unit is None:
        return None
    submission = submitting.find(db, unit_code, form_id, year)
    definition = submitting.definition_for(db, submission, form_id)
    if definition is None:
        return None
    decision = data_decisions.current(db, unit_code, form_id, year)
    window = windows.window(db, unit_code, form_id, year, decision=decision)
    if window is None:
        return None
    missing = tuple(requirements.unmet(db, unit_code, definition, year))
    return UnitForm(unit_code, unit, definition, year, window, today, submission, decision, missing)


def of_unit(db: Database, unit_code: str, today: dt.date) -> list[UnitForm]:
    """Every form of every cycle year for one unit (its dashboard), newest year first, required forms first."""
    found = []
    for order, definition in enumerate(registry.latest_definitions(db)):  # forms that others require come first
        for year in windows.cycle_years(db, definition.id):
            form = load(db, unit_code, definition.id, year, today)
            if form is not None:
                found.append((-year, order, form))
    return [form for _year, _order, form in sorted(found, key=lambda entry: entry[:2])]
