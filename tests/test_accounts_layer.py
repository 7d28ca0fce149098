"""Accounts: one creation path (command line and admin page) with its audit entry, the sentences, the cheap hasher."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from support.data import PASSWORD, build_data_dir

from forms_app.adapters.cli import cli
from forms_app.data import connection as database
from forms_app.rules import account_errors, accounts, passwords

LONG_PASSWORD = "mot-mat-khau-du-dai"


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
    result = CliRunner().invoke(cli, ["users", "add", "cumtruong", "--role", "reviewer", "--cluster", "cum 1 - khoa hoc tu nhien",
                                      "--data-dir", str(data_dir)], input=LONG_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert audit_entries(data_dir, "user_created") == [
        ("cli", None, {"username": "cumtruong", "role": "reviewer", "clusters": ["Cụm 1 – Khoa học Tự nhiên"]})]


def test_a_refused_account_writes_neither_an_account_nor_an_audit_entry(data_dir, dbs):
    forms, accounts_db = dbs
    with pytest.raises(account_errors.AccountError) as refused:
        accounts.create_account(accounts_db, forms, actor="admin", username="ai.do", password=LONG_PASSWORD,
                                role="unit", unit_code="KHONGCO")
    assert refused.value.code == "unknown_unit"
    with pytest.raises(account_errors.AccountError) as refused:
        accounts.create_account(accounts_db, forms, actor="admin", username="ai.do", password=LONG_PASSWORD,
                                role="reviewer", clusters=["Cụm 9"])
    assert refused.value.message("en") == ("No unit belongs to the cluster \"Cụm 9\"; the clusters are: "
                                           "Cụm 1 – Khoa học Tự nhiên; Cụm 2 – Khoa học Xã hội.")
    assert accounts.get_user(accounts_db, "ai.do") is None
    assert audit_entries(data_dir, "user_created") == []


def test_clusters_and_password_resets_are_audited_by_the_rules(data_dir, dbs):
    forms, accounts_db = dbs
    assert accounts.assign_clusters(accounts_db, forms, actor="admin", username="vanphong",
                                    names=["cụm 2 - khoa học xã hội"]) == ["Cụm 2 – Khoa học Xã hội"]
    accounts.reset_password(accounts_db, forms, actor="admin", username="toan", password=LONG_PASSWORD,
                            hasher=passwords.CHEAP_HASHER)
    assert accounts.reviewer_clusters(accounts_db, "vanphong") == ["Cụm 2 – Khoa học Xã hội"]
    assert accounts.authenticate(accounts_db, "toan", LONG_PASSWORD).username == "toan"
    assert audit_entries(data_dir, "reviewer_clusters_set") == [
        ("admin", None, {"username": "vanphong", "clusters": ["Cụm 2 – Khoa học Xã hội"]})]
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
