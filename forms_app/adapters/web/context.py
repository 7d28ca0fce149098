"""What every request shares: its connections to the two databases (one each in `g`, lent from those its thread
keeps), the session cookie's name, and which units the signed-in user may read (`may_review`, `may_read`: cluster
leads confined to their clusters)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, g

from forms_app.data import clock, connection
from forms_app.rules import accounts, units

SESSION_COOKIE = "forms_session"


def forms_db():
    """This request's connection to forms.db (its thread's, opened once: connecting cost a tenth of a request)."""
    if "forms_db" not in g:
        g.forms_db = connection.borrow(forms_db_file())
    return g.forms_db


def forms_db_file() -> Path:
    """forms.db's path in this request's data directory."""
    return Path(g.data_dir) / connection.FORMS_DB


def accounts_db():
    """This request's connection to accounts.db (its thread's, opened once)."""
    if "accounts_db" not in g:
        g.accounts_db = connection.borrow(Path(g.data_dir) / connection.ACCOUNTS_DB)
    return g.accounts_db


def close_databases(exc) -> None:
    """Teardown: give back whichever connections the request used, any transaction left open rolled back; a
    connection that met a database error is closed, never lent again."""
    for key in ("forms_db", "accounts_db"):
        conn = g.pop(key, None)
        if conn is not None:
            connection.give_back(conn, broken=isinstance(exc, connection.DatabaseError))


def limited_clusters() -> list[str]:
    """The clusters the signed-in cluster lead is confined to; empty for everyone else (who is not confined to clusters).

    A cluster lead with no cluster (the rules never leave one so) reads nothing: 403 rather than every unit.
    """
    if g.user is None or g.user.role != "cluster_lead":
        return []
    if "reviewer_clusters" not in g:
        g.reviewer_clusters = accounts.reviewer_clusters(accounts_db(), g.user.username)
    if not g.reviewer_clusters:
        abort(403)
    return g.reviewer_clusters


def may_review(unit_code: str) -> bool:
    """Whether the signed-in user reads (and, by role, acts on) this unit as a reviewer: the office, the inspection
    committee and admins every unit, a cluster lead the units of their clusters; a unit account or nobody, never."""
    if g.user is None or not g.user.is_reviewer:
        return False
    if g.user.reads_every_unit:
        return True
    return units.in_clusters(forms_db(), unit_code, limited_clusters())


def may_read(unit_code: str) -> bool:
    """Whether the signed-in user may read this unit's forms, results and files: its own unit account, or a reviewer
    who may review it (`may_review`)."""
    if g.user is not None and g.user.is_unit:
        return g.user.unit_code == unit_code
    return may_review(unit_code)


def now():
    """The app's clock: the configured NOW in tests, else None (the real clock)."""
    return current_app.config.get("NOW")


def today():
    """Today in the deployment's time zone, by the app's clock."""
    return clock.today(now())


@dataclass(frozen=True)
class Paging:
    """What the pager shows (board/_board.html `pager`): the page shown, how many pages, how many rows in all."""

    page: int
    pages: int
    total: int


def paged(fetch: Callable[[int], tuple[int, list]], page: int, per_page: int) -> tuple[Paging, list]:
    """The rows of page `page` from `fetch(page) → (total, rows)`; a page past the last one shows the last."""
    total, rows = fetch(page)
    pages = max(1, -(-total // per_page))
    if page > pages:
        page = pages
        total, rows = fetch(page)
    return Paging(page, pages, total), rows
