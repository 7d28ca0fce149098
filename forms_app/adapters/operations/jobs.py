"""The process that builds one export job: `python -m forms_app.adapters.operations.jobs DATA_DIR JOB_ID`.

The web app starts one per job (`launch`), so a web worker never holds a document being built: its memory stays what
serving pages needs, whatever is downloaded, and the job's memory goes back to the system when it ends. Jobs run one
at a time on a data directory (a lock file in exports/), so a few reviewers asking at once never hold several
documents in memory together: a job waits its turn, queued. Meanwhile and while it builds, a thread says the process
is alive (`jobs.alive`), so a job whose process died is seen as stopped within minutes. What it did is in the `jobs`
table (forms_app.rules.jobs); a failure is also written to the server's error output.
"""

from __future__ import annotations

import contextlib
import fcntl
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Iterator

from forms_app.data import connection as database
from forms_app.rules import jobs


def launch(data_dir: Path, job_id: int) -> subprocess.Popen:
    """Start the process that builds job `job_id`, detached from the request (its own session; its output the
    server's): not waited for — Python reaps it when it next starts one. `-P`: the working directory is not put on the
    import path (a data directory's `exports/` folder there would hide the `exports` package)."""
    return subprocess.Popen([sys.executable, "-P", "-m", __name__, str(data_dir), str(job_id)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, start_new_session=True, close_fds=True)


def main(argv: list[str]) -> int:
    """Build the job; 0 when it is done (or was taken by another process), 1 when it failed, 2 on a wrong call."""
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m forms_app.adapters.operations.jobs DATA_DIR JOB_ID", file=sys.stderr)
        return 2
    data_dir, job_id = Path(argv[0]), int(argv[1])
    reader, writer = database.open_forms(data_dir), database.open_forms(data_dir)
    try:
        with _heartbeat(data_dir, job_id), _one_at_a_time(data_dir):
            jobs.run(reader, data_dir, job_id, writer)
    except Exception as exc:  # recorded on the job as a code; the traceback is for the operator
        jobs.give_up(writer, job_id, exc)
        traceback.print_exc()
        return 1
    finally:
        reader.close()
        writer.close()
    return 0


@contextlib.contextmanager
def _one_at_a_time(data_dir: Path) -> Iterator[None]:
    """The data directory's job lock, waited for (released by the system if the process dies)."""
    folder = Path(data_dir) / jobs.EXPORTS
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def _heartbeat(data_dir: Path, job_id: int) -> Iterator[None]:
    """A thread that says the job's process is alive every jobs.HEARTBEAT, on a connection of its own."""
    stop = threading.Event()

    def beat() -> None:
        db = database.open_forms(data_dir)
        try:
            while not stop.wait(jobs.HEARTBEAT.total_seconds()):
                try:
                    jobs.alive(db, job_id)
                except Exception:  # a busy database: the next beat will do
                    traceback.print_exc()
        finally:
            db.close()

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
