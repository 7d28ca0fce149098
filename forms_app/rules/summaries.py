"""Results computed over every unit — the status board's statuses, the queue, the charts — kept in this process
until the data they were computed from changes, and brought up to date unit by unit when they can be.

Each is kept with the (forms.db file, version) it was computed at (`forms_app.data.summaries.version`: a trigger logs
every write to the tables these results read, with the unit written), so the write that changes one is seen by the
very next request, whoever wrote it and from whichever process. A result that knows how (`refresh`) is then computed
again for the units written since only (`summaries.changed_units`, at most REFRESH_UNITS of them), anything else in
full — or, for a result given its database's file (the charts, the board as shown), by a thread of its own while the
result kept before is shown, with a word saying so (`behind`). The version is read before computing: a result is
never older than the version it is kept with. The pages of the web app and of Datasette run in one process (`adapters/wsgi.py`) and share
what is kept; the last SIZE results of each name are kept, the oldest forgotten first.

The queue is always computed at once: the office acts on it (a decision for every unit it lists), so it never stands
on a result kept before a write.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Hashable, TypeVar

from forms_app.data import connection, facet_counts, summaries
from forms_app.data.reporting import Readable

SIZE = 4  # results kept per name: the board's statuses of a year of 50,000 units are ~8 MB, of every year ~40 MB
REFRESH_UNITS = 2000  # beyond: computed in full
T = TypeVar("T")

_kept: dict[str, OrderedDict[tuple, tuple[int, object]]] = {}
_behind: set[tuple[str, tuple]] = set()  # (name, slot) of the results being computed again beside the requests
# With `file`: a result whose last full computation took at least this long is computed again beside the requests;
# a quicker one (a university's few hundred units: milliseconds) at once, so that the next page shows the write.
ASIDE_AFTER_S = 0.2
_took: dict[tuple[str, tuple], float] = {}  # (name, slot): seconds its last full computation took
_lock = threading.Lock()
log = logging.getLogger(__name__)


def kept(db: Readable, name: str, key: Hashable, compute: Callable[[Readable], T],
         refresh: Callable[[T, set[str]], T] | None = None, *, file: Path | None = None) -> T:
    """`compute(db)`'s result for `name` and `key`, computed again only after a write to what it reads — by
    `refresh(the kept result, the units written since)` when given and they can be told. The result is shared between
    requests: never change it.

    With `file` (the database's path), the result is kept under the file's identity, so every connection to it shares
    it, Datasette's too; and a result that must be computed again in full after a write, whose last full computation
    took ASIDE_AFTER_S or more, is computed by a thread of its own on a read-only connection to the file, the result
    kept before being returned meanwhile (`behind` says so): work that takes a second at national scale (the charts
    after every submit) is not done while a reviewer waits. A result never kept, or quick to compute, is computed at
    once."""
    identity, version = summaries.version(db, file)
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
    if value is None and previous is not None and file is not None and _took.get((name, slot), 0.0) >= ASIDE_AFTER_S:
        _catch_up(name, slot, file, compute)
        return previous[1]  # type: ignore[return-value]
    if value is None:
        value = _computed(name, slot, compute, db)
    _keep(name, slot, version, value)
    return value


def _computed(name: str, slot: tuple, compute: Callable[[Readable], T], db: Readable) -> T:
    """`compute(db)`, its time noted for `kept` to choose where the next one runs."""
    started = time.perf_counter()
    value = compute(db)
    _took[(name, slot)] = time.perf_counter() - started
    return value


def behind(name: str) -> bool:
    """Whether a result of `name` is being computed again beside the requests (the one shown is the one kept before)."""
    with _lock:
        return any(entry[0] == name for entry in _behind)


def _keep(name: str, slot: tuple, version: int, value: object) -> None:
    """Keep `value` as of `version`, unless a result of a later version is kept already (a slower computation)."""
    with _lock:
        found = _kept.setdefault(name, OrderedDict())
        if slot in found and found[slot][0] > version:
            return
        found[slot] = (version, value)
        found.move_to_end(slot)
        while len(found) > SIZE:
            _took.pop((name, found.popitem(last=False)[0]), None)


def _catch_up(name: str, slot: tuple, file: Path, compute: Callable[[Readable], Any]) -> None:
    """Compute `name` again for `slot` in a thread of its own, one at a time per result."""
    with _lock:
        if (name, slot) in _behind:
            return
        _behind.add((name, slot))

    def run() -> None:
        try:
            own = connection.connect(file, readonly=True)
            try:
                _identity, version = summaries.version(own, file)  # read first: the result is never older than it
                value = _computed(name, slot, compute, own)
            finally:
                own.close()
            _keep(name, slot, version, value)
        except Exception:  # a database gone, a full disk: the next request tries again
            log.exception("kept result %s not computed again", name)
        finally:
            with _lock:
                _behind.discard((name, slot))

    threading.Thread(target=run, name=f"forms-app-kept-{name}", daemon=True).start()


def forget() -> None:
    """Forget every kept result (a benchmark measuring the first request after a write)."""
    with _lock:
        _kept.clear()
        _took.clear()


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
