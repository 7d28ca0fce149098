"""The unit's report on paper: its submitted revision, answers as a person reads them, points and rules, to sign and
stamp (exports/templates/unit_report.html)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exports import papers
from form_definitions import Definition
from forms_app.data import clock
from forms_app.data.connection import Database
from forms_app.rules import certificates, submitting, uploads
from forms_app.rules.units import find_unit
from scoring import score
from scoring.numbers import fmt

# What the unit leaves blank for its own register: "Số:      -BC/ĐTN" (non-breaking spaces keep the room on paper).
BLANK_NUMBER = "\u00a0" * 10 + "-BC/ĐTN"
SUPERIOR = "BAN CHẤP HÀNH ĐOÀN TRƯỜNG"  # when the issuer's lines say nothing better
SIGNER_ROLE = "TM. BAN CHẤP HÀNH\nBÍ THƯ"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV")


class NotSubmitted(Exception):
    """The unit has no submitted revision of that form for that year: nothing to sign."""


def paper_values(db: Database, data_dir: Path, unit_code: str, form_id: str, year: int) -> dict | None:
    """What the unit's report prints: heading, title, the submitted revision's answers by section with their points
    and rules (none for a form without a result), section totals against pass marks, total and band. None when the
    unit or the form does not exist; NotSubmitted when nothing was submitted."""
    unit = find_unit(db, unit_code)
    submission = submitting.find(db, unit_code, form_id, year)
    definition = submitting.definition_for(db, submission, form_id)
    if unit is None or definition is None:
        return None
    if not submission or not submission["submitted_revision"]:
        raise NotSubmitted(unit_code)
    number = submission["submitted_revision"]
    answers = submitting.revision_answers(db, submission["id"], number) or {}
    lang = definition.default_language
    title = definition.title.get(lang)
    report = score(definition, answers, lang=lang)
    files = uploads.describe(db, [v for v in answers.values() if isinstance(v, str)])
    issuer, _public_url = certificates.settings(data_dir)
    return {
        "superior": _superior(issuer), "body": f"BCH {unit['name']}".upper(), "number": BLANK_NUMBER,
        "place": getattr(issuer, "place", "") or "Hà Nội", "day": clock.local(submission["submitted_at"]).date(),
        "unit": unit, "year": year, "revision": number, "form_title": title, "topic": topic(title),
        "scored": definition.scored, "sections": _sections(definition, report, files, lang),
        "total": _total(report, lang) if definition.scored else None,
        "signer_role": SIGNER_ROLE, "recipient_lines": _recipients(unit),
    }


def paper_pdf(db: Database, data_dir: Path, unit_code: str, form_id: str, year: int) -> bytes | None:
    """The unit's report as PDF bytes (None, NotSubmitted: as `paper_values`)."""
    values = paper_values(db, data_dir, unit_code, form_id, year)
    return None if values is None else papers.render("unit_report.html", **values)


def topic(title: str) -> str:
    """What the report is about, from the form's title: "Báo cáo tự đánh giá X" → "tự đánh giá X" (the paper's
    heading already says BÁO CÁO), its first letter lower-cased to sit inside a sentence."""
    words = title.split(" ", 2)
    if len(words) > 2 and " ".join(words[:2]).casefold() == "báo cáo":
        title = words[2]
    return title[:1].lower() + title[1:]


def _superior(issuer: Any) -> str:
    # Another issuer line may name the superior level; the executive committee's name otherwise.
    return (getattr(issuer, "superior", "") or getattr(issuer, "organisation", "") or SUPERIOR).upper()


def _recipients(unit: dict) -> list[str]:
    return ["Ban Thường vụ Đoàn trường (để báo cáo)", f"Lưu: Văn phòng {unit['name']}"]


def _sections(definition: Definition, report: dict, files: dict, lang: str) -> list[dict]:
    """Each section with its visible questions (answer lines, points, rule) and its score against its pass mark."""
    found = []
    for index, section in enumerate(report["sections"]):
        rows = [_row(definition.question(q["id"]), q, files, lang)
                for q in report["questions"] if q["section"] == section["id"] and q["visible"]]
        found.append({
            **_numbered(section["title"], index), "rows": rows,
            "score": fmt(section["score"], lang), "max": fmt(section["max"], lang),
            "pass_min": None if section["pass_min"] is None else fmt(section["pass_min"], lang),
            "passed": section["passed"],
        })
    return found


def _numbered(title: str, index: int) -> dict:
    """The section's heading and its short name: its own number when its title starts with one ("2.1. …" → "2.1"),
    else a Roman numeral."""
    first = title.split(" ", 1)[0].rstrip(".")
    if first.replace(".", "").isdigit():
        return {"heading": title, "name": first}
    numeral = ROMAN[index] if index < len(ROMAN) else str(index + 1)
    return {"heading": f"{numeral}. {title}", "name": numeral}


def _row(question, entry: dict, files: dict, lang: str) -> dict:
    scored = entry["max_points"] > 0 or not entry["applicable"]
    return {
        "label": entry["label"], "criterion": entry["criterion"], "lines": answer_lines(question, entry["answer"], files, lang),
        "points": None if not scored else ("Không áp dụng" if not entry["applicable"]
                                           else f"{fmt(entry['points'], lang)}/{fmt(entry['max_points'], lang)}"),
        "rule": entry["rule"] if question.has_rule else "",
    }


def answer_lines(question, value: Any, files: dict, lang: str = "vi") -> list[str]:
    """An answer as a person reads it, one line per item: choice labels, Có/Không, numbers with their unit, dates as
    05/03/2022, files by their original names, a multiple choice as a list; [] when unanswered."""
    if value is None or value == "" or value == []:
        return []
    if question.type == "boolean":
        return ["Có" if value else "Không"]
    if question.type in ("single_choice", "multi_choice"):
        values = value if isinstance(value, list) else [value]
        return [c.label.get(lang) if (c := question.choice(v)) else str(v) for v in values]
    if question.type == "date":
        return [papers.short_date(value)]
    if question.type in ("integer", "number"):
        return [fmt(value, lang, 4) + (f" {question.unit.get(lang)}" if question.unit else "")]
    if question.type == "file":
        return [files[value]["original_name"] if value in files else str(value)]
    return str(value).splitlines() or [str(value)]


def _total(report: dict, lang: str) -> dict:
    return {"score": fmt(report["total"], lang), "max": fmt(report["max_total"], lang), "band": report["band"],
            "recognised": report["recognised"]}
