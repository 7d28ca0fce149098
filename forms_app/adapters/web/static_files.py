"""Lighter pages: compressed responses (Flask-Compress) and static files named by their content, cached for a year.

`static_url('app.css')` is `/static/app.css?v=<first 12 hex digits of its SHA-256>`. A request carrying the file's
current hash is answered with `Cache-Control: public, max-age=31536000, immutable` (a new file has a new address, so
the old one may be kept for ever); any other request for a static file keeps Flask's usual revalidated caching.

Compression: gzip or brotli (as the browser asks) for HTML, CSS, JavaScript and JSON of at least 500 bytes, never for
PDFs, spreadsheets, ZIPs or uploaded files, and never for a streamed response (nothing the app streams is left
waiting for the whole body). Datasette under /data/ is not a Flask response (adapters/wsgi.py routes it beside the
app), so its CSV streams exactly as before. `COMPRESS_REGISTER=False` in the config turns compression off.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from time import monotonic

from flask import Flask, current_app, request, url_for
from flask_compress import Compress

IMMUTABLE = "public, max-age=31536000, immutable"
HASH_DIGITS = 12
COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json"]


def init_app(app: Flask) -> None:
    """Compression, the `static_url` template helper and the year-long cache of hashed static files."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)  # 4 (the default) is larger than gzip here; 5 beats it as fast
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)
    static_view = app.view_functions["static"]

    def static(filename):
        response = static_view(filename=filename)
        if response.direct_passthrough:  # read the (small) file, so compression can apply to it
            response.direct_passthrough = False
            response.make_sequence()
        if request.args.get("v") and request.args["v"] == file_hash(filename) and response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
            response.headers.pop("Expires", None)
        return response

    app.view_functions["static"] = static
    app.context_processor(lambda: {"static_url": static_url})


def static_url(filename: str) -> str:
    """The static file's address with its content hash (`?v=`), or without one if it does not exist."""
    digest = file_hash(filename)
    return url_for("static", filename=filename, v=digest) if digest else url_for("static", filename=filename)


def file_hash(filename: str) -> str | None:
    """The first HASH_DIGITS hex digits of the static file's SHA-256 (recomputed when the file changes, seen within
    RECHECK_AFTER_S), or None."""
    key, now = (current_app.static_folder or "", filename), monotonic()
    seen = _seen.get(key)
    if seen is not None and now - seen[0] < RECHECK_AFTER_S:
        return seen[1]
    digest = _current_hash(*key)
    if digest is not None:  # only files that exist: a request names any file it likes (`?v=` on /static/…)
        _seen[key] = (now, digest)
    return digest


# A file is looked at again at most once a second: a stat on every page was a system call that gave up the
# interpreter, two per form page, each waiting to take it back from the worker's other threads under load.
RECHECK_AFTER_S = 1.0
_seen: dict[tuple[str, str], tuple[float, str | None]] = {}


def _current_hash(folder: str, filename: str) -> str | None:
    path = _inside(folder, filename)
    try:
        stat = path.stat() if path is not None else None
    except OSError:
        return None
    if stat is None or not S_ISREG(stat.st_mode):
        return None
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _inside(folder: str, filename: str) -> Path | None:
    """The static file's resolved path, or None when the name leads outside the folder (resolved once per name: it
    was a few system calls for each file of every page)."""
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    return path if path.is_relative_to(root) else None


@lru_cache(maxsize=64)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:HASH_DIGITS]
