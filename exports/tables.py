"""Result tables written as CSV (UTF-8 with a BOM, so Excel shows Vietnamese right) or XLSX (one sheet per table).

A row's cells are plain values: text, numbers, dates and `Link`s (a file's name and its address). The XLSX keeps their
types (a date cell shown dd/mm/yyyy, a hyperlink cell); a CSV is written either for Vietnamese Excel (`readable`: `;`
between cells, a decimal comma, dates dd/mm/yyyy) or for scripts (`,`, a decimal point, values as given).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Sequence

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


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, readable: bool = False) -> bytes:
    """A CSV file's bytes, UTF-8 with a BOM, text that a spreadsheet would run as a formula made harmless
    (`spreadsheet_text`).

    `readable`: for Excel set to Vietnamese (whose decimal mark is the comma and list separator the semicolon) —
    cells separated by ";", numbers with a decimal comma and no trailing ".0", dates dd/mm/yyyy, a link as
    "name (address)". Otherwise comma-separated, every value as written (None as empty), for scripts.
    """
    buffer = io.BytesIO()
    write_csv(buffer, header, rows, readable=readable)
    return buffer.getvalue()


def write_csv(stream: BinaryIO, header: Sequence[str], rows: Iterable[Sequence[Any]], *, readable: bool = False) -> None:
    """`csv_bytes` written to a binary stream row by row, as `rows` yields them: memory holds one row."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
    try:
        text.write("\ufeff")
        writer = csv.writer(text, delimiter=";" if readable else ",", lineterminator="\r\n")
        writer.writerow([spreadsheet_text(v) for v in header])
        if readable:
            for row in rows:
                writer.writerow([_readable_text(v) for v in row])
        else:
            for row in rows:
                writer.writerow(["" if v is None else spreadsheet_text(v) for v in row])
        text.flush()
    finally:
        text.detach()  # the stream stays open: its owner closes it


def _cell(sheet, value: Any) -> Any:
    """What `append` takes for one value: the value itself, or a styled cell for a date, a link or formula-like text."""
    kind = type(value)
    if value is None or kind is int:  # most cells of a year's answers: taken as they are, first
        return value
    if kind is float:
        return int(value) if value.is_integer() else value
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


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook with one sheet per (title, header, rows): bold frozen header, column widths from the first
    200 rows, dates shown dd/mm/yyyy, links as hyperlinks, whole numbers as integers."""
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()


def write_xlsx(target: Path | BinaryIO, sheets: Iterable[Sheet]) -> None:
    """`xlsx_bytes` written to a file or a binary stream, each sheet's rows taken as they are yielded.

    openpyxl's write-only mode: time grows with the number of cells, and memory holds the 200 rows the column widths
    are read from, nothing more (the sheets go to temporary files until the workbook is zipped).
    """
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        rows = iter(rows)
        first = list(itertools.islice(rows, 200))
        for index, name in enumerate(header, start=1):
            width = max([len(str(name))] + [_width(r[index - 1]) for r in first if r[index - 1] is not None])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width + 2))
        sheet.freeze_panes = "A2"
        heads = []
        for name in header:
            cell = WriteOnlyCell(sheet, name)
            cell.data_type = "s"
            cell.font = Font(bold=True)
            heads.append(cell)
        sheet.append(heads)
        for row in itertools.chain(first, rows):
            sheet.append([_cell(sheet, v) for v in row])
    book.save(target)


def write(path: Path, data: bytes) -> Path:
    """`data` written to `path` whole or not at all (through NAME.part, renamed once written)."""
    return written(path, lambda stream: stream.write(data))


def written(path: Path, fill: Callable[[BinaryIO], object]) -> Path:
    """A file that `fill` writes to as a stream, at `path` whole or not at all (NAME.part until it is complete)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    try:
        with temporary.open("wb") as stream:
            fill(stream)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
