"""Datasette never waits for the row count of a long table of forms.db (answers, criterion_scores, section_scores).

Datasette counts every table on the database page (each count given 5 ms) and the rows of a table page (given the
time limit), and shows no count when one is stopped at its limit. SQLite cannot stop the count of a whole table
(`forms_app.data.summaries.LONG_TABLES` says why): answers' took 0.5–0.8 s of every such page on the 50,000-unit demo.
Here that count is answered at once as Datasette's own stopped count is — no number shown — while the counts of a
filter (a submission's answers: one range of an index), of small tables and of reviewers' own queries still run.
"""

from __future__ import annotations

from datasette.database import Database, QueryInterrupted

from forms_app.rules.summaries import counts_a_long_table_whole


def skip_whole_counts(database: Database) -> None:
    """Make Datasette's `database` treat a whole count of a long table as stopped at its limit, without running it.
    A reviewer's own query (run with `truncate`, from the SQL editor or a canned query) is never touched."""
    execute = database.execute

    async def execute_or_skip(sql, *args, **kwargs):
        if not kwargs.get("truncate") and counts_a_long_table_whole(str(sql)):
            raise QueryInterrupted(None, sql, args[0] if args else None)
        return await execute(sql, *args, **kwargs)

    database.execute = execute_or_skip
