"""Heavy documents as jobs (issue 18) on the demo database, through the whole product: `forms-app serve` (gunicorn)
on the data directory, signed in as the demo reviewer `vanphong`, asks for the year's XLSX, its CSV zip and its
year-end PDF one after another, as a browser would.

For each: how long the first request took to answer (the waiting page), how long the job took to build (from that
request to the job's `done` in forms.db), the CPU time of the job's process and the processes it starts (the review's
rendering processes) and the peak RSS (VmHWM) of each (read from /proc while it runs; the CHECK takes the highest of
any one process, the line below it also gives the most they held together), the load average before and after (the
machine may be shared), then the download of the kept file (the median of three GETs, the whole body read). Last, the
server's memory (master and workers, VmRSS) once every job is done: the workers never built anything.

    .venv/bin/python benchmarks/exports.py [--quick] [--data-dir DIR] [--units N] [--year 2022]

The job writes its table row and its file in the data directory (exports/<job id>/), as the product does; run it on a
copy when the directory is shared. Targets: each download once built < 1 s (the RATIO: the slowest of them / 1 s),
the XLSX's job < 60 s of CPU, the peak RSS of each process of a job and the server's memory < 300 MB.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_data, demo_options, free_port, header, process_tree, ratio_line, start_server, stop_server, tree_rss_mb  # noqa: E402

SELF = "tu-danh-gia-3-chu-dong"
MB = 300  # the memory a job or the server may hold
XLSX_CPU_S = 60
TICKS = 100  # /proc's clock ticks per second (os.sysconf("SC_CLK_TCK") on Linux)


def documents(year: int) -> list[tuple[str, str, str]]:
    """(name, kind, address) of the heavy documents of a year."""
    return [("XLSX", "xlsx", f"/exports/{year}.xlsx"), ("CSV zip", "csv_zip", f"/exports/{year}.zip"),
            ("year-end PDF", "year_report", f"/exports/{year}/bao-cao.pdf")]


def session_cookie(data_dir: Path) -> str:
    """A session of the demo reviewer, as signing in makes one."""
    from forms_app.adapters.web.context import SESSION_COOKIE
    from forms_app.data import connection
    from forms_app.rules import accounts

    db = connection.open_accounts(data_dir)
    try:
        return f"{SESSION_COOKIE}={accounts.start_session(db, 'vanphong')}"
    finally:
        db.close()


def get(port: int, path: str, cookie: str) -> tuple[int, dict, int, float]:
    """(status, headers, body bytes, seconds) of one GET, the body read whole."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})
    t = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        size = 0
        while chunk := response.read(1 << 20):
            size += len(chunk)
        return response.status, dict(response.headers), size, time.perf_counter() - t


def latest_job(data_dir: Path, kind: str, year: int) -> dict | None:
    conn = sqlite3.connect(f"file:{data_dir / 'forms.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM jobs WHERE kind = ? AND form_id = ? AND cycle_year = ? ORDER BY id DESC "
                           "LIMIT 1", [kind, SELF, year]).fetchone()
        return dict(row) if row else None
    finally:
        conn.close()


def _status(pid: int) -> tuple[float, float, float] | None:
    """(VmRSS MiB, VmHWM MiB, CPU seconds: its own and its reaped children's) of a process, None once it has ended."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    kb = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith(("VmRSS", "VmHWM"))}
    return kb.get("VmRSS", 0) / 1024, kb.get("VmHWM", 0) / 1024, sum(int(f) for f in fields[11:15]) / TICKS


def sample(pid: int, seen: dict) -> None:
    """Into `seen`: the job process's own peak RSS (VmHWM, MiB) and the highest of any process it started (the review's
    rendering processes), the most the whole tree held at once (VmRSS summed), its processes' count, and the CPU
    seconds of the tree so far (the job's own and its reaped children's, plus those of its children still running)."""
    job = _status(pid)
    if job is None:
        return
    tree = [p for p in process_tree(pid) if p != pid]
    children = {p: s for p in tree if (s := _status(p)) is not None}
    seen["peak_mb"] = max(seen.get("peak_mb", 0), job[1])
    seen["child_peak_mb"] = max([seen.get("child_peak_mb", 0)] + [s[1] for s in children.values()])
    seen["tree_mb"] = max(seen.get("tree_mb", 0), job[0] + sum(s[0] for s in children.values()))
    seen.setdefault("pids", set()).update(children)
    seen["cpu_s"] = max(seen.get("cpu_s", 0), job[2] + sum(s[2] for s in children.values()))


def load_average() -> str:
    """The machine's load averages over 1, 5 and 15 minutes (/proc/loadavg): the machine may be shared."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _running(pid: int) -> bool:
    """The process exists and has not ended (a zombie has ended: its parent reaps it later)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def build(port: int, cookie: str, data_dir: Path, kind: str, path: str, year: int, limit: float) -> dict:
    """Ask for one document, follow its job to the end; its figures."""
    before = latest_job(data_dir, kind, year)
    status, headers, _size, first = get(port, path, cookie)
    if "attachment" in headers.get("Content-Disposition", ""):
        return {"first_s": first, "build_s": 0.0, "kept_already": True}
    t = time.perf_counter() - first
    seen: dict = {}
    while True:
        job = latest_job(data_dir, kind, year)
        if job and (before is None or job["id"] != before["id"]) and job["pid"]:
            sample(job["pid"], seen)
        if job and job["state"] in ("done", "failed") and (before is None or job["id"] != before["id"]):
            break
        if time.perf_counter() - t > limit:
            raise RuntimeError(f"{path}: not built in {limit:.0f} s")
        time.sleep(0.1)
    if job["state"] == "failed":
        raise RuntimeError(f"{path}: the job failed ({job['error']}); see serve.log")
    while _running(job["pid"]) and time.perf_counter() - t < limit:  # its memory given back before the next
        sample(job["pid"], seen)
        time.sleep(0.1)
    return {"first_s": first, "build_s": time.perf_counter() - t, "status": status, "rows": job["rows_total"],
            "size_mb": job["size"] / 1e6, **seen}


def main() -> int:
    parser = demo_options(__doc__)
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--limit", type=float, default=900, help="seconds a job may take before the run gives up")
    args = parser.parse_args()
    header("exports as jobs", args.quick)
    data_dir = demo_data(args)
    port = free_port()
    server = start_server(data_dir, port, ["--workers", "2"])
    ok = True
    try:
        cookie = session_cookie(data_dir)
        print(f"server (master and 2 workers) at start: {tree_rss_mb(server.pid)[0]:.0f} MB RSS")
        slowest = 0.0
        for name, kind, path in documents(args.year):
            load_before = load_average()
            figures = build(port, cookie, data_dir, kind, path, args.year, args.limit)
            downloads = [get(port, path, cookie) for _ in range(3)]
            assert all("attachment" in h.get("Content-Disposition", "") for _s, h, _b, _t in downloads), path
            download = statistics.median(t for *_rest, t in downloads)
            slowest = max(slowest, download)
            print(f"{name:13} first answer {figures['first_s'] * 1000:6.0f} ms | job {figures.get('build_s', 0):6.1f} s, "
                  f"CPU {figures.get('cpu_s', 0):5.1f} s, peak RSS {figures.get('peak_mb', 0):5.0f} MB, "
                  f"{figures.get('rows') or 0:,} {'rows' if kind in ('xlsx', 'csv_zip') else 'steps'}, "
                  f"{downloads[0][2] / 1e6:.1f} MB | download {download * 1000:5.0f} ms",
                  flush=True)
            if figures.get("pids"):
                print(f"{'':13} its {len(figures['pids'])} child processes: each at most {figures['child_peak_mb']:.0f} MB "
                      f"peak RSS; the job and its children together at most {figures['tree_mb']:.0f} MB")
            print(f"{'':13} load average before the job {load_before}, after {load_average()} (1, 5, 15 min)", flush=True)
            if kind == "xlsx" and not figures.get("kept_already"):
                ok &= ratio_line("xlsx_job_cpu_s", figures.get("cpu_s", 0), "<=", XLSX_CPU_S, digits=1, kind="CHECK")
            if not figures.get("kept_already"):
                ok &= ratio_line(f"{kind}_job_peak_rss_mb", max(figures.get("peak_mb", 0), figures.get("child_peak_mb", 0)),
                                 "<=", MB, digits=0, kind="CHECK")
        rss, hwm = tree_rss_mb(server.pid)
        print(f"server (master and 2 workers) after every download: {rss:.0f} MB RSS (their peaks summed: {hwm:.0f} MB)")
        ok &= ratio_line("server_rss_after_mb", rss, "<=", MB, digits=0, kind="CHECK")
        ok &= ratio_line("slowest_download_s", slowest, "<=", 1.0)
    finally:
        stop_server(server)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
