"""The office's papers: the standing committee's recognition decision (Quyết định công nhận, with its annex listing the
units it recognises) and the year's certificate register (sổ cấp giấy chứng nhận), as PDF (and the register as XLSX).

What each paper says is gathered here (data in forms_app.data, the issuer's lines from rules.certificates); how it
is laid out lives in exports/templates/decision.html and register.html (exports.papers renders them).
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from exports import papers
from exports.tables import xlsx_bytes
from forms_app.data import certificates as stored
from forms_app.data import decisions as data_decisions
from forms_app.data.connection import Database
from forms_app.rules import certificates, registry

REGISTER_HEADER = ("Số vào sổ", "Số hiệu giấy chứng nhận", "Mã đơn vị", "Đơn vị", "Số quyết định", "Ngày quyết định",
                   "Ngày cấp", "Người nhận (ký, ghi rõ họ tên)")


class NoDecision(Exception):
    """No unit is recognised under that number (or under that number, form, year and date)."""


class SeveralDecisions(Exception):
    """The number was used for several (form, year, date): `choices` lists them, to narrow with form, year or date."""

    def __init__(self, choices: list[tuple[str, int, str]]) -> None:
        super().__init__(choices)
        self.choices = choices


@dataclass(frozen=True)
class Letterhead:
    """The issuer's lines a paper prints: superior level, issuing body, the committee that decides, place, signer."""

    superior: str
    body: str
    committee: str
    place: str
    signer_title: str
    signer_name: str


def letterhead(data_dir: Path) -> Letterhead:
    """The issuer's lines from the settings (rules.certificates.issuer() when it exists, else certificate.json);
    lines a deployment has not set fall back to the Issuer's defaults."""
    reader = getattr(certificates, "issuer", None)
    issuer = reader(data_dir) if reader is not None else certificates.settings(data_dir)[0]
    if isinstance(issuer, tuple):
        issuer = issuer[0]
    return Letterhead(
        superior=getattr(issuer, "superior", None) or getattr(issuer, "superior_level", None) or "",
        body=getattr(issuer, "organisation", "") or getattr(issuer, "body", ""),
        committee=getattr(issuer, "committee", ""), place=getattr(issuer, "place", "") or "Hà Nội",
        signer_title=getattr(issuer, "signer_title", "") or "TM. BAN THƯỜNG VỤ\nBÍ THƯ",
        signer_name=getattr(issuer, "signer_name", "") or "")


def _title(db: Database, form_id: str) -> str:
    """What the units are recognised as: the form's certificate title, else its title (never its id)."""
    title = certificates.certificate_title(db, form_id)
    if title:
        return title
    form = registry.definition(db, form_id)
    return form.title.get(form.default_language) if form is not None else ""


def decision_rows(db: Database, number: str, *, form_id: str | None = None, year: int | None = None,
                  decided_on: str | None = None) -> list[dict]:
    """The units recognised under decision `number` (narrowed to a form, year and date when given), by cluster and
    code; NoDecision when there is none, SeveralDecisions when the number names several (form, year, date)."""
    rows = [r for r in data_decisions.under_number(db, number) if r["decision"] == "recognised"
            and (form_id is None or r["form_id"] == form_id) and (year is None or r["cycle_year"] == year)
            and (not decided_on or r["decided_on"] == decided_on)]
    if not rows:
        raise NoDecision(number)
    choices = sorted({(r["form_id"], r["cycle_year"], r["decided_on"] or "") for r in rows})
    if len(choices) > 1:
        raise SeveralDecisions(choices)
    return rows


def decision_values(db: Database, data_dir: Path, number: str, **narrowing) -> dict:
    """Everything the decision's document prints (see decision_rows for `narrowing` and the refusals)."""
    rows = decision_rows(db, number, **narrowing)
    first = rows[0]
    return {"number": number, "decided_on": first["decided_on"], "year": first["cycle_year"],
            "title": _title(db, first["form_id"]), "issuer": letterhead(data_dir), "rows": rows}


def decision_pdf(db: Database, data_dir: Path, number: str, **narrowing) -> bytes:
    """The decision as a PDF: the articles, then the annex listing every unit it recognises."""
    return papers.render("decision.html", **decision_values(db, data_dir, number, **narrowing))


def decision_file_name(number: str, year: int | None = None) -> str:
    """A file name for a decision's PDF: its number's letters and digits ("45-QĐ/ĐTN" → quyet-dinh-45-QD-DTN.pdf)."""
    plain = number.replace("Đ", "D").replace("đ", "d")
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    safe = "-".join("".join(ch if ch.isalnum() else " " for ch in plain).split()) or "so"
    return f"quyet-dinh-{safe}{f'-{year}' if year else ''}.pdf"


def register_rows(db: Database, year: int, form_id: str | None = None) -> list[dict]:
    """The certificates of the year in order of issue, each with its register number (the stored one, else its
    place in the order of issue), serial, unit, decision and date of issue (`form_id`: the only certificate form)."""
    form = registry.the_certificate_form(db, form_id)
    rows = []
    for place, row in enumerate(stored.register(db, form.id, year), start=1):
        rows.append({**row, "number": row["register_no"] if row["register_no"] not in (None, "") else place,
                     "issued_on": row["created_at"][:10]})
    return rows


def register_values(db: Database, data_dir: Path, year: int, form_id: str | None = None) -> dict:
    """Everything the register prints."""
    form = registry.the_certificate_form(db, form_id)
    return {"year": year, "title": _title(db, form.id), "issuer": letterhead(data_dir),
            "rows": register_rows(db, year, form.id)}


def register_pdf(db: Database, data_dir: Path, year: int, form_id: str | None = None) -> bytes:
    """The register as a PDF (A4 landscape), a blank column for whoever receives each certificate to sign."""
    return papers.render("register.html", **register_values(db, data_dir, year, form_id))


def register_xlsx(db: Database, year: int, form_id: str | None = None) -> bytes:
    """The register as a workbook (cells a spreadsheet will not run as formulas)."""
    rows = [(r["number"], r["serial"], r["unit_code"], r["unit_name"], r["decision_no"],
             papers.short_date(r["decided_on"]), papers.short_date(r["issued_on"]), "")
            for r in register_rows(db, year, form_id)]
    return xlsx_bytes([(f"Sổ cấp GCN {year}", REGISTER_HEADER, rows)])


def merged_certificates(db: Database, data_dir: Path, year: int, form_id: str | None = None) -> bytes | None:
    """The certificates of the year already issued and current (same decision, file present), in unit order, merged
    into one PDF for printing; None when none is. Reads only: a certificate still to be issued is left out (the
    decision's page and `forms-app certificates` make them)."""
    import pikepdf

    form = registry.the_certificate_form(db, form_id)
    merged, sources = pikepdf.new(), []
    try:
        for unit_code in certificates.recognised_units(db, year, form.id):
            issued = certificates.current(db, data_dir, unit_code, year, form.id)
            if issued is None:
                continue
            source = pikepdf.open(io.BytesIO(issued.path.read_bytes()))
            sources.append(source)
            merged.pages.extend(source.pages)
        if not sources:
            return None
        buffer = io.BytesIO()
        merged.save(buffer)
        return buffer.getvalue()
    finally:
        for source in sources:
            source.close()
