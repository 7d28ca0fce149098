"""What a row of a result table holds besides plain values (`Link`), and a sheet's shape (`Sheet`): shared by the CSV
writer (`exports.tables`) and the XLSX writer (`exports.workbook`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence


@dataclass(frozen=True)
class Link:
    """A cell that shows `text` and opens `url`: a hyperlink when the address is absolute (http or https), else the
    text followed by the address in brackets ("ke-hoach.pdf (/files/…)")."""

    text: str
    url: str

    @property
    def absolute(self) -> bool:
        return self.url.startswith(("https://", "http://"))

    def __str__(self) -> str:
        return f"{self.text} ({self.url})"


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]  # a sheet's title, header and rows
