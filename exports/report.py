"""The year-end review (báo cáo tổng kết năm) and the phase review in Vietnamese administrative form
(exports/templates/review.html over _paper.html): the heading, number and date line, the office's narrative, the
figures per cluster or per year with the trend chart, the weakest criteria, the recognised and commended units, the
signature block and "Nơi nhận"."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import pikepdf

from . import papers
from .charts import grouped_bars

# The rows of the lists of recognised and commended units rendered at once. WeasyPrint holds every page of a document
# until it is written (about 0.15 MB a row of those lists): a year of 16,000 recognised units took 3 GB and 6 minutes
# of CPU in one document; in parts of this many rows, each written to disk before the next, a document holds one
# part's pages (the 3,322 commended units of that year in one part: 490 MB).
ROWS_AT_ONCE = 400
# The parts one rendering process renders (or numbers) before it ends and a new one takes over. The job's own process
# then holds the figures and the joining, never WeasyPrint, Pango and their caches, and what a rendering process held
# goes back to the system when it ends. Measured on a year at 50,000 units: a process stays at about 160 MB from one
# part of 400 rows to the next (159 MB after the first, 162 MB after the eighth); each process started costs 0.85 s
# of CPU (Python, WeasyPrint and the fonts loaded).
PARTS_PER_PROCESS = 10
# What `write_pdf` calls after each part is rendered: (parts rendered, parts, the id of the process that rendered it).
Done = Callable[[int, int, int], None]


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


def render_html(data: dict, template: str = "review.html") -> str:
    """`data`: what forms_app.rules.year_report.report_data (kind "year") or phase_data (kind "phase") returns."""
    return papers.render_html(template, **data, trend_chart=_chart(data["trend"]), pct=_pct, num=_num,
                              paragraphs=paragraphs)


def parts(data: dict, rows_at_once: int = ROWS_AT_ONCE) -> int:
    """How many parts `write_pdf` renders the review in."""
    return len(_parts(data, rows_at_once))


def _parts(data: dict, rows_at_once: int) -> list[tuple[str, dict]]:
    """(template, values) of each part of the review: the whole when its lists hold at most `rows_at_once` rows; else
    the report with the first rows of the recognised units, their next rows `rows_at_once` at a time, the last of them
    followed by the commended units' title and first rows (at least one), then their next rows."""
    recognised, commended = data["recognised"], data["commended"]
    if len(recognised) + len(commended) <= rows_at_once:
        return [("review.html", data)]
    chunks = [recognised[offset:offset + rows_at_once] for offset in range(0, len(recognised), rows_at_once)] or [[]]
    room = max(1, rows_at_once - len(chunks[-1]))  # the commended units' first rows, under their title
    found = [("review.html", data | {"part": "first" if index == 0 else "more", "offset": index * rows_at_once,
                                     "numbered": False, "last": index == len(chunks) - 1, "recognised": chunk,
                                     "commended": commended[:room] if index == len(chunks) - 1 else []})
             for index, chunk in enumerate(chunks)]
    return found + [("review_commended_more.html", data | {"part": "more", "numbered": False, "recognised": [],
                                                            "commended_offset": offset,
                                                            "commended": commended[offset:offset + rows_at_once]})
                    for offset in range(room, len(commended), rows_at_once)]


def report_pdf(data: dict, rows_at_once: int = ROWS_AT_ONCE, parts_per_process: int = PARTS_PER_PROCESS) -> bytes:
    """The review as PDF bytes (A4): see `write_pdf`."""
    out = io.BytesIO()
    write_pdf(data, out, rows_at_once, parts_per_process)
    return out.getvalue()


def write_pdf(data: dict, target: BinaryIO, rows_at_once: int = ROWS_AT_ONCE,
              parts_per_process: int = PARTS_PER_PROCESS, done: Done | None = None) -> None:
    """The review written as PDF (A4) to `target`. When its lists of recognised and commended units hold more than
    `rows_at_once` rows, it is rendered in parts of about that many rows (`_parts`), each by a process of its own that
    renders at most `parts_per_process` parts and ends (so memory is that of a few parts, whatever the lists' length),
    numbered "page/pages" as one document would be, and joined."""
    found = _parts(data, rows_at_once)
    if len(found) == 1:
        target.write(papers.render_pdf(render_html(data)))
        if done:
            done(1, 1, os.getpid())
        return
    with tempfile.TemporaryDirectory(prefix="review-") as folder:
        files = [Path(folder) / f"{index}.pdf" for index in range(len(found))]
        pages = []
        calls = [(template, values, path) for (template, values), path in zip(found, files, strict=True)]
        for pid, count in _in_processes(_render_part, calls, parts_per_process):
            pages.append(count)
            if done:
                done(len(pages), len(found), pid)
        firsts = [1 + sum(pages[:index]) for index in range(len(pages))]
        list(_in_processes(_number_part, [(path, first, sum(pages)) for path, first in zip(files, firsts, strict=True)],
                           parts_per_process))
        _joined(files, target)


def _in_processes(function: Callable, calls: list[tuple], per_process: int) -> Iterator:
    """`function`'s results for each of `calls` (its arguments), in order, each run in a rendering process that makes
    `per_process` calls and ends: one process at a time, started with "spawn" (a fresh interpreter, never a copy of the
    caller, its threads and its database connections).

    (Not ProcessPoolExecutor's `max_tasks_per_child`: on Python 3.11 the pool waits forever once its first process
    has ended, CPython issue gh-115634.)"""
    spawn = multiprocessing.get_context("spawn")
    for start in range(0, len(calls), per_process):
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as process:
            yield from process.map(function, *zip(*calls[start:start + per_process], strict=True))


def _render_part(template: str, values: dict, path: Path) -> tuple[int, int]:
    """One part rendered to `path` (in a rendering process); (this process's id, its pages)."""
    path.write_bytes(papers.render_pdf(render_html(values, template)))
    with pikepdf.open(path) as pdf:
        return os.getpid(), len(pdf.pages)


def _number_part(path: Path, first: int, total: int) -> int:
    """A part's pages stamped with their numbers over the whole ("3/40", where _paper.html puts them), from `first`
    (in a rendering process: a document of the numbers alone would be as long as the whole); this process's id."""
    with pikepdf.open(path, allow_overwriting_input=True) as part:
        numbers = pikepdf.open(io.BytesIO(papers.render_pdf(papers.render_html(
            "page_numbers.html", first=first, pages=len(part.pages), total=total))))
        with numbers:
            for page, number in zip(part.pages, numbers.pages, strict=True):
                page.add_overlay(number)
            part.save(path)
    return os.getpid()


def _joined(files: list[Path], target: BinaryIO) -> None:
    """The parts' pages in one PDF written to `target` (each part stays open until the whole is saved: its pages are
    read then, from its file)."""
    with contextlib.ExitStack() as opened, pikepdf.new() as whole:
        for path in files:
            whole.pages.extend(opened.enter_context(pikepdf.open(path)).pages)
        whole.save(target)
