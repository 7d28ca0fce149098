"""Sign-in resists guessing without letting a stranger lock the owner out (issue 12, finding 6).

Throttling per client, per (client, account) and per account instead of a lock; one answer and one argon2
verification for unknown, wrong and throttled sign-ins; the current-password check throttled too; a password
policy that refuses common and trivial passwords.
"""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from argon2 import PasswordHasher
from support.data import PASSWORD, build_data_dir, opened
from support.web import csrf_token, unescape

from forms_app.data import connection
from forms_app.rules import account_errors, accounts, passwords, sign_in_throttle

WRONG = "khong-dung-mat-khau"
NEW_PASSWORD = "mat-khau-moi-rat-dai"
STRANGER = "10.0.0.9"
START = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.timezone.utc)


def _login(client, username: str, password: str, **kwargs):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)},
                       **kwargs)


def _client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def accounts_db(tmp_path):
    db = connection.open_accounts(build_data_dir(tmp_path / "throttle"))
    yield db
    db.close()


@pytest.fixture
def verifications(monkeypatch):
    """The hashes every argon2 verification was run against, in order."""
    seen: list[str] = []
    verify = PasswordHasher.verify

    def counting(self, password_hash, password):
        seen.append(password_hash if isinstance(password_hash, str) else password_hash.decode())
        return verify(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return seen


def _refused(db, username: str, password: str, at: dt.datetime, client: str) -> bool:
    try:
        accounts.authenticate(db, username, password, now=at, client=client)
    except account_errors.AccountError as refusal:
        assert refusal.code == "bad_login"
        return True
    return False


# Throttling instead of a lock

def test_an_owner_signs_in_while_a_stranger_hammers_the_account_from_another_address(app, client):
    stranger = _client_at(app, STRANGER)
    answers = {_login(stranger, "toan", WRONG).status_code for _ in range(12)}
    assert answers == {401}
    assert _login(stranger, "toan", PASSWORD).status_code == 401  # the stranger's address is slowed down...
    assert _login(client, "toan", PASSWORD).status_code == 302  # ...the owner's is not
    assert client.get("/").status_code == 200


def test_a_stranger_from_many_addresses_never_keeps_the_owner_out_for_good(accounts_db, monkeypatch):
    monkeypatch.setitem(sign_in_throttle.BUCKETS, "account", sign_in_throttle.Bucket(free=6, leak_per_hour=12))  # fewer slow hashes
    assert not _refused(accounts_db, "toan", PASSWORD, START, "192.0.2.10")  # the owner's usual address
    later = START + dt.timedelta(days=3)
    for i in range(12):  # a botnet: two guesses from each of 6 addresses
        _refused(accounts_db, "toan", WRONG, later, f"198.51.100.{i // 2}")
    # The account is now throttled for addresses it never signed in from, the owner's new phone included...
    assert _refused(accounts_db, "toan", PASSWORD, later, "203.0.113.5")
    # ...not from where the owner signed in before, and only for a while anywhere.
    assert not _refused(accounts_db, "toan", PASSWORD, later, "192.0.2.10")
    assert not _refused(accounts_db, "toan", PASSWORD, later + sign_in_throttle.MAX_WAIT, "203.0.113.5")


def test_each_failure_past_the_free_ones_doubles_the_wait_up_to_a_cap(accounts_db):
    address, at = "192.0.2.20", START
    for _ in range(sign_in_throttle.BUCKETS["pair"].free):
        assert _refused(accounts_db, "toan", WRONG, at, address)
    waits = []
    for _ in range(6):
        until = _end_of_wait(accounts_db, address)
        assert _refused(accounts_db, "toan", PASSWORD, until - dt.timedelta(seconds=1), address)  # not even the right one
        waits.append(until - at)
        at = until
        assert _refused(accounts_db, "toan", WRONG, at, address)
    assert waits[0] == sign_in_throttle.FIRST_WAIT
    assert waits == sorted(waits) and waits[3] > 4 * waits[0]
    assert waits[-1] <= sign_in_throttle.MAX_WAIT
    at = _end_of_wait(accounts_db, address)
    assert not _refused(accounts_db, "toan", PASSWORD, at, address)
    for _ in range(sign_in_throttle.BUCKETS["pair"].free - 1):  # a right password starts the address's count afresh
        assert _refused(accounts_db, "toan", WRONG, at, address)
    assert not _refused(accounts_db, "toan", PASSWORD, at, address)


def _end_of_wait(db, address: str) -> dt.datetime:
    [(until,)] = db.execute("SELECT blocked_until FROM sign_in_throttle WHERE scope = 'pair' AND client = ?",
                            [address]).fetchall()
    return dt.datetime.fromisoformat(until)


def test_guesses_sent_in_parallel_are_counted_before_they_are_checked(app, verifications):
    data_dir = app.config["DATA_DIR"]
    real_hashes = set()
    with opened(data_dir, connection.open_accounts) as db:
        real_hashes.add(db.execute("SELECT password_hash FROM users WHERE username = 'toan'").fetchone()[0])
    start = threading.Barrier(12)

    def guess(n: int) -> None:
        with opened(data_dir, connection.open_accounts) as db:
            start.wait()
            _refused(db, "toan", f"{WRONG}-{n}", START, STRANGER)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for checked in verifications if checked in real_hashes) == sign_in_throttle.BUCKETS["pair"].free
    assert len(verifications) == 12  # the others were checked against the dummy hash, for the time it takes


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(app, client):
    stranger = app.test_client()
    for n in range(8):  # a made-up address per request does not escape the count...
        _login(stranger, "toan", WRONG, headers={"X-Forwarded-For": f"10.1.0.{n}"})
    assert _login(stranger, "toan", PASSWORD, headers={"X-Forwarded-For": "10.1.0.99"}).status_code == 401

    app.config["TRUSTED_PROXIES"] = 1  # ...but behind one proxy, its X-Forwarded-For names the client
    proxied = app.test_client()
    for _ in range(8):
        _login(proxied, "toan2", WRONG, headers={"X-Forwarded-For": f"1.2.3.4, {STRANGER}"})
    assert _login(proxied, "toan2", PASSWORD, headers={"X-Forwarded-For": STRANGER}).status_code == 401
    assert _login(proxied, "toan2", PASSWORD, headers={"X-Forwarded-For": "10.0.0.7"}).status_code == 302


# One answer, one argon2 verification

def _page(response, username: str) -> str:
    """The page without what differs by design: the CSRF token and the username typed back into the form."""
    text = re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))
    return text.replace(f'value="{username}"', 'value="…"')


def test_unknown_wrong_and_throttled_users_get_the_same_answer_and_one_argon2_verification(app, verifications):
    stranger = _client_at(app, STRANGER)
    for _ in range(sign_in_throttle.BUCKETS["pair"].free + 2):
        _login(stranger, "toan", WRONG)
    answers = {}
    for case, username, password in (("throttled", "toan", PASSWORD), ("unknown", "khong-ai-ca", WRONG),
                                     ("wrong", "van", WRONG)):
        verifications.clear()
        response = _login(stranger, username, password)
        answers[case] = (response.status_code, _page(response, username))
        assert len(verifications) == 1, case
    assert answers["throttled"] == answers["unknown"] == answers["wrong"]
    status, page = answers["throttled"]
    assert status == 401
    assert account_errors.AccountError("bad_login").message() in unescape(page)
    assert "khoá" not in unescape(page)


def test_the_one_answer_is_told_in_english_too(app):
    client = app.test_client()
    response = client.post("/login?lang=en", data={"username": "toan", "password": WRONG,
                                                   "csrf_token": csrf_token(client, "/login?lang=en")})
    assert account_errors.AccountError("bad_login").message("en") in unescape(response.get_data(as_text=True))


def test_a_wrong_attempt_costs_one_short_write_and_a_throttled_one_none(accounts_db):
    statements: list[str] = []
    accounts_db.conn.set_trace_callback(statements.append)
    _refused(accounts_db, "toan", WRONG, START, STRANGER)
    assert sum(s.startswith("BEGIN") for s in statements) == 1
    for _ in range(sign_in_throttle.BUCKETS["pair"].free):
        _refused(accounts_db, "toan", WRONG, START, STRANGER)
    statements.clear()
    _refused(accounts_db, "toan", WRONG, START, STRANGER)
    assert not any(s.startswith(("BEGIN", "INSERT", "UPDATE", "DELETE")) for s in statements)


def test_counters_are_forgotten_after_a_quiet_day(accounts_db):
    for n in range(5):
        _refused(accounts_db, f"ai-do-{n}", WRONG, START, STRANGER)
    assert accounts_db.execute("SELECT COUNT(*) FROM sign_in_throttle").fetchone()[0] == 11
    _refused(accounts_db, "toan", WRONG, START + sign_in_throttle.FORGET_AFTER + dt.timedelta(minutes=1), "192.0.2.30")
    assert accounts_db.execute("SELECT COUNT(*) FROM sign_in_throttle").fetchone()[0] == 3


# The current password on the password page

def test_the_current_password_check_is_throttled_per_account(app, signed_in):
    toan, other_browser = signed_in("toan"), signed_in("toan")
    token = csrf_token(toan, "/account/password")

    def change(client, current: str):
        return client.post("/account/password", data={"csrf_token": csrf_token(client, "/account/password"),
                                                       "current": current, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})

    for _ in range(sign_in_throttle.BUCKETS["password"].free):
        wrong = toan.post("/account/password", data={"csrf_token": token, "current": WRONG, "new": NEW_PASSWORD,
                                                     "repeat": NEW_PASSWORD})
        assert "Mật khẩu hiện tại không đúng." in unescape(wrong.get_data(as_text=True))
    for client in (toan, other_browser):  # the count is the account's, not the browser's
        right = change(client, PASSWORD)
        assert right.status_code == 400
        assert "hãy thử lại sau" in unescape(right.get_data(as_text=True))
    assert _login(app.test_client(), "toan", PASSWORD).status_code == 302  # the password is unchanged


def test_an_admin_reset_lifts_the_accounts_throttling(accounts_db):
    for _ in range(sign_in_throttle.BUCKETS["pair"].free):
        _refused(accounts_db, "toan", WRONG, START, STRANGER)
    assert _refused(accounts_db, "toan", PASSWORD, START, STRANGER)
    accounts.set_password(accounts_db, "toan", NEW_PASSWORD, hasher=passwords.CHEAP_HASHER)
    assert not _refused(accounts_db, "toan", NEW_PASSWORD, START, STRANGER)


# The password policy

@pytest.mark.parametrize(("password", "code"), [
    ("1111111111", "password_repeated"),
    ("abcabcabcabc", "password_repeated"),
    ("matkhau123", "password_personal"),
    ("Mật-khẩu-2024", "password_personal"),
    ("doanthanhnien2024", "password_personal"),
    ("bithu.toan1", "password_personal"),
    ("toan-toan-toan", "password_personal"),
    ("password123", "password_common"),
    ("iloveyou123", "password_common"),
    ("0123456789", "password_sequence"),
    ("qwertyuiop123", "password_common"),
    ("01/01/2000ab", "password_date"),
])
def test_common_and_trivial_passwords_are_refused_saying_why(password, code):
    with pytest.raises(account_errors.AccountError) as refused:
        passwords.check_password_strength(password, "bithu.toan", "TOAN")
    assert refused.value.code == code
    assert refused.value.message() and refused.value.message("en")


def test_the_fixtures_and_phrases_of_a_few_words_are_accepted():
    for password in (PASSWORD, NEW_PASSWORD, "mot-mat-khau-du-dai", "hoa phuong do ruc san truong",
                     "Kx7pQ2mZ9aTw4L"):
        passwords.check_password_strength(password, "bithu.toan", "TOAN")


def test_a_trivial_password_is_refused_on_every_path(app, signed_in):
    admin = signed_in("admin")
    reset = admin.post("/admin/users/toan/password", data={"csrf_token": csrf_token(admin, "/admin/users/toan/password"),
                                                            "password": "1111111111"})
    assert reset.status_code == 400
    assert "lặp lại một ký tự" in unescape(reset.get_data(as_text=True))
    with opened(app.config["DATA_DIR"], connection.open_accounts) as accounts_db:
        with pytest.raises(account_errors.AccountError):
            accounts.add_user(accounts_db, "moi", "matkhau123", "reviewer")
        with pytest.raises(account_errors.AccountError):
            accounts.change_password(accounts_db, "toan", PASSWORD, "toan-toan-toan")
    assert _login(app.test_client(), "toan", PASSWORD).status_code == 302


def test_an_account_made_from_a_hash_skips_the_policy(accounts_db):
    cheap = passwords.hash_password("1111111111", passwords.CHEAP_HASHER)  # the demo and fixtures' path
    accounts.add_user(accounts_db, "cu", "", "reviewer", password_hash=cheap)
    assert accounts.authenticate(accounts_db, "cu", "1111111111").username == "cu"
