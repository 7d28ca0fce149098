"""What reviewers' own SQL may read in Datasette: an SQLite authorizer set on every connection Datasette opens."""

from __future__ import annotations

import sqlite3

# Columns no reviewer's SQL can read: Datasette gets NULL in their place.
SECRET_COLUMNS = {("revisions", "request_token"), ("uploads", "token")}


def authorizer(action, first, second, dbname, source):
    """No ATTACH or DETACH (so no other database file, accounts.db included, can ever be read); secret columns read as NULL."""
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and (first, second) in SECRET_COLUMNS:
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK
