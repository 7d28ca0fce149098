"""Units (Đoàn cơ sở): imported from CSV or XLSX, all rows or none, every mistake named by its row."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from forms_app.data import audit
from forms_app.data import units as data_units
from forms_app.data.clock import stamp
from forms_app.data.connection import Database, write
from forms_app.data.text import fold_name, same_dashes
from forms_app.rules import messages

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# Accepted header spellings, English and Vietnamese, compared without case or diacritics.
HEADERS = {
    "code": ("code", "ma", "ma don vi", "ma dv"),
    "name": ("name", "ten", "ten don vi", "ten dv"),
    "cluster": ("cluster", "cum", "cum thi dua"),
    "email": ("email", "e-mail", "thu dien tu", "dia chi thu dien tu"),  # optional: the address for reminders
}
REQUIRED = ("code", "name", "cluster")
# An address as a person types one (a conservative check: no quoted parts, no addresses in brackets, a domain with a dot).
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
MAX_EMAIL = 254


MESSAGES = {
    "unreadable": {"vi": "Không đọc được tệp: {reason}.",
                  "en": "Cannot read the file: {reason}."},
    "columns": {"vi": "Thiếu cột {missing}; dòng tiêu đề phải có ít nhất code, name, cluster (hoặc mã, tên, cụm).",
               "en": "Missing column {missing}; the header row needs at least code, name, cluster."},
    "empty": {"vi": "Tệp không có dòng dữ liệu nào.",
             "en": "The file has no data rows."},
    "code": {"vi": "Mã đơn vị \"{value}\" không hợp lệ; dùng chữ, số, dấu chấm, gạch dưới hoặc gạch ngang, tối đa 32 ký tự.",
            "en": "The unit code \"{value}\" is invalid; use letters, digits, dots, underscores or hyphens, at most 32."},
    "name": {"vi": "Thiếu tên đơn vị (hoặc tên dài quá 200 ký tự).",
            "en": "The unit name is missing (or longer than 200 characters)."},
    "cluster": {"vi": "Tên cụm dài quá 100 ký tự.",
               "en": "The cluster name is longer than 100 characters."},
    "email": {"vi": "Địa chỉ thư điện tử \"{value}\" không hợp lệ.",
              "en": "The e-mail address \"{value}\" is invalid."},
    "bad_email": {"vi": "\"{value}\" không phải là một địa chỉ thư điện tử; hãy nhập địa chỉ dạng ten@truong.edu.vn, "
                        "hoặc để trống nếu đơn vị chưa có.",
                  "en": "\"{value}\" is not an e-mail address; type one like name@university.edu.vn, or leave it "
                        "empty if the unit has none yet."},
    "duplicate": {"vi": "Mã đơn vị \"{value}\" đã xuất hiện ở dòng {first}.",
                 "en": "The unit code \"{value}\" already appears on row {first}."},
}


@dataclass(frozen=True)
class RowError:
    """A problem of an imported units file: its row as a spreadsheet shows it (0: the whole file), a code, its values."""

    row: int
    code: str
    params: dict

    def message(self, lang: str = "vi") -> str:
        return messages.row_prefix(self.row, lang) + messages.text(MESSAGES, self.code, lang, **self.params)


def read_rows(path: Path) -> list[list[str]]:
    """The rows of a CSV (UTF-8, BOM tolerated, comma or semicolon) or XLSX file, as text."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    text = path.read_bytes().decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]


def read_table(path: Path, headers: dict[str, tuple[str, ...]], required) -> tuple[
        list[tuple[int, list[str]]], dict[str, int], tuple[int, str, dict] | None]:
    """A CSV or XLSX file as (data rows, the column of each header key found, problem).

    Data rows keep their number as a spreadsheet shows it; blank rows are left out. Header cells
    and spellings are compared folded (case, diacritics and underscores ignored). `problem` is
    None, or (row, code, params) with code unreadable, empty (no row at all) or columns (a
    `required` key without its column; row: the header's).
    """
    try:
        rows = read_rows(path)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError) as exc:
        return [], {}, (0, "unreadable", {"reason": getattr(exc, "strerror", None) or str(exc)[:200]})
    except Exception as exc:  # openpyxl raises assorted errors on a file that is not a workbook
        return [], {}, (0, "unreadable", {"reason": type(exc).__name__})
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(cell for cell in row)]
    if not numbered:
        return [], {}, (0, "empty", {})
    header_number, header = numbered[0]
    folded = [fold_name(cell) for cell in header]
    index = {}
    for key, spellings in headers.items():
        names = {fold_name(spelling) for spelling in spellings}
        for i, name in enumerate(folded):
            if name in names:
                index[key] = i
                break
    missing = [key for key in required if key not in index]
    if missing:
        return [], index, (header_number, "columns", {"missing": ", ".join(missing)})
    return numbered[1:], index, None


def parse(path: Path) -> tuple[list[dict], list[RowError]]:
    """Units read from a file, and every problem found (row numbers as a spreadsheet shows them)."""
    rows, index, problem = read_table(path, HEADERS, REQUIRED)
    if problem:
        return [], [RowError(*problem)]
    units, errors, first = [], [], {}
    for number, row in rows:
        def cell(key: str) -> str:
            return unicodedata.normalize("NFC", row[index[key]].strip()) if index[key] < len(row) else ""

        code, name, cluster = cell("code"), " ".join(cell("name").split()), " ".join(cell("cluster").split())
        if not CODE.match(code):
            errors.append(RowError(number, "code", {"value": code[:40]}))
        elif code in first:
            errors.append(RowError(number, "duplicate", {"value": code, "first": first[code]}))
        else:
            first[code] = number
        if not name or len(name) > 200:
            errors.append(RowError(number, "name", {}))
        if len(cluster) > 100:
            errors.append(RowError(number, "cluster", {}))
        unit = {"code": code, "name": name, "cluster": cluster}
        if "email" in index:
            unit["email"] = cell("email")
            if unit["email"] and not is_email(unit["email"]):
                errors.append(RowError(number, "email", {"value": unit["email"][:60]}))
        units.append(unit)
    if not units:
        errors.append(RowError(0, "empty", {}))
    return units, errors


def is_email(text: str) -> bool:
    """Whether `text` (trimmed) reads as an e-mail address, by the conservative check `EMAIL`."""
    return len(text) <= MAX_EMAIL and EMAIL.match(text) is not None


class UnitError(ValueError):
    """A refused change to a unit: a code of MESSAGES and its values."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params

    def message(self, lang: str = "vi") -> str:
        return messages.text(MESSAGES, self.code, lang, **self.params)


def set_email(db: Database, code: str, text: str | None, actor: str) -> bool:
    """The administrator sets a unit's address for the reminders (an empty one clears it), audited as
    `unit_email_set`: False for an unknown unit; UnitError('bad_email') for text that is not an address."""
    email = (text or "").strip() or None
    if email is not None and not is_email(email):
        raise UnitError("bad_email", value=email[:80])
    now = stamp()
    with write(db):
        if not data_units.set_email(db, code, email, now):
            return False
        audit.record(db, actor, "unit_email_set", unit_code=code, detail={"email": email}, at=now)
    return True


def import_units(db: Database, path: Path, actor: str = "cli") -> tuple[int, int, list[RowError]]:
    """Insert new units and update existing ones in one transaction: (added, updated, errors); nothing written on error."""
    units, errors = parse(path)
    if errors:
        return 0, 0, errors
    now = stamp()
    with write(db):
        added, updated = data_units.save(db, units, now)
        audit.record(db, actor, "units_imported", detail={"file": path.name, "added": added, "updated": updated}, at=now)
    return added, updated, []


def save_units(db: Database, units: list[dict]) -> tuple[int, int]:
    """Insert or update units ({code, name, cluster}) already checked: (added, updated)."""
    with write(db):
        return data_units.save(db, units, stamp())


def add_units(db: Database, units: list[dict]) -> None:
    """Insert many new units ({code, name, cluster}) at once, inside the caller's transaction (the demo)."""
    data_units.insert_many(db, units, stamp())


def count_units(db: Database) -> int:
    return data_units.count(db)


def find_unit(db: Database, code: str) -> dict | None:
    """A unit's row ({code, name, cluster, …}), or None."""
    return data_units.find(db, code)


def unit_exists(db: Database, code: str) -> bool:
    return data_units.exists(db, code)


def cluster_names(db: Database) -> list[str]:
    """The emulation clusters the units belong to."""
    return data_units.cluster_names(db)


def in_clusters(db: Database, code: str, clusters: list[str]) -> bool:
    """Whether the unit belongs to one of `clusters` (False for an unknown unit)."""
    return data_units.cluster_of(db, code) in clusters


def search_units(db: Database, *, clusters: list[str], query: str, page: int, per_page: int) -> tuple[int, list[dict]]:
    """(how many match, the units of `page`) by cluster and name, limited to `clusters` when given."""
    return data_units.search(db, clusters=clusters, query=query, limit=per_page, offset=(page - 1) * per_page)


def search_addresses(db: Database, *, query: str, without_email: bool, page: int,
                     per_page: int) -> tuple[int, list[dict]]:
    """(how many match, the units of `page` by code, with their addresses): the admin's list of units' addresses,
    only those with no address yet when `without_email`."""
    return data_units.search_addresses(db, query=query, without_email=without_email, limit=per_page,
                                       offset=(page - 1) * per_page)


def match_clusters(db: Database, wanted: list[str]) -> tuple[list[str], list[str]]:
    """Cluster names as stored, matched without case, diacritics or dash style: (found, unknown)."""
    known = {fold_name(same_dashes(name)): name for name in cluster_names(db)}
    found, unknown = [], []
    for name in wanted:
        match = known.get(fold_name(same_dashes(name)))
        (found if match else unknown).append(match or name)
    return list(dict.fromkeys(found)), unknown
