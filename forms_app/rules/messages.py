"""One shape for every sentence the product says about a refusal: a catalogue `{code: {"vi": …, "en": …}}`.

The rules raise errors that carry a code, the input (field or row) they concern and the values to put
in the sentence; the edges (the pages, the command line) turn them into words with `text()`. Each
family of rules keeps its catalogue beside the code that raises it, in this one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Mapping

LANGS = ("vi", "en")
Catalogue = Mapping[str, Mapping[str, str]]


def text(catalogue: Catalogue, code: str, lang: str = "vi", **params) -> str:
    """The sentence for `code` in `lang` (Vietnamese when the language is missing), its `{names}` filled from `params`.

    A placeholder with no value reads as empty rather than failing: a sentence is always given.
    """
    texts = catalogue.get(code)
    if texts is None:
        return code
    template = texts.get(lang) or texts["vi"]
    return template.format_map(_Blank(params))


def row_prefix(row: int | None, lang: str) -> str:
    """"Dòng 7: " (or "Row 7: ") before a sentence about a row of an imported file; nothing for the whole file."""
    if not row:
        return ""
    return f"{'Row' if lang == 'en' else 'Dòng'} {row}: "


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Refusal:
    """Why something was not done: a code, the input it concerns (a form field or None), and its values."""

    code: str
    field: str | None = None
    params: dict = dataclass_field(default_factory=dict)
