"""Units (Đoàn cơ sở): imported from CSV or XLSX, all rows or none, every mistake named by its row."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from forms_app.data.connection import write
from forms_app.data.clock import stamp
from forms_app.data.text import fold, fold_name, same_dashes

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# Accepted header spellings, English and Vietnamese, compared without case or diacritics.
HEADERS = {
    "code": ("code", "ma", "ma don vi", "ma dv"),
    "name": ("name", "ten", "ten don vi", "ten dv"),
    "cluster": ("cluster", "cum", "cum thi dua"),
}


@dataclass(frozen=True)
class RowError:
    row: int
    code: str
    params: dict

    MESSAGES = {
        "vi": {
            "unreadable": "Không đọc được tệp: {reason}.",
            "columns": "Thiếu cột {missing}; dòng tiêu đề phải có ít nhất code, name, cluster (hoặc mã, tên, cụm).",
            "empty": "Tệp không có dòng dữ liệu nào.",
            "code": "Mã đơn vị \"{value}\" không hợp lệ; dùng chữ, số, dấu chấm, gạch dưới hoặc gạch ngang, tối đa 32 ký tự.",
            "name": "Thiếu tên đơn vị (hoặc tên dài quá 200 ký tự).",
            "cluster": "Tên cụm dài quá 100 ký tự.",
            "duplicate": "Mã đơn vị \"{value}\" đã xuất hiện ở dòng {first}.",
        },
        "en": {
            "unreadable": "Cannot read the file: {reason}.",
            "columns": "Missing column {missing}; the header row needs at least code, name, cluster.",
            "empty": "The file has no data rows.",
            "code": "The unit code \"{value}\" is invalid; use letters, digits, dots, underscores or hyphens, at most 32.",
            "name": "The unit name is missing (or longer than 200 characters).",
            "cluster": "The cluster name is longer than 100 characters.",
            "duplicate": "The unit code \"{value}\" already appears on row {first}.",
        },
    }

    def message(self, lang: str = "vi") -> str:
        text = self.MESSAGES.get(lang, self.MESSAGES["vi"])[self.code].format(**self.params)
        return f"Dòng {self.row}: {text}" if lang == "vi" and self.row else (f"Row {self.row}: {text}" if self.row else text)


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
    rows, index, problem = read_table(path, HEADERS, HEADERS)
    if problem:
        return [], [RowError(*problem)]
    units, errors, first = [], [], {}
    for number, row in rows:
        cell = lambda key: unicodedata.normalize("NFC", row[index[key]].strip()) if index[key] < len(row) else ""
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
        units.append({"code": code, "name": name, "cluster": cluster})
    if not units:
        errors.append(RowError(0, "empty", {}))
    return units, errors


def import_units(db: Database, path: Path) -> tuple[int, int, list[RowError]]:
    """Insert new units and update existing ones in one transaction: (added, updated, errors); nothing written on error."""
    units, errors = parse(path)
    if errors:
        return 0, 0, errors
    now = stamp()
    added = updated = 0
    with write(db):
        for unit in units:
            exists = db.execute("SELECT 1 FROM units WHERE code = ?", [unit["code"]]).fetchone()
            if exists:
                db.execute("UPDATE units SET name = ?, name_ascii = ?, cluster = ?, updated_at = ? WHERE code = ?",
                           [unit["name"], fold(unit["name"]), unit["cluster"], now, unit["code"]])
                updated += 1
            else:
                db["units"].insert({**unit, "name_ascii": fold(unit["name"]), "created_at": now, "updated_at": now})
                added += 1
        db["audit_log"].insert({"at": now, "actor": "cli", "action": "units_imported",
                                "detail": f'{{"file": "{path.name}", "added": {added}, "updated": {updated}}}'})
    return added, updated, []


def cluster_names(db: Database) -> list[str]:
    """The emulation clusters the units belong to."""
    return [row[0] for row in db.execute("SELECT DISTINCT cluster FROM units WHERE cluster != '' ORDER BY cluster")]


def match_clusters(db: Database, wanted: list[str]) -> tuple[list[str], list[str]]:
    """Cluster names as stored, matched without case, diacritics or dash style: (found, unknown)."""
    known = {fold_name(same_dashes(name)): name for name in cluster_names(db)}
    found, unknown = [], []
    for name in wanted:
        match = known.get(fold_name(same_dashes(name)))
        (found if match else unknown).append(match or name)
    return list(dict.fromkeys(found)), unknown
