"""Certificates: issued only for a unit recognised for a year, stored once, served the same afterwards, verifiable."""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import json
import os
import secrets
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from exports.certificate import Certificate, Issuer, certificate_pdf
from forms_app.data import audit
from forms_app.data import certificates as stored
from forms_app.data import connection as database
from forms_app.data import decisions as data_decisions
from forms_app.data.clock import stamp, today
from forms_app.data.connection import Database, write
from forms_app.rules import messages, registry
from forms_app.rules.units import find_unit

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread on paper


class NotRecognised(Exception):
    """The unit has no current 'recognised' decision for that year: no certificate."""


class NoCertificate(Exception):
    """The form issues no certificate (its definition has no `result.certificate`), or there is no such form."""


def certificate_title(db: Database, form_id: str) -> str | None:
    """The title a certificate of this form carries (its latest definition's `result.certificate.title`, in the
    form's default language); None when the form issues no certificate."""
    form = registry.definition(db, form_id)
    if form is None or form.certificate_title is None:
        return None
    return form.certificate_title.get(form.default_language)


def issues_certificates(db: Database, form_id: str) -> bool:
    """Whether a unit recognised on this form gets a certificate."""
    return certificate_title(db, form_id) is not None


def new_serial() -> str:
    """80 random bits in Crockford base32, as 4 groups of 4: 7KQ2-M9XD-4PLT-8C3A."""
    number = secrets.randbits(80)
    chars = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in range(16))
    return "-".join(chars[i:i + 4] for i in range(0, 16, 4))


def normalise_serial(text: str) -> str:
    """What a person typed from the paper → the stored form (case, spaces, O/0 and I/L/1 confusions forgiven)."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(cleaned[i:i + 4] for i in range(0, len(cleaned), 4))


SETTINGS_FILE = "certificate.json"
ISSUER_FIELDS = ("superior", "organisation", "committee", "place", "signer_title", "signer_name")

# The sentences of a refused issue (the public address is printed on every certificate and in its QR code).
MESSAGES = {
    "no_public_url": {
        "vi": "Chưa cấp giấy chứng nhận: chưa đặt địa chỉ công khai của trang (in trên giấy và trong mã QR). Quản trị "
              "viên đặt địa chỉ ấy ở trang Quản trị → Cài đặt giấy chứng nhận (/admin/settings), tức public_url trong "
              "certificate.json của thư mục dữ liệu, hoặc biến môi trường FORMS_APP_PUBLIC_URL.",
        "en": "No certificate issued: the site's public address (printed on the paper and in its QR code) is not set. "
              "An administrator sets it on Admin → Certificate settings (/admin/settings), i.e. public_url in "
              "certificate.json in the data directory, or the FORMS_APP_PUBLIC_URL environment variable.",
    },
    "loopback_public_url": {
        "vi": "Chưa cấp giấy chứng nhận: địa chỉ công khai {url} chỉ mở được trên chính máy chủ, người cầm giấy không "
              "kiểm tra được. Quản trị viên đặt địa chỉ mà mọi người mở được (ví dụ https://doan.truong.edu.vn) ở trang "
              "Quản trị → Cài đặt giấy chứng nhận (/admin/settings), tức public_url trong certificate.json của thư mục "
              "dữ liệu, hoặc biến môi trường FORMS_APP_PUBLIC_URL.",
        "en": "No certificate issued: the public address {url} opens only on the server itself; nobody holding the "
              "paper could verify it. An administrator sets an address everyone can open (e.g. "
              "https://union.university.edu.vn) on Admin → Certificate settings (/admin/settings), i.e. public_url in "
              "certificate.json in the data directory, or the FORMS_APP_PUBLIC_URL environment variable.",
    },
}


class NoPublicAddress(Exception):
    """The public address is unset or loopback: no certificate is issued (`code` one of MESSAGES)."""

    def __init__(self, code: str, url: str = "") -> None:
        super().__init__(code)
        self.code, self.url = code, url

    def message(self, lang: str = "vi") -> str:
        """The sentence saying what to set and where."""
        return messages.text(MESSAGES, self.code, lang, url=self.url)


def stored_settings(data_dir: Path) -> dict:
    """What certificate.json holds (the settings page's values), {} when there is none."""
    path = Path(data_dir) / SETTINGS_FILE
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def settings(data_dir: Path) -> tuple[Issuer, str]:
    """The issuer's lines and the public address ("" when unset), from certificate.json in the data directory if
    present; FORMS_APP_PUBLIC_URL wins over the file's address."""
    values = stored_settings(data_dir)
    public_url = os.environ.get("FORMS_APP_PUBLIC_URL") or values.pop("public_url", None) or ""
    values.pop("public_url", None)
    known = {k: v for k, v in values.items() if k in Issuer.__dataclass_fields__ and isinstance(v, str) and v.strip()}
    return Issuer(**known), public_url.strip().rstrip("/")


def save_settings(data_dir: Path, values: dict) -> None:
    """Write certificate.json (whole or not at all): the issuer's lines and `public_url`; other keys are kept."""
    path = Path(data_dir) / SETTINGS_FILE
    kept = stored_settings(data_dir)
    kept.update({k: v.strip() for k, v in values.items() if k in (*ISSUER_FIELDS, "public_url") and v is not None})
    temporary = path.with_suffix(".part")
    temporary.write_text(json.dumps(kept, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(temporary, path)


def address_problem(public_url: str) -> NoPublicAddress | None:
    """Why certificates may not be issued with this public address (unset, not http(s), or loopback), or None."""
    if not public_url:
        return NoPublicAddress("no_public_url")
    parsed = urlsplit(public_url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme not in ("http", "https") or not host:
        return NoPublicAddress("no_public_url")
    if host in ("localhost", "0.0.0.0") or host.endswith(".localhost"):
        return NoPublicAddress("loopback_public_url", public_url)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return NoPublicAddress("loopback_public_url", public_url) if address.is_loopback or address.is_unspecified else None


def require_public_address(data_dir: Path) -> str:
    """The public address, or NoPublicAddress when certificates may not be issued with it."""
    _issuer, public_url = settings(data_dir)
    problem = address_problem(public_url)
    if problem is not None:
        raise problem
    return public_url


@dataclass(frozen=True)
class Issued:
    """A certificate's serial and stored PDF; `created` when this call rendered it."""

    serial: str
    path: Path
    created: bool


def recognition(db: Database, unit_code: str, year: int, form_id: str | None = None) -> dict | None:
    """The current decision when it is 'recognised', else None (`form_id`: the only certificate-issuing form when
    none is given)."""
    form_id = form_id or registry.the_certificate_form(db).id
    decision = data_decisions.current(db, unit_code, form_id, year)
    return decision if decision and decision["decision"] == "recognised" else None


def _certificate(db: Database, data_dir: Path, unit_code: str, year: int, form_id: str) -> tuple[Certificate, dict, dict | None]:
    title = certificate_title(db, form_id)
    if title is None:
        raise NoCertificate(form_id)
    decision = recognition(db, unit_code, year, form_id)
    if decision is None:
        raise NotRecognised(unit_code)
    existing = stored.find(db, unit_code, form_id, year)
    serial = existing["serial"] if existing else new_serial()
    issuer, public_url = settings(data_dir)
    unit = find_unit(db, unit_code)
    decided = (dt.date.fromisoformat(decision["decided_on"]) if decision["decided_on"]
               else dt.date.fromisoformat(decision["recorded_at"][:10]))
    certificate = Certificate(
        unit_name=unit["name"], title=title, cycle_year=year, decision_no=decision["decision_no"] or "—", decided_on=decided,
        serial=serial, verify_url=f"{public_url}/verify/{serial}", issued_on=max(decided, today()) if not existing
        else dt.date.fromisoformat(existing["created_at"][:10]), issuer=issuer,
        register_no=existing["register_no"] if existing and existing["register_no"] else stored.next_register_no(db, year))
    return certificate, decision, existing


def issue(db: Database, data_dir: Path, unit_code: str, year: int, form_id: str | None = None) -> Issued:
    """The certificate's PDF, made once per recognising decision and then served as stored; NotRecognised otherwise,
    NoCertificate for a form that issues none, NoPublicAddress while the public address is unset or loopback
    (`form_id`: the only certificate-issuing form when none is given)."""
    form_id = form_id or registry.the_certificate_form(db).id
    prepared = prepare(db, data_dir, unit_code, year, form_id)
    if isinstance(prepared, Issued):
        return prepared
    require_public_address(data_dir)  # nothing is rendered nor written with an address nobody can open
    certificate, decision = prepared
    return store(db, data_dir, certificate, decision, certificate_pdf(certificate), form_id, unit_code)


def prepare(db: Database, data_dir: Path, unit_code: str, year: int,
            form_id: str) -> Issued | tuple[Certificate, dict]:
    """The stored certificate when it is current (same decision, file present), or (certificate, decision) to render."""
    certificate, decision, existing = _certificate(db, data_dir, unit_code, year, form_id)
    if existing and existing["decision_id"] == decision["id"] and (Path(data_dir) / existing["file"]).exists():
        return Issued(existing["serial"], Path(data_dir) / existing["file"], False)
    return certificate, decision


def current(db: Database, data_dir: Path, unit_code: str, year: int, form_id: str) -> Issued | None:
    """The stored certificate when it is current (the decision in force, its file present); None when it is still to
    be issued (`issue` makes it); NotRecognised when the unit is not recognised, NoCertificate when the form issues
    none. Reads only: nothing is made here."""
    prepared = prepare(db, data_dir, unit_code, year, form_id)
    return prepared if isinstance(prepared, Issued) else None


def store(db: Database, data_dir: Path, certificate: Certificate, decision: dict, pdf: bytes, form_id: str,
          unit_code: str) -> Issued:
    """Write the PDF (complete or absent) and record its serial and register number; those of an earlier certificate
    are kept."""
    relative = Path("certificates") / str(certificate.cycle_year) / f"{unit_code}-{decision['id']}.pdf"
    target = Path(data_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".part")
    temporary.write_bytes(pdf)
    os.replace(temporary, target)
    with write(db):
        stored.save(db, certificate.serial, unit_code, form_id, certificate.cycle_year, decision["id"], str(relative),
                    stamp(), certificate.register_no)
        audit.record(db, "system", "certificate_issued", unit_code, form_id, certificate.cycle_year,
                     {"serial": certificate.serial, "decision_id": decision["id"]})
    return Issued(certificate.serial, target, True)


def verify(db: Database, serial: str) -> dict | None:
    """What the public verification page may say of a serial: unit, title, year, decision number and date, status."""
    row = stored.by_serial(db, normalise_serial(serial))
    if row is None:
        return None
    current = recognition(db, row["unit_code"], row["cycle_year"], row["form_id"])
    return {
        "serial": row["serial"], "unit_name": row["unit_name"], "cycle_year": row["cycle_year"],
        "title": certificate_title(db, row["form_id"]),
        "decision_no": row["decision_no"], "decided_on": row["decided_on"],
        "valid": current is not None,
    }


def recognised_units(db: Database, year: int, form_id: str | None = None) -> list[str]:
    """The codes of the units recognised for `year`, in code order: the units a batch makes certificates for
    (`form_id`: the only certificate-issuing form when none is given)."""
    return stored.recognised_units(db, form_id or registry.the_certificate_form(db).id, year)


def _render(certificate: Certificate) -> bytes:
    return certificate_pdf(certificate)


def batch(data_dir: Path, year: int, out: Path, *, workers: int | None = None, progress=None,
          form_id: str | None = None) -> tuple[list[Path], Path | None]:
    """A PDF for every unit recognised for `year` on the form (the only certificate-issuing form when none is given),
    rendered on every core, copied to `out`, plus one merged file; NoPublicAddress (nothing written) while the public
    address is unset or loopback.

    Certificates already current are reused as stored (same serial, same file); only new or
    changed ones are rendered. The main process stores, copies and collects each certificate in
    unit order while the pool renders the later ones. `workers` defaults to the cores this
    process may run on.
    """
    require_public_address(data_dir)  # before anything is written
    forms = database.open_forms(data_dir)
    try:
        form_id = registry.the_certificate_form(forms, form_id).id
        printing = _Printing(Path(out), year)
        units, prepared, pending = _prepare_year(forms, data_dir, year, form_id)
        workers = min(workers or usable_cores(), len(pending) or 1)
        if pending:
            # Importing WeasyPrint takes ~0.4 s, most of a cold worker's first render: done once here, forked
            # workers inherit it instead of each repeating it (nothing is rendered here, so no font or fetcher
            # state crosses the fork; with spawn or forkserver the workers import it themselves, as before).
            import weasyprint  # noqa: F401
        with ProcessPoolExecutor(max_workers=workers) as pool:
            # chunksize=1: a worker that finishes early takes the next certificate, so neither idles while the
            # other works through a chunk; map yields in unit order, as each certificate is ready.
            rendered = pool.map(_render, [certificate for certificate, _decision in pending.values()], chunksize=1)
            for unit_code in units:
                issued = prepared[unit_code]  # current as stored: no rendering
                if unit_code in pending:
                    certificate, decision = pending[unit_code]
                    issued = store(forms, data_dir, certificate, decision, next(rendered), form_id, unit_code)
                printing.add(unit_code, issued)  # collected now, while the pool renders the next ones
                if progress:
                    progress(1)
    finally:
        forms.close()
    return printing.finish()


def _prepare_year(forms: Database, data_dir: Path, year: int, form_id: str) -> tuple[
        list[str], dict[str, Issued | tuple[Certificate, dict]], dict[str, tuple[Certificate, dict]]]:
    """(the recognised units, what `prepare` says of each, those of them that must be rendered)."""
    units = recognised_units(forms, year, form_id)
    prepared = {unit_code: prepare(forms, data_dir, unit_code, year, form_id) for unit_code in units}
    pending = {unit_code: found for unit_code, found in prepared.items() if not isinstance(found, Issued)}
    # new certificates take the year's next register numbers in unit order (a reissued one keeps its number)
    first = stored.next_register_no(forms, year)
    fresh = [unit_code for unit_code, (certificate, _d) in pending.items() if certificate.register_no == first]
    for offset, unit_code in enumerate(fresh):
        certificate, decision = pending[unit_code]
        pending[unit_code] = (replace(certificate, register_no=first + offset), decision)
    return units, prepared, pending


@dataclass
class _Printing:
    """A batch's output folder: each certificate copied into it, and its pages added to one merged file for printing."""

    out: Path
    year: int
    files: list[Path] = field(default_factory=list)
    # qpdf copies a page's streams from its source only when the merged file is saved: every source stays
    # open (in memory, not as a file handle) until then
    sources: list = field(default_factory=list)
    merged_pdf: object = None

    def __post_init__(self) -> None:
        import pikepdf

        self.out.mkdir(parents=True, exist_ok=True)
        self.merged_pdf = pikepdf.new()

    def add(self, unit_code: str, issued: Issued) -> None:
        """Copy one certificate into the folder and append its pages to the merged file."""
        import pikepdf

        target = self.out / f"giay-chung-nhan-{self.year}-{unit_code}.pdf"
        shutil.copyfile(issued.path, target)
        self.files.append(target)
        source = pikepdf.open(io.BytesIO(target.read_bytes()))
        self.sources.append(source)
        self.merged_pdf.pages.extend(source.pages)

    def finish(self) -> tuple[list[Path], Path | None]:
        """(the copied files, the merged file), the merged file written whole; ([], None) when there was none."""
        if not self.files:
            return [], None
        merged = self.out / f"giay-chung-nhan-{self.year}-tat-ca.pdf"
        partial = merged.with_suffix(".part")
        self.merged_pdf.save(partial)
        os.replace(partial, merged)  # the merged file is whole or absent
        for source in self.sources:
            source.close()
        return self.files, merged


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which taskset or a container may narrow)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
