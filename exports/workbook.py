"""The XLSX writer of `exports.tables` (its `write_xlsx`), in a module of its own: openpyxl, which it stands on, is
imported only by a process that writes a spreadsheet."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import math
import tempfile
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Sequence
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.relationship import get_rels_path
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import PKG_REL_NS, REL_NS, SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

from exports.cells import Link, Sheet

DATE_FORMAT = "DD/MM/YYYY"


class _Styles:
    """The workbook's style ids of the cells that need one (a bold header, a date, a hyperlink), each added to the
    workbook's styles the first time a cell of `sheet` needs it: a workbook holds only the styles its cells use."""

    def __init__(self, sheet):
        self.sheet, self.ids = sheet, {}

    def id(self, kind: str) -> int:
        if kind not in self.ids:
            cell = WriteOnlyCell(self.sheet)
            if kind == "header":
                cell.font = Font(bold=True)
            elif kind == "date":
                cell.number_format = DATE_FORMAT
            else:
                cell.style = "Hyperlink"
            self.ids[kind] = cell.style_id
        return self.ids[kind]


def _xml_text(value: str) -> str:
    """Text as a cell's inline string: the characters XML forbids taken out (as openpyxl refuses them), at most a
    cell's 32,767 characters, escaped for XML (a carriage return kept as one)."""
    return escape(ILLEGAL_CHARACTERS_RE.sub("", value)[:32767], {"\r": "&#13;"})


def _xml_attribute(value: str) -> str:
    """Text as the value of an XML attribute in double quotes (a line break or a tab kept as one)."""
    return escape(ILLEGAL_CHARACTERS_RE.sub("", value), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _text_cell(ref: str, text: str, style: str = "") -> str:
    """A text cell (an inline string: never a formula, an error code or a number, whatever it starts with)."""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>'


def _row_xml(number: int, row: Sequence[Any], columns: Sequence[str], styles: _Styles, links: BinaryIO) -> str:
    """One row of a sheet as SpreadsheetML, as openpyxl writes the same values but text always as text: numbers (a
    whole float as an integer), text as inline strings (never a formula or an error code, whatever it starts with),
    dates as serial numbers shown dd/mm/yyyy, an absolute `Link` as a hyperlink (its cell and address written to
    `links`, a line each), None or "" as no cell."""
    cells = [f'<row r="{number}">']
    for column, value in zip(columns, row, strict=True):
        kind = type(value)
        if kind is int:  # most cells of a year's answers, first
            cells.append(f'<c r="{column}{number}" t="n"><v>{value}</v></c>')
        elif value is None:
            continue
        elif kind is str:
            if value:
                cells.append(_text_cell(f"{column}{number}", value))
        elif kind is float:
            text = "" if math.isnan(value) or math.isinf(value) else "%.16g" % value
            cells.append(f'<c r="{column}{number}" t="n"><v>{text}</v></c>')
        elif kind is bool:
            cells.append(f'<c r="{column}{number}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, dt.date):
            serial = "%.16g" % to_excel(value)
            cells.append(f'<c r="{column}{number}" s="{styles.id("date")}" t="n"><v>{serial}</v></c>')
        elif isinstance(value, Link) and value.absolute:
            links.write(f"{column}{number} {_xml_attribute(value.url)}\n".encode())
            cells.append(_text_cell(f"{column}{number}", value.text, f' s="{styles.id("link")}"'))
        else:  # a relative Link ("name (address)"), anything else as its text
            cells.append(_text_cell(f"{column}{number}", str(value)))
    cells.append("</row>")
    return "".join(cells)


class _SheetWriter(WorksheetWriter):
    """openpyxl's writer of a write-only sheet (what comes before and after the rows: column widths, the frozen
    header, the hyperlinks), on a file of its own that `_write_rows` writes the rows' XML into."""

    def get_stream(self):  # openpyxl's, but for the file object kept as `self.file`
        with open(self.out, "wb") as self.file, xmlfile(self.file) as xf:
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        element = yield
                        if element is True:
                            yield xf
                        elif element is not None:
                            xf.write(element)
                except GeneratorExit:
                    pass


def _write_rows(sheet, header: Sequence[str], rows: Iterable[Sequence[Any]], styles: _Styles,
                links: BinaryIO) -> Iterator[None]:
    """Every row of a write-only sheet (the bold header first) written as XML straight into its file, then its
    hyperlinks (their addresses are the sheet's relationships, `_save`), then nothing: the sheet's `_rows`, which
    openpyxl closes when it saves the workbook (and then writes the rest of the sheet).

    openpyxl's own `append` makes a cell object per value, guesses its type and writes it through lxml: the year's
    XLSX at 50,000 units (5 million cells) took 53 s of CPU that way, 16 s with its rows written as text here. Its
    hyperlinks are objects held until the sheet ends (about 2 KB each: 270 MB for 100,000 links); here, lines of a
    temporary file."""
    writer = sheet._writer = _SheetWriter(sheet)
    writer.write_top()
    xf = writer.xf.send(True)
    xf.flush()  # what lxml wrote so far goes to the file before the rows
    columns = [get_column_letter(index) for index in range(1, len(header) + 1)]
    bold = f' s="{styles.id("header")}"'
    out = writer.file
    heads = "".join(_text_cell(f"{column}1", name, bold) for column, name in zip(columns, header, strict=True))
    out.write(f'<sheetData><row r="1">{heads}</row>'.encode())
    for number, row in enumerate(rows, start=2):
        out.write(_row_xml(number, row, columns, styles, links).encode("utf-8"))
    out.write(b"</sheetData>")
    if links.tell():  # the element that follows the rows in a sheet (no protection, filter or merged cells here)
        links.seek(0)
        out.write(f'<hyperlinks xmlns:r="{REL_NS}">'.encode())
        for number, line in enumerate(links, start=1):
            out.write(f'<hyperlink ref="{line.split(b" ", 1)[0].decode()}" r:id="rId{number}"/>'.encode())
        out.write(b"</hyperlinks>")
    writer.xf.send(None)
    yield


def _save(book: Workbook, target: Path | BinaryIO, links: list[tuple[Any, BinaryIO]]) -> None:
    """openpyxl's `save_workbook`, and the relationships of each sheet's hyperlinks (one a line of its `links`, rIdN
    for the Nth) written into the archive line by line."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        book.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
        ExcelWriter(book, archive).write_data()  # numbers the sheets: their paths are known from here
        for sheet, lines in links:
            if not lines.tell():
                continue
            lines.seek(0)
            with archive.open(get_rels_path(sheet.path)[1:], "w", force_zip64=True) as rels:
                rels.write(f'<Relationships xmlns="{PKG_REL_NS}">'.encode())
                for number, line in enumerate(lines, start=1):
                    address = line.split(b" ", 1)[1].rstrip(b"\n").decode()
                    rels.write(f'<Relationship Id="rId{number}" Type="{REL_NS}/hyperlink" Target="{address}" '
                               f'TargetMode="External"/>'.encode())
                rels.write(b"</Relationships>")


def _width(value: Any) -> int:
    if isinstance(value, Link):
        return len(value.text if value.absolute else str(value))
    return 10 if isinstance(value, dt.date) else len(str(value))


def write_xlsx(target: Path | BinaryIO, sheets: Iterable[Sheet]) -> None:
    """`exports.tables.write_xlsx`."""
    book = Workbook(write_only=True)
    styles = None
    with contextlib.ExitStack() as temporary:
        links = []
        for title, header, rows in sheets:
            sheet = book.create_sheet(title[:31])
            styles = styles or _Styles(sheet)  # the workbook's: any of its sheets adds to them
            rows = iter(rows)
            first = list(itertools.islice(rows, 200))
            for index, name in enumerate(header, start=1):
                width = max([len(str(name))] + [_width(r[index - 1]) for r in first if r[index - 1] is not None])
                sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width + 2))
            sheet.freeze_panes = "A2"
            links.append((sheet, temporary.enter_context(tempfile.TemporaryFile())))
            sheet._rows = _write_rows(sheet, header, itertools.chain(first, rows), styles, links[-1][1])
            next(sheet._rows)
        _save(book, target, links)
