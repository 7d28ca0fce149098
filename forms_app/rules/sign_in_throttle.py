"""Sign-in throttling (docs/security.md, "Signing in"): leaky buckets and growing waits, never a lock.

No lock that the right password cannot open. Each attempt counts against leaky buckets — the (client, account)
pair, the client and the account — before its password is checked (so parallel guesses count too); a full bucket
makes that key wait, doubling with each further failure up to MAX_WAIT. The client and account buckets do not
apply where the account signed in within KNOWN_CLIENT_DAYS: a stranger hammering an account from elsewhere never
keeps its owner out. The current password on the password page counts against a bucket of its own, per account.
`rules.accounts` decides what an attempt is and checks the password; this module only counts and makes keys wait.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from forms_app.data import accounts as data
from forms_app.data.clock import stamp
from forms_app.data.connection import Database, write


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

Key = tuple[str, str, str]  # (bucket, client, account)


def sign_in_keys(db: Database, username: str, client: str | None, now: dt.datetime) -> tuple[Key, list[Key]]:
    """The keys a sign-in counts against: its (client, account) pair, and the client's and the account's shared
    ones unless the account signed in from this client within KNOWN_CLIENT_DAYS (then none)."""
    name, client_key = _name_key(username), _client_key(client)
    known = data.is_known_client(db, name, client_key, stamp(now - dt.timedelta(days=KNOWN_CLIENT_DAYS)))
    shared = [] if known else [("client", client_key, ""), ("account", "", name)]
    return ("pair", client_key, name), shared


def password_key(username: str) -> Key:
    """The key the current password on the password page counts against: one per account."""
    return ("password", "", _name_key(username))


def take_attempt(db: Database, keys: list[Key], now: dt.datetime) -> dt.datetime | None:
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


def signed_in(db: Database, pair: Key, shared: list[Key], now: dt.datetime) -> None:
    """After a right password, in the caller's write transaction: the client is remembered for the account, and the
    attempt (counted as a failure) is given back — the pair starts afresh, the shared buckets lose one."""
    data.delete_throttle(db, [pair])
    stored = data.throttle_rows(db, shared)
    data.save_throttle(db, [_counted(key, stored[key], now, -1) for key in shared if key in stored], stamp(now),
                       stamp(now - FORGET_AFTER))
    _, client_key, name = pair
    data.remember_client(db, name, client_key, stamp(now), stamp(now - dt.timedelta(days=KNOWN_CLIENT_DAYS)))


def lift(db: Database, username: str) -> None:
    """Forget every counter of an account (its password was just set), in the caller's write transaction."""
    data.delete_throttle_of(db, _name_key(username))


def minutes_until(moment: dt.datetime, now: dt.datetime) -> int:
    """The whole minutes left until `moment`, at least 1: what a refusal tells the user to wait."""
    return max(1, int((moment - now).total_seconds() // 60) + 1)


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


def _waiting(stored: dict, now: dt.datetime) -> dt.datetime | None:
    ends = [dt.datetime.fromisoformat(row["blocked_until"]) for row in stored.values() if row["blocked_until"]]
    return max((end for end in ends if end > now), default=None)


def _counted(key: Key, row: dict | None, now: dt.datetime, step: int) -> tuple:
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

