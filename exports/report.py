"""The year-end conference report: counts per cluster, the recognition rate over the phase, the weakest criteria."""

from __future__ import annotations

import datetime as dt

from jinja2 import Environment, select_autoescape

from .certificate import FONT_STACK, nfc, render_pdf
from .charts import grouped_bars

TEMPLATE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Báo cáo sơ kết {{ year }} — {{ form_title }}</title>
<style>
@page { size: A4; margin: 18mm 16mm; @bottom-right { content: "Trang " counter(page) "/" counter(pages); font-size: 9pt; } }
body { font-family: {{ font|safe }}; font-size: 11pt; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 17pt; text-align: center; margin: 0 0 2mm; color: #b0121b; }
.sub { text-align: center; margin: 0 0 8mm; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; color: #0d3f8a; }
table { width: 100%; border-collapse: collapse; font-size: 10pt; }
th, td { border: 1px solid #999; padding: 3px 5px; text-align: left; vertical-align: top; }
th { background: #eef2f8; }
td.num, th.num { text-align: right; }
tr.total td { font-weight: bold; background: #f6f6f6; }
.chart { width: 100%; height: auto; } .chart-label { font-size: 11px; fill: #222; }
.note { font-size: 9.5pt; color: #555; }
</style></head><body>
<p>{{ issuer_union }}<br><b>{{ issuer_org }}</b></p>
<h1>BÁO CÁO SƠ KẾT NĂM {{ year }}</h1>
<p class="sub">{{ form_title }}<br>Giai đoạn {{ first_year }}–{{ last_year }} · Số liệu đến ngày {{ today.strftime("%d/%m/%Y") }}</p>

<h2>1. {% if registration_title %}Đăng ký, nộp{% else %}Nộp{% endif %} biểu mẫu và công nhận theo cụm thi đua</h2>
<table><thead><tr><th>Cụm thi đua</th><th class="num">Số đơn vị</th>{% if registration_title %}<th class="num">Đăng ký</th>{% endif %}\
<th class="num">Đã nộp</th><th class="num">Được công nhận</th><th class="num">Tỉ lệ công nhận*</th></tr></thead><tbody>
{% for c in clusters %}<tr><td>{{ c.cluster or "—" }}</td><td class="num">{{ c.units }}</td>\
{% if registration_title %}<td class="num">{{ c.registered }}</td>{% endif %}
<td class="num">{{ c.submitted }}</td><td class="num">{{ c.recognised }}</td>\
<td class="num">{{ pct(c.recognised, c.submitted) }}</td></tr>{% endfor %}
<tr class="total"><td>Toàn trường</td><td class="num">{{ totals.units }}</td>\
{% if registration_title %}<td class="num">{{ totals.registered }}</td>{% endif %}
<td class="num">{{ totals.submitted }}</td><td class="num">{{ totals.recognised }}</td>\
<td class="num">{{ pct(totals.recognised, totals.submitted) }}</td></tr>
</tbody></table>
<p class="note">{% if registration_title %}Đăng ký: số đơn vị đã nộp “{{ registration_title }}”. {% endif %}\
Đã nộp: số đơn vị đã nộp “{{ form_title }}”. * Tỉ lệ đơn vị được Ban Thường vụ công nhận trên số đơn vị đã nộp.</p>

<h2>2. Tỉ lệ công nhận qua các năm của giai đoạn</h2>
{{ trend_chart }}
<table><thead><tr><th>Năm</th><th class="num">Đã nộp</th><th class="num">Được công nhận</th>\
<th class="num">Tỉ lệ</th><th class="num">Điểm trung bình</th></tr></thead><tbody>
{% for y in trend %}<tr{% if y.year == year %} class="total"{% endif %}><td>{{ y.year }}</td><td class="num">{{ y.submitted }}</td>
<td class="num">{{ y.recognised }}</td><td class="num">{{ pct(y.recognised, y.submitted) }}</td>\
<td class="num">{{ num(y.average) }}</td></tr>{% endfor %}
</tbody></table>

<h2>3. Các tiêu chí còn yếu (năm {{ year }})</h2>
<p>Tỉ lệ điểm trung bình đạt được trên điểm tối đa của từng tiêu chí, thấp nhất trước.</p>
<table><thead><tr><th>Tiêu chí</th><th>Nội dung</th><th class="num">Tỉ lệ đạt</th></tr></thead><tbody>
{% for k in criteria %}<tr><td>{{ k.criterion }}</td><td>{{ k.label }}</td><td class="num">{{ num(k.ratio) }}%</td></tr>{% endfor %}
</tbody></table>
</body></html>
"""

_template = Environment(autoescape=select_autoescape(default=True, default_for_string=True)).from_string(TEMPLATE)


def _pct(part, whole) -> str:
    return "—" if not whole else f"{100.0 * (part or 0) / whole:.1f}%".replace(".", ",")


def _num(value) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def render_html(data: dict) -> str:
    """`data`: year, first_year, last_year, form_title, registration_title (None: no registration column), clusters,
    totals, trend, criteria, issuer_union, issuer_org."""
    trend = data["trend"]
    chart = grouped_bars(
        [str(y["year"]) for y in trend],
        [("Tỉ lệ được công nhận", [round(100.0 * y["recognised"] / y["submitted"], 1) if y["submitted"] else None for y in trend]),
         ("Điểm trung bình", [round(y["average"], 1) if y["average"] is not None else None for y in trend])],
        maximum=100, label="Tỉ lệ công nhận và điểm trung bình theo năm")
    clean = {k: nfc(v) for k, v in data.items()}
    clean.setdefault("today", dt.date.today())
    return _template.render(**clean, trend_chart=chart, pct=_pct, num=_num, font=FONT_STACK)


def report_pdf(data: dict) -> bytes:
    return render_pdf(render_html(data))
