"""Shared helpers of the benchmarks: paths, the RATIO line, timing, profiling, a served data dir, RSS from /proc.

Every benchmark compares the thing measured with a baseline measured in the same run, so the
ratio it prints holds on a noisy or slower machine; every loop is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FORMS_APP = str(BIN / "forms-app")
sys.path.insert(0, str(ROOT))  # first, also when PYTHONPATH names it: this folder's exports.py is not the package

# Where the big demo data directories are kept between runs (outside the repository).
CACHE = Path(os.environ.get("FORMS_APP_BENCH_DIR", Path(tempfile.gettempdir()) / "forms-app-bench"))


def ratio_line(name: str, value: float, op: str, target: float, digits: int = 3, kind: str = "RATIO") -> bool:
    """Print a machine-readable line `RATIO name=value target=≥x  PASS|FAIL`; True when it passes.

    Each script prints exactly one RATIO line (its headline ratio); a second target of the same
    script is printed the same way with kind="CHECK".
    """
    ok = value >= target if op == ">=" else value <= target
    sign = "≥" if op == ">=" else "≤"
    print(f"{kind} {name}={value:.{digits}f} target={sign}{target:g}  {'PASS' if ok else 'FAIL'}", flush=True)
    return ok


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), {mem} RAM, Python {platform.python_version()}"


def header(title: str, quick: bool) -> None:
    print(f"== {title} ({'quick' if quick else 'full'}) — {machine()}", flush=True)


def median_time(fn: Callable[[], object], *, runs: int = 5, budget_s: float = 30.0, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall time of fn over up to `runs` runs, stopping early once `budget_s` is spent (at least one run)."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if time.perf_counter() - start > budget_s:
            break
    return statistics.median(times), times


def _clean(text: str) -> str:
    return (text.replace(str(BIN.parent) + "/lib/python3.11/site-packages/", "site-packages/")
            .replace(str(ROOT) + "/", ""))


def profile_summary(fn: Callable[[], object], *, top: int = 18, sorts: tuple[str, ...] = ("cumulative", "tottime"),
                    out: Path | None = None) -> str:
    """cProfile of one call of fn: the top `top` functions for each sort order, as text (also written to `out`)."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        fn()
    finally:
        profiler.disable()
    parts = []
    for sort in sorts:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(sort).print_stats(top)
        lines = buffer.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "function calls" in line), 0)
        parts.append(f"--- profile sorted by {sort} ---\n" + "\n".join(ln for ln in lines[start:] if ln.strip()))
    text = _clean("\n".join(parts))
    if out is not None:
        out.write_text(text)
    return text


# ---- demo data directories --------------------------------------------------------------------------------

def demo_dir(units: int, years: str = "2018-2022", data_dir: Path | None = None) -> tuple[Path, float | None]:
    """A demo data directory of `units` units (made with `forms-app demo` when absent); (path, seconds to make or None)."""
    path = Path(data_dir) if data_dir else CACHE / f"demo-{units}-{years}"
    if (path / "demo.json").exists():
        return path, None
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"making the demo data ({units} units, {years}) in {path} …", flush=True)
    t = time.perf_counter()
    subprocess.run([FORMS_APP, "demo", "--units", str(units), "--years", years, "--data-dir", str(path)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path, time.perf_counter() - t


def demo_options(description: str) -> argparse.ArgumentParser:
    """The options of a benchmark that reads a demo data directory: --quick, --data-dir, --units."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-dir", type=Path, help="an existing demo data directory to reuse")
    parser.add_argument("--units", type=int, default=None, help="demo size to make when --data-dir is not given")
    return parser


def demo_data(args: argparse.Namespace) -> Path:
    """The demo data directory those options name (2,000 units quick, 50,000 full; made when missing)."""
    data_dir, made = demo_dir(args.units or (2000 if args.quick else 50000), data_dir=args.data_dir)
    if made is not None:
        print(f"demo data made in {made:.1f} s")
    return data_dir


def copy_data_dir(source: Path, target: Path) -> Path:
    """A copy of a data directory (forms.db checkpointed first, so the copy is whole)."""
    import sqlite3

    for name in ("forms.db", "accounts.db"):
        conn = sqlite3.connect(source / name)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return target


# ---- a served data directory ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, port: int, extra: list[str] | None = None, timeout: float = 30.0) -> subprocess.Popen:
    """`forms-app serve` (gunicorn) on 127.0.0.1:port in its own process group, once /healthz answers 200."""
    command = [FORMS_APP, "serve", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)] + (extra or [])
    log = open(Path(data_dir) / "serve.log", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return healthy(process, port, Path(data_dir) / "serve.log", "forms-app serve", timeout)


def healthy(process: subprocess.Popen, port: int, log: Path, what: str, timeout: float) -> subprocess.Popen:
    """`process` once its /healthz on 127.0.0.1:port answers 200; stopped, and its log raised, if it does not."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                stop_server(process)
                raise RuntimeError(f"{what} did not start: " + log.read_text(errors="replace")) from None
            time.sleep(0.2)


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM to the server we started (gunicorn stops its own workers); SIGKILL to its group after 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=5)


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, []))
    return tree


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """(sum of VmRSS, sum of VmHWM — each process's own peak) of a process tree, in MiB."""
    rss = hwm = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm += int(line.split()[1])
        except OSError:
            continue
    return rss / 1024, hwm / 1024
