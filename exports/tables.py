"""Result tables written as CSV (UTF-8 with a BOM, so Excel shows Vietnamese right) or XLSX (one sheet per table).

A row's cells are plain values: text, numbers, dates and `Link`s (a file's name and its address). The XLSX keeps their
types (a date cell shown dd/mm/yyyy, a hyperlink cell); a CSV is written either for Vietnamese Excel (`readable`: `;`
between cells, a decimal comma, dates dd/mm/yyyy) or for scripts (`,`, a decimal point, values as given).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from exports.dates import short_date

# What a spreadsheet reads as the start of a formula (or a command) in a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEGATIVE_NUMBER = re.compile(r"-\d+(\.\d+)?([eE][-+]?\d+)?")
DATE_FORMAT = "DD/MM/YYYY"


@dataclass(frozen=True)
class Link:
    """A cell that shows `text` and opens `url`: a hyperlink when the address is absolute (http or https), else the
    text followed by the address in brackets ("ke-hoach.pdf (/files/…)")."""

    text: str
    url: str

    @property
    def absolute(self) -> bool:
        return self.url.startswith(("https://", "http://"))

    def __str__(self) -> str:
        return f"{self.text} ({self.url})"


def spreadsheet_text(value: Any) -> Any:
    """A cell as text a spreadsheet will not evaluate: text starting like a formula gets a leading apostrophe
    (`=HYPERLINK(…)` → `'=HYPERLINK(…)`); numbers (a negative one written as text too) and other text stay."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NEGATIVE_NUMBER.fullmatch(value):
        return "'" + value
    return value


def whole(value: Any) -> Any:
    """A number without a trailing ".0": a float that holds a whole number becomes an int (29.0 → 29)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _readable_text(value: Any) -> str:
    """One cell of a CSV for Vietnamese Excel: "29", "29,5", "05/03/2022", "ke-hoach.pdf (https://…)"."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(whole(value)).replace(".", ",")
    if isinstance(value, dt.date):
        return short_date(value)
    return spreadsheet_text(str(value))


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]], *, readable: bool = False) -> bytes:
    """A CSV file's bytes, UTF-8 with a BOM, text that a spreadsheet would run as a formula made harmless
    (`spreadsheet_text`).

    `readable`: for Excel set to Vietnamese (whose decimal mark is the comma and list separator the semicolon) —
    cells separated by ";", numbers with a decimal comma and no trailing ".0", dates dd/mm/yyyy, a link as
    "name (address)". Otherwise comma-separated, every value as written (None as empty), for scripts.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if readable else ",", lineterminator="\r\n")
    writer.writerow([spreadsheet_text(v) for v in header])
    if readable:
        writer.writerows([[_readable_text(v) for v in row] for row in rows])
    else:
        writer.writerows([["" if v is None else spreadsheet_text(v) for v in row] for row in rows])
    return "\ufeff".encode("utf-8") + buffer.getvalue().encode("utf-8")


def _cell(sheet, value: Any) -> Any:
    """What `append` takes for one value: the value itself, or a styled cell for a date, a link or formula-like text."""
    if isinstance(value, Link):
        if not value.absolute:
            return _cell(sheet, str(value))
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value.text))
        cell.data_type = "s"
        cell.hyperlink = value.url
        cell.style = "Hyperlink"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"  # text typed by someone, never a formula
            return cell
        return value
    return whole(value)


def _width(value: Any) -> int:
    if isinstance(value, Link):
        return len(value.text if value.absolute else str(value))
    return 10 if isinstance(value, dt.date) else len(str(value))


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook with one sheet per (title, header, rows): bold frozen header, column widths from the first
    200 rows, dates shown dd/mm/yyyy, links as hyperlinks, whole numbers as integers.

    Written row by row (openpyxl's write-only mode): time and memory grow with the number of cells, nothing more.
    """
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for index, name in enumerate(header, start=1):
            width = max([len(str(name))] + [_width(r[index - 1]) for r in rows[:200] if r[index - 1] is not None])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width + 2))
        sheet.freeze_panes = "A2"
        heads = []
        for name in header:
            cell = WriteOnlyCell(sheet, name)
            cell.data_type = "s"
            cell.font = Font(bold=True)
            heads.append(cell)
        sheet.append(heads)
        for row in rows:
            sheet.append([_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(data)
    temporary.replace(path)
    return path
