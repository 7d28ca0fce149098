"""What every request shares: its connections to the two databases (one each, kept in `g`) and the session cookie's name."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, g

from forms_app.data import clock, connection
from forms_app.rules import accounts, units

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


def limited_clusters() -> list[str]:
    """The clusters the signed-in reviewer is limited to (a cluster lead); empty for every unit (and for admins)."""
    if g.user is None or g.user.role != "reviewer":
        return []
    if "reviewer_clusters" not in g:
        g.reviewer_clusters = accounts.reviewer_clusters(accounts_db(), g.user.username)
    return g.reviewer_clusters


def may_review(unit_code: str) -> bool:
    """Whether the signed-in reviewer or admin may read and decide for this unit (a cluster lead: only in their clusters)."""
    clusters = limited_clusters()
    return not clusters or units.in_clusters(forms_db(), unit_code, clusters)


def now():
    """The app's clock: the configured NOW in tests, else None (the real clock)."""
    return current_app.config.get("NOW")


def today():
    """Today in the deployment's time zone, by the app's clock."""
    return clock.today(now())
