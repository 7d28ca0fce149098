"""Accounts in accounts.db: argon2 password hashes, a password policy, sign-in throttling, server-side sessions.

The statements live in `forms_app.data.accounts`; this module decides (password policy, throttling,
who may be limited to clusters) and writes the audit entries of the administrator's actions in forms.db.

Throttling (docs/security.md, "Signing in"): no lock that the right password cannot open. Each attempt counts
against leaky buckets — the (client, account) pair, the client and the account — before its password is checked
(so parallel guesses count too); a full bucket makes that key wait, doubling with each further failure up to
MAX_WAIT. The client and account buckets do not apply where the account signed in within KNOWN_CLIENT_DAYS: a
stranger hammering an account from elsewhere never keeps its owner out. Unknown, wrong and throttled sign-ins get
the same sentence and each runs one argon2 verification (a dummy hash when there is nothing real to check).

Hashing: every function that hashes a password takes `hasher=None`, meaning the library's default
argon2id parameters (production). `CHEAP_HASHER` is argon2id with the weakest parameters, for demo data
and test fixtures only: `authenticate` rehashes such a hash with the default parameters at the first
sign-in, so a cheap demo account gets a strong hash once it is used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
import threading
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from forms_app.data import accounts as data
from forms_app.data import audit
from forms_app.data.clock import stamp, utcnow
from forms_app.data.connection import Database, write
from forms_app.rules import messages, units, windows

ROLES = ("unit", "reviewer", "admin")
SESSION_DAYS = 7
MIN_PASSWORD = 10
# zxcvbn's score (0–4) a new password needs: 3 is "safely unguessable" (about 10^8 guesses or more).
MIN_PASSWORD_SCORE = 3
# Trivial words zxcvbn's English lists lack, checked like the username: Vietnamese passwords everyone tries first,
# the product's own words and the commonest family names, without diacritics (the password is judged without them),
# each also written with its syllables joined by "", "-", "_" and ".".
VIETNAMESE_WORDS = (
    "mat khau", "doan thanh nien", "thanh nien", "doan vien", "chi doan", "doan truong", "3 chu dong", "chu dong",
    "sinh vien", "hoi sinh vien", "anh yeu em", "em yeu anh", "yeu em", "viet nam", "ha noi", "sai gon", "ho chi minh",
    "xin chao", "nguyen", "tran", "pham", "hoang", "huynh", "phan", "dang", "bui", "ngo", "duong",
)
STASH_DAYS = 2


@dataclass(frozen=True)
class Bucket:
    """A leaky bucket: `free` attempts pass, then each failure makes the key wait; the count leaks away over time."""

    free: int
    leak_per_hour: float


BUCKETS = {
    "pair": Bucket(free=5, leak_per_hour=6),  # one client guessing one account
    "client": Bucket(free=30, leak_per_hour=60),  # one client spraying many accounts (a campus may share one address)
    "account": Bucket(free=20, leak_per_hour=12),  # many clients guessing one account, from where it never signed in
    "password": Bucket(free=5, leak_per_hour=6),  # the current password on the password page, per account
}
FIRST_WAIT = dt.timedelta(seconds=30)
MAX_WAIT = dt.timedelta(minutes=15)
FORGET_AFTER = dt.timedelta(days=1)  # far longer than any bucket takes to empty
KNOWN_CLIENT_DAYS = 30
LOCAL_CLIENT = "local"  # the client of a sign-in that names none (a process on the server)

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
# Still argon2id, with the weakest parameters: for demo data and test fixtures, never for real accounts.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
# Verifying against this keeps the time of a login for an unknown user close to a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


MESSAGES: messages.Catalogue = {
    # One answer for an unknown user, a wrong password and a throttled attempt: it tells nothing of who exists.
    "bad_login": {"vi": "Tên đăng nhập hoặc mật khẩu không đúng. Nếu đã thử sai nhiều lần, hãy chờ vài phút rồi thử lại.",
                  "en": "Wrong username or password. After several failed attempts, wait a few minutes and try again."},
    "throttled": {"vi": "Đã nhập sai mật khẩu hiện tại nhiều lần; hãy thử lại sau {minutes} phút.",
                  "en": "The current password was wrong several times; try again in {minutes} minute(s)."},
    "password_short": {"vi": "Mật khẩu cần ít nhất {minimum} ký tự.", "en": "The password needs at least {minimum} characters."},
    "password_is_username": {"vi": "Mật khẩu không được trùng tên đăng nhập.",
                             "en": "The password must differ from the username."},
    "password_personal": {
        "vi": "Mật khẩu không được dựa trên tên đăng nhập, mã đơn vị hay những từ ai cũng thử như \"matkhau\", "
              "\"doanthanhnien\", họ Nguyễn, Trần…; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "The password must not be built on the username, the unit code or words everyone tries (\"matkhau\", "
              "\"doanthanhnien\", common family names); choose a phrase of a few words others would not guess."},
    "password_common": {
        "vi": "Mật khẩu này nằm trong danh sách mật khẩu phổ biến (hoặc chỉ thêm vài chữ số vào một từ quen thuộc) "
              "nên dễ bị đoán; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "This password is on the list of common passwords (or is a common word with a few digits added); "
              "choose a phrase of a few words others would not guess."},
    "password_repeated": {
        "vi": "Mật khẩu lặp lại một ký tự hoặc một cụm (như 1111111111, abcabcabc) nên dễ bị đoán; hãy chọn một cụm vài "
              "từ người khác khó đoán.",
        "en": "The password repeats a character or a group (like 1111111111, abcabcabc); choose a phrase of a few words "
              "others would not guess."},
    "password_sequence": {
        "vi": "Mật khẩu là một dãy liên tiếp (như 123456789, abcdefgh) hoặc các phím liền nhau trên bàn phím (như "
              "qwertyuiop) nên dễ bị đoán; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "The password is a sequence (like 123456789, abcdefgh) or neighbouring keys (like qwertyuiop); choose a "
              "phrase of a few words others would not guess."},
    "password_date": {
        "vi": "Mật khẩu dựa trên ngày tháng hoặc năm nên dễ bị đoán; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "The password is built on a date or a year; choose a phrase of a few words others would not guess."},
    "password_weak": {
        "vi": "Mật khẩu này quá dễ đoán; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "This password is too easy to guess; choose a phrase of a few words others would not guess."},
    "bad_old_password": {"vi": "Mật khẩu hiện tại không đúng.", "en": "The current password is wrong."},
    "no_user": {"vi": "Không có tài khoản này.", "en": "No such account."},
    "user_exists": {"vi": "Tên đăng nhập {username} đã có.", "en": "The username {username} is taken."},
    "bad_username": {"vi": "Tên đăng nhập không được rỗng, không có khoảng trắng và tối đa 64 ký tự.",
                     "en": "The username must be non-empty, without spaces, at most 64 characters."},
    "bad_role": {"vi": "Vai trò phải là unit, reviewer hoặc admin.", "en": "The role must be unit, reviewer or admin."},
    "unit_needed": {"vi": "Tài khoản đơn vị phải gắn với một mã đơn vị (--unit).",
                    "en": "A unit account needs a unit code (--unit)."},
    "unit_not_allowed": {"vi": "Chỉ tài khoản đơn vị mới gắn với mã đơn vị.", "en": "Only unit accounts are bound to a unit."},
    "unknown_unit": {"vi": "Không có đơn vị mang mã này; hãy nhập đơn vị trước.",
                     "en": "No unit has this code; import the units first."},
    "clusters_reviewer_only": {"vi": "Chỉ tài khoản người đánh giá mới được giới hạn theo cụm thi đua.",
                               "en": "Only reviewer accounts can be limited to emulation clusters."},
    "unknown_cluster": {"vi": "Không có đơn vị nào thuộc cụm \"{cluster}\"; các cụm hiện có: {known}.",
                        "en": "No unit belongs to the cluster \"{cluster}\"; the clusters are: {known}."},
}


class AccountError(ValueError):
    """A refused account operation; `code` selects the sentence shown to the user."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "vi") -> str:
        """The sentence for this refusal in `lang` (Vietnamese unless "en")."""
        return messages.text(MESSAGES, self.code, lang, **{"minimum": MIN_PASSWORD, **self.params})


@dataclass(frozen=True)
class User:
    """A signed-in account: its name, role and, for a unit account, its unit."""

    username: str
    role: str
    unit_code: str | None

    @property
    def is_unit(self) -> bool:
        """A unit's account: fills in its own unit's forms."""
        return self.role == "unit"

    @property
    def is_reviewer(self) -> bool:
        """Reviewers and admins read every unit."""
        return self.role in ("reviewer", "admin")

    @property
    def is_admin(self) -> bool:
        """An administrator: manages accounts and cycles."""
        return self.role == "admin"


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """An argon2id hash of `password`: the library's default parameters unless `hasher` (e.g. CHEAP_HASHER) is given."""
    return (hasher or _hasher).hash(password)


def check_password_strength(password: str, username: str, unit_code: str | None = None) -> None:
    """AccountError unless the password is long enough, differs from the username and is hard to guess.

    "Hard to guess" is zxcvbn's estimate (its lists of common passwords, words and names, repeats, sequences,
    keyboard rows, dates) with the username, the unit code and VIETNAMESE_WORDS added to its dictionaries; the
    code of the refusal says what made the password weak.
    """
    if len(password) < MIN_PASSWORD:
        raise AccountError("password_short", minimum=MIN_PASSWORD)
    if password.lower() == username.lower():
        raise AccountError("password_is_username")
    weakness = _weakness(password, [username, unit_code or "", *_spellings(VIETNAMESE_WORDS)])
    if weakness:
        raise AccountError(weakness)


def _spellings(words: tuple[str, ...]) -> list[str]:
    """Each word as typed with its syllables joined by nothing, a space, "-", "_" or "." (in order: the rank counts)."""
    return list(dict.fromkeys(joiner.join(word.split()) for word in words for joiner in ("", " ", "-", "_", ".")))


# zxcvbn keeps the caller's words in a module-level dictionary: one estimate at a time across a worker's threads.
_zxcvbn_lock = threading.Lock()
_WEAKNESS_OF_PATTERN = {"repeat": "password_repeated", "sequence": "password_sequence", "spatial": "password_sequence",
                        "date": "password_date", "regex": "password_date"}


def _weakness(password: str, words: list[str]) -> str | None:
    """The refusal's code for a guessable password (built on one of `words`, else its longest guessable part), or None."""
    # Diacritics add little an attacker would not try: "mậtkhẩu123" is judged as "matkhau123". zxcvbn reads at most
    # 72 characters; a longer password is at least as strong as its beginning.
    plain = _without_diacritics(password)[:72]
    with _zxcvbn_lock:
        estimate = zxcvbn(plain, user_inputs=[_without_diacritics(word).lower() for word in words if word])
    if estimate["score"] >= MIN_PASSWORD_SCORE:
        return None
    parts = [match for match in estimate["sequence"] if match["pattern"] != "bruteforce"]
    if not parts:
        return "password_weak"
    if any(match.get("dictionary_name") == "user_inputs" for match in parts):
        return "password_personal"
    longest = max(parts, key=lambda match: len(match["token"]))
    if longest["pattern"] == "dictionary":
        return "password_common"
    return _WEAKNESS_OF_PATTERN.get(longest["pattern"], "password_weak")


def _without_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


# Creating accounts

def create_account(accounts_db: Database, forms_db: Database, *, actor: str, username: str, password: str, role: str,
                   unit_code: str | None = None, clusters=(), password_hash: str | None = None,
                   hasher: PasswordHasher | None = None) -> tuple[User, list[str]]:
    """Create an account as the command line and the admin page do: (the user, its clusters as stored).

    The unit must exist in forms.db; cluster names are matched to the stored ones; the entry
    `user_created` goes to the audit log under `actor` ("cli" for the command line).
    """
    if unit_code is not None and not units.unit_exists(forms_db, unit_code):
        raise AccountError("unknown_unit")
    if clusters and role != "reviewer":
        raise AccountError("clusters_reviewer_only")
    found = resolve_clusters(forms_db, list(clusters))
    user = add_user(accounts_db, username, password, role, unit_code, password_hash=password_hash, clusters=found,
                    hasher=hasher)
    with write(forms_db):
        audit.record(forms_db, actor, "user_created", user.unit_code, None, None,
                     {"username": user.username, "role": role, "clusters": found})
    return user, found


def add_user(db: Database, username: str, password: str, role: str, unit_code: str | None = None,
             *, password_hash: str | None = None, clusters: list[str] | tuple[str, ...] = (),
             hasher: PasswordHasher | None = None) -> User:
    """Create an account; a unit account is bound to exactly one unit, a reviewer may be limited to `clusters`.

    The low-level creator: no check against forms.db and no audit entry (`create_account` adds both).
    """
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("bad_username")
    if role not in ROLES:
        raise AccountError("bad_role", role=role)
    if (role == "unit") != (unit_code is not None):
        raise AccountError("unit_needed" if role == "unit" else "unit_not_allowed")
    if clusters and role != "reviewer":
        raise AccountError("clusters_reviewer_only")
    if password_hash is None:
        check_password_strength(password, username, unit_code)
        password_hash = hash_password(password, hasher)
    with write(db):
        if data.role_of(db, username) is not None:
            raise AccountError("user_exists", username=username)
        data.insert_user(db, username, password_hash, role, unit_code, stamp())
        data.replace_clusters(db, username, clusters)
    return User(username, role, unit_code)


# Reviewers' clusters

def resolve_clusters(forms_db: Database, names: list[str]) -> list[str]:
    """The stored spelling of each cluster name; AccountError('unknown_cluster') for one no unit belongs to."""
    found, unknown = units.match_clusters(forms_db, names)
    if unknown:
        raise AccountError("unknown_cluster", cluster=unknown[0], known="; ".join(units.cluster_names(forms_db)) or "—")
    return found


def reviewer_clusters(db: Database, username: str) -> list[str]:
    """The emulation clusters a reviewer is limited to (a cluster lead); empty: every unit."""
    return data.clusters_of(db, username)


def all_reviewer_clusters(db: Database) -> dict[str, list[str]]:
    """{username: clusters} for every limited reviewer."""
    found: dict[str, list[str]] = {}
    for username, cluster in data.all_clusters(db):
        found.setdefault(username, []).append(cluster)
    return found


def assign_clusters(accounts_db: Database, forms_db: Database, *, actor: str, username: str,
                    names: list[str]) -> list[str]:
    """Limit a reviewer to the clusters named, audited as `reviewer_clusters_set`; the clusters as stored.

    Names are matched to the stored ones as `resolve_clusters` does; no names lift the limit.
    """
    clusters = resolve_clusters(forms_db, names)
    set_reviewer_clusters(accounts_db, username, clusters)
    with write(forms_db):
        audit.record(forms_db, actor, "reviewer_clusters_set", None, None, None,
                     {"username": username, "clusters": clusters})
    return clusters


def set_reviewer_clusters(db: Database, username: str, clusters: list[str] | tuple[str, ...]) -> None:
    """Limit a reviewer to these clusters (replacing the previous ones); an empty list lifts the limit."""
    with write(db):
        role = data.role_of(db, username)
        if role is None:
            raise AccountError("no_user", username=username)
        if clusters and role != "reviewer":
            raise AccountError("clusters_reviewer_only")
        data.replace_clusters(db, username, clusters)


# Signing in, passwords

def get_user(db: Database, username: str) -> User | None:
    """The active account of this name, or None."""
    row = data.find_user(db, username)
    return User(row["username"], row["role"], row["unit_code"]) if row else None


def authenticate(db: Database, username: str, password: str, now: dt.datetime | None = None,
                 client: str | None = None) -> User:
    """The user whose password this is, signing in from `client` (an address; LOCAL_CLIENT when None);
    AccountError('bad_login') otherwise — the same for an unknown user, a wrong password and a throttled attempt.

    The attempt counts against the throttle's buckets before the password is checked (see the module's docstring);
    a throttled one checks the password against a dummy hash, so it takes as long and writes nothing. A hash made
    with other parameters than the default (CHEAP_HASHER's, older ones) is replaced by a default one on success.
    """
    now = now or utcnow()
    name, client_key = _name_key(username), _client_key(client)
    known = data.is_known_client(db, name, client_key, stamp(now - dt.timedelta(days=KNOWN_CLIENT_DAYS)))
    pair = ("pair", client_key, name)
    shared = [] if known else [("client", client_key, ""), ("account", "", name)]
    throttled = _take_attempt(db, [pair, *shared], now) is not None
    row = None if throttled else data.find_user(db, username.strip())
    right = _verify(row["password_hash"] if row else _DUMMY_HASH, password) and row is not None
    if not right:
        raise AccountError("bad_login")
    new_hash = hash_password(password) if _hasher.check_needs_rehash(row["password_hash"]) else None
    with write(db):
        if new_hash is not None:
            data.store_rehash(db, row["username"], new_hash)
        # The attempt was counted as a failure: the pair starts afresh, the shared buckets give the one back.
        data.delete_throttle(db, [pair])
        stored = data.throttle_rows(db, shared)
        data.save_throttle(db, [_counted(key, stored[key], now, -1) for key in shared if key in stored], stamp(now),
                           stamp(now - FORGET_AFTER))
        data.remember_client(db, name, client_key, stamp(now), stamp(now - dt.timedelta(days=KNOWN_CLIENT_DAYS)))
    return User(row["username"], row["role"], row["unit_code"])


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# Throttling's buckets

def _name_key(username: str) -> str:
    """The account a counter belongs to, as typed (whether or not it exists), folded the way usernames compare."""
    return username.strip().lower()[:64]


def _client_key(client: str | None) -> str:
    """The client a counter belongs to: its IPv4 address, its IPv6 /64 network (what one subscriber gets)."""
    if not client:
        return LOCAL_CLIENT
    try:
        address = ipaddress.ip_address(client.strip())
    except ValueError:
        return client.strip()[:64]
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def _take_attempt(db: Database, keys: list[tuple[str, str, str]], now: dt.datetime) -> dt.datetime | None:
    """Count an attempt against every key, before its password is checked; when one key is still waiting, the end
    of its wait instead (and nothing written: hammering a throttled key never holds the write lock)."""
    waiting = _waiting(data.throttle_rows(db, keys), now)
    if waiting is not None:
        return waiting
    with write(db):  # read again under the write lock: parallel attempts are counted one after another
        stored = data.throttle_rows(db, keys)
        waiting = _waiting(stored, now)
        if waiting is None:
            data.save_throttle(db, [_counted(key, stored.get(key), now, +1) for key in keys], stamp(now),
                               stamp(now - FORGET_AFTER))
    return waiting


def _waiting(stored: dict, now: dt.datetime) -> dt.datetime | None:
    ends = [dt.datetime.fromisoformat(row["blocked_until"]) for row in stored.values() if row["blocked_until"]]
    return max((end for end in ends if end > now), default=None)


def _counted(key: tuple[str, str, str], row: dict | None, now: dt.datetime, step: int) -> tuple:
    """The counter of `key` after one more failure (step +1) or one fewer (-1), leaked down to `now`."""
    bucket = BUCKETS[key[0]]
    level = 0.0
    if row is not None:
        hours = (now - dt.datetime.fromisoformat(row["updated_at"])).total_seconds() / 3600
        level = max(0.0, row["level"] - hours * bucket.leak_per_hour)
    level = max(0.0, level + step)
    if level <= bucket.free - 1:  # the free-th failure makes the key wait, however little has leaked meanwhile
        until = None
    elif step > 0:
        until = stamp(now + min(FIRST_WAIT * 2 ** min(max(0.0, level - bucket.free), 10), MAX_WAIT))
    else:
        until = row["blocked_until"] if row else None
    return (*key, level, until)


def _minutes_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() // 60) + 1)


def change_password(db: Database, username: str, old: str, new: str, now: dt.datetime | None = None) -> None:
    """A user changes their own password; every other session of theirs ends.

    The current password is throttled per account like a sign-in (a stolen session cannot guess it); a new
    password the policy refuses is refused before, without counting.
    """
    now = now or utcnow()
    account = data.account_of(db, username)
    check_password_strength(new, username, account["unit_code"] if account else None)
    waiting = _take_attempt(db, [("password", "", _name_key(username))], now)
    if waiting is not None:
        raise AccountError("throttled", minutes=_minutes_until(waiting, now))
    current = data.password_hash_of(db, username)
    if current is None or not _verify(current, old):
        raise AccountError("bad_old_password")
    set_password(db, username, new)


def set_password(db: Database, username: str, new: str, *, hasher: PasswordHasher | None = None) -> None:
    """Set a password (an admin's reset or a change); sessions of that user end and the account's throttling is lifted."""
    account = data.account_of(db, username)
    check_password_strength(new, username, account["unit_code"] if account else None)
    password_hash = hash_password(new, hasher)
    with write(db):
        if data.role_of(db, username) is None:
            raise AccountError("no_user", username=username)
        data.store_password(db, username, password_hash, stamp())
        data.delete_sessions_of(db, username)
        data.delete_throttle_of(db, _name_key(username))


def reset_password(accounts_db: Database, forms_db: Database, *, actor: str, username: str, password: str,
                   hasher: PasswordHasher | None = None) -> None:
    """An administrator sets someone's password (see `set_password`), with the audit entry `password_reset`."""
    set_password(accounts_db, username, password, hasher=hasher)
    with write(forms_db):
        audit.record(forms_db, actor, "password_reset", None, None, None, {"username": username})


def list_users(db: Database) -> list[dict]:
    """Every account (username, role, unit_code, active, locked_until, created_at), by role then username."""
    return data.user_rows(db)


# Sessions: the cookie holds a random token; the database holds only its hash.

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, username: str) -> str:
    """A new session's token for the cookie; sessions that ended more than STASH_DAYS ago are forgotten meanwhile
    (one that ended since is still recognised: a post sent after it ended is kept for its account, `stash_owner`)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write(db):
        data.insert_session(db, _token_hash(token), username, stamp(now), stamp(now + dt.timedelta(days=SESSION_DAYS)),
                            stamp(now - dt.timedelta(days=STASH_DAYS)))
    return token


def session_user(db: Database, token: str | None) -> User | None:
    """The user of a live session token, or None."""
    if not token:
        return None
    row = data.session_row(db, _token_hash(token))
    if row is None or dt.datetime.fromisoformat(row["expires_at"]) < utcnow():
        return None
    return User(row["username"], row["role"], row["unit_code"])


def end_session(db: Database, token: str | None) -> None:
    """End the session of this token, if any."""
    if token:
        with write(db):
            data.delete_session(db, _token_hash(token))


# What a unit typed when its session had ended, kept until it signs in again (never applied unseen). Only for a
# browser whose session cookie names a real unit account's session, live or ended less than STASH_DAYS ago, for a
# form and year that exist, within a size per post and per account: an anonymous POST writes nothing.

STASH_MAX_BYTES = 256 * 1024  # of field names and values; files are never kept
STASH_MAX_PER_USER = 5
STASH_MAX_BYTES_PER_USER = 1024 * 1024

STASH_MESSAGES: messages.Catalogue = {
    "no_session": {"vi": "Trình duyệt này không có phiên đăng nhập nào vừa hết hạn, nên nội dung vừa gửi không được "
                         "lưu lại. Hãy đăng nhập rồi nhập lại.",
                   "en": "This browser has no recently ended session, so what was sent is not kept. Sign in and "
                         "enter it again."},
    "unknown_form": {"vi": "Không có biểu mẫu này cho năm này; nội dung vừa gửi không được lưu lại.",
                     "en": "There is no such form for this year; what was sent is not kept."},
    "too_big": {"vi": "Nội dung vừa gửi quá lớn để giữ lại khi phiên đăng nhập đã hết hạn (tối đa {kb} KB); hãy "
                      "đăng nhập rồi nhập lại.",
                "en": "What was sent is too large to keep after the session ended (at most {kb} KB); sign in and "
                      "enter it again."},
    "too_many": {"vi": "Tài khoản đã có {count} nội dung đang chờ khôi phục; hãy đăng nhập để lấy lại chúng trước, "
                       "nội dung vừa gửi không được lưu lại.",
                 "en": "The account already has {count} posts waiting to be restored; sign in to get them back "
                       "first, what was sent is not kept."},
}


class StashRefused(ValueError):
    """A post that is not kept (nothing written); `code` selects the sentence of STASH_MESSAGES."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    def message(self, lang: str = "vi") -> str:
        """The sentence for this refusal in `lang`."""
        return messages.text(STASH_MESSAGES, self.code, lang, kb=STASH_MAX_BYTES // 1024, count=STASH_MAX_PER_USER)


def stash_owner(db: Database, session_token: str | None, now: dt.datetime | None = None) -> User | None:
    """The unit account whose session this cookie names, live or ended less than STASH_DAYS ago; else None."""
    if not session_token:
        return None
    row = data.session_row(db, _token_hash(session_token))
    if row is None or row["role"] != "unit":
        return None
    if dt.datetime.fromisoformat(row["expires_at"]) < (now or utcnow()) - dt.timedelta(days=STASH_DAYS):
        return None
    return User(row["username"], row["role"], row["unit_code"])


def stash_post(db: Database, forms_db: Database, *, session_token: str | None, form_id: str, cycle_year: int | None,
               path: str, fields: list[tuple[str, str]]) -> str:
    """Keep a post's fields for STASH_DAYS for the account whose session the cookie names; the token to take them back.

    StashRefused, nothing written, for a browser without such a session (`stash_owner`), a form and year with no
    cycle, fields over STASH_MAX_BYTES, or an account already holding STASH_MAX_PER_USER posts or
    STASH_MAX_BYTES_PER_USER. A newer post of the account to the same page replaces the older one.
    """
    owner = stash_owner(db, session_token)
    if owner is None:
        raise StashRefused("no_session")
    if cycle_year is None or not windows.cycle_exists(forms_db, form_id, cycle_year):
        raise StashRefused("unknown_form")
    size = sum(len(name.encode()) + len(value.encode()) for name, value in fields)
    if size > STASH_MAX_BYTES:
        raise StashRefused("too_big")
    token = secrets.token_urlsafe(24)
    now = utcnow()
    with write(db):
        data.forget_stashes(db, stamp(now - dt.timedelta(days=STASH_DAYS)))
        data.drop_stash(db, owner.username, path)
        count, used = data.stash_totals(db, owner.username)
        if count >= STASH_MAX_PER_USER or used + size > STASH_MAX_BYTES_PER_USER:
            raise StashRefused("too_many")
        data.stash(db, _token_hash(token), owner.username, path, fields, stamp(now))
    return token


def take_stash(db: Database, token: str | None, path: str, username: str) -> list[tuple[str, str]] | None:
    """The fields stashed for `path` under this token by this account, removed once taken; another account gets none."""
    if not token:
        return None
    with write(db):
        return data.take_stash(db, _token_hash(token), path, username)
