"""Accounts: one creation path (command line and admin page) with its audit entry, roles and what each needs (a unit,
clusters), a role changed, the migration of limited reviewers to cluster leads, the sentences, the cheap hasher."""

from __future__ import annotations

import json
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from support.data import PASSWORD, SELF, build_data_dir, opened
from support.web import csrf_token, unescape

from forms_app.adapters.cli import cli
from forms_app.data import connection as database
from forms_app.rules import account_errors, accounts, passwords

LONG_PASSWORD = "mot-mat-khau-du-dai"


class _Table(HTMLParser):
    """The text of each body row's cells."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._body = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._body = True
        elif tag == "tr" and self._body:
            self.rows.append([])
        elif tag == "td" and self._body:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tbody":
            self._body = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """The cells of a page's table rows (the body's), as text."""
    return _Table(html).rows


def audit_entries(data_dir: Path, action: str) -> list[tuple]:
    conn = sqlite3.connect(data_dir / "forms.db")
    try:
        return [(actor, unit, json.loads(detail)) for actor, unit, detail in conn.execute(
            "SELECT actor, unit_code, detail FROM audit_log WHERE action = ? ORDER BY id", [action])]
    finally:
        conn.close()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return build_data_dir(tmp_path / "data")


@pytest.fixture
def dbs(data_dir):
    forms, accounts_db = database.open_forms(data_dir), database.open_accounts(data_dir)
    yield forms, accounts_db
    forms.close()
    accounts_db.close()


def test_users_add_writes_a_user_created_audit_entry_by_cli(data_dir):
    result = CliRunner().invoke(cli, ["users", "add", "cumtruong", "--role", "cluster_lead", "--cluster",
                                      "cum 1 - khoa hoc tu nhien", "--cluster", "Cụm 2 – Khoa học Xã hội",
                                      "--email", "cumtruong@example.edu.vn", "--data-dir", str(data_dir)],
                                input=LONG_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Phụ trách các đơn vị thuộc: Cụm 1 – Khoa học Tự nhiên; Cụm 2 – Khoa học Xã hội." in result.output
    assert audit_entries(data_dir, "user_created") == [
        ("cli", None, {"username": "cumtruong", "role": "cluster_lead",
                       "clusters": ["Cụm 1 – Khoa học Tự nhiên", "Cụm 2 – Khoa học Xã hội"]})]
    accounts_db = database.open_accounts(data_dir)
    try:
        assert accounts.account(accounts_db, "CUMTRUONG")["email"] == "cumtruong@example.edu.vn"
    finally:
        accounts_db.close()


def test_users_add_offers_every_role_of_the_rules():
    role = next(p for p in cli.commands["users"].commands["add"].params if p.name == "role")
    assert tuple(role.type.choices) == accounts.ROLES


@pytest.mark.parametrize("role, extra, refusal", [
    ("inspector", ["--cluster", "Cụm 1 – Khoa học Tự nhiên"], "Chỉ tài khoản Phụ trách cụm mới gắn với cụm thi đua."),
    ("reviewer", ["--cluster", "Cụm 1 – Khoa học Tự nhiên"], "Chỉ tài khoản Phụ trách cụm mới gắn với cụm thi đua."),
    ("cluster_lead", [], "Tài khoản Phụ trách cụm cần ít nhất một cụm thi đua (--cluster)."),
    ("cluster_lead", ["--cluster", "Cụm 42"], "Không có đơn vị nào thuộc cụm \"Cụm 42\""),
    ("inspector", ["--unit", "TOAN"], "Chỉ tài khoản đơn vị mới gắn với mã đơn vị."),
    ("unit", [], "Tài khoản đơn vị phải gắn với một mã đơn vị (--unit)."),
    ("inspector", ["--email", "khong phai dia chi"], "\"khong phai dia chi\" không phải là một địa chỉ thư điện tử."),
])
def test_users_add_refuses_what_a_role_does_not_take_with_a_sentence(data_dir, role, extra, refusal):
    result = CliRunner().invoke(cli, ["users", "add", "moi", "--role", role, *extra, "--data-dir", str(data_dir)],
                                input=LONG_PASSWORD + "\n")
    assert result.exit_code == 1
    assert refusal in result.stderr and "Traceback" not in result.output
    assert audit_entries(data_dir, "user_created") == []
    accounts_db = database.open_accounts(data_dir)
    try:
        assert accounts.get_user(accounts_db, "moi") is None
    finally:
        accounts_db.close()


def test_a_refused_account_writes_neither_an_account_nor_an_audit_entry(data_dir, dbs):
    forms, accounts_db = dbs
    with pytest.raises(account_errors.AccountError) as refused:
        accounts.create_account(accounts_db, forms, actor="admin", username="ai.do", password=LONG_PASSWORD,
                                role="unit", unit_code="KHONGCO")
    assert refused.value.code == "unknown_unit"
    with pytest.raises(account_errors.AccountError) as refused:
        accounts.create_account(accounts_db, forms, actor="admin", username="ai.do", password=LONG_PASSWORD,
                                role="cluster_lead", clusters=["Cụm 9"])
    assert refused.value.message("en") == ("No unit belongs to the cluster \"Cụm 9\"; the clusters are: "
                                           "Cụm 1 – Khoa học Tự nhiên; Cụm 2 – Khoa học Xã hội.")
    assert accounts.get_user(accounts_db, "ai.do") is None
    assert audit_entries(data_dir, "user_created") == []


def test_clusters_and_password_resets_are_audited_by_the_rules(data_dir, dbs):
    forms, accounts_db = dbs
    assert accounts.assign_clusters(accounts_db, forms, actor="admin", username="phutrachcum",
                                    names=["cụm 2 - khoa học xã hội"]) == ["Cụm 2 – Khoa học Xã hội"]
    accounts.reset_password(accounts_db, forms, actor="admin", username="toan", password=LONG_PASSWORD,
                            hasher=passwords.CHEAP_HASHER)
    assert accounts.reviewer_clusters(accounts_db, "phutrachcum") == ["Cụm 2 – Khoa học Xã hội"]
    assert accounts.authenticate(accounts_db, "toan", LONG_PASSWORD).username == "toan"
    assert audit_entries(data_dir, "reviewer_clusters_set") == [
        ("admin", None, {"username": "phutrachcum", "clusters": ["Cụm 2 – Khoa học Xã hội"]})]
    for username, names, code in (("phutrachcum", [], "clusters_needed"),
                                  ("vanphong", ["Cụm 2 – Khoa học Xã hội"], "clusters_lead_only")):
        with pytest.raises(account_errors.AccountError) as refused:
            accounts.assign_clusters(accounts_db, forms, actor="admin", username=username, names=names)
        assert refused.value.code == code
    assert accounts.reviewer_clusters(accounts_db, "phutrachcum") == ["Cụm 2 – Khoa học Xã hội"]
    assert accounts.reviewer_clusters(accounts_db, "vanphong") == []
    assert audit_entries(data_dir, "password_reset") == [("admin", None, {"username": "toan"})]


def test_refusals_read_from_one_catalogue_in_both_languages():
    assert set(account_errors.MESSAGES) >= {"bad_login", "throttled", "password_short", "unknown_unit", "unknown_cluster"}
    assert all(set(texts) == {"vi", "en"} for texts in account_errors.MESSAGES.values())
    with pytest.raises(account_errors.AccountError) as short:  # the refusal carries the minimum its sentence names
        passwords.check_password_strength("ngan", "toan")
    assert short.value.message() == "Mật khẩu cần ít nhất 10 ký tự."
    assert account_errors.AccountError("throttled", minutes=15).message("en").endswith("try again in 15 minute(s).")


def test_a_cheap_hash_is_argon2id_and_becomes_a_default_one_at_the_first_sign_in(dbs):
    _, accounts_db = dbs
    cheap = passwords.hash_password(PASSWORD, passwords.CHEAP_HASHER)
    assert cheap.startswith("$argon2id$") and "m=8,t=1,p=1" in cheap
    accounts.add_user(accounts_db, "demo", PASSWORD, "admin", password_hash=cheap)
    assert accounts.authenticate(accounts_db, "demo", PASSWORD).username == "demo"
    [(stored,)] = accounts_db.execute("SELECT password_hash FROM users WHERE username = 'demo'").fetchall()
    assert stored != cheap and not PasswordHasher().check_needs_rehash(stored)
    assert accounts.authenticate(accounts_db, "demo", PASSWORD).username == "demo"


# A role changed by an administrator

def test_a_role_changes_with_what_it_needs_and_is_audited(data_dir, dbs):
    forms, accounts_db = dbs
    assert accounts.change_role(accounts_db, forms, actor="admin", username="vanphong", role="cluster_lead",
                                clusters=["cum 2 - khoa hoc xa hoi"], email=" vp@example.edu.vn ") == ["Cụm 2 – Khoa học Xã hội"]
    assert accounts.get_user(accounts_db, "vanphong") == accounts.User("vanphong", "cluster_lead", None)
    assert accounts.account(accounts_db, "vanphong")["email"] == "vp@example.edu.vn"
    accounts.change_role(accounts_db, forms, actor="admin", username="vanphong", role="unit", unit_code="VAN")
    assert accounts.get_user(accounts_db, "vanphong") == accounts.User("vanphong", "unit", "VAN")
    assert accounts.reviewer_clusters(accounts_db, "vanphong") == []  # a unit account keeps no cluster
    assert [entry[2]["role"] for entry in audit_entries(data_dir, "user_role_changed")] == ["cluster_lead", "unit"]
    assert audit_entries(data_dir, "user_role_changed")[1] == (
        "admin", "VAN", {"username": "vanphong", "from": "cluster_lead", "role": "unit", "clusters": []})


@pytest.mark.parametrize("username, change, code", [
    ("kiemtra", {"role": "cluster_lead"}, "clusters_needed"),
    ("kiemtra", {"role": "inspector", "clusters": ["Cụm 1 – Khoa học Tự nhiên"]}, "clusters_lead_only"),
    ("kiemtra", {"role": "unit"}, "unit_needed"),
    ("kiemtra", {"role": "unit", "unit_code": "KHONGCO"}, "unknown_unit"),
    ("kiemtra", {"role": "chu_tich"}, "bad_role"),
    ("kiemtra", {"role": "reviewer", "email": "a@b"}, "bad_email"),
    ("khongco", {"role": "reviewer"}, "no_user"),
    ("admin", {"role": "reviewer"}, "last_admin"),
])
def test_a_refused_role_change_changes_nothing(data_dir, dbs, username, change, code):
    forms, accounts_db = dbs
    before = accounts.list_users(accounts_db), accounts.all_reviewer_clusters(accounts_db)
    with pytest.raises(account_errors.AccountError) as refused:
        accounts.change_role(accounts_db, forms, actor="admin", username=username, **change)
    assert refused.value.code == code
    assert refused.value.message("vi") and refused.value.message("en")
    assert (accounts.list_users(accounts_db), accounts.all_reviewer_clusters(accounts_db)) == before
    assert audit_entries(data_dir, "user_role_changed") == []


def test_an_admin_stops_being_one_once_another_is(data_dir, dbs):
    forms, accounts_db = dbs
    accounts.change_role(accounts_db, forms, actor="admin", username="vanphong", role="admin")
    accounts.change_role(accounts_db, forms, actor="vanphong", username="admin", role="reviewer")
    assert accounts.get_user(accounts_db, "admin").role == "reviewer"


# The migration a004: a reviewer limited to clusters becomes a cluster lead

def test_a_limited_reviewer_becomes_a_cluster_lead_and_nothing_else_changes(tmp_path):
    from sqlite_utils import Database

    from forms_app.data.migrations import accounts_migrations

    path = tmp_path / "accounts.db"
    db = database.connect(path)
    accounts_migrations.apply(db, stop_before="a004_roles")
    hashed = passwords.hash_password(LONG_PASSWORD, passwords.CHEAP_HASHER)
    for username, role, unit in (("cum1", "reviewer", None), ("vanphong", "reviewer", None), ("toan", "unit", "TOAN"),
                                 ("admin", "admin", None)):
        db.execute("INSERT INTO users (username, password_hash, role, unit_code, created_at, password_changed_at) "
                   "VALUES (?, ?, ?, ?, '2024-01-01', '2024-01-01')", [username, hashed, role, unit])
    db.execute("INSERT INTO reviewer_clusters VALUES ('cum1', 'Cụm 1'), ('cum1', 'Cụm 3')")
    db.execute("INSERT INTO sessions VALUES (?, 'cum1', ?, ?, ?)",
               [accounts.token_hash("phien-cua-cum1"), "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00",
                "2999-01-01T00:00:00+00:00"])
    db.conn.commit()
    db.close()

    db = database.connect(path)  # foreign keys on, as the app migrates
    try:
        accounts_migrations.apply(db)
        roles = dict(db.execute("SELECT username, role FROM users").fetchall())
        assert roles == {"cum1": "cluster_lead", "vanphong": "reviewer", "toan": "unit", "admin": "admin"}
        assert accounts.reviewer_clusters(db, "cum1") == ["Cụm 1", "Cụm 3"]
        assert accounts.session_user(db, "phien-cua-cum1") == accounts.User("cum1", "cluster_lead", None)  # still signed in
        assert accounts.authenticate(db, "cum1", LONG_PASSWORD).role == "cluster_lead"  # the password kept
        accounts.add_user(db, "kiemtra", LONG_PASSWORD, "inspector", email="kt@example.edu.vn",
                          hasher=passwords.CHEAP_HASHER)
        assert accounts.account(db, "kiemtra")["email"] == "kt@example.edu.vn"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert [row[0] for row in db.execute("SELECT name FROM sqlite_temp_master").fetchall()] == []
        schema = Database(db.conn)["users"].schema
        assert "'cluster_lead'" in schema and "email TEXT" in schema
    finally:
        db.close()


# The administrator's page

def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


def test_the_accounts_page_names_every_role_as_the_plan_does(app, signed_in):
    admin = signed_in("admin")
    html = _page(admin, "/admin/users")
    rows = {row[0]: row[1:] for row in table_rows(html)}
    assert rows["toan"][:2] == ["Đơn vị", "TOAN"]
    assert rows["vanphong"][0] == "Văn phòng" and rows["kiemtra"][0] == "Ủy ban Kiểm tra"
    assert rows["phutrachcum"][:2] == ["Phụ trách cụm", "Cụm 1 – Khoa học Tự nhiên"]
    assert rows["admin"][0] == "Quản trị"
    assert "cluster_lead" not in " ".join(" ".join(r) for r in rows.values())  # no code shown for a role
    options = re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]+)</option>', html)
    assert options == [(role, accounts.ROLE_LABELS[role]["vi"]) for role in accounts.ROLES]


def test_an_admin_creates_a_cluster_lead_with_clusters_and_an_address_on_the_page(app, signed_in):
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/users")
    created = admin.post("/admin/users", data={"csrf_token": token, "username": "truongcum2", "role": "cluster_lead",
                                               "clusters": "cum 2 - khoa hoc xa hoi", "email": "cum2@example.edu.vn",
                                               "unit_code": "TOAN", "password": LONG_PASSWORD})
    assert created.status_code == 303
    html = _page(admin, "/admin/users")
    assert ["truongcum2", "Phụ trách cụm", "Cụm 2 – Khoa học Xã hội", "cum2@example.edu.vn"] in [r[:4] for r in table_rows(html)]
    with opened(app.config["DATA_DIR"], database.open_accounts) as accounts_db:
        assert accounts.get_user(accounts_db, "truongcum2") == accounts.User("truongcum2", "cluster_lead", None)


@pytest.mark.parametrize("fields, field, sentence", [
    ({"role": "cluster_lead"}, "clusters", "Tài khoản Phụ trách cụm cần ít nhất một cụm thi đua"),
    ({"role": "reviewer", "clusters": "Cụm 1 – Khoa học Tự nhiên"}, "clusters",
     "Chỉ tài khoản Phụ trách cụm mới gắn với cụm thi đua."),
    ({"role": "cluster_lead", "clusters": "Cụm 9"}, "clusters", "Không có đơn vị nào thuộc cụm \"Cụm 9\""),
    ({"role": "unit", "unit_code": ""}, "unit_code", "Tài khoản đơn vị phải gắn với một mã đơn vị"),
    ({"role": "inspector", "email": "kiemtra@"}, "email", "không phải là một địa chỉ thư điện tử"),
    ({"role": "inspector", "username": "ai do"}, "username", "không có khoảng trắng"),
    ({"role": "inspector", "password": ""}, "password", "Hãy điền mật khẩu."),
])
def test_a_refused_account_says_why_beside_the_field_and_keeps_what_was_typed(app, signed_in, fields, field, sentence):
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/users")
    with opened(app.config["DATA_DIR"], database.open_accounts) as accounts_db:
        before = accounts.list_users(accounts_db)
    response = admin.post("/admin/users", data={"csrf_token": token, "username": "moi", "password": LONG_PASSWORD, **fields})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    beside = re.search(rf'<input id="{field}"[^>]*aria-invalid="true" aria-describedby="{field}-error">\s*'
                       rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert beside and sentence in beside.group(1)
    assert f'value="{fields["role"]}" selected' in html and f'value="{fields.get("username", "moi")}"' in html
    assert LONG_PASSWORD not in html  # a password is never sent back
    with opened(app.config["DATA_DIR"], database.open_accounts) as accounts_db:
        assert accounts.list_users(accounts_db) == before


def test_an_admin_changes_a_role_on_the_accounts_page(app, signed_in):
    admin = signed_in("admin")
    kiemtra = signed_in("kiemtra")
    assert kiemtra.get("/exports/2022.xlsx").status_code == 200  # the inspection committee reads every unit
    form = _page(admin, "/admin/users/kiemtra")
    assert 'value="inspector" selected' in form and "Vai trò của kiemtra" in form
    token = csrf_token(admin, "/admin/users/kiemtra")
    refused = admin.post("/admin/users/kiemtra", data={"csrf_token": token, "role": "cluster_lead", "clusters": ""})
    assert refused.status_code == 422 and "ít nhất một cụm" in unescape(refused.get_data(as_text=True))
    changed = admin.post("/admin/users/KiemTra", data={"csrf_token": token, "role": "cluster_lead",
                                                      "clusters": "Cụm 2 – Khoa học Xã hội", "email": "kt@example.edu.vn"})
    assert changed.status_code == 303
    assert "Đã lưu vai trò của kiemtra: Phụ trách cụm." in _page(admin, "/admin/users")
    # At once, in the session already open: a cluster lead reads its cluster only, and nothing covering every unit.
    assert kiemtra.get("/exports/2022.xlsx").status_code == 403
    assert kiemtra.get(f"/units/TOAN/forms/{SELF}/2022/history").status_code == 403
    assert kiemtra.get(f"/units/VAN/forms/{SELF}/2022/history").status_code == 200
    assert [entry[2]["role"] for entry in audit_entries(app.config["DATA_DIR"], "user_role_changed")] == ["cluster_lead"]
    assert admin.get("/admin/users/khongco").status_code == 404


def test_only_an_admin_reaches_the_accounts_pages(app, signed_in):
    for username in ("toan", "vanphong", "kiemtra", "phutrachcum"):
        client = signed_in(username)
        token = csrf_token(client, "/account/password")
        assert client.get("/admin/users").status_code == 403
        assert client.post("/admin/users/toan", data={"csrf_token": token, "role": "admin"}).status_code == 403
    with opened(app.config["DATA_DIR"], database.open_accounts) as accounts_db:
        assert accounts.get_user(accounts_db, "toan").role == "unit"


def test_accounts_made_before_the_roles_show_under_their_new_role_on_the_page(tmp_path):
    from support.data import WEB_UNITS
    from support.web import start_session

    from forms_app.adapters.web.app import create_app
    from forms_app.data.migrations import accounts_migrations, migrate_forms
    from forms_app.rules import units

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with opened(data_dir) as forms:
        migrate_forms(forms)
        units.save_units(forms, WEB_UNITS)
    with opened(data_dir, database.open_accounts) as old:  # accounts.db as the previous release left it
        accounts_migrations.apply(old, stop_before="a004_roles")
        hashed = passwords.hash_password(LONG_PASSWORD, passwords.CHEAP_HASHER)
        for username, role in (("cum1", "reviewer"), ("vanphong", "reviewer"), ("admin", "admin")):
            old.execute("INSERT INTO users (username, password_hash, role, created_at, password_changed_at) "
                        "VALUES (?, ?, ?, '2024-01-01', '2024-01-01')", [username, hashed, role])
        old.execute("INSERT INTO reviewer_clusters VALUES ('cum1', 'Cụm 1 – Khoa học Tự nhiên')")
        old.conn.commit()
    app = create_app({"DATA_DIR": data_dir, "TESTING": True})  # migrates
    admin = app.test_client()
    start_session(app, admin, "admin")
    rows = {row[0]: row[1:3] for row in table_rows(_page(admin, "/admin/users"))}
    assert rows == {"admin": ["Quản trị", ""], "cum1": ["Phụ trách cụm", "Cụm 1 – Khoa học Tự nhiên"],
                    "vanphong": ["Văn phòng", ""]}
    lead = app.test_client()
    start_session(app, lead, "cum1")
    assert lead.get("/exports/2022.xlsx").status_code == 403  # a cluster lead now, in every respect


def test_a_cluster_lead_left_without_a_cluster_reads_nothing_rather_than_everything(app, signed_in):
    with opened(app.config["DATA_DIR"], database.open_accounts) as accounts_db:
        accounts_db.execute("DELETE FROM reviewer_clusters WHERE username = 'phutrachcum'")  # what the rules never do
        accounts_db.conn.commit()
    lead = signed_in("phutrachcum")
    assert lead.get("/").status_code == 403
    assert lead.get(f"/units/TOAN/forms/{SELF}/2022/history").status_code == 403
