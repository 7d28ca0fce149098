"""Heavy documents are jobs, not requests: a year's XLSX and CSV zip and the reviews in PDF are built once per version
of their data, by a process of their own, and kept as files under <data dir>/exports/<job id>/.

`request` answers a download: the kept file when it was built for the data as they are now, else the job that builds
it (joined when one is under way, started otherwise: the caller launches `run` in a new process), with the previous
file meanwhile. `run` builds one job's file, writing its progress (rows written of rows to write) as it goes. A job
that stopped without saying so (its process killed) is seen as failed after a while, and a new request starts again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from exports import report
from exports.tables import written
from forms_app.data import clock
from forms_app.data import jobs as stored
from forms_app.data.connection import Database, storage_trouble
from forms_app.data.connection import write as transaction
from forms_app.rules import certificates, exporting, messages, registry
from forms_app.rules.year_report import phase_data, report_data

EXPORTS = "exports"  # the folder of kept files, in the data directory
KINDS = ("xlsx", "csv_zip", "year_report", "phase_report")
MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv_zip": "application/zip",
             "year_report": "application/pdf", "phase_report": "application/pdf"}
PROGRESS_EVERY = 2000  # rows between two writes of a job's progress
# A job's process says it is alive every HEARTBEAT (while it waits its turn too); a job silent for STALE has stopped
# (its process was killed, the server restarted), and a new request starts it again.
HEARTBEAT = dt.timedelta(seconds=15)
STALE = dt.timedelta(minutes=2)

MESSAGES: messages.Catalogue = {
    "stopped": {"vi": "Việc lập tệp đã dừng giữa chừng (máy chủ khởi động lại hoặc thiếu bộ nhớ). Bấm “Lập lại” để thử "
                      "lần nữa.",
                "en": "Building the file stopped halfway (the server restarted or ran out of memory). Press “Build "
                      "again” to try once more."},
    "full": {"vi": "Máy chủ hết chỗ lưu trữ nên không lập được tệp; hãy báo quản trị viên.",
             "en": "The server's disk is full, so the file could not be built; tell the administrator."},
    "busy": {"vi": "Cơ sở dữ liệu đang bận nên chưa lập được tệp. Bấm “Lập lại” để thử lần nữa.",
             "en": "The database was busy, so the file could not be built. Press “Build again” to try once more."},
    "no_form": {"vi": "Biểu mẫu của tệp này không còn được chấm điểm; hãy chọn lại từ trang chính.",
                "en": "This file's form is no longer scored; choose again from the home page."},
    "unexpected": {"vi": "Có lỗi không lường trước khi lập tệp ({detail}). Bấm “Lập lại” để thử lần nữa; nếu vẫn lỗi, hãy "
                         "báo quản trị viên.",
                   "en": "An unexpected error stopped the file ({detail}). Press “Build again” to try once more; if it "
                         "fails again, tell the administrator."},
}


@dataclass(frozen=True)
class Document:
    """A heavy document: its kind (KINDS), form and cycle year (PHASE for the phase review)."""

    kind: str
    form_id: str
    cycle_year: int

    @property
    def file_name(self) -> str:
        """The name it is downloaded under."""
        if self.kind == "xlsx":
            return exporting.default_name(self.form_id, self.cycle_year, "xlsx")
        if self.kind == "csv_zip":
            return exporting.zip_name(self.form_id, self.cycle_year)
        if self.kind == "year_report":
            return f"bao-cao-tong-ket-{self.cycle_year}.pdf"
        return "bao-cao-tong-ket-giai-doan.pdf"

    @property
    def mimetype(self) -> str:
        return MIMETYPES[self.kind]


@dataclass(frozen=True)
class Status:
    """What a download request finds: its job for the data as they are now, the file to answer at once (None while
    it is built or when it failed), the previous file of the document meanwhile, and whether the job is new (the
    caller starts its process)."""

    job: dict
    ready: Path | None
    previous: dict | None
    started: bool

    @property
    def failed(self) -> bool:
        return self.job["state"] == "failed"

    def sentence(self, lang: str = "vi") -> str:
        """Why the job failed, in words."""
        code, _, detail = (self.job["error"] or "unexpected").partition(":")
        return messages.text(MESSAGES, code if code in MESSAGES else "unexpected", lang, detail=detail or code)


def data_version(db: Database, data_dir: Path) -> str:
    """The version of what a document shows: the data's stamp and the certificate settings (the issuer printed on
    the reviews, the public address the exports link files from)."""
    issuer, public_url = certificates.settings(data_dir)
    settings = hashlib.sha256(repr((issuer, public_url)).encode("utf-8")).hexdigest()[:12]
    return f"{stored.data_stamp(db)}+{settings}"


def request(db: Database, data_dir: Path, document: Document, actor: str | None, *, again: bool = False) -> Status:
    """A download of `document`: its kept file when built for the current data, else its job (joined, or added —
    then `started` — when none is under way; a failed one is kept, to be said, unless `again`)."""
    version = data_version(db, data_dir)
    now = clock.utcnow()
    with transaction(db):
        job = stored.latest(db, document.kind, document.form_id, document.cycle_year, version)
        if job is not None and _stopped(job, now):
            stored.fail(db, job["id"], "stopped", clock.stamp(now))
            job = stored.get(db, job["id"])
        usable = job is not None and (job["state"] in ("queued", "running")
                                      or job["state"] == "done" and _file(data_dir, job) is not None
                                      or job["state"] == "failed" and not again)
        started = not usable
        if started:
            job = stored.get(db, stored.add(db, document.kind, document.form_id, document.cycle_year, version, actor,
                                            clock.stamp(now)))
        previous = stored.latest_done(db, document.kind, document.form_id, document.cycle_year)
    ready = _file(data_dir, job) if job["state"] == "done" else None
    if previous is not None and (previous["id"] == job["id"] or _file(data_dir, previous) is None):
        previous = None
    return Status(job, ready, previous, started)


def _stopped(job: dict, now: dt.datetime) -> bool:
    """A queued or running job whose process has not said it is alive for too long."""
    return job["state"] in ("queued", "running") and now - dt.datetime.fromisoformat(job["updated_at"]) > STALE


def alive(db: Database, job_id: int) -> None:
    """The heartbeat of a job's process (every HEARTBEAT, from a thread of its own with its own connection)."""
    with transaction(db):
        stored.touch(db, job_id, clock.stamp())


def _file(data_dir: Path, job: dict) -> Path | None:
    path = Path(data_dir) / job["file"] if job.get("file") else None
    return path if path is not None and path.is_file() else None


def kept_file(db: Database, data_dir: Path, job_id: int) -> tuple[Document, Path] | None:
    """A done job's document and file, while its file is kept (None otherwise)."""
    job = stored.get(db, job_id)
    if job is None or job["state"] != "done":
        return None
    path = _file(data_dir, job)
    return (Document(job["kind"], job["form_id"], job["cycle_year"]), path) if path else None


def job(db: Database, job_id: int) -> dict | None:
    """One job as stored."""
    return stored.get(db, job_id)


class _Progress:
    """Counts the rows a job writes and stores the count every PROGRESS_EVERY rows, on the job's writing connection
    (never the one reading the rows: a connection whose read is under way cannot start writing once another
    connection, the heartbeat's, has written since — SQLite answers "database is locked" at once)."""

    def __init__(self, db: Database, job_id: int, total: int | None):
        self.db, self.job_id, self.total, self.done = db, job_id, total, 0
        self.save()

    def save(self) -> None:
        with transaction(self.db):
            stored.progress(self.db, self.job_id, self.done, self.total, clock.stamp())

    def counted(self, rows: Iterable[list]) -> Iterator[list]:
        for row in rows:
            yield row
            self.done += 1
            if self.done % PROGRESS_EVERY == 0:
                self.save()


def run(db: Database, data_dir: Path, job_id: int, writer: Database | None = None) -> dict | None:
    """Build one queued job's file in this process (its progress written as it goes), keep it, remove the document's
    older files; the job as it ended (None when it was not queued: taken by another process, or given up).

    `db` reads the rows; `writer`, another connection to forms.db, writes the job's state and progress (`db` itself
    when none is given and nothing else writes meanwhile)."""
    writer = writer or db
    with transaction(writer):
        if not stored.start(writer, job_id, os.getpid(), clock.stamp()):
            return None
    found = stored.get(db, job_id)
    document = Document(found["kind"], found["form_id"], found["cycle_year"])
    relative = Path(EXPORTS) / str(job_id) / document.file_name
    try:
        _build(db, Path(data_dir), document, Path(data_dir) / relative, lambda total: _Progress(writer, job_id, total))
    except Exception as exc:
        give_up(writer, job_id, exc)
        raise
    size = (Path(data_dir) / relative).stat().st_size
    with transaction(writer):
        stored.finish(writer, job_id, relative.as_posix(), size, clock.stamp())
        older = stored.older_files(writer, document.kind, document.form_id, document.cycle_year, job_id)
        for old_id, _file_name in older:
            stored.forget_file(writer, old_id)
    for _old_id, file_name in older:
        _remove(Path(data_dir) / file_name)
    return stored.get(writer, job_id)


def _build(db: Database, data_dir: Path, document: Document, target: Path,
           progress: Callable[[int | None], _Progress]) -> None:
    issuer, files_at = certificates.settings(data_dir)
    if document.kind in ("xlsx", "csv_zip"):
        counter = progress(exporting.rows_to_write(db, document.cycle_year, document.form_id))
        build = exporting.write_workbook if document.kind == "xlsx" else exporting.write_csv_zip
        written(target, lambda stream: build(db, document.cycle_year, document.form_id, stream, files_at,
                                             counter.counted))
        return
    counter = progress(2)  # steps: the figures read, each part of the PDF rendered, the parts numbered and joined
    data = (report_data(db, document.cycle_year, issuer, document.form_id) if document.kind == "year_report"
            else phase_data(db, issuer, document.form_id))
    counter.done, counter.total = 1, 2 + report.parts(data)
    counter.save()

    def rendered(part: int, _parts: int, _pid: int) -> None:
        counter.done = 1 + part
        counter.save()

    written(target, lambda stream: report.write_pdf(data, stream, done=rendered))


def give_up(db: Database, job_id: int, exc: BaseException) -> None:
    """A job that could not be built, whatever stopped it (a done or already failed job stays as it is)."""
    with transaction(db):
        stored.fail(db, job_id, _error_code(exc), clock.stamp())


def _error_code(exc: BaseException) -> str:
    """What a failed job stores: "full", "busy", "no_form", or "unexpected:<the error's class>"."""
    if isinstance(exc, registry.FormChoice):
        return "no_form"
    return storage_trouble(exc) or f"unexpected:{type(exc).__name__}"


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:
        pass  # not empty, or already gone

