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
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Sequence

from exports.cells import Sheet
from exports.dates import short_date

# What a spreadsheet reads as the start of a formula (or a command) in a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEGATIVE_NUMBER = re.compile(r"-\d+(\.\d+)?([eE][-+]?\d+)?")


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


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook with one sheet per (title, header, rows): bold frozen header, column widths from the first
    200 rows, dates shown dd/mm/yyyy, links as hyperlinks, whole numbers as integers."""
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()


def write_xlsx(target: Path | BinaryIO, sheets: Iterable[Sheet]) -> None:
    """`xlsx_bytes` written to a file or a binary stream, each sheet's rows taken as they are yielded.

    openpyxl's write-only mode for the workbook, each sheet's rows and hyperlinks written as XML: time grows with the
    number of cells, and memory holds the 200 rows the column widths are read from, nothing more (the sheets and their
    hyperlinks go to temporary files until the workbook is zipped). Written by `exports.workbook`, imported here by
    the first spreadsheet a process writes: openpyxl takes ~20 MB, which no worker of the web app needs until then.
    """
    from exports import workbook

    workbook.write_xlsx(target, sheets)


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
