"""Datasette's column facets, read from the counts triggers keep (`forms_app/data/facet_counts.py`) when they can be.

A default facet over one of the long tables counted an index of 200,000–440,000 entries on every view of the page
(12–85 ms each on the 50,000-unit demo), and a facet on a word of a readable view ("Quyết định") computed a CASE
for every row (70–180 ms). `KeptColumnFacet` takes the place of Datasette's `ColumnFacet` (same type, "column";
`plugin.register_facet_classes` swaps the class in Datasette's own list, so `_facet=` and the metadata's facets
reach it unchanged) and answers a facet from the kept counts when the rows the page faceted are every row of the
table, or every row of one year (the page filtered by its year column alone); any other page — another filter, a
search, `_where`, the next page of a table (its keyset is in the SQL) — falls back to Datasette's own query: right,
only slower.

Which rows are faceted is read from the SQL Datasette hands the facet, compared whole with the two SQL texts the
table page writes for those two cases (its own `Filters` builds the year's), rather than from the address: whatever
narrows the rows shows in that SQL. The facet's entry — values, counts, order, labels, toggle URLs, "selected" — is
made by Datasette's own `ColumnFacet.facet_results`, given the kept rows in place of its query's result, so it is
the same as Datasette's by construction; `tests/test_facet_counts.py` compares both on every counted facet.
"""

from __future__ import annotations

import re

from datasette.database import Results
from datasette.facets import ColumnFacet
from datasette.filters import Filters
from datasette.utils import escape_sqlite

from forms_app.rules import summaries

DATABASE = "forms"  # the counts are forms.db's (the one database the reviewers' Datasette serves)
_EVERY_ROW = "every row"
_YEAR = re.compile(r"[1-9][0-9]{0,3}")  # a year as the address writes it; "2022.0" or "02022" fall back


class _Answered:
    """Datasette, for `ColumnFacet.facet_results`, with its one query (the facet's counts) answered by `rows`."""

    def __init__(self, datasette, rows: list[tuple]):
        self._datasette = datasette
        self._rows = Results([{"value": value, "count": count} for value, count in rows], False,
                             (("value",), ("count",)))

    def __getattr__(self, name):
        return getattr(self._datasette, name)

    async def execute(self, *args, **kwargs):
        return self._rows


class KeptColumnFacet(ColumnFacet):
    """A column facet read from the kept counts for every row or one year's rows of a counted page, else Datasette's."""

    type = "column"
    _only: list | None = None

    def get_configs(self):
        """The facets asked for; while `facet_results` computes one of them, that one alone."""
        return self._only if self._only is not None else super().get_configs()

    async def facet_results(self):
        """Datasette's facet results for every facet asked for, each from the kept counts when they count its rows."""
        page = summaries.facet_page(self.table) if self.table and self.database == DATABASE else None
        year = await self._faceted_year(page) if page else None
        results, timed_out, datasette = [], [], self.ds
        for config in super().get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            count = page.columns.get(column) if page and year is not None else None
            self._only = [config]
            try:
                if count is not None:
                    rows = await self._kept_rows(page.counted, count, None if year == _EVERY_ROW else year)
                    self.ds = _Answered(datasette, rows)
                found, stopped = await super().facet_results()
            finally:
                self._only, self.ds = None, datasette
            results += found
            timed_out += stopped
        return results, timed_out

    async def _kept_rows(self, table: str, count: str, year: int | None) -> list[tuple]:
        limit = self.get_facet_size() + 1  # as Datasette asks: one more than shown tells it the list is cut
        return await self.ds.get_database(self.database).execute_fn(
            lambda conn: summaries.facet_rows(conn, table, count, year, limit))

    async def _faceted_year(self, page) -> int | str | None:
        """_EVERY_ROW when the facet's SQL reads every row of the page, the year when it reads one year's rows by the
        page's year column alone, None for anything else."""
        columns = await self.ds.get_database(self.database).table_columns(self.table)
        every = f"select {', '.join(escape_sqlite(c) for c in columns)} from {escape_sqlite(self.table)} "
        every = (every, every.replace("select ", "select rowid, ", 1))  # a table without a primary key: with rowid
        if self.sql in every and not self.params:
            return _EVERY_ROW
        value = self.params.get("p0") if isinstance(self.params, dict) and len(self.params) == 1 else None
        if page.year_column is None or not isinstance(value, str) or not _YEAR.fullmatch(value):
            return None
        where, params = Filters([(page.year_column, value)]).build_where_clauses(self.table)
        if params == self.params and self.sql in {sql + f"where {' and '.join(where)} " for sql in every}:
            return int(value)
        return None
