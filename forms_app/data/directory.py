"""The data directory itself: where it is, the key that signs cookies, kept in it, and which file a path names."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def data_dir_from_env() -> Path:
    """FORMS_APP_DATA_DIR, else ./instance."""
    return Path(os.environ.get("FORMS_APP_DATA_DIR", "instance"))


def ensure_secret_key(data_dir: Path) -> str:
    """The key signing cookies, generated in the data directory on first run (never in the repository)."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".secret_key.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)  # atomic: of two processes starting at once, one key wins
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


def file_identity(path: Path | str) -> tuple[str, int, int] | None:
    """The file at `path` as it is now — (the path as given, device, inode): a file replaced at the same path is another
    one — or None when it is absent."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return str(path), found.st_dev, found.st_ino
