"""The clock every timestamp and every "today" comes from, in the deployment's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def stamp(moment: dt.datetime | None = None) -> str:
    """An ISO timestamp in UTC, to the second, as stored in every *_at column."""
    return (moment or utcnow()).astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def today(now: dt.datetime | None = None) -> dt.date:
    """Today's date where the Union is (Asia/Ho_Chi_Minh); `now` stands in for the clock (tests, the app's NOW)."""
    return (now or utcnow()).astimezone(TIME_ZONE).date()


def local(moment: str) -> dt.datetime:
    """A stored UTC timestamp in the deployment's time zone."""
    return dt.datetime.fromisoformat(moment).astimezone(TIME_ZONE)
