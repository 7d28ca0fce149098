"""Results computed over every unit — the status board's statuses, the queue, the charts — kept in this process
until the data they were computed from changes, and brought up to date unit by unit when they can be.

Each is kept with the (forms.db file, version) it was computed at (`forms_app.data.summaries.version`: a trigger logs
every write to the tables these results read, with the unit written), so the write that changes one is seen by the
very next request, whoever wrote it and from whichever process. A result that knows how (`refresh`) is then computed
again for the units written since only (`summaries.changed_units`, at most REFRESH_UNITS of them), anything else in
full. The version is read before computing: a result is never older than the version it is kept with. The pages of
the web app and of Datasette run in one process (`adapters/wsgi.py`) and share what is kept; the last SIZE results
of each name are kept, the oldest forgotten first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

from forms_app.data import facet_counts, summaries
from forms_app.data.reporting import Readable

SIZE = 4  # results kept per name: the board's statuses of a year of 50,000 units are ~8 MB, of every year ~40 MB
REFRESH_UNITS = 2000  # beyond: computed in full
T = TypeVar("T")

_kept: dict[str, OrderedDict[tuple, tuple[int, object]]] = {}
_lock = threading.Lock()


def kept(db: Readable, name: str, key: Hashable, compute: Callable[[], T],
         refresh: Callable[[T, set[str]], T] | None = None) -> T:
    """`compute()`'s result for `name` and `key`, computed again only after a write to what it reads — by
    `refresh(the kept result, the units written since)` when given and they can be told. The result is shared between
    requests: never change it."""
    identity, version = summaries.version(db)
    slot = (identity, key)
    with _lock:
        found = _kept.setdefault(name, OrderedDict())
        previous = found.get(slot)
        if previous is not None and previous[0] == version:
            found.move_to_end(slot)
            return previous[1]  # type: ignore[return-value]
    value = None
    if refresh is not None and previous is not None and previous[0] < version:
        changed = summaries.changed_units(db, previous[0], REFRESH_UNITS)
        if changed is not None:
            value = refresh(previous[1], changed)  # type: ignore[arg-type]
    if value is None:
        value = compute()
    with _lock:
        found[slot] = (version, value)
        found.move_to_end(slot)
        while len(found) > SIZE:
            found.popitem(last=False)
    return value


def forget() -> None:
    """Forget every kept result (a benchmark measuring the first request after a write)."""
    with _lock:
        _kept.clear()


def counts_a_long_table_whole(sql: str) -> bool:
    """Whether a statement counts every row of a long table (answers, …): an answer a page never waits for
    (`forms_app.data.summaries.LONG_TABLES`)."""
    return summaries.counts_a_long_table_whole(sql)


def facet_page(table: str) -> facet_counts.Page | None:
    """What the counts kept by triggers say about the facets of a table or view of Datasette (the table counted, its
    year column, the count of each column); None for a page without kept counts."""
    return facet_counts.PAGES.get(table)


def facet_rows(db: Readable, table: str, count: str, year: int | None, limit: int) -> list[tuple]:
    """(value, rows) of a kept count, of every year or one, as Datasette's facet orders them, at most `limit`."""
    return facet_counts.facet_rows(db, table, count, year, limit)
