"""Numbers as people write them, for rules and answer errors alike."""

from __future__ import annotations


def fmt(value: float, lang: str = "vi", digits: int = 2) -> str:
    """A number as people write it: 5, 2.5 (en) or 2,5 (vi)."""
    value = round(float(value), digits)
    text = str(int(value)) if value.is_integer() else f"{value:.{digits}f}".rstrip("0")
    return text.replace(".", ",") if lang == "vi" else text
