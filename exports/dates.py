"""Dates as Union documents write them: day and month on two digits."""

from __future__ import annotations

import datetime as dt


def vn_date(day: dt.date | str | None) -> str:
    """"ngày 05 tháng 03 năm 2022": day and month zero-padded, as Union documents write them."""
    if day is None or day == "":
        return "ngày … tháng … năm …"
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def short_date(day: dt.date | str | None) -> str:
    """"05/03/2022"."""
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return f"{day.day:02d}/{day.month:02d}/{day.year}"
