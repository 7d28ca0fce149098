"""Full self-assessment submits through `forms-app serve`, against the minimal peer (benchmarks/peer) on the same
machine, the same gunicorn settings and the same clients.

A data directory is built with N units (default 16), each with a unit account, a submitted 2022
registration and its 2022 self-assessment extended to today + 30 days. `forms-app serve`
(gunicorn: one worker per core, at least two, four gthread threads each) and the peer (a
170-line Flask + Flask-WTF app that renders the same definition file with a plain Jinja loop and
stores one JSON row in SQLite: benchmarks/peer/README.md) run side by side, each in its own
process group, with the same gunicorn options; the product once its workers are idle after their
start (each computes the office's first pages then, seconds at national scale: a start's work, not
the submits'). C client threads (default 16), each its own unit, cookie jar and keep-alive
http.client connection, then for a fixed time:

  GET the form, POST action=submit with every answer of
  form_definitions/examples/tu-danh-gia-3-chu-dong-v2.answers.json (the latest version's) as form fields (multipart, the
  evidence files uploaded as small PDFs) → a 303 to …/result counts

against the product and the peer in turn, in P pairs (default 5, quick 3; the first of each pair
alternates), and prints per pair and as the median of the pairs: product ÷ peer in submits per
second (target ≥ 0.8) and in CPU milliseconds per submit (the server's process tree, from /proc;
target ≤ 1.1), the product's p50/p99 latency (target p99 < 300 ms at 16 clients on an otherwise
idle machine), the CPU other processes used meanwhile, and the peak RSS of the product's server
(target < 300 MB). The clients run on the same machine as the servers.

    .venv/bin/python benchmarks/submissions.py [--quick] [--units 16] [--clients 16] [--seconds 10] [--pairs 5] [--profile]

Then the same requests in this process, one at a time (werkzeug's test client), give each
request's CPU time alone for the product and the peer; --profile adds the SQL statements and a
cProfile of the product's GET and POST.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, ROOT, free_port, header, healthy, process_tree, ratio_line, start_server, stop_server, tree_rss_mb  # noqa: E402

FORM = "tu-danh-gia-3-chu-dong"
REGISTRATION = "dang-ky-3-chu-dong"
URL = f"/forms/{FORM}/2022"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
REGISTRATION_ANSWERS = {"cam_ket_xay_dung": True, "file_ke_hoach_3_chu_dong": "ke-hoach.pdf", "so_can_bo_phu_trach": 3,
                        "da_dang_ky_voi_cap_uy": True}
PASSWORD = "mat-khau-do-hieu-nang"
HIDDEN = ("csrf_token", "base_revision", "request_token")
PEER = Path(__file__).resolve().parent / "peer"
# `forms-app serve`'s gunicorn options (forms_app/adapters/operations/server.py), given to the peer as they are.
GUNICORN = ["--threads", "4", "--worker-class", "gthread", "--timeout", "60", "--graceful-timeout", "20",
            "--access-logfile", "-", "--error-logfile", "-", "--log-level", "warning",
            "--forwarded-allow-ips", "127.0.0.1", "--limit-request-line", "8190", "--reuse-port"]


def build(data_dir: Path, units: int, prefix: str = "BENCH") -> dict[str, str]:
    """The data directory (made, or added to); {unit code: session token of its unit account}."""
    from form_definitions import shipped_folder
    from forms_app.data import connection as database
    from forms_app.data.text import fold
    from forms_app.rules import accounts, passwords, registry
    from forms_app.rules import submitting as submissions
    from forms_app.rules.windows import grant_extension

    database.migrate(data_dir)
    forms = database.open_forms(data_dir)
    accounts_db = database.open_accounts(data_dir)
    registry.load_definitions_into(forms, [shipped_folder()])
    now = "2022-01-01T00:00:00+00:00"
    codes = [f"{prefix}{i:03d}" for i in range(1, units + 1)]
    forms["units"].insert_all([{"code": c, "name": f"Đoàn cơ sở thử số {i}", "name_ascii": fold(f"Đoàn cơ sở thử số {i}"),
                                "cluster": "Cụm 1 – Khoa học Tự nhiên", "created_at": now, "updated_at": now}
                               for i, c in enumerate(codes, 1)])
    password_hash = passwords.hash_password(PASSWORD)  # one argon2 hash reused: hashing is not what is measured
    registration = registry.definition(forms, REGISTRATION)
    until = dt.date.today() + dt.timedelta(days=30)
    sessions = {}
    for code in codes:
        accounts.add_user(accounts_db, code.lower(), PASSWORD, "unit", code, password_hash=password_hash)
        submissions.record(forms, unit_code=code, definition=registration, cycle_year=2022, answers=REGISTRATION_ANSWERS,
                           action="submit", author="bench", base_revision=None, request_token=None)
        grant_extension(forms, code, FORM, 2022, until, "đo hiệu năng", "admin")
        sessions[code] = accounts.start_session(accounts_db, code.lower())
    forms.close()
    accounts_db.close()
    return sessions


def describe(data_dir: Path) -> str:
    """How big the served database is: units, submissions, answer rows and bytes of forms.db."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(f"file:{data_dir / 'forms.db'}?mode=ro", uri=True)) as db:
        units, submissions, answers = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                                       for t in ("units", "submissions", "answers")]
    size = (data_dir / "forms.db").stat().st_size / 1024 ** 2
    return f"{units:,} units, {submissions:,} submissions, {answers:,} answer rows, forms.db {size:,.0f} MiB"


def answer_fields() -> tuple[list[tuple[str, str]], list[tuple[str, str, bytes]]]:
    """The example answers as a browser posts them (Vietnamese number format) and the file uploads."""
    from form_definitions import load_definitions

    definition = max((d for d in load_definitions() if d.id == FORM), key=lambda d: d.version)  # a new submit's
    examples = ROOT / "form_definitions" / "examples"
    answers = json.loads((examples / f"{Path(definition.file).stem}.answers.json").read_text("utf-8"))
    fields, files = [], []
    for q in definition.questions:
        if q.id not in answers:
            continue
        value = answers[q.id]
        if q.type == "file":
            files.append((q.id, value, PDF))
        elif q.type == "boolean":
            fields.append((q.id, "true" if value else "false"))
        elif q.type == "multi_choice":
            fields.extend((q.id, str(v)) for v in value)
        elif isinstance(value, float):
            fields.append((q.id, f"{value}".replace(".", ",")))  # the page is in Vietnamese: a decimal comma
        else:
            fields.append((q.id, str(value)))
    return fields, files


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "----bench" + secrets.token_hex(12)
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n")
    for name, filename, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """One browser: a keep-alive connection and a cookie jar."""

    def __init__(self, port: int, cookies: dict[str, str]):
        self.port = port
        self.cookies = dict(cookies)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                # the server closed an idle keep-alive connection: reconnect once
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.headers.get("Connection", "").lower() == "close":
            self.conn.close()
        return response, data


def hidden_fields(page: str) -> dict[str, str]:
    fields = {}
    for name in HIDDEN:
        match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        if match:
            value = re.search(r'value="([^"]*)"', match.group(0))
            fields[name] = value.group(1) if value else ""
    return fields


def run_clients(port: int, clients: int, seconds: float, work, cookies: list[dict], start: list[str | None]) -> dict:
    """`clients` threads calling work(client) until `seconds` pass; counts, latencies, failures. Client i carries
    cookies[i] and first GETs start[i] (the peer's sign-in), untimed."""
    results = {"ok": 0, "failed": 0, "latencies": [], "post_latencies": [], "errors": []}
    lock = threading.Lock()
    ready, go = threading.Barrier(clients + 1), threading.Event()
    stop_at = [0.0]

    def loop(i: int):
        client = Client(port, cookies[i % len(cookies)])
        if start[i % len(start)]:
            client.request("GET", start[i % len(start)])
        ready.wait()
        go.wait()
        while time.perf_counter() < stop_at[0]:
            t = time.perf_counter()
            try:
                ok, post_latency, error = work(client)
            except Exception as exc:  # a failed request counts as a failure, the run goes on
                ok, post_latency, error = False, None, f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - t
            with lock:
                if ok:
                    results["ok"] += 1
                    results["latencies"].append(elapsed)
                    if post_latency is not None:
                        results["post_latencies"].append(post_latency)
                else:
                    results["failed"] += 1
                    if len(results["errors"]) < 3:
                        results["errors"].append(error)
        client.conn.close()

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    stop_at[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    results["elapsed"] = time.perf_counter() - t0
    results["rate"] = results["ok"] / results["elapsed"]
    return results


def make_submit(url: str, fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]):
    def submit(client: Client):
        response, page = client.request("GET", url)
        if response.status != 200:
            return False, None, f"GET form {response.status}"
        hidden = hidden_fields(page.decode("utf-8"))
        body, content_type = multipart(list(hidden.items()) + fields + [("action", "submit")], files)
        t = time.perf_counter()
        response, page = client.request("POST", url, body=body, headers={"Content-Type": content_type,
                                                                            "Origin": f"http://127.0.0.1:{client.port}"})
        post = time.perf_counter() - t
        location = response.headers.get("Location", "")
        if response.status == 303 and location.endswith(f"{url}/result"):
            return True, post, None
        errors = re.findall(r'class="field-error"[^>]*>([^<]*)', page.decode("utf-8", "replace"))[:3]
        return False, None, f"POST {response.status} {location} {errors}"
    return submit


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class RssMonitor(threading.Thread):
    """Samples the RSS of the server's process tree every 0.1 s; keeps the peak of the sum."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.hwm, self.running = pid, 0.0, 0.0, True

    def run(self):
        while self.running:
            rss, hwm = tree_rss_mb(self.pid)
            self.peak, self.hwm = max(self.peak, rss), max(self.hwm, hwm)
            time.sleep(0.1)


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process tree (/proc/PID/stat), in seconds."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def settled(pid: int, limit_s: float = 180.0) -> float:
    """Seconds until a server's process tree is idle (under 0.02 s of CPU in half a second): each worker of
    `forms-app serve` computes the office's first pages as it starts (seconds at national scale, and many more when
    submits compete with it), which is a start's work, not the submits'."""
    started = time.perf_counter()
    before = cpu_seconds(pid)
    while time.perf_counter() - started < limit_s:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - before < 0.02:
            break
        before = now
    return time.perf_counter() - started


def machine_busy_seconds() -> float:
    """CPU seconds every process of the machine has used (all cores, /proc/stat: all but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK


def start_peer(data_dir: Path, port: int, workers: int, definition: Path, timeout: float = 30.0) -> subprocess.Popen:
    """The peer under gunicorn with `forms-app serve`'s options, once its /healthz answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PEER_DEFINITION": str(definition), "PEER_DATA": str(data_dir)}
    log = open(data_dir / "serve.log", "wb")
    process = subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                                *GUNICORN, "--chdir", str(PEER), "app:create_app()"],
                               stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return healthy(process, port, data_dir / "serve.log", "the peer", timeout)


def latest_definition_file(form_id: str) -> Path:
    """The file of the latest shipped version of a form (what the product gives a new submission)."""
    from form_definitions import load_definitions

    return Path(max((d for d in load_definitions() if d.id == form_id), key=lambda d: d.version).file)


class Side:
    """One server measured: its port, process, clients' cookies and first request, and each run's figures."""

    def __init__(self, name: str, port: int, process: subprocess.Popen, cookies: list[dict], start: list[str | None]):
        self.name, self.port, self.process, self.cookies, self.start = name, port, process, cookies, start
        self.runs: list[dict] = []

    def measure(self, clients: int, seconds: float, work) -> dict:
        cpu, busy = cpu_seconds(self.process.pid), machine_busy_seconds()
        own = time.process_time()
        run = run_clients(self.port, clients, seconds, work, self.cookies, self.start)
        run["cpu_s"] = cpu_seconds(self.process.pid) - cpu
        run["others_s"] = machine_busy_seconds() - busy - run["cpu_s"] - (time.process_time() - own)
        run["cpu_ms"] = run["cpu_s"] * 1000 / run["ok"] if run["ok"] else float("nan")
        self.runs.append(run)
        return run


def line(side: str, run: dict) -> str:
    lat, post = run["latencies"], run["post_latencies"]
    return (f"  {side:<7} {run['rate']:7.2f} submits/s ({run['ok']:5d}, {run['failed']} failed)  CPU {run['cpu_ms']:6.2f} ms "
            f"per submit  GET+POST p50 {percentile(lat, 50) * 1000:5.0f} ms p99 {percentile(lat, 99) * 1000:5.0f} ms  "
            f"POST p50 {percentile(post, 50) * 1000:4.0f} p99 {percentile(post, 99) * 1000:5.0f} ms  "
            f"other processes {run['others_s']:5.1f} CPU s" + (f"  e.g. {run['errors']}" if run["errors"] else ""))


def sql_statements(once) -> list[str]:
    """The SQL statements of one GET form + POST submit, counted by kind (every new connection traced, this process only)."""
    import collections
    import re as _re

    from forms_app.data import connection as database

    seen: list[str] = []
    original = database.connect

    def connect(path, **kwargs):
        db = original(path, **kwargs)
        db.conn.set_trace_callback(lambda sql: seen.append(f"{Path(path).name}: {sql}"))
        return db

    database.close_kept()  # the request's connections are opened again, traced
    database.connect = connect
    try:
        once()
    finally:
        database.connect = original
        database.close_kept()
    kinds = collections.Counter(_re.sub(r"\s+", " ", sql)[:90] for sql in seen)
    lines = [f"SQL statements of one GET form + POST submit: {len(seen)} (by kind, most frequent first):"]
    lines += [f"  {n:4d} × {text}" for text, n in kinds.most_common(15)]
    return lines


def in_process(data_dir: Path, session: str, peer_dir: Path, fields, files, profile: bool, rounds: int = 30) -> str:
    """The same requests in this process, one at a time (werkzeug's test client): the median CPU time of GET form and
    POST submit for the product and for the peer, and with `profile` the SQL and a cProfile of the product's."""
    import cProfile
    import io
    import pstats

    from _common import _clean
    from werkzeug.test import Client as WClient

    from forms_app.adapters.web.context import SESSION_COOKIE
    from forms_app.adapters.wsgi import create_wsgi

    sys.path.insert(0, str(PEER))
    from app import create_app as create_peer  # benchmarks/peer/app.py

    product = WClient(create_wsgi(data_dir))
    product.set_cookie(SESSION_COOKIE, session, domain="localhost")
    peer = WClient(create_peer(str(latest_definition_file(FORM)), str(peer_dir)))
    peer.get("/start/PEER001")
    multi: dict[str, list[str]] = {}
    for name, value in fields:
        multi.setdefault(name, []).append(value)
    profilers = {"GET form": cProfile.Profile(), "POST submit": cProfile.Profile()}
    times: dict[str, list[float]] = {f"{side} {kind}": [] for side in ("product", "peer") for kind in profilers}

    def timed(kind: str, call, profiler):
        t = time.process_time()  # CPU time: steadier than wall time on a busy machine (this process has one thread)
        if profiler:
            profiler.enable()
        response = call()
        if profiler:
            profiler.disable()
        elif kind in times:
            times[kind].append(time.process_time() - t)
        return response

    def once(client=product, side: str = "product", profiling: bool = False):
        get = timed(f"{side} GET form", lambda: client.get(URL), profiling and profilers["GET form"])
        data = {**hidden_fields(get.get_data(as_text=True)), "action": "submit", **multi}
        for name, filename, content in files:
            data[name] = (io.BytesIO(content), filename)
        response = timed(f"{side} POST submit", lambda: client.post(URL, data=data, content_type="multipart/form-data"),
                         profiling and profilers["POST submit"])
        assert response.status_code == 303, (side, response.status_code)

    once()
    once(peer, "peer")
    for _ in range(rounds):
        once()
        once(peer, "peer")
    lines = ["in this process, one request at a time, CPU time with the test client's own work (median of %d):" % rounds]
    for kind, values in times.items():
        lines.append(f"  {kind:<20} {statistics.median(values) * 1000:7.2f} ms")
    if profile:
        lines.extend(sql_statements(once))
        for _ in range(10):
            once(profiling=True)
        for kind, profiler in profilers.items():
            for sort in ("cumulative", "tottime"):
                buffer = io.StringIO()
                pstats.Stats(profiler, stream=buffer).sort_stats(sort).print_stats(40 if sort == "cumulative" else 22)
                text = buffer.getvalue().splitlines()
                first = next((i for i, line in enumerate(text) if "function calls" in line), 0)
                lines.append(f"--- product {kind} ×10, cProfile sorted by {sort} ---")
                lines.extend(_clean(line) for line in text[first:] if line.strip())
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=None, help="per measurement (10 full, 5 quick)")
    parser.add_argument("--pairs", type=int, default=None, help="product/peer pairs (5 full, 3 quick)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers of both (default: serve's own)")
    parser.add_argument("--profile", action="store_true", help="also profile one submit in-process with cProfile")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="add the benchmark's units to this data directory and serve it (e.g. a COPY of the "
                             "50,000-unit demo: it is written to) instead of a fresh one")
    args = parser.parse_args()
    seconds = args.seconds or (5.0 if args.quick else 10.0)
    pairs = args.pairs or (3 if args.quick else 5)
    workers = args.workers or max(2, os.cpu_count() or 1)
    header("submits against the minimal peer, forms-app serve and the peer under the same gunicorn", args.quick)
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")

    with tempfile.TemporaryDirectory(prefix="bench-submissions-") as tmp:
        data_dir, peer_dir = args.data_dir or Path(tmp) / "data", Path(tmp) / "peer"
        t = time.perf_counter()
        sessions = build(data_dir, args.units, f"BENCH{secrets.token_hex(2).upper()}-" if args.data_dir else "BENCH")
        print(f"data dir {'given' if args.data_dir else 'built'}: {describe(data_dir)}; {args.units} units added in "
              f"{time.perf_counter() - t:.1f} s")
        fields, files = answer_fields()
        definition = latest_definition_file(FORM)
        from forms_app.adapters.web.context import SESSION_COOKIE

        tokens = list(sessions.values())
        product_port, peer_port = free_port(), free_port()
        server = start_server(data_dir, product_port, ["--workers", str(workers)])
        print(f"forms-app serve idle {settled(server.pid):.1f} s after it answered (its workers' warm-up)")
        peer_server = None
        monitor = RssMonitor(server.pid)
        monitor.start()
        try:
            peer_server = start_peer(peer_dir, peer_port, workers, definition)
            product = Side("product", product_port, server, [{SESSION_COOKIE: token} for token in tokens], [None])
            peer = Side("peer", peer_port, peer_server, [{}], [f"/start/PEER{i:03d}" for i in range(1, args.units + 1)])
            clients = args.clients
            submit = make_submit(URL, fields, files)
            for side in (product, peer):  # warm up: every worker has compiled its templates, every thread stored once
                warm = [run_clients(side.port, clients, 4.0, submit, side.cookies, side.start)["rate"] for _ in range(2)]
                print(f"warm-up of the {side.name}: {warm[0]:.1f} then {warm[1]:.1f} submits/s")
            idle_rss = tree_rss_mb(server.pid)[0]
            print(f"servers: {workers} gunicorn workers × 4 threads each; {clients} client threads, {args.units} units, "
                  f"{seconds:g} s per measurement, {pairs} pairs (the first of each pair alternates)")
            ratios, cpu_ratios = [], []
            for i in range(pairs):
                order = (product, peer) if i % 2 == 0 else (peer, product)
                for side in order:
                    side.measure(clients, seconds, submit)
                a, b = product.runs[-1], peer.runs[-1]
                ratios.append(a["rate"] / b["rate"] if b["rate"] else 0.0)
                cpu_ratios.append(a["cpu_ms"] / b["cpu_ms"] if b["cpu_ms"] else float("inf"))
                print(f"pair {i + 1}: product ÷ peer {ratios[-1]:.2f} in submits/s, {cpu_ratios[-1]:.2f} in CPU per submit")
                print(line("product", a))
                print(line("peer", b))
        finally:
            monitor.running = False
            monitor.join()
            stop_server(server)
            if peer_server is not None:
                stop_server(peer_server)
        failed = sum(r["failed"] for side in (product, peer) for r in side.runs)
        p99s = [percentile(r["latencies"], 99) * 1000 for r in product.runs]
        print(f"median of {pairs} pairs: throughput {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max "
              f"{max(ratios):.2f}); CPU per submit {statistics.median(cpu_ratios):.2f} (min {min(cpu_ratios):.2f}, "
              f"max {max(cpu_ratios):.2f}); product p99 {statistics.median(p99s):.0f} ms (runs: "
              f"{', '.join(f'{v:.0f}' for v in p99s)}), peer p99 "
              f"{statistics.median(percentile(r['latencies'], 99) * 1000 for r in peer.runs):.0f} ms; failures {failed}")
        print(f"product server process tree RSS: idle {idle_rss:.0f} MiB, peak of the sum {monitor.peak:.0f} MiB "
              f"(sum of each process's own peak VmHWM: {monitor.hwm:.0f} MiB)")
        print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        ok = ratio_line("submits_product_over_peer", statistics.median(ratios), ">=", 0.8, digits=2)
        ok = ratio_line("cpu_per_submit_product_over_peer", statistics.median(cpu_ratios), "<=", 1.1, digits=2,
                        kind="CHECK") and ok
        ok = ratio_line("product_p99_ms_16_clients", statistics.median(p99s), "<=", 300, digits=0, kind="CHECK") and ok
        ok = ratio_line("server_peak_rss_mb", max(monitor.peak, monitor.hwm), "<=", 300, digits=0, kind="CHECK") and ok
        ok = ok and failed == 0
        print(in_process(data_dir, tokens[0], peer_dir, fields, files, args.profile, rounds=10 if args.quick else 30))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
