"""A unit's private calendar feed (issue 16): the .ics parses with icalendar, holds the unit's windows and deadlines
(titles, never ids), follows an extension (same UID, the deadline moved), stops at a renewed or revoked token, shows one
unit only, and only a unit account creates one for itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from icalendar import Calendar
from support.data import SELF, opened
from support.web import csrf_token, start_session, unescape

from forms_app.rules import calendars, registry, windows

TODAY = dt.date(2022, 9, 15)  # OPEN_DAY in Hà Nội; the 2022 self-assessment closes on 1 October 2022
FEED = re.compile(r"https?://[^\s\"<>]+/calendar/[A-Za-z0-9_-]+\.ics")


def _create(app, username: str = "toan") -> str:
    """The feed's address, as the unit's button shows it once."""
    client = app.test_client()
    start_session(app, client, username)
    response = client.post("/calendar/new", data={"csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 200
    return FEED.search(unescape(response.get_data(as_text=True))).group(0)


def _path(url: str) -> str:
    return url[url.index("/calendar/"):]


def _events(app, url: str) -> dict[str, dict]:
    response = app.test_client().get(_path(url))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    calendar = Calendar.from_ical(response.data)
    return {str(e["UID"]): {"summary": str(e["SUMMARY"]), "start": e.decoded("DTSTART"), "url": str(e["URL"])}
            for e in calendar.walk("VEVENT")}


def _title(app, form_id: str) -> str:
    with opened(app.config["DATA_DIR"]) as forms:
        return registry.definition(forms, form_id).title.get("vi")


def test_the_feed_holds_the_units_windows_and_deadlines_by_title(app):
    events = _events(app, _create(app))
    deadline = events[f"TOAN-{SELF}-2022-deadline@forms-app"]
    assert deadline["start"] == dt.date(2022, 10, 1)
    assert isinstance(deadline["start"], dt.date) and not isinstance(deadline["start"], dt.datetime)  # all-day
    assert _title(app, SELF) in deadline["summary"] and SELF not in deadline["summary"]
    assert deadline["url"].endswith(f"/forms/{SELF}/2022")
    assert f"TOAN-{SELF}-2022-opens@forms-app" in events
    assert all(SELF not in e["summary"] for e in events.values())


def test_the_feed_follows_an_extension_with_the_same_uid(app):
    url = _create(app)
    uid = f"TOAN-{SELF}-2022-deadline@forms-app"
    assert _events(app, url)[uid]["start"] == dt.date(2022, 10, 1)
    with opened(app.config["DATA_DIR"]) as forms:
        windows.grant_extension(forms, "TOAN", SELF, 2022, dt.date(2022, 10, 20), "thử nghiệm", "admin", on=TODAY)
    moved = _events(app, url)
    assert moved[uid]["start"] == dt.date(2022, 10, 20)
    assert sum(1 for key in moved if key.endswith(f"{SELF}-2022-deadline@forms-app")) == 1


def test_a_renewed_or_revoked_token_is_a_404(app):
    old = _create(app)
    new = _create(app)
    assert app.test_client().get(_path(old)).status_code == 404
    assert _events(app, new)
    client = app.test_client()
    start_session(app, client, "toan")
    response = client.post("/calendar/revoke", data={"csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 303
    assert app.test_client().get(_path(new)).status_code == 404
    assert app.test_client().get("/calendar/khong-co-ma-nay.ics").status_code == 404


def test_another_units_token_shows_only_that_unit(app):
    events = _events(app, _create(app, "van"))
    assert events and all(uid.startswith("VAN-") for uid in events)
    assert _events(app, _create(app))  # TOAN's own feed is its own


def test_only_the_hash_is_stored(app):
    url = _create(app)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    with opened(app.config["DATA_DIR"]) as forms:
        rows = [tuple(r) for r in forms.execute("SELECT unit_code, token_hash FROM calendar_tokens")]
        assert calendars.unit_of(forms, token) == "TOAN"
    assert rows == [("TOAN", hashlib.sha256(token.encode()).hexdigest())]


@pytest.mark.parametrize("username", [None, "vanphong"])
def test_only_a_unit_account_creates_a_feed(app, username):
    client = app.test_client()
    if username:
        start_session(app, client, username)
    response = client.post("/calendar/new",
                           data={"csrf_token": csrf_token(client, "/login" if not username else "/account/password")})
    assert response.status_code in ((302, 303) if username is None else (403,))
    with opened(app.config["DATA_DIR"]) as forms:
        assert forms.execute("SELECT COUNT(*) FROM calendar_tokens").fetchone()[0] == 0


def test_the_dashboard_offers_the_feed(app):
    client = app.test_client()
    start_session(app, client, "toan")
    page = unescape(client.get("/").get_data(as_text=True))
    assert "Lịch hạn nộp" in page and "/calendar/new" in page and "/calendar/revoke" not in page
    _create(app)
    page = unescape(client.get("/").get_data(as_text=True))
    assert "/calendar/revoke" in page
