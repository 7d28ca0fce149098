"""`forms-app serve`: gunicorn (a production WSGI server) with several worker processes and threads."""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import socket
import threading
from pathlib import Path

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


class Server(BaseApplication):
    """Gunicorn configured in code; each worker builds its own app after the fork (SQLite connections stay per process)."""

    def __init__(self, data_dir: Path, options: dict):
        self.data_dir = data_dir
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from forms_app.adapters.wsgi import create_wsgi

        application = create_wsgi(self.data_dir)
        threading.Thread(target=warm_up, args=(self.data_dir,), name="forms-app-warm-up", daemon=True).start()
        return application


def warm_up(data_dir: Path, today: dt.date | None = None) -> None:
    """What the office opens first, computed in the background as the worker starts (seconds at national scale, which
    the first reviewer after a restart waited for): each form's board of the year under way, for every unit, and the
    charts. Kept as the requests keep them (`rules.summaries`), so the first request finds them; `today` stands in
    for the clock."""
    from forms_app.data import clock, connection
    from forms_app.rules import board, charts

    file = Path(data_dir) / connection.FORMS_DB
    try:
        db = connection.connect(file, readonly=True)
        try:
            today = today or clock.today()
            for form in board.forms(db):
                _years, year = board.years(db, form, today)
                if year is not None:
                    board.listing(db, form, year=year, clusters=[], query="", today=today, database_file=file)
            charts.charts(db, None, file)
        finally:
            db.close()
    except Exception:  # a database not migrated yet, a data directory gone: the requests compute what they need
        log.exception("warm-up of the board and the charts failed")


def serve(data_dir: Path, host: str, port: int, workers: int | None = None, threads: int = 4) -> None:
    """Run until stopped; SIGTERM or Ctrl+C finish the requests in flight first. Check the address first
    (`check_address`): each worker binds it, sharing the port."""
    workers = workers or max(2, os.cpu_count() or 1)
    Server(data_dir, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "warning",
        "forwarded_allow_ips": "127.0.0.1",
        "limit_request_line": 8190,
        # Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel shares the connections out between
        # them. On one socket shared by every worker, whichever woke first took most: 16 keep-alive clients split 14
        # to 2 between two workers, measured, and the 14 waited for its 4 threads (p99 376 ms; 110 on the other).
        "reuse_port": True,
    }).run()


class AddressUnusable(Exception):
    """`forms-app serve` cannot listen on the address it was given. `kind`: "taken" (something listens there),
    "not_here" (not an address of this machine), "denied" (a port below 1024 without root), "unknown_host" (a name that
    does not resolve) or "other" (then `reason`, the system's words)."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind, self.reason = kind, reason


_KINDS = {errno.EADDRINUSE: "taken", errno.EADDRNOTAVAIL: "not_here", errno.EACCES: "denied"}


def check_address(host: str, port: int) -> None:
    """`AddressUnusable` when the server could not listen on the address, found before it starts.

    The workers' sockets share their port (`reuse_port`), so a second `forms-app serve` on the same port would
    otherwise start without a word and take half of the first one's connections, on its own data directory: a socket
    bound here without sharing fails on a port anyone listens on. And each worker binds for itself: on an address it
    cannot use, they would fail and be started again without end, where one bound socket failed once before. Bound as
    gunicorn binds it (IPv6 for an address with a colon)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn's: a closed connection's TIME_WAIT
        try:  # does not count
            probe.bind((host, port))
        except socket.gaierror as exc:
            raise AddressUnusable("unknown_host", exc.strerror or str(exc)) from None
        except OSError as exc:
            raise AddressUnusable(_KINDS.get(exc.errno, "other"), exc.strerror or str(exc)) from None
