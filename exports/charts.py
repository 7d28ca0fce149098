"""Charts drawn on the server: inline SVG, with HTML for words that must wrap; no script, no CDN, readable on a phone and in print."""

from __future__ import annotations

from markupsafe import Markup, escape

from scoring.rules import fmt


def section_bars(report: dict, lang: str = "vi") -> Markup:
    """One bar per section, its title and numbers as HTML text above it; the pass mark is a dashed line on the bar.

    The words are HTML, not SVG text: they wrap on whole words and keep the page's font size on a phone and on a
    desktop alike, and a screen reader reads them. Each bar is a small SVG drawn in percentages (no viewBox, so
    nothing is scaled and the dashes keep their length) and is hidden from screen readers: its text says it all.
    """
    words = _WORDS["vi" if lang == "vi" else "en"]
    rows = []
    for section in report["sections"]:
        maximum = section["max"] or 1
        filled = 100 * max(0.0, min(section["score"] / maximum, 1.0))
        colour = "#1b7a3a" if section["passed"] else "#b3261e"
        facts = [Markup('<span class="bar-value">{} / {}</span>').format(fmt(section["score"], lang),
                                                                         fmt(section["max"], lang))]
        bar = [Markup('<rect y="4" width="100%" height="22" rx="3" fill="#e8e8e8" stroke="#767676"/>')]
        if filled:
            bar.append(Markup('<rect y="4" width="{:.1f}%" height="22" rx="3" fill="{}"/>').format(filled, colour))
        if section["pass_min"] is not None:
            verdict = words["passed"] if section["passed"] else words["not_passed"]
            facts.append(Markup('<span class="bar-pass">{} {}</span>').format(words["pass_mark"],
                                                                               fmt(section["pass_min"], lang)))
            facts.append(Markup('<span class="bar-verdict {}">{}</span>').format(
                "ok" if section["passed"] else "no", verdict))
            x = 100 * min(section["pass_min"] / maximum, 1.0)
            # a white edge under the dashes keeps them visible on the dark filled part of the bar
            bar.append(Markup('<line x1="{0:.1f}%" x2="{0:.1f}%" y1="0" y2="30" stroke="#fff" stroke-width="4"/>'
                              '<line x1="{0:.1f}%" x2="{0:.1f}%" y1="0" y2="30" stroke="#222" stroke-width="2" '
                              'stroke-dasharray="4 2"/>').format(x))
        rows.append(Markup('<li><p class="bar-text"><span class="bar-title">{}</span> {}</p>'
                           '<svg class="bar" width="100%" height="30" aria-hidden="true" focusable="false" '
                           'xmlns="http://www.w3.org/2000/svg">{}</svg></li>').format(
            section["title"], Markup(" · ").join(facts), Markup("").join(bar)))
    return Markup('<ul class="section-bars">{}</ul>').format(Markup("").join(rows))


_WORDS = {"vi": {"pass_mark": "điểm đạt", "passed": "Đạt", "not_passed": "Chưa đạt"},
          "en": {"pass_mark": "pass mark", "passed": "Passed", "not_passed": "Not passed"}}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
