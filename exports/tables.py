"""Result tables written as CSV (UTF-8 with a BOM, so Excel shows Vietnamese right) or XLSX (two sheets)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# What a spreadsheet reads as the start of a formula (or a command) in a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEGATIVE_NUMBER = re.compile(r"-\d+(\.\d+)?([eE][-+]?\d+)?")


def spreadsheet_text(value: Any) -> Any:
    """A cell as text a spreadsheet will not evaluate: text starting like a formula gets a leading apostrophe
    (`=HYPERLINK(…)` → `'=HYPERLINK(…)`); numbers (a negative one written as text too) and other text stay."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NEGATIVE_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """A CSV file's bytes: UTF-8 with a BOM, comma-separated, every value as written (None as empty), text that a
    spreadsheet would run as a formula made harmless (`spreadsheet_text`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_text(v) for v in header])
    writer.writerows([["" if v is None else spreadsheet_text(v) for v in row] for row in rows])
    return "\ufeff".encode("utf-8") + buffer.getvalue().encode("utf-8")


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook with one sheet per (title, header, rows): bold frozen header, sensible column widths."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(list(row))
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text typed by someone, never a formula
        sheet.freeze_panes = "A2"
        for index, name in enumerate(header, start=1):
            width = max([len(str(name))] + [len(str(r[index - 1])) for r in rows[:200] if r[index - 1] is not None])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width + 2))
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
