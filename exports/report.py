"""The year-end review (báo cáo tổng kết năm) and the phase review in Vietnamese administrative form
(exports/templates/review.html over _paper.html): the heading, number and date line, the office's narrative, the
figures per cluster or per year with the trend chart, the weakest criteria, the recognised and commended units, the
signature block and "Nơi nhận"."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pikepdf

from . import papers
from .certificate import render_pdf
from .charts import grouped_bars

# The rows of the list of recognised units rendered at once. WeasyPrint holds every page of a document until it is
# written (about 0.15 MB a row of that list): a year of 16,000 recognised units took 3 GB and 6 minutes of CPU in one
# document; in parts of this many rows, each written to disk before the next, memory stays that of one part.
ROWS_AT_ONCE = 400


def _pct(part, whole) -> str:
    return "—" if not whole else f"{100.0 * (part or 0) / whole:.1f}%".replace(".", ",")


def _num(value) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def _chart(trend: list[dict]) -> str:
    return grouped_bars(
        [str(y["year"]) for y in trend],
        [("Tỉ lệ được công nhận", [round(100.0 * y["recognised"] / y["submitted"], 1) if y["submitted"] else None
                                   for y in trend]),
         ("Điểm trung bình", [round(y["average"], 1) if y["average"] is not None else None for y in trend])],
        maximum=100, label="Tỉ lệ công nhận và điểm trung bình theo năm")


def paragraphs(text: str) -> list[str]:
    """A narrative section's paragraphs: the blocks between empty lines, each line break inside kept as a space."""
    blocks = [" ".join(line.strip() for line in block.splitlines() if line.strip())
              for block in text.replace("\r\n", "\n").split("\n\n")]
    return [b for b in blocks if b]


def render_html(data: dict) -> str:
    """`data`: what forms_app.rules.year_report.report_data (kind "year") or phase_data (kind "phase") returns."""
    return papers.render_html("review.html", **data, trend_chart=_chart(data["trend"]), pct=_pct, num=_num,
                              paragraphs=paragraphs)


def report_pdf(data: dict, rows_at_once: int = ROWS_AT_ONCE) -> bytes:
    """The review as PDF bytes (A4). A list of recognised units longer than `rows_at_once` is rendered in parts (the
    report with the first rows, then the next rows, the last part with the commended units), joined, and numbered
    "page/pages" as one document would be."""
    recognised = data["recognised"]
    if len(recognised) <= rows_at_once:
        return papers.render_pdf(render_html(data))
    with tempfile.TemporaryDirectory(prefix="review-") as folder:
        files = []
        for offset in range(0, len(recognised), rows_at_once):
            part = {"part": "first" if offset == 0 else "more", "offset": offset, "numbered": False,
                    "last": offset + rows_at_once >= len(recognised),
                    "recognised": recognised[offset:offset + rows_at_once]}
            files.append(Path(folder) / f"{len(files)}.pdf")
            files[-1].write_bytes(render_pdf(render_html(data | part)))
        return _joined(files)


def _joined(files: list[Path]) -> bytes:
    """The parts' pages in one PDF, each with its number over the whole ("3/40") where _paper.html puts it (stamped
    part by part: a document of the numbers alone would be as long as the whole)."""
    parts = [pikepdf.open(path) for path in files]
    opened = list(parts)  # closed once the whole is saved: it reads their pages then
    try:
        total = sum(len(part.pages) for part in parts)
        with pikepdf.new() as whole:
            for part in parts:
                numbers = pikepdf.open(io.BytesIO(render_pdf(papers.render_html(
                    "page_numbers.html", first=len(whole.pages) + 1, pages=len(part.pages), total=total))))
                opened.append(numbers)
                for page, number in zip(part.pages, numbers.pages, strict=True):
                    page.add_overlay(number)
                whole.pages.extend(part.pages)
            out = io.BytesIO()
            whole.save(out)
    finally:
        for pdf in opened:
            pdf.close()
    return out.getvalue()
