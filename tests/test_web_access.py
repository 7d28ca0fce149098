"""Who may see what: every route for every role, and CSRF on every state-changing POST."""

from __future__ import annotations

import sqlite3

import pytest
from support.data import OPEN_DAY, PASSWORD, SELF, build_data_dir, current_answers, forms_sql, register, revision_rows
from support.web import (
    SELF_URL,
    complete_self_assessment,
    csrf_token,
    pdf_upload,
    post_answers,
    start_session,
    unescape,
)

SECRET = "Ghi chú riêng của Đoàn khoa Toán số 7391"
TOAN_FILE = "toan-minh-chung-rieng.pdf"
TOAN_NAME = "Đoàn khoa Toán – Tin"
UNIT_PAGES = f"/units/TOAN/forms/{SELF}/2022"

# route → expected status for toan (the owner), van (another unit), vanphong (reviewer), admin.
# For van, any of the statuses listed is fine as long as nothing of TOAN's shows.
ROUTES = {
    "/": (200, {200}, 200, 200),
    SELF_URL: (200, {200, 403, 404}, 403, 403),
    SELF_URL + "/result": (200, {403, 404}, 403, 403),
    SELF_URL + "/history": (200, {200, 403, 404}, 403, 403),
    SELF_URL + "/history/1": (200, {403, 404}, 403, 403),
    "/files/{file}": (200, {403, 404}, 200, 200),
    UNIT_PAGES + "/result": (403, {403, 404}, 200, 200),
    UNIT_PAGES + "/history": (403, {403, 404}, 200, 200),
    UNIT_PAGES + "/history/1": (403, {403, 404}, 200, 200),
    "/admin/users": (403, {403}, 403, 200),
    "/admin/users/toan/password": (403, {403}, 403, 200),
    "/admin/cycles": (403, {403}, 403, 200),
    "/account/password": (200, {200}, 200, 200),
}
# Where TOAN's own answers must show for the roles allowed to read them (so that their absence for van means something).
SHOWS_SECRET = {SELF_URL, SELF_URL + "/result", SELF_URL + "/history/1", UNIT_PAGES + "/result", UNIT_PAGES + "/history/1"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One data directory for the whole module: TOAN submitted its self-assessment with a file; VAN registered only."""
    from forms_app.adapters.web.app import create_app

    data_dir = build_data_dir(tmp_path_factory.mktemp("access") / "data")
    application = create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": OPEN_DAY})
    register(application, "TOAN")
    register(application, "VAN")
    clients = {"anonymous": application.test_client()}
    for username in ("toan", "van", "vanphong", "admin"):
        clients[username] = application.test_client()
        start_session(application, clients[username], username)
    answers = {**complete_self_assessment(), "tu_nhan_xet": SECRET}
    response = post_answers(clients["toan"], answers, "submit", files={"file_ke_hoach_cong_tac": pdf_upload(TOAN_FILE)})
    assert response.status_code == 303
    token = current_answers(application, "TOAN")["file_ke_hoach_cong_tac"]
    return application, clients, token


def _dump(application) -> list[str]:
    conn = sqlite3.connect(application.config["DATA_DIR"] / "forms.db")
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_route_lets_each_role_see_only_what_it_may(site, route):
    application, clients, token = site
    url = route.format(file=token)
    for_toan, for_van, for_reviewer, for_admin = ROUTES[route]

    anonymous = clients["anonymous"].get(url)
    assert anonymous.status_code in (302, 303), f"anonymous got {anonymous.status_code}"
    assert anonymous.location.startswith("/login")

    owner = clients["toan"].get(url)
    assert owner.status_code == for_toan, "toan"
    if for_toan == 200 and route in SHOWS_SECRET:
        assert SECRET in unescape(owner.get_data(as_text=True))

    other = clients["van"].get(url)
    assert other.status_code in for_van, f"van got {other.status_code}"
    body = unescape(other.get_data(as_text=True))
    for secret in (SECRET, TOAN_NAME, TOAN_FILE, "%PDF-1.4"):
        assert secret not in body, f"van sees {secret!r}"

    reviewer = clients["vanphong"].get(url)
    assert reviewer.status_code == for_reviewer, f"reviewer got {reviewer.status_code}"
    if for_reviewer == 200 and route in SHOWS_SECRET:
        assert SECRET in unescape(reviewer.get_data(as_text=True))

    assert clients["admin"].get(url).status_code == for_admin, "admin"


def test_a_unit_cannot_download_another_units_file_even_with_its_token(site):
    application, clients, token = site
    assert clients["van"].get(f"/files/{token}").status_code == 404
    assert clients["toan"].get(f"/files/{token}").data.startswith(b"%PDF-")
    assert clients["vanphong"].get(f"/files/{token}").data.startswith(b"%PDF-")


def test_an_unknown_file_token_is_not_found(site):
    _, clients, _ = site
    assert clients["toan"].get("/files/khong-co-tep-nay").status_code == 404


def test_a_unit_cannot_reach_another_units_pages_through_the_reviewer_routes(site):
    _, clients, _ = site
    for suffix in ("result", "history", "history/1"):
        response = clients["van"].get(f"{UNIT_PAGES}/{suffix}")
        assert response.status_code == 403
        assert SECRET not in unescape(response.get_data(as_text=True))


def test_reading_pages_never_changes_the_answers_database(site):
    application, clients, token = site
    before = _dump(application)
    for route in ROUTES:
        for client in clients.values():
            client.get(route.format(file=token))
    assert _dump(application) == before


def test_the_reviewer_dashboard_lists_the_units(site):
    _, clients, _ = site
    html = unescape(clients["vanphong"].get("/").get_data(as_text=True))
    assert TOAN_NAME in html and "Đoàn khoa Ngữ văn" in html


def test_a_unit_dashboard_shows_its_own_unit(site):
    _, clients, _ = site
    html = unescape(clients["van"].get("/").get_data(as_text=True))
    assert "Đoàn khoa Ngữ văn" in html


def test_the_login_page_is_public(site):
    _, clients, _ = site
    assert clients["anonymous"].get("/login").status_code == 200


# CSRF: a POST without the token changes nothing.

def test_login_without_a_csrf_token_is_refused(app, client):
    response = client.post("/login", data={"username": "toan", "password": PASSWORD})
    assert response.status_code == 400
    assert "forms_session" not in response.headers.get("Set-Cookie", "")


def test_logout_without_a_csrf_token_is_refused_and_the_session_lives_on(app, signed_in):
    toan = signed_in("toan")
    response = toan.post("/logout", data={})
    assert response.status_code == 400
    assert toan.get("/").status_code == 200


@pytest.mark.parametrize("url, data", [
    ("/admin/users", {"username": "moi", "role": "reviewer", "password": "mot-mat-khau-dai"}),
    ("/admin/users/toan/password", {"password": "mot-mat-khau-moi-dai"}),
    (f"/admin/cycles/{SELF}/2022", {"opens": "2022-08-01", "closes": "2022-12-31"}),
    ("/admin/extensions", {"unit_code": "TOAN", "form_id": SELF, "cycle_year": "2022", "closes": "2022-12-31"}),
])
def test_admin_posts_without_a_csrf_token_are_refused(app, signed_in, url, data):
    admin = signed_in("admin")
    before = _dump(app)
    response = admin.post(url, data=data)
    assert response.status_code == 400
    assert _dump(app) == before
    from forms_app.data import connection as database
    from forms_app.rules import accounts

    accounts_db = database.open_accounts(app.config["DATA_DIR"])
    try:
        assert accounts.get_user(accounts_db, "moi") is None
        assert accounts.authenticate(accounts_db, "toan", PASSWORD).username == "toan"  # password unchanged
    finally:
        accounts_db.close()


def test_admin_posts_with_the_token_do_work(app, signed_in):
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/cycles")
    response = admin.post(f"/admin/cycles/{SELF}/2022", data={"csrf_token": token, "opens": "2022-08-01", "closes": "2022-12-31"})
    assert response.status_code == 303
    assert forms_sql(app, "SELECT closes FROM cycles WHERE form_id = ? AND cycle_year = 2022", (SELF,)) == [("2022-12-31",)]


def test_a_form_post_without_a_csrf_token_is_refused_and_saves_nothing(app, toan):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # see what a browser would get
    response = toan.post(SELF_URL, data={"action": "save", "so_doan_vien": "12"})
    assert response.status_code in (400, 303)  # refused outright, or sent back to the form with the typing kept
    if response.status_code == 303:
        assert response.location.endswith(SELF_URL)
    assert revision_rows(app, "TOAN") == []


def test_a_reviewer_cannot_fill_a_form(app, signed_in):
    register(app, "TOAN")
    reviewer = signed_in("vanphong")
    token = csrf_token(reviewer, "/")
    response = reviewer.post(SELF_URL, data={"csrf_token": token, "action": "submit", **complete_self_assessment()})
    assert response.status_code == 403
    assert forms_sql(app, "SELECT COUNT(*) FROM submissions WHERE form_id = ?", (SELF,)) == [(0,)]


def test_a_unit_cannot_grant_itself_an_extension_or_change_a_window(app, signed_in):
    toan = signed_in("toan")
    token = csrf_token(toan, "/")
    extension = toan.post("/admin/extensions", data={"csrf_token": token, "unit_code": "TOAN", "form_id": SELF,
                                                     "cycle_year": "2022", "closes": "2022-12-31"})
    assert extension.status_code == 403
    window = toan.post(f"/admin/cycles/{SELF}/2022", data={"csrf_token": token, "opens": "2022-08-01", "closes": "2022-12-31"})
    assert window.status_code == 403
    new_user = toan.post("/admin/users", data={"csrf_token": token, "username": "x", "role": "admin", "password": "x" * 12})
    assert new_user.status_code == 403
    assert forms_sql(app, "SELECT COUNT(*) FROM extensions") == [(0,)]
    assert forms_sql(app, "SELECT closes FROM cycles WHERE form_id = ? AND cycle_year = 2022", (SELF,)) == [("2022-10-01",)]


# Datasette holds every unit's data: the office, the inspection committee and admins browse it; nobody else.

@pytest.mark.parametrize("username, status", [
    (None, 302), ("toan", 403), ("phutrachcum", 403), ("vanphong", 200), ("kiemtra", 200), ("admin", 200)])
def test_datasette_is_for_the_roles_that_browse_every_units_data(app, username, status):
    from support.web import ProductClient

    from forms_app.adapters.wsgi import create_wsgi

    product = create_wsgi(app.config["DATA_DIR"], {"TESTING": True, "NOW": OPEN_DAY})
    client = ProductClient(product)
    if username:
        start_session(product.flask_app, client, username)
    for url in ("/data/", "/data/forms/units.json", "/data/forms.json?sql=select+code+from+units"):
        response = client.get(url)
        assert response.status_code == status, (username, url)
        if status != 200:
            assert b"TOAN" not in response.data
        if status == 302:
            assert response.location.startswith("/login")


def test_a_guard_naming_no_capability_of_a_user_is_refused_when_the_app_is_built():
    from forms_app.adapters.web.auth import capability_required

    with pytest.raises(ValueError):
        capability_required("decide")  # a typo would otherwise refuse everyone, or worse
    with pytest.raises(ValueError):
        capability_required()
