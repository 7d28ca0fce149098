"""The office's status board in forms.db: every unit and cycle year of a form in one query, the answers a `requires …
when` is checked on in one more, and the units one batch decision was recorded for.

The statuses themselves are derived in `forms_app.rules.board` from what `unit_years` returns.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from forms_app.data.connection import Database
from forms_app.data.submissions import answer_value
from forms_app.data.units import unit_filter

# One form's side of a unit and year, the columns prefixed {p}: its cycle, the unit's extension, its submission and the
# decision in force; the form's id is the one parameter of its joins.
_SIDE = ("{p}c.opens AS {p}opens, {p}c.closes AS {p}closes, {p}e.closes AS {p}extension, "
         "{p}s.id AS {p}submission_id, {p}s.status AS {p}status, {p}s.submitted_at AS {p}submitted_at, "
         "{p}d.decision AS {p}decision, {p}d.reopen_until AS {p}reopen_until, {p}d.recorded_at AS {p}decided_at")
_SIDE_JOINS = (
    " LEFT JOIN extensions {p}e ON {p}e.unit_code = u.code AND {p}e.form_id = {p}c.form_id AND {p}e.cycle_year = c.cycle_year"
    " LEFT JOIN submissions {p}s ON {p}s.unit_code = u.code AND {p}s.form_id = {p}c.form_id AND {p}s.cycle_year = c.cycle_year"
    " LEFT JOIN decisions {p}d ON {p}d.unit_code = u.code AND {p}d.form_id = {p}c.form_id AND {p}d.cycle_year = c.cycle_year"
    " AND {p}d.is_current = 1")


def unit_years(db: Database, form_id: str, required_id: str | None, *, year: int | None, clusters: list[str],
               query: str, units: list[str] | None = None) -> Iterator[dict]:
    """One row per unit and cycle year of the form (`year` only, when given), newest year first, then by cluster and
    code: the unit, the form's side and, prefixed `r_`, the side of the form it requires (`required_id`; NULL
    without one, or without a cycle that year). Units limited to `clusters` and found by `query` as
    `units.unit_filter` does, and to `units` (codes) when given: one page's rows, read through the units' key.

    Each side: opens, closes (the cycle's), extension (the unit's deadline), submission_id, status, submitted_at,
    decision, reopen_until, decided_at (of the decision in force). The form's side also carries its id, the submission's
    version, revisions and scores and the decision's number and date.

    The rows come one at a time, as SQLite gives them: at national scale the whole list would hold ~100 MB for a moment
    (50,000 dicts of 35 keys), which the worker's memory would keep afterwards.
    """
    where, params = unit_filter(clusters, query)
    if year is not None:
        where, params = (where + " AND " if where else "WHERE ") + "c.cycle_year = ?", [*params, year]
    order = "u.cluster, u.code"
    if units is not None:
        where, params = (where + " AND " if where else "WHERE ") + _in("u.code", units), [*params, *units]
        order = "+u.cluster, +u.code"  # a page's units read by their key, then sorted; not all units in cluster order
    sql = ("SELECT u.code AS unit_code, u.name AS unit_name, u.cluster, c.form_id, c.cycle_year AS year, s.form_version, "
           "s.submitted_revision, s.current_revision, s.total, s.adjusted_total, s.max_total, s.band, s.recognised, "
           "d.decision_no, d.decided_on, " + _SIDE.format(p="") + ", " + _SIDE.format(p="r_")
           + " FROM units u JOIN cycles c ON c.form_id = ?" + _SIDE_JOINS.format(p="")
           + " LEFT JOIN cycles r_c ON r_c.form_id = ? AND r_c.cycle_year = c.cycle_year" + _SIDE_JOINS.format(p="r_")
           + f" {where} ORDER BY c.cycle_year DESC, {order}")
    return db.query(sql, [form_id, required_id, *params])


def _in(column: str, values: list) -> str:
    return f"{column} IN ({','.join('?' * len(values))})"


def cycle_openings(db: Database, form_id: str) -> list[tuple[int, str]]:
    """(cycle year, opening day) of the form's cycles, newest year first."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT cycle_year, opens FROM cycles WHERE form_id = ? ORDER BY cycle_year DESC", [form_id])]


def submitted_answers(db: Database, form_id: str, year: int | None, question_ids: Iterable[str],
                      units: list[str] | None = None,
                      only: set[tuple[str, int]] | None = None) -> dict[tuple[str, int], dict]:
    """{(unit, year): {question: answer}} of the submitted submissions of the form (of `year` when given, of `units`
    when given, of the (unit, year) pairs `only` names when given), the visible answers of these questions only, read
    back as the unit gave them (what a `requires … when` is checked on)."""
    ids = list(question_ids)
    if not ids:
        return {}
    sql = (f"SELECT s.unit_code, s.cycle_year, a.question_id, a.type, a.value FROM answers a "
           f"JOIN submissions s ON s.id = a.submission_id WHERE s.form_id = ? AND s.status = 'submitted' "
           f"AND a.visible = 1 AND {_in('a.question_id', ids)}"
           + (" AND s.cycle_year = ?" if year is not None else "")
           + (f" AND {_in('s.unit_code', units)}" if units is not None else ""))
    params = [form_id, *ids, *([year] if year is not None else []), *(units if units is not None else [])]
    found: dict[tuple[str, int], dict] = {}
    for unit_code, cycle_year, question_id, kind, value in db.execute(sql, params):
        if only is None or (unit_code, cycle_year) in only:
            found.setdefault((unit_code, cycle_year), {})[question_id] = answer_value(kind, value)
    return found


def decided_together(db: Database, form_id: str, year: int, decision_no: str, decided_on: str,
                     clusters: list[str]) -> list[dict]:
    """The decisions in force of the form and year recorded under one number and date (one batch), by cluster and
    code, with each unit's name and cluster and its certificate's serial when one was made for this decision."""
    where, params = unit_filter(clusters, "")
    return list(db.query(
        "SELECT d.id, d.unit_code, u.name AS unit_name, u.cluster, d.decision, d.comment, d.decision_no, d.decided_on, "
        "d.recorded_by, d.recorded_at, k.serial FROM decisions d JOIN units u ON u.code = d.unit_code "
        "LEFT JOIN certificates k ON k.unit_code = d.unit_code AND k.form_id = d.form_id AND k.cycle_year = d.cycle_year "
        "AND k.decision_id = d.id "
        "WHERE d.form_id = ? AND d.cycle_year = ? AND d.decision_no = ? AND d.decided_on = ? AND d.is_current = 1 "
        + (where.replace("WHERE", "AND", 1) if where else "") + " ORDER BY u.cluster, u.code",
        [form_id, year, decision_no, decided_on, *params]))
