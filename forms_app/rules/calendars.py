"""A unit's private calendar feed (issue 16): the opening day and the deadline of each of its forms per cycle year,
as all-day events in an iCalendar (.ics) feed its committee subscribes to on a phone. The feed's address carries a
token only the unit knows (forms.db keeps its SHA-256); renewing it revokes the old one, and so does revoking.

Each event's UID is stable per unit, form, year and kind, so a moved deadline (an extension, a return that reopens
the form) updates the event on the phone instead of adding a second one."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from icalendar import Calendar, Event

from forms_app.data import calendars, clock
from forms_app.data.connection import Database, write
from forms_app.rules import registry, units, windows

TOKEN_BYTES = 32
MAX_TOKEN = 100  # longer is never a token of ours: refused before hashing
PRODID = "-//Doan truong//forms-app//VI"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(db: Database, unit_code: str, moment: dt.datetime | None = None) -> str:
    """A new token for the unit's feed (its old one revoked); the token is returned once and never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    at = clock.stamp(moment)
    with write(db):
        calendars.revoke_all(db, unit_code, at)
        calendars.add(db, unit_code, _hash(token), at)
    return token


def revoke(db: Database, unit_code: str, moment: dt.datetime | None = None) -> bool:
    """Revoke the unit's feed; whether it had one."""
    with write(db):
        return calendars.revoke_all(db, unit_code, clock.stamp(moment)) > 0


def unit_of(db: Database, token: str) -> str | None:
    """The unit whose live feed this token opens; None for an unknown, revoked or malformed token."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return calendars.unit_of(db, _hash(token))


def created_at(db: Database, unit_code: str) -> str | None:
    """When the unit's live feed was created (UTC); None when it has none."""
    return calendars.live_since(db, unit_code)


def events(db: Database, unit_code: str) -> list[dict]:
    """The unit's events: {uid, kind ('opens' or 'deadline'), day, title, form_id, year, extended}, by day."""
    found = []
    if units.find_unit(db, unit_code) is None:
        return found
    for definition in registry.latest_definitions(db):
        title = definition.title.get("vi")
        for year in windows.cycle_years(db, definition.id):
            window = windows.window(db, unit_code, definition.id, year)
            if window is None:
                continue
            common = {"form_id": definition.id, "year": year, "extended": window.extended,
                      "reopened": window.reopened_until is not None}
            found.append({**common, "kind": "opens", "day": window.opens,
                          "title": f"Mở nộp: {title} (năm {year})"})
            note = " (đã gia hạn)" if window.extended else " (mở lại)" if window.reopened_until else ""
            found.append({**common, "kind": "deadline", "day": window.closes,
                          "title": f"Hạn nộp: {title} (năm {year}){note}"})
    for event in found:
        event["uid"] = f"{unit_code}-{event['form_id']}-{event['year']}-{event['kind']}@forms-app"
    return sorted(found, key=lambda event: (event["day"], event["uid"]))


def feed(db: Database, unit_code: str, form_url: Callable[[str, int], str], now: dt.datetime | None = None) -> bytes:
    """The unit's feed as iCalendar bytes; `form_url(form_id, year)` is the form's full address."""
    unit = units.find_unit(db, unit_code)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Hạn nộp biểu mẫu – {unit['name'] if unit else unit_code}")
    calendar.add("x-wr-timezone", str(clock.TIME_ZONE))
    stamp = (now or clock.utcnow()).astimezone(dt.timezone.utc).replace(microsecond=0)
    for item in events(db, unit_code):
        event = Event()
        event.add("uid", item["uid"])
        event.add("dtstamp", stamp)
        event.add("summary", item["title"])
        event.add("dtstart", item["day"])
        event.add("dtend", item["day"] + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        url = form_url(item["form_id"], item["year"])
        event.add("url", url)
        event.add("description", f"{item['title']}\n{url}")
        calendar.add_component(event)
    return calendar.to_ical()
