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

from jinja2 import Environment, PackageLoader, select_autoescape

from .dates import vn_date

FONT_STACK = '"Noto Serif", "DejaVu Serif", serif'


@dataclass(frozen=True)
class Issuer:
    """Who issues the certificates (a deployment may change every line; an admin does on /admin/settings).

    `superior` is the level above the issuing body (printed above it at top left), `organisation` the issuing body
    (bold, under it), `committee` the standing committee the certificate speaks for, `signer_title` the signature
    block's role lines. A line break in a heading line is where it breaks on paper: no line ever breaks elsewhere.
    """

    union: str = "ĐOÀN TNCS HỒ CHÍ MINH"
    organisation: str = "BAN CHẤP HÀNH ĐOÀN TRƯỜNG ĐẠI HỌC SƯ PHẠM HÀ NỘI"
    committee: str = "BAN THƯỜNG VỤ ĐOÀN TRƯỜNG ĐẠI HỌC SƯ PHẠM HÀ NỘI"
    place: str = "Hà Nội"
    signer_title: str = "TM. BAN THƯỜNG VỤ ĐOÀN TRƯỜNG\nBÍ THƯ"
    signer_name: str = ""
    superior: str = ""


@dataclass(frozen=True)
class Certificate:
    """What one certificate says: the unit, the title it earned (the form's `result.certificate.title`) and for which
    year, the decision (whose date the certificate carries), the serial, its number in the register and where to
    verify it."""

    unit_name: str
    title: str
    cycle_year: int
    decision_no: str
    decided_on: dt.date
    serial: str
    verify_url: str
    issued_on: dt.date
    issuer: Issuer = field(default_factory=Issuer)
    register_no: int | None = None


def register_number(certificate: Certificate) -> str:
    """"0001/2022": the certificate's number in the year's register (empty before it has one)."""
    if certificate.register_no is None:
        return ""
    return f"{certificate.register_no:04d}/{certificate.cycle_year}"


def nfc(value):
    """Every text NFC-normalised (a name typed with combining marks prints like one typed precomposed)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


def qr_data_uri(url: str) -> str:
    """The verification URL as a QR code, an SVG data: URI (the only kind of URL the renderer may load). segno is
    imported by the first certificate a process makes: the web app's workers seldom make one themselves."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# The certificate's own frame (A4 landscape, no page number), in templates/certificate.html beside _paper.html.
_env = Environment(loader=PackageLoader("exports", "templates"), autoescape=select_autoescape(default=True),
                   finalize=nfc, trim_blocks=True, lstrip_blocks=True)
_env.filters.update(vn_date=vn_date, lines=_lines)


def render_html(certificate: Certificate) -> str:
    """The certificate as HTML, every value escaped and NFC-normalised."""
    issuer = Issuer(**{k: nfc(v) for k, v in certificate.issuer.__dict__.items()})
    values = {k: nfc(v) for k, v in certificate.__dict__.items() if k != "issuer"}
    clean = Certificate(**values, issuer=issuer)
    return _env.get_template("certificate.html").render(c=clean, qr=qr_data_uri(clean.verify_url), font=FONT_STACK,
                                                        register=register_number(clean))


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
    """The certificate as PDF bytes."""
    return render_pdf(render_html(certificate))
