"""`forms-app serve`: gunicorn (a production WSGI server) with several worker processes and threads."""

from __future__ import annotations

import os
from pathlib import Path

from gunicorn.app.base import BaseApplication


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

        return create_wsgi(self.data_dir)


def serve(data_dir: Path, host: str, port: int, workers: int | None = None, threads: int = 4) -> None:
    """Run until stopped; SIGTERM or Ctrl+C finish the requests in flight first."""
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
    }).run()
