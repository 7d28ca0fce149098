"""Passwords: argon2id hashing and verification, and the policy a new password must pass (zxcvbn).

Hashing: every function that hashes a password takes `hasher=None`, meaning the library's default
argon2id parameters (production). `CHEAP_HASHER` is argon2id with the weakest parameters, for demo data
and test fixtures only: `rules.accounts.authenticate` rehashes such a hash with the default parameters at the
first sign-in (`needs_rehash`), so a cheap demo account gets a strong hash once it is used.
"""

from __future__ import annotations

import threading
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from forms_app.rules.account_errors import AccountError

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

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
# Still argon2id, with the weakest parameters: for demo data and test fixtures, never for real accounts.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
# Verifying against this keeps the time of a login for an unknown user close to a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """An argon2id hash of `password`: the library's default parameters unless `hasher` (e.g. CHEAP_HASHER) is given."""
    return (hasher or _hasher).hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; with no hash, False after one verification against a dummy hash
    (an unknown account takes as long as a real one)."""
    try:
        right = _hasher.verify(_DUMMY_HASH if password_hash is None else password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return right and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with other parameters than the default ones (CHEAP_HASHER's, older ones)."""
    return _hasher.check_needs_rehash(password_hash)


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
    from zxcvbn import zxcvbn  # its word lists take 13 MB: loaded by the first password set, not by every worker

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

