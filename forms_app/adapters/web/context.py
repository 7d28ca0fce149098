"""What every request shares: its connections to the two databases (one each, kept in `g`) and the session cookie's name."""

from __future__ import annotations

from pathlib import Path

from flask import g

from forms_app.data import connection

SESSION_COOKIE = "forms_session"


def forms_db():
    """This request's connection to forms.db."""
    if "forms_db" not in g:
        g.forms_db = connection.open_forms(Path(g.data_dir))
    return g.forms_db


def accounts_db():
    """This request's connection to accounts.db."""
    if "accounts_db" not in g:
        g.accounts_db = connection.open_accounts(Path(g.data_dir))
    return g.accounts_db


def close_databases(exc) -> None:
    """Teardown: close whichever connections the request opened."""
    for key in ("forms_db", "accounts_db"):
        conn = g.pop(key, None)
        if conn is not None:
            conn.close()
