"""The year-end review (báo cáo tổng kết năm) and the phase review in Vietnamese administrative form
(exports/templates/review.html over _paper.html): the heading, number and date line, the office's narrative, the
figures per cluster or per year with the trend chart, the weakest criteria, the recognised and commended units, the
signature block and "Nơi nhận"."""

from __future__ import annotations

from . import papers
from .charts import grouped_bars


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


def report_pdf(data: dict) -> bytes:
    """The review as PDF bytes (A4)."""
    return papers.render_pdf(render_html(data))
