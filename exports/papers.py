"""Papers in Vietnamese administrative form: one Jinja environment over the templates in exports/templates/, the
date as offices write it, and WeasyPrint with no access to files or the network (exports.certificate.render_pdf).

Every document extends `_paper.html`, whose macros draw the two-column heading (the superior level and the issuing
body, "***", "Số: …" on the left; "ĐOÀN TNCS HỒ CHÍ MINH" underlined on the right), the place-and-date line, the
signature block with room for signature and stamp, and "Nơi nhận". Every value is escaped and NFC-normalised.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .certificate import FONT_STACK, render_pdf
from .dates import short_date, vn_date


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


_env = Environment(loader=PackageLoader("exports", "templates"), autoescape=select_autoescape(default=True),
                   finalize=_nfc, trim_blocks=True, lstrip_blocks=True)
_env.filters.update(vn_date=vn_date, short_date=short_date)


def render_html(template: str, **values: Any) -> str:
    """A paper's HTML from its template file, every value escaped (and NFC-normalised as it is printed)."""
    return _env.get_template(template).render(font=FONT_STACK, **values)


def render(template: str, **values: Any) -> bytes:
    """A paper as PDF bytes (A4, system fonts, no file or network access)."""
    return render_pdf(render_html(template, **values))
