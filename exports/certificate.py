"""The certificate of a recognised unit: HTML laid out as a Vietnamese Union certificate, rendered by WeasyPrint.

Pure: data in, PDF bytes out. Every text is escaped by Jinja and NFC-normalised; WeasyPrint may
fetch nothing but `data:` URIs (the QR code), never a file or the network; fonts come from the
system (installed by scripts/setup.sh).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import unicodedata
from dataclasses import dataclass, field

import segno
from jinja2 import Environment, select_autoescape

FONT_STACK = '"Noto Serif", "DejaVu Serif", serif'


@dataclass(frozen=True)
class Issuer:
    """Who issues the certificates (a deployment may change every line)."""

    union: str = "ĐOÀN TNCS HỒ CHÍ MINH"
    organisation: str = "BAN CHẤP HÀNH ĐOÀN TRƯỜNG ĐẠI HỌC SƯ PHẠM HÀ NỘI"
    committee: str = "BAN THƯỜNG VỤ ĐOÀN TRƯỜNG ĐẠI HỌC SƯ PHẠM HÀ NỘI"
    place: str = "Hà Nội"
    signer_title: str = "TM. BAN THƯỜNG VỤ ĐOÀN TRƯỜNG\nBÍ THƯ"
    signer_name: str = ""


@dataclass(frozen=True)
class Certificate:
    """What one certificate says: the unit, the title it earned (the form's `result.certificate.title`) and for which
    year, the decision, the serial and where to verify it."""

    unit_name: str
    title: str
    cycle_year: int
    decision_no: str
    decided_on: dt.date
    serial: str
    verify_url: str
    issued_on: dt.date
    issuer: Issuer = field(default_factory=Issuer)


TEMPLATE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Giấy chứng nhận {{ c.serial }}</title>
<style>
@page { size: A4 landscape; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: {{ font|safe }}; color: #1a1a1a; margin: 0; }
.frame { border: 3px double #b0121b; height: 186mm; padding: 10mm 16mm 8mm; position: relative; }
.frame::before { content: ""; position: absolute; inset: 3mm; border: 1px solid #c9a227; }
.head { display: flex; justify-content: space-between; font-size: 11pt; text-align: center; line-height: 1.35; }
.head .left { width: 48%; } .head .right { width: 48%; }
.head b { display: block; }
.stars { letter-spacing: 3pt; color: #b0121b; }
.motto { text-decoration: underline; font-weight: bold; }
h1 { text-align: center; color: #b0121b; font-size: 30pt; letter-spacing: 2pt; margin: 9mm 0 1mm; }
.sub { text-align: center; font-size: 13pt; font-weight: bold; margin: 0 0 6mm; }
.body { text-align: center; font-size: 14pt; line-height: 1.6; }
.unit { font-size: 22pt; font-weight: bold; color: #0d3f8a; margin: 3mm 0; }
.title { font-size: 17pt; font-weight: bold; color: #b0121b; }
.foot { position: absolute; left: 16mm; right: 16mm; bottom: 8mm; display: flex; justify-content: space-between; align-items: flex-end; }
.verify { font-size: 9pt; line-height: 1.4; width: 60%; display: flex; gap: 4mm; align-items: flex-end; }
.verify img { width: 28mm; height: 28mm; }
.serial { font-family: "DejaVu Sans Mono", monospace; font-size: 10pt; font-weight: bold; }
.sign { width: 36%; text-align: center; font-size: 12pt; line-height: 1.4; }
.sign .date { font-style: italic; margin-bottom: 2mm; }
.sign .role { font-weight: bold; white-space: pre-line; }
.sign .name { margin-top: 18mm; font-weight: bold; }
</style></head>
<body><div class="frame">
  <div class="head">
    <div class="left"><b>{{ c.issuer.union }}</b><b>{{ c.issuer.organisation }}</b><span class="stars">***</span></div>
    <div class="right"><b class="motto">{{ c.issuer.union }}</b></div>
  </div>
  <h1>GIẤY CHỨNG NHẬN</h1>
  <p class="sub">{{ c.issuer.committee }}</p>
  <div class="body">
    <div>Chứng nhận</div>
    <div class="unit">{{ c.unit_name }}</div>
    <div>Đạt danh hiệu</div>
    <div class="title">{{ c.title }} năm {{ c.cycle_year }}</div>
    <div>Theo Quyết định số {{ c.decision_no }} ngày {{ c.decided_on.day }} tháng {{ c.decided_on.month }} năm {{ c.decided_on.year }}
      của Ban Thường vụ Đoàn trường.</div>
  </div>
  <div class="foot">
    <div class="verify"><img src="{{ qr }}" alt="QR">
      <div>Số hiệu: <span class="serial">{{ c.serial }}</span><br>Kiểm tra tính xác thực tại:<br>{{ c.verify_url }}</div></div>
    <div class="sign">
      <div class="date">{{ c.issuer.place }}, ngày {{ c.issued_on.day }} tháng {{ c.issued_on.month }} năm {{ c.issued_on.year }}</div>
      <div class="role">{{ c.issuer.signer_title }}</div>
      <div class="name">{{ c.issuer.signer_name }}</div>
    </div>
  </div>
</div></body></html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_template = _env.from_string(TEMPLATE)


def nfc(value):
    """Every text NFC-normalised (a name typed with combining marks prints like one typed precomposed)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


def qr_data_uri(url: str) -> str:
    """The verification URL as a QR code, an SVG data: URI (the only kind of URL the renderer may load)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def render_html(certificate: Certificate) -> str:
    """The certificate as HTML, every value escaped and NFC-normalised."""
    issuer = Issuer(**{k: nfc(v) for k, v in certificate.issuer.__dict__.items()})
    values = {k: nfc(v) for k, v in certificate.__dict__.items() if k != "issuer"}
    clean = Certificate(**values, issuer=issuer)
    return _template.render(c=clean, qr=qr_data_uri(clean.verify_url), font=FONT_STACK)


def fetcher():
    """A WeasyPrint URL fetcher that loads `data:` URIs and refuses every other URL (file:, http:, …)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


_fonts = threading.local()


def font_config():
    """One WeasyPrint FontConfiguration per thread and process, kept from one PDF to the next.

    Without it WeasyPrint makes a new Pango font map for every document, and Pango starts about a
    hundred short-lived threads per document to load the system fonts again: a quarter of the
    render time, spent on other cores (two workers of a batch then slow each other down), and
    memory that grows with every PDF. Documents render the same either way (byte-identical: only
    system fonts are used, never @font-face). A font map is not shared between threads, and a
    forked process makes its own rather than use one whose threads stayed in the parent.
    """
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_fonts, "pid", None) != os.getpid():
        _fonts.config, _fonts.pid = FontConfiguration(), os.getpid()
    return _fonts.config


def render_pdf(html: str) -> bytes:
    """WeasyPrint alone on finished HTML (the baseline the certificate benchmark compares with)."""
    from weasyprint import HTML

    return HTML(string=html, base_url="about:blank", url_fetcher=fetcher()).write_pdf(font_config=font_config())


def certificate_pdf(certificate: Certificate) -> bytes:
    return render_pdf(render_html(certificate))
