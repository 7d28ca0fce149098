"""Charts drawn on the server as inline SVG: no script, no CDN, readable on a phone and in print."""

from __future__ import annotations

from markupsafe import Markup, escape

from scoring.rules import fmt


def section_bars(report: dict, lang: str = "vi") -> Markup:
    """One horizontal bar per section: score against maximum, with the pass mark drawn as a line."""
    sections = report["sections"]
    width, label_h, bar_h, gap = 640, 18, 22, 16
    left, right = 8, 8
    row_h = label_h + bar_h + gap
    height = row_h * len(sections) + 8
    inner = width - left - right
    pass_word = "điểm đạt" if lang == "vi" else "pass mark"
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="{escape(_summary(sections, lang))}">'
    ]
    for i, section in enumerate(sections):
        top = 4 + i * row_h
        maximum = section["max"] or 1
        filled = inner * max(0.0, min(section["score"] / maximum, 1.0))
        colour = "#1b7a3a" if section["passed"] else "#b3261e"
        title = f"{_short(section['title'], 64)}: {fmt(section['score'], lang)} / {fmt(section['max'], lang)}"
        parts.append(f'<text x="{left}" y="{top + 13}" class="chart-label">{escape(title)}</text>')
        parts.append(f'<rect x="{left}" y="{top + label_h}" width="{inner}" height="{bar_h}" rx="3" fill="#e8e8e8"/>')
        parts.append(f'<rect x="{left}" y="{top + label_h}" width="{filled:.1f}" height="{bar_h}" rx="3" fill="{colour}"/>')
        if section["pass_min"] is not None:
            x = left + inner * min(section["pass_min"] / maximum, 1.0)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + label_h - 3}" y2="{top + label_h + bar_h + 3}" '
                f'stroke="#222" stroke-width="2" stroke-dasharray="4 2"><title>{pass_word} {fmt(section["pass_min"], lang)}</title></line>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(sections: list[dict], lang: str) -> str:
    return "; ".join(f"{s['title']}: {fmt(s['score'], lang)}/{fmt(s['max'], lang)}" for s in sections)
