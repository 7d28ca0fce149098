"""`forms-app backup DEST` and `forms-app restore SRC`: an online, consistent copy of a data directory, and its restore.

A backup is a folder holding copies of both databases (taken with SQLite's online backup API
inside one read transaction, so the copy is a single consistent snapshot while the server keeps
writing: in WAL mode a reader never blocks a writer), the content-addressed uploads, the issued
certificates, the secret key and the deployment's small settings files, and a `manifest.json`
(sizes and SHA-256 of every file, each database's user_version and applied migrations, the
product version). The databases are copied first and the files after: uploads and certificates
are written to disk before the rows that name them, so every row in the copy finds its file. Before
copying, the uploads no revision refers to are removed once past their grace period (`forms-app cleanup`).

Everything is written into `DEST/.partial-…` and moved into DEST only once complete, with
`manifest.json` last: a folder without its manifest is not a backup. On any error the partial
copy is removed. A restore goes only into an empty (or new) data directory, checks every file
against the manifest before copying anything, copies through temporaries, and then runs the
migrations, so a backup made by an older version is brought up to date.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from forms_app.data import clock, maintenance
from forms_app.data import connection as database
from forms_app.rules import messages, uploads

MANIFEST = "manifest.json"
FORMAT = 1
DATABASES = (database.FORMS_DB, database.ACCOUNTS_DB)
FOLDERS = ("uploads", "certificates")  # walked whole; content-addressed or written once
SMALL_FILES = ("secret_key", "certificate.json", "demo.json", "demo-accounts.csv")  # copied when present
PAGES_PER_STEP = 1024  # about 4 MB at SQLite's default page size
PAUSE_BETWEEN_STEPS = 0.002  # seconds: lets other connections in between two steps
BUSY_TIMEOUT_S = 30
CHUNK = 1 << 20

MESSAGES = {
    "backup_done": {"vi": "Đã sao lưu {files} tệp ({size}) vào {path}.",
                    "en": "Backed up {files} file(s) ({size}) to {path}."},
    "restore_done": {"vi": "Đã khôi phục bản sao lưu lúc {created_at} ({files} tệp) vào {path}.",
                     "en": "Restored the backup of {created_at} ({files} file(s)) into {path}."},
    "no_data": {"vi": "Thư mục {path} không có dữ liệu để sao lưu (thiếu {name}).",
                "en": "The folder {path} holds no data to back up ({name} is missing)."},
    "dest_not_empty": {"vi": "Thư mục đích {path} đã có nội dung; hãy chọn một thư mục mới hoặc trống, không có gì được ghi.",
                       "en": "The destination {path} is not empty; choose a new or empty folder, nothing was written."},
    "dest_not_folder": {"vi": "{path} đã tồn tại và không phải là thư mục; không có gì được ghi.",
                        "en": "{path} exists and is not a folder; nothing was written."},
    "dest_inside": {"vi": "Không thể sao lưu vào {path} vì nó nằm trong thư mục dữ liệu; hãy chọn một thư mục bên ngoài.",
                    "en": "Cannot back up into {path} because it is inside the data directory; choose a folder outside it."},
    "database_error": {"vi": "Không sao chép được cơ sở dữ liệu {name}: {reason}; không có gì được ghi.",
                       "en": "Could not copy the database {name}: {reason}; nothing was written."},
    "integrity": {"vi": "Bản sao của {name} không toàn vẹn ({detail}); không có gì được ghi.",
                  "en": "The copy of {name} failed its integrity check ({detail}); nothing was written."},
    "disk_full": {"vi": "Hết chỗ trên đĩa khi ghi {path}; không có gì được ghi.",
                  "en": "The disk is full while writing {path}; nothing was written."},
    "io_error": {"vi": "Không đọc hoặc ghi được {path}: {reason}; không có gì được ghi.",
                 "en": "Could not read or write {path}: {reason}; nothing was written."},
    "not_a_backup": {"vi": "{path} không phải là một bản sao lưu hoàn chỉnh (thiếu manifest.json); không khôi phục gì.",
                     "en": "{path} is not a complete backup (manifest.json is missing); nothing was restored."},
    "source_missing": {"vi": "Không có thư mục sao lưu {path}; không khôi phục gì.",
                       "en": "There is no backup folder {path}; nothing was restored."},
    "source_unreadable": {"vi": "Không đọc được bản sao lưu {path}: {reason}; không khôi phục gì.",
                          "en": "Could not read the backup {path}: {reason}; nothing was restored."},
    "manifest_corrupt": {"vi": "Tệp manifest.json của bản sao lưu {path} bị hỏng ({reason}); không khôi phục gì.",
                         "en": "The manifest.json of the backup {path} is corrupt ({reason}); nothing was restored."},
    "file_missing": {"vi": "Bản sao lưu thiếu tệp {file} được ghi trong manifest.json; không khôi phục gì.",
                     "en": "The backup lacks the file {file} listed in manifest.json; nothing was restored."},
    "file_mismatch": {"vi": "Tệp {file} của bản sao lưu không khớp kích thước hoặc mã SHA-256 ghi trong manifest.json "
                            "(đã bị sửa hoặc hỏng); không khôi phục gì.",
                      "en": "The file {file} of the backup does not match the size or SHA-256 in manifest.json "
                            "(altered or damaged); nothing was restored."},
    "target_not_empty": {"vi": "Thư mục dữ liệu {path} không trống; chỉ khôi phục được vào một thư mục mới hoặc trống, "
                               "không có gì được ghi.",
                         "en": "The data directory {path} is not empty; a backup is restored only into a new or empty "
                               "folder, nothing was written."},
    "newer_backup": {"vi": "Bản sao lưu có thay đổi cấu trúc {name} mà phiên bản này chưa biết ({migrations}); "
                           "hãy cập nhật forms-app trước khi khôi phục, không có gì được ghi.",
                     "en": "The backup has schema changes in {name} this version does not know ({migrations}); "
                           "upgrade forms-app before restoring, nothing was written."},
}


def say(key: str, lang: str, **params) -> str:
    """One of MESSAGES in `lang`."""
    return messages.text(MESSAGES, key, lang, **params)


class BackupError(Exception):
    """A refused or failed backup or restore: `code` names a sentence of MESSAGES."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str) -> str:
        return say(self.code, lang, **self.params)


@dataclass(frozen=True)
class Summary:
    """What a finished backup or restore did, for the closing sentence."""

    kind: str  # backup or restore
    path: Path
    files: int
    size: int
    created_at: str
    cleaned: uploads.Cleanup | None = None  # the cleanup of unreferenced uploads run before a backup

    def message(self, lang: str) -> str:
        if self.kind == "backup":
            done = say("backup_done", lang, files=self.files, size=_human(self.size), path=self.path)
            if self.cleaned and (self.cleaned.rows or self.cleaned.files):
                return f"{self.cleaned.message(lang)}\n{done}"
            return done
        return say("restore_done", lang, created_at=self.created_at, files=self.files, path=self.path)


# --- backup -------------------------------------------------------------------------------------


def backup(data_dir: Path, dest: Path, *, grace_days: int | None = uploads.GRACE_DAYS) -> Summary:
    """Copy the data directory `data_dir` into `dest` (new or empty), complete or not at all.

    First the uploads no revision refers to, older than `grace_days`, are removed (`rules.uploads.cleanup`;
    None: not), so that a backup does not carry them.
    """
    data_dir, dest = Path(data_dir).resolve(), Path(dest).absolute()
    for name in DATABASES:
        if not (data_dir / name).is_file():
            raise BackupError("no_data", path=data_dir, name=name)
    if dest.resolve() == data_dir or data_dir in dest.resolve().parents:
        raise BackupError("dest_inside", path=dest)
    created = _claim_empty_folder(dest, "dest_not_empty", "dest_not_folder")
    staging = dest / f".partial-{secrets.token_hex(6)}"
    moved: list[Path] = []
    try:
        cleaned = _clean_uploads(data_dir, grace_days)
        _guard_io(lambda: staging.mkdir(mode=0o700), staging)
        files = []
        databases = {}
        for name in DATABASES:  # first the databases: every file their rows name is on disk by now
            databases[name] = _copy_database(data_dir / name, staging / name)
            files.append(_guard_io(lambda: _describe(staging / name, name), staging / name))
        for relative in _guard_io(lambda: _data_files(data_dir), data_dir):
            size, digest = _guard_io(lambda: _copy_file(data_dir / relative, staging / relative), data_dir / relative)
            files.append({"path": relative, "size": size, "sha256": digest})
        manifest = {
            "format": FORMAT,
            "product": "forms-app",
            "version": product_version(),
            "created_at": clock.stamp(),
            "source": str(data_dir),
            "databases": databases,
            "files": files,
        }
        _guard_io(lambda: _write_manifest(staging, manifest), staging / MANIFEST)
        if sorted(os.listdir(dest)) != [staging.name]:  # someone wrote into DEST meanwhile
            raise BackupError("dest_not_empty", path=dest)
        # Move the complete copy into DEST, the manifest last: until it lands, DEST is not a backup.
        names = sorted(os.listdir(staging), key=lambda n: n == MANIFEST)
        for name in names:
            _guard_io(lambda: os.rename(staging / name, dest / name), dest / name)
            moved.append(dest / name)
        _fsync_dir(dest)
        staging.rmdir()
    except BaseException:
        _remove(staging)
        for path in reversed(moved):
            _remove(path)
        if created:
            _remove(dest)
        raise
    return Summary("backup", dest, len(files), sum(f["size"] for f in files), manifest["created_at"], cleaned)


def _clean_uploads(data_dir: Path, grace_days: int | None) -> uploads.Cleanup | None:
    """The cleanup before a backup; one that fails (a lock held too long) is skipped: the backup matters more."""
    if grace_days is None:
        return None
    forms = database.open_forms(data_dir)
    try:
        return uploads.cleanup(forms, data_dir, grace_days=grace_days, actor="backup")
    except (database.DatabaseError, OSError):
        return None
    finally:
        forms.close()


def _copy_database(source: Path, target: Path) -> dict:
    """A consistent copy of one live database and its check (forms_app.data.maintenance), refusals as BackupError."""
    try:
        return maintenance.copy_live(source, target, pages_per_step=PAGES_PER_STEP, pause=PAUSE_BETWEEN_STEPS,
                                     busy_timeout_s=BUSY_TIMEOUT_S)
    except maintenance.DatabaseProblem as exc:
        raise BackupError(exc.code, **exc.params) from None
    except OSError as exc:
        raise _io_error(exc, target) from None


def _data_files(data_dir: Path) -> list[str]:
    """The files besides the databases, as POSIX paths relative to the data directory, in a stable order."""
    found = [name for name in SMALL_FILES if (data_dir / name).is_file() and not (data_dir / name).is_symlink()]
    for folder in FOLDERS:
        root = data_dir / folder
        if not root.is_dir():
            continue
        for current, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                path = Path(current) / name
                # .part files are writes in flight (their rows do not exist yet); links are not ours.
                if name.startswith(".") or name.endswith(".part") or path.is_symlink() or not path.is_file():
                    continue
                found.append(path.relative_to(data_dir).as_posix())
    return found


def _copy_file(source: Path, target: Path, mode: int = 0o600, expect: tuple[str, str] | None = None) -> tuple[int, str]:
    """Copy through a temporary name and rename; returns (size, sha256).

    `mode` is narrowed by the umask as usual. With `expect` (sha256, name), content with another hash is refused.
    """
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    digest, size = hashlib.sha256(), 0
    try:
        with open(source, "rb") as reader, os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as writer:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                writer.write(chunk)
                size += len(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        if expect is not None and digest.hexdigest() != expect[0]:
            raise BackupError("file_mismatch", file=expect[1])
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


def _describe(path: Path, relative: str) -> dict:
    size, digest = _hash(path)
    return {"path": relative, "size": size, "sha256": digest}


def _hash(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _write_manifest(folder: Path, manifest: dict) -> None:
    temporary = folder / f".{MANIFEST}.tmp"
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / MANIFEST)
    for current, _dirs, _names in os.walk(folder):
        _fsync_dir(Path(current))


def product_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("forms-app")
    except PackageNotFoundError:
        return "unknown"


# --- restore ------------------------------------------------------------------------------------


def restore(source: Path, data_dir: Path) -> Summary:
    """Restore the backup folder `source` into `data_dir`, which must be empty or absent; then migrate."""
    source, data_dir = Path(source).absolute(), Path(data_dir).absolute()
    manifest = read_manifest(source)
    files = manifest["files"]
    _verify_files(source, files)  # every file, before anything is written
    created = _claim_empty_folder(data_dir, "target_not_empty", "dest_not_folder")
    staging = data_dir / f".partial-restore-{secrets.token_hex(6)}"
    moved: list[Path] = []
    try:
        _guard_io(lambda: staging.mkdir(mode=0o700), staging)
        for entry in files:
            relative = entry["path"]
            mode = 0o600 if relative in ("secret_key", "demo-accounts.csv") or relative in DATABASES else 0o644
            _guard_io(lambda: _copy_file(source / relative, staging / relative, mode=mode, expect=(entry["sha256"], relative)),
                      staging / relative)
        _check_restored_databases(staging)
        if sorted(os.listdir(data_dir)) != [staging.name]:
            raise BackupError("target_not_empty", path=data_dir)
        for name in sorted(os.listdir(staging)):
            _guard_io(lambda: os.rename(staging / name, data_dir / name), data_dir / name)
            moved.append(data_dir / name)
        _fsync_dir(data_dir)
        staging.rmdir()
        try:
            database.migrate(data_dir)  # an older backup is brought up to date
        except database.DatabaseError as exc:
            if database.storage_trouble(exc) == "full":
                raise BackupError("disk_full", path=data_dir) from None
            raise BackupError("database_error", name=database.FORMS_DB, reason=str(exc)) from None
    except BaseException:
        _remove(staging)
        for path in reversed(moved):
            _remove(path)
            for suffix in ("-wal", "-shm", "-journal"):
                _remove(path.with_name(path.name + suffix))
        if created:
            _remove(data_dir)
        raise
    return Summary("restore", data_dir, len(files), sum(f["size"] for f in files), manifest.get("created_at", "?"))


def read_manifest(source: Path) -> dict:
    """The manifest of a backup folder, checked for shape and safe paths (BackupError otherwise)."""
    path = source / MANIFEST
    try:
        if not source.is_dir():
            raise BackupError("source_missing", path=source)
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise BackupError("not_a_backup", path=source) from None
    except OSError as exc:
        raise BackupError("source_unreadable", path=source, reason=_reason(exc)) from None
    except UnicodeDecodeError:
        raise BackupError("manifest_corrupt", path=source, reason="not UTF-8") from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackupError("manifest_corrupt", path=source, reason=f"JSON, line {exc.lineno}") from None
    except RecursionError:
        raise BackupError("manifest_corrupt", path=source, reason="nested too deeply") from None
    problem = _manifest_problem(manifest)
    if problem:
        raise BackupError("manifest_corrupt", path=source, reason=problem)
    return manifest


def _manifest_problem(manifest) -> str | None:
    if not isinstance(manifest, dict) or manifest.get("product") != "forms-app":
        return "not a forms-app manifest"
    if manifest.get("format") != FORMAT:
        return f"unknown format {manifest.get('format')!r}"
    files = manifest.get("files")
    if not isinstance(files, list):
        return "no file list"
    seen = set()
    for entry in files:
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str) and isinstance(entry.get("size"), int)
                and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64
                and all(c in "0123456789abcdef" for c in entry["sha256"])):
            return "a file entry without path, size and sha256"
        if not _safe_path(entry["path"]):
            return f"the path {entry['path']!r} is not allowed"
        if entry["path"] in seen:
            return f"the path {entry['path']!r} appears twice"
        seen.add(entry["path"])
    for name in DATABASES:
        if name not in seen:
            return f"{name} is not listed"
    return None


def _safe_path(text: str) -> bool:
    """Only the files a data directory holds, as plain relative paths (no .., no absolute, no backslash)."""
    if not text or "\\" in text or "\x00" in text:
        return False
    path = PurePosixPath(text)
    if path.is_absolute() or any(part in ("", ".", "..") or part.startswith(".") for part in path.parts):
        return False
    if len(path.parts) == 1:
        return text in DATABASES or text in SMALL_FILES
    return path.parts[0] in FOLDERS


def _verify_files(source: Path, files: list[dict]) -> None:
    for entry in files:
        path = source / entry["path"]
        try:
            info = path.lstat()
        except FileNotFoundError:
            raise BackupError("file_missing", file=entry["path"]) from None
        except OSError as exc:
            raise BackupError("source_unreadable", path=path, reason=_reason(exc)) from None
        if not stat.S_ISREG(info.st_mode):
            raise BackupError("file_missing", file=entry["path"])
        if info.st_size != entry["size"]:
            raise BackupError("file_mismatch", file=entry["path"])
        try:
            size, digest = _hash(path)
        except OSError as exc:
            raise BackupError("source_unreadable", path=path, reason=_reason(exc)) from None
        if size != entry["size"] or digest != entry["sha256"]:
            raise BackupError("file_mismatch", file=entry["path"])


def _check_restored_databases(staging: Path) -> None:
    """Both copies pass integrity_check and carry no migration this version does not know."""
    for name in DATABASES:
        try:
            maintenance.check_copy(staging / name)
        except maintenance.DatabaseProblem as exc:
            raise BackupError(exc.code, **exc.params) from None


# --- shared -------------------------------------------------------------------------------------


def _claim_empty_folder(path: Path, not_empty: str, not_folder: str) -> bool:
    """Make sure `path` is an empty folder (creating it if absent); True when this call created it."""
    try:
        path.mkdir(parents=True, mode=0o700)
        return True
    except FileExistsError:
        pass
    except OSError as exc:
        raise _io_error(exc, path) from None
    if not path.is_dir():
        raise BackupError(not_folder, path=path)
    try:
        if any(os.scandir(path)):
            raise BackupError(not_empty, path=path)
    except OSError as exc:
        raise _io_error(exc, path) from None
    return False


def _guard_io(action, path: Path):
    """Run `action`, turning an OSError into a one-sentence BackupError naming `path`."""
    try:
        return action()
    except OSError as exc:
        raise _io_error(exc, Path(exc.filename) if getattr(exc, "filename", None) else path) from None


def _io_error(exc: OSError, path: Path) -> BackupError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return BackupError("disk_full", path=path)
    return BackupError("io_error", path=path, reason=_reason(exc))


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """Best effort: a file, or a folder and all it holds (cleaning up after a failure must not fail)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
