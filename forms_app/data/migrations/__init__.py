"""The schema of both databases, as sqlite-utils migrations (append-only); they import nothing from the app."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from forms_app.data.migrations.accounts import accounts_migrations
from forms_app.data.migrations.forms import forms_migrations

__all__ = ["accounts_migrations", "forms_migrations", "migrate_accounts", "migrate_forms"]


def migrate_forms(db: Database) -> None:
    forms_migrations.apply(db)


def migrate_accounts(db: Database) -> None:
    accounts_migrations.apply(db)


def schema_sql() -> str:
    """The schema both migration sets build, as SQL (`forms_app/data/schema.sql` is this text, kept in step by a test).

    Regenerate it after adding a migration: `python -m forms_app.data.migrations > forms_app/data/schema.sql`.
    """
    parts = ["-- The current schema of a data directory's two databases, generated from the migrations in",
             "-- forms_app/data/migrations/ (read them for why). Do not edit: regenerate with",
             "--   python -m forms_app.data.migrations > forms_app/data/schema.sql"]
    for name, migrations in (("forms.db", forms_migrations), ("accounts.db", accounts_migrations)):
        conn = sqlite3.connect(":memory:")
        migrations.apply(Database(conn))
        parts += ["", f"-- {name}"]
        for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
                                   "AND name != '_sqlite_migrations' ORDER BY CASE type WHEN 'table' THEN 0 "
                                   "WHEN 'view' THEN 1 WHEN 'index' THEN 2 ELSE 3 END, tbl_name, name"):
            parts.append(sql.strip() + ";")
        conn.close()
    return "\n".join(parts) + "\n"
