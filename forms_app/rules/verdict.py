"""Whether a unit's result meets its form's recognition rule, and why, in one sentence.

The confirmation of a decision, the review page's summary, the refusal of a recognition without a reason and the
comment of a decision not to recognise (the demo's too) all say it with `why()`: the total against the rule's
`total_at_least`, each section against its pass mark, both as the score report gives them (scaled to what applied),
sections named by their titles.

`why()` reads a score report (`scoring.score`, with the reviewers' adjustments) or a standing: the same numbers
read from the stored scores (`standings`), so that a decision for a whole year's units scores nothing again.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from form_definitions import Definition
from forms_app.data import decisions as data
from forms_app.data.connection import Database
from forms_app.rules import messages, registry
from scoring.numbers import fmt
from scoring.report import reaches, recognised, rounded, scaled

Key = tuple[str, str, int]  # (unit code, form id, cycle year)

WORDS: messages.Catalogue = {
    "holds": {"vi": "Đơn vị đạt điều kiện công nhận: {details}.",
              "en": "The unit meets the conditions for recognition: {details}."},
    "fails": {"vi": "Đơn vị chưa đạt điều kiện công nhận: {details}.",
              "en": "The unit does not meet the conditions for recognition: {details}."},
    "total": {"vi": "tổng điểm {score}/{max} {sign} {mark}", "en": "a total of {score}/{max} {sign} {mark}"},
    "section": {"vi": "{section} đạt {score}/{max} {sign} {mark}", "en": "{section} scored {score}/{max} {sign} {mark}"},
    "every_section": {"vi": "mọi nhóm đạt điểm tối thiểu", "en": "every section reaches its pass mark"},
    "numbered": {"vi": "nhóm {number}", "en": "section {number}"},
    "titled": {"vi": "nhóm “{title}”", "en": "section “{title}”"},
}
_NUMBERED = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?\s")  # "2.3. Chủ động tham mưu…" is "nhóm 2.3"


def meets(report: Mapping | None) -> bool | None:
    """Whether the result meets the recognition rule; None without a result or without a rule."""
    return None if report is None else report.get("recognised")


def why(report: Mapping | None, definition: Definition, lang: str = "vi") -> str | None:
    """The sentence of why recognition holds or fails, e.g. "Đơn vị chưa đạt điều kiện công nhận: nhóm 2.3 đạt
    11/20 < 14."; None for a form without a recognition rule (a registration) or without a result to read.

    A failing result names only what fails (the total, each section under its pass mark); a holding one says each
    condition of the rule that holds.
    """
    result = definition.result
    if report is None or result is None or not result.has_recognition_rule:
        return None
    failing, holding = [], []
    if result.total_at_least is not None:
        full, applicable = report.get("full_max_total", report["max_total"]), report["max_total"]
        ok = reaches(report["total"], result.total_at_least, full, applicable)
        mark = scaled(result.total_at_least, full, applicable)
        (holding if ok else failing).append(_compare("total", lang, report["total"], report["max_total"], mark, ok))
    if result.all_sections_pass:
        titles = {s.id: s.title.get(lang) for s in definition.sections}
        low = [_compare("section", lang, s["score"], s["max"], s["pass_min"], False, section=_name(titles[s["id"]], lang))
               for s in report["sections"] if not s["passed"] and s.get("pass_min") is not None]
        failing += low
        if not low:
            holding.append(messages.text(WORDS, "every_section", lang))
    if failing:
        return messages.text(WORDS, "fails", lang, details="; ".join(failing))
    return messages.text(WORDS, "holds", lang, details="; ".join(holding))


def _name(title: str, lang: str) -> str:
    """A section as a sentence names it: "nhóm 2.3" for a numbered title, else its title in quotes."""
    match = _NUMBERED.match(title or "")
    if match:
        return messages.text(WORDS, "numbered", lang, number=match[1])
    return messages.text(WORDS, "titled", lang, title=title)


def _compare(what: str, lang: str, score: float, maximum: float, mark: float, ok: bool, **params) -> str:
    """"tổng điểm 65/100 < 70": the score and the mark with as many decimals as it takes not to read as equal."""
    for digits in (2, 4, 6):
        shown, limit = fmt(score, lang, digits), fmt(mark, lang, digits)
        if shown != limit or score == mark:
            break
    return messages.text(WORDS, what, lang, score=shown, max=fmt(maximum, lang, digits), mark=limit,
                         sign="≥" if ok else "<", **params)


# Standings: the final result of submitted forms, read from their stored scores

def standings(db: Database, keys: Iterable[Key]) -> dict[Key, dict]:
    """For each (unit, form, year) of `keys` whose form has a result and was submitted: its final result in the
    shape of a score report (`total`, `max_total`, `full_max_total`, `recognised`, `sections` with `id`, `score`,
    `max`, `full_max`, `pass_min`, `passed`) — the reviewers' adjustments applied, as the review page shows it."""
    rows, sections = stored(db, keys)
    found = {}
    versions: dict[tuple[str, int], object] = {}  # each version read once, not once per unit
    for key, row in rows.items():
        version = (row["form_id"], row["form_version"])
        if version not in versions:
            versions[version] = registry.definition(db, *version)
        definition = versions[version]
        if definition is not None and definition.scored and row["status"] == "submitted":
            found[key] = standing(definition, row, sections.get(row["id"], {}))
    return found


def stored(db: Database, keys: Iterable[Key]) -> tuple[dict[Key, dict], dict[int, dict[str, dict]]]:
    """The submissions of `keys` that exist ({key: row}: status, version, stored and adjusted totals) and their
    sections' stored rows ({submission id: {section id: row}}), in a few statements whatever their number."""
    submissions, sections = data.stored_results(db, list(dict.fromkeys(keys)))
    by_submission: dict[int, dict[str, dict]] = {}
    for row in sections:
        by_submission.setdefault(row["submission_id"], {})[row["section_id"]] = row
    return {(row["unit_code"], row["form_id"], row["cycle_year"]): row for row in submissions}, by_submission


def standing(definition: Definition, submission: Mapping, sections: Mapping[str, Mapping]) -> dict:
    """One submission's final result from its stored row and its sections' stored rows ({section id: row})."""
    total = submission["adjusted_total"] if submission["adjusted_total"] is not None else submission["total"]
    full_total = rounded(definition.maximum)
    max_total = submission["max_total"] if submission["max_total"] is not None else full_total
    entries = []
    for section in definition.sections:
        row = sections.get(section.id)
        full = rounded(section.maximum)
        applicable = row["max"] if row else full
        score = (row["adjusted_score"] if row and row["adjusted_score"] is not None else row["score"]) if row else 0.0
        entries.append({
            "id": section.id, "score": score, "max": applicable, "full_max": full,
            "pass_min": scaled(section.pass_min, full, applicable),
            "passed": section.pass_min is None or reaches(score, section.pass_min, full, applicable),
        })
    return {"total": total, "max_total": max_total, "full_max_total": full_total, "sections": entries,
            "recognised": recognised(definition.result, total, [s["passed"] for s in entries], full_total, max_total)}
