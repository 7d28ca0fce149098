"""Text as the data layer stores and compares it: Vietnamese folded to plain ASCII for search and matching."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Vietnamese without diacritics, lower case: "Đoàn khoa Toán" → "doan khoa toan"."""
    text = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").lower().split())


def fold_name(text: str) -> str:
    """`fold`, with underscores read as spaces: how column headers and cluster names are matched."""
    return fold(text).replace("_", " ")


def same_dashes(text: str) -> str:
    """Every dash (-, –, —) with the spaces around it written " - "."""
    return re.sub(r"\s*[-\u2013\u2014]\s*", " - ", unicodedata.normalize("NFC", text))
