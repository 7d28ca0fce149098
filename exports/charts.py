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


PALETTE = ("#0d4fa8", "#1b7a3a", "#b3261e", "#8a5a00", "#5b2a99", "#00707a")


def grouped_bars(categories: list[str], series: list[tuple[str, list[float | None]]], *, maximum: float,
                 unit: str = "", label: str = "", lang: str = "vi") -> Markup:
    """Vertical bars: one group per category, one bar per series, with a legend and value labels."""
    width, height, left, bottom, top = 720, 300, 44, 48, 30
    inner_w, inner_h = width - left - 10, height - top - bottom
    groups = max(1, len(categories))
    per_group = inner_w / groups
    bar_w = max(2.0, min(36.0, (per_group - 8) / max(1, len(series))))
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
             f'aria-label="{escape(label)}">']
    for step in range(0, 5):
        value = maximum * step / 4
        y = top + inner_h - inner_h * step / 4
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-label">'
                     f'{escape(fmt(value, lang))}{escape(unit)}</text>')
    for g, category in enumerate(categories):
        x0 = left + g * per_group + (per_group - bar_w * len(series)) / 2
        for s, (name, values) in enumerate(series):
            value = values[g]
            if value is None:
                continue
            h = inner_h * max(0.0, min(value / maximum if maximum else 0, 1.0))
            x = x0 + s * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{top + inner_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(name)} — {escape(category)}: '
                         f'{escape(fmt(value, lang))}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{left + g * per_group + per_group / 2:.1f}" y="{top + inner_h + 16}" '
                     f'text-anchor="middle" class="chart-label">{escape(_short(category, 18))}</text>')
    x = left
    for s, (name, _values) in enumerate(series):
        parts.append(f'<rect x="{x}" y="{height - 18}" width="12" height="12" fill="{PALETTE[s % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 16}" y="{height - 8}" class="chart-label">{escape(_short(name, 40))}</text>')
        x += 36 + 8 * min(len(name), 40)
    parts.append("</svg>")
    return Markup("".join(parts))
