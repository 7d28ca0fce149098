"""Roles as the plan runs the programme (interfaces.md, additions of 2026-11-27): every route of the app, for every
role, on GET and on POST, allowed or refused exactly as the spec's table says.

The routes are read from the app's url_map: a route with no line in EXPECTED fails (so a new route needs its
expectation here). The unit the per-unit routes name is TOAN (cluster "Cụm 1"): its own account, another unit's
(van, of "Cụm 2"), the office, the inspection committee, the lead of TOAN's cluster, the lead of VAN's cluster only,
an admin, and nobody signed in. A refused POST carries a valid CSRF token and writes nothing to either database.
"""

from __future__ import annotations

import io
import sqlite3
import tempfile
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import pytest
from support.data import OPEN_DAY, SELF, TEMPLATES, issue_certificate, opened, recognised_app
from support.web import PDF, csrf_token, start_session, unescape
from werkzeug.datastructures import FileStorage

from forms_app.adapters.web.app import create_app
from forms_app.data import connection
from forms_app.rules import accounts, calendars, jobs, passwords, registry, uploads
from forms_app.rules.year_report import PHASE

ANON, OWN, OTHER, REVIEWER, INSPECTOR, LEAD, OTHER_LEAD, ADMIN = ROLES = (
    "anonymous", "unit", "other_unit", "reviewer", "inspector", "cluster_lead", "other_cluster_lead", "admin")
USERS = {OWN: "toan", OTHER: "van", REVIEWER: "vanphong", INSPECTOR: "kiemtra", LEAD: "phutrachcum",
         OTHER_LEAD: "phutrachcum2", ADMIN: "admin"}
CLUSTER_2 = "Cụm 2 – Khoa học Xã hội"
TOAN_NAME = "Đoàn khoa Toán – Tin"

# Who may, by the spec's table.
PUBLIC = frozenset(ROLES)
SIGNED_IN = PUBLIC - {ANON}
UNITS = frozenset({OWN, OTHER})  # a unit's own pages (/forms/…): each unit account reads and fills its own
READ_TOAN = frozenset({REVIEWER, INSPECTOR, LEAD, ADMIN})  # TOAN's pages as reviewers read them (its cluster's lead too)
EVERY_UNIT = frozenset({REVIEWER, INSPECTOR, ADMIN})  # what covers every unit: exports (cluster leads: 403)
DECIDES = frozenset({REVIEWER, ADMIN})  # the office: decisions, accepting or returning, certificates
INSPECTS = frozenset({INSPECTOR, ADMIN})  # the inspection committee: adjustments, inspections
PROPOSES = frozenset({LEAD, ADMIN})  # TOAN's cluster lead: comments, proposals
REVIEWERS = frozenset({REVIEWER, INSPECTOR, LEAD, OTHER_LEAD, ADMIN})  # lists every reviewer reads (leads: filtered)
ADMINS = frozenset({ADMIN})

UNIT_URL = f"/units/TOAN/forms/{SELF}/2022"
OWN_URL = f"/forms/{SELF}/2022"
REVIEW_URL = f"/review/TOAN/{SELF}/2022"
DECISION_NO = "45-QĐ/ĐTN"  # the number of recognised_app's decisions


class Rule(NamedTuple):
    """A route's address here, who may GET it and who may POST to it (None: the route has no such method)."""

    url: str
    get: frozenset | None = None
    post: frozenset | None = None
    ok: frozenset = frozenset({200})  # what an allowed GET answers
    refused_as: dict | None = None  # {(role, method): statuses} when a refusal is not 403 (signed out: a sign-in redirect)


EXPECTED: dict[str, Rule] = {
    "static": Rule("/static/app.css", get=PUBLIC),
    "auth.login": Rule("/login", get=PUBLIC, post=PUBLIC, ok=frozenset({200, 302})),
    "auth.logout": Rule("/logout", post=PUBLIC),
    "auth.change_password": Rule("/account/password", get=SIGNED_IN, post=SIGNED_IN),
    "main.healthz": Rule("/healthz", get=PUBLIC),
    "main.dashboard": Rule("/", get=SIGNED_IN),
    # A unit's own pages.
    "fill.fill": Rule(OWN_URL, get=UNITS, post=UNITS, refused_as={(ANON, "POST"): {400}}),  # no session: nothing kept, a sentence
    "fill.result": Rule(OWN_URL + "/result", get=UNITS),
    "fill.history": Rule(OWN_URL + "/history", get=UNITS),
    "fill.revision": Rule(OWN_URL + "/history/1", get=UNITS),
    "certs.own": Rule(OWN_URL + "/certificate.pdf", get=UNITS),
    "certs.issue_own": Rule(OWN_URL + "/certificate", post=UNITS),
    "unit_papers.own": Rule(OWN_URL + "/report.pdf", get=UNITS),
    # TOAN's pages as reviewers read them; its file, to TOAN and to them (another unit: not found).
    "fill.unit_result": Rule(UNIT_URL + "/result", get=READ_TOAN),
    "fill.unit_history": Rule(UNIT_URL + "/history", get=READ_TOAN),
    "fill.unit_revision": Rule(UNIT_URL + "/history/1", get=READ_TOAN),
    "fill.download": Rule("/files/{token}", get=READ_TOAN | {OWN}, refused_as={(OTHER, "GET"): {404}}),
    "certs.any_unit": Rule(UNIT_URL + "/certificate.pdf", get=READ_TOAN),
    "certs.issue_any": Rule(UNIT_URL + "/certificate", post=DECIDES),
    "unit_papers.any_unit": Rule(UNIT_URL + "/report.pdf", get=READ_TOAN),
    "review.review": Rule(REVIEW_URL, get=READ_TOAN),
    "review.decide": Rule(REVIEW_URL + "/decision", post=DECIDES),
    "review.adjust": Rule(REVIEW_URL + "/adjust", post=INSPECTS),
    "review.inspect": Rule(REVIEW_URL + "/inspection", post=INSPECTS),
    "review.comment": Rule(REVIEW_URL + "/comment", post=PROPOSES),
    "review.propose": Rule(REVIEW_URL + "/proposal", post=PROPOSES),
    # The office's queue and one decision for many units; the yearly list of proposals and the office's selection.
    "board.queue": Rule("/board/queue", get=DECIDES),
    "board.decide": Rule("/board/queue", post=DECIDES),
    "board.decision": Rule(f"/board/decision?form={SELF}&year=2022&no={quote(DECISION_NO)}&on=2022-10-20", get=DECIDES),
    "board.issue": Rule("/board/decision/certificates", post=DECIDES),
    "office.proposal_list": Rule("/office/proposals", get=REVIEWERS),
    "office.select": Rule("/office/proposals/2022/selection", post=DECIDES),
    "office.reminder_log": Rule("/office/reminders", get=REVIEWERS),  # who was reminded when (leads: their clusters)
    # Every unit at once: the kept file, or the page of the job that builds it (POST: build again after a failure).
    "downloads.xlsx": Rule("/exports/2022.xlsx", get=EVERY_UNIT, post=EVERY_UNIT),
    "downloads.csv_zip": Rule("/exports/2022.zip", get=EVERY_UNIT, post=EVERY_UNIT),
    "downloads.report": Rule("/exports/2022/bao-cao.pdf", get=EVERY_UNIT, post=EVERY_UNIT),
    "downloads.phase_report": Rule("/exports/giai-doan/bao-cao.pdf", get=EVERY_UNIT, post=EVERY_UNIT),
    "downloads.kept": Rule("/exports/tep/{job}", get=EVERY_UNIT),  # an earlier job's file, offered meanwhile
    # The office's narrative of the year-end review and of the phase review.
    "narrative.edit": Rule("/office/narrative/2022", get=DECIDES, post=DECIDES),
    # The office's papers: a decision's document, the certificate register, the year's certificates merged.
    "papers.decision": Rule(f"/papers/decision.pdf?form={SELF}&year=2022&no={quote(DECISION_NO)}&on=2022-10-20",
                            get=EVERY_UNIT),
    "papers.register_pdf": Rule("/papers/2022/register.pdf", get=EVERY_UNIT),
    "papers.register_xlsx": Rule("/papers/2022/register.xlsx", get=EVERY_UNIT),
    "papers.certificates_merged": Rule("/papers/2022/certificates.pdf", get=EVERY_UNIT),
    "certs.verify": Rule("/verify/{serial}", get=PUBLIC),
    # A unit's private calendar feed: read by its token (a phone signs in to nothing); created and revoked by units.
    "calendars.feed": Rule("/calendar/{calendar}.ics", get=PUBLIC),
    "calendars.create": Rule("/calendar/new", post=UNITS),
    "calendars.revoke": Rule("/calendar/revoke", post=UNITS),
    # Accounts, cycles, deadlines, quotas.
    "admin.users": Rule("/admin/users", get=ADMINS, post=ADMINS),
    "admin.edit_user": Rule("/admin/users/toan", get=ADMINS, post=ADMINS),
    "admin.reset_password": Rule("/admin/users/toan/password", get=ADMINS, post=ADMINS),
    "admin.cycles": Rule("/admin/cycles", get=ADMINS),
    "admin.set_cycle": Rule(f"/admin/cycles/{SELF}/2022", post=ADMINS),
    "admin.extend": Rule("/admin/extensions", post=ADMINS),
    "admin.upload_quotas": Rule("/admin/uploads", get=ADMINS, post=ADMINS),
    "admin.unit_addresses": Rule("/admin/units", get=ADMINS),
    "admin.unit_address": Rule("/admin/units/TOAN", get=ADMINS, post=ADMINS),
    "admin.settings": Rule("/admin/settings", get=ADMINS, post=ADMINS),
}


def _routes() -> dict[str, set[str]]:
    """{endpoint: its methods} of the app as built (on a throwaway data directory)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATA_DIR": Path(folder) / "data", "TESTING": True})
        found: dict[str, set[str]] = {}
        for rule in app.url_map.iter_rules():
            found.setdefault(rule.endpoint, set()).update(rule.methods & {"GET", "POST"})
        return found


ROUTES = _routes()


def _build(data_dir: Path) -> Path:
    """TOAN and VAN registered, submitted and recognised for 2022, their certificates issued; a file TOAN uploaded;
    a second cluster lead, in charge of VAN's cluster only."""
    app = recognised_app(data_dir)
    for unit in ("TOAN", "VAN"):
        issue_certificate(app, unit)
    with opened(data_dir) as forms:
        question = next(q for q in registry.definition(forms, SELF).questions if q.type == "file")
        uploads.store(forms, data_dir, unit_code="TOAN", form_id=SELF, cycle_year=2022, question=question,
                      upload=FileStorage(stream=io.BytesIO(PDF), filename="toan-rieng.pdf"),
                      author="toan")
    with opened(data_dir, connection.open_accounts) as accounts_db:
        accounts.add_user(accounts_db, USERS[OTHER_LEAD], "mat-khau-thu-nghiem", "cluster_lead", clusters=[CLUSTER_2],
                          hasher=passwords.CHEAP_HASHER)
    with opened(data_dir) as forms:  # every heavy document built and kept, as its job leaves it
        for kind, year in (("xlsx", 2022), ("csv_zip", 2022), ("year_report", 2022), ("phase_report", PHASE)):
            status = jobs.request(forms, data_dir, jobs.Document(kind, SELF, year), "vanphong")
            jobs.run(forms, data_dir, status.job["id"])
    return data_dir


@pytest.fixture
def site(tmp_path):
    """The app on a fresh copy of the data directory, with the values the addresses need."""
    data_dir = TEMPLATES.copy("roles", _build, tmp_path / "data")
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": OPEN_DAY})
    with opened(data_dir) as forms:
        token = forms.execute("SELECT token FROM uploads WHERE unit_code = 'TOAN'").fetchone()[0]
        serial = forms.execute("SELECT serial FROM certificates WHERE unit_code = 'TOAN'").fetchone()[0]
        calendar = calendars.create(forms, "TOAN")
        job = forms.execute("SELECT id FROM jobs WHERE kind = 'xlsx'").fetchone()[0]
    return app, {"token": token, "serial": serial, "calendar": calendar, "job": job}


def _dump(data_dir: Path) -> list[str]:
    """Both databases' rows, to compare before and after a refused POST."""
    rows = []
    for name in ("forms.db", "accounts.db"):
        conn = sqlite3.connect(data_dir / name)
        try:
            rows += [f"{name}: {line}" for line in conn.iterdump()]
        finally:
            conn.close()
    return rows


def _to_sign_in(response) -> bool:
    return response.status_code in (302, 303) and response.location.startswith("/login")


def _check(response, rule: Rule, allowed: frozenset, role: str, method: str) -> None:
    status = response.status_code
    if role in allowed:
        assert status < 500 and status != 403, f"{role} {method}: {status}"
        if method == "GET":
            assert status in rule.ok, f"{role} GET: {status}"
        return
    expected = (rule.refused_as or {}).get((role, method))
    if expected is not None:
        assert status in expected, f"{role} {method}: {status}, expected {expected}"
    elif role == ANON:
        assert _to_sign_in(response), f"anonymous {method}: {status} {response.location}"
    else:
        assert status == 403, f"{role} {method}: {status}"
    assert TOAN_NAME not in unescape(response.get_data(as_text=True)), f"{role} {method} sees TOAN"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_every_route_lets_each_role_do_only_what_the_spec_gives_it(site, endpoint, role):
    assert endpoint in EXPECTED, f"{endpoint}: a route with no expectation in tests/test_roles.py (who may use it?)"
    rule = EXPECTED[endpoint]
    declared = {method for method, who in (("GET", rule.get), ("POST", rule.post)) if who is not None}
    assert declared == ROUTES[endpoint], f"{endpoint}: the app has {ROUTES[endpoint]}, the table {declared}"
    app, values = site
    url = rule.url.format(**values)
    client = app.test_client()
    if role != ANON:
        start_session(app, client, USERS[role])
    if rule.get is not None:
        _check(client.get(url), rule, rule.get, role, "GET")
    if rule.post is not None:
        token = csrf_token(client, "/login" if role == ANON else "/account/password")
        before = _dump(app.config["DATA_DIR"])
        response = client.post(url, data={"csrf_token": token})
        _check(response, rule, rule.post, role, "POST")
        if role not in rule.post:
            assert _dump(app.config["DATA_DIR"]) == before, f"{role}: a refused POST wrote something"
