"""Full self-assessment submits per second through `forms-app serve`, against /healthz on the same server.

A data directory is built with N units (default 16), each with a unit account, a submitted 2022
registration and its 2022 self-assessment extended to today + 30 days. `forms-app serve`
(gunicorn, its defaults: one worker per core, at least two, four threads each) runs in a
subprocess. C client threads (default 16), each its own unit, cookie jar and keep-alive
http.client connection, then for a fixed time:

  baseline  GET /healthz                                   → requests per second
  measured  GET the form, POST action=submit with every answer of
            form_definitions/examples/tu-danh-gia-3-chu-dong.answers.json as form fields
            (multipart, the three evidence files uploaded as small PDFs) → a 303 to …/result counts

and prints submits/s ÷ healthz/s (target ≥ 0.4), submit latencies (p50/p99) and the peak RSS
of the server's process tree (/proc; target < 300 MB). The baseline is measured before and after
the submits and averaged. The clients run on the same machine as the server.

    .venv/bin/python benchmarks/submissions.py [--quick] [--units 16] [--clients 16] [--seconds 20] [--profile]

Then the same requests run in this process one at a time (create_wsgi + werkzeug's test client)
give the cost of each kind of request alone; --profile adds a cProfile of the GET and of the POST.
Last, the least a submit costs on this stack, in /healthz: a bare Flask app parsing the same body,
WTForms validating the answers with the definition's checks and the score, and
submissions.record storing one submit, each timed alone; their sum bounds the ratio from above.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, free_port, header, ratio_line, start_server, stop_server, tree_rss_mb  # noqa: E402

FORM = "tu-danh-gia-3-chu-dong"
REGISTRATION = "dang-ky-3-chu-dong"
URL = f"/forms/{FORM}/2022"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
REGISTRATION_ANSWERS = {"cam_ket_xay_dung": True, "file_ke_hoach_3_chu_dong": "ke-hoach.pdf", "so_can_bo_phu_trach": 3,
                        "da_dang_ky_voi_cap_uy": True}
PASSWORD = "mat-khau-do-hieu-nang"
HIDDEN = ("csrf_token", "base_revision", "request_token")


def build(data_dir: Path, units: int) -> dict[str, str]:
    """The data directory; {unit code: session token of its unit account}."""
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
    codes = [f"BENCH{i:03d}" for i in range(1, units + 1)]
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


def answer_fields() -> tuple[list[tuple[str, str]], list[tuple[str, str, bytes]]]:
    """The example answers as a browser posts them (Vietnamese number format) and the file uploads."""
    from form_definitions import load_definitions

    definition = next(d for d in load_definitions() if d.id == FORM)
    answers = json.loads((ROOT / "form_definitions" / "examples" / f"{FORM}.answers.json").read_text("utf-8"))
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


def run_clients(port: int, clients: int, seconds: float, work, sessions: list[str]) -> dict:
    """`clients` threads calling work(client) until `seconds` pass; counts, latencies, failures."""
    from forms_app.adapters.web.context import SESSION_COOKIE

    results = {"ok": 0, "failed": 0, "latencies": [], "post_latencies": [], "errors": []}
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def loop(token: str):
        client = Client(port, {SESSION_COOKIE: token})
        start_gate.wait()
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

    threads = [threading.Thread(target=loop, args=(sessions[i % len(sessions)],), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start_gate.wait()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    results["elapsed"] = time.perf_counter() - t0
    results["rate"] = results["ok"] / results["elapsed"]
    return results


def healthz(client: Client):
    response, _ = client.request("GET", "/healthz")
    return response.status == 200, None, f"/healthz {response.status}"


def make_submit(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]):
    def submit(client: Client):
        response, page = client.request("GET", URL)
        if response.status != 200:
            return False, None, f"GET form {response.status}"
        hidden = hidden_fields(page.decode("utf-8"))
        body, content_type = multipart(list(hidden.items()) + fields + [("action", "submit")], files)
        t = time.perf_counter()
        response, page = client.request("POST", URL, body=body, headers={"Content-Type": content_type,
                                                                            "Origin": f"http://127.0.0.1:{client.port}"})
        post = time.perf_counter() - t
        location = response.headers.get("Location", "")
        if response.status == 303 and location.endswith(f"{URL}/result"):
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

    database.connect = connect
    try:
        once()
    finally:
        database.connect = original
    kinds = collections.Counter(_re.sub(r"\s+", " ", sql)[:90] for sql in seen)
    lines = [f"SQL statements of one GET form + POST submit: {len(seen)} (by kind, most frequent first):"]
    lines += [f"  {n:4d} × {text}" for text, n in kinds.most_common(15)]
    return lines


def median_s(call, rounds: int) -> float:
    """The median time of `call` in seconds, over `rounds` calls after an untimed one."""
    call()
    values = []
    for _ in range(rounds):
        t = time.perf_counter()
        call()
        values.append(time.perf_counter() - t)
    return statistics.median(values)


def floor(fields, files, health: float, rounds: int = 300) -> tuple[list[str], float, float]:
    """What this stack costs before any of the product's work: a bare Flask app (no database, session or CSRF)
    whose one route parses the same multipart body and answers 303, beside a route that returns a word."""
    from flask import Flask, redirect, request

    bare = Flask("floor")

    @bare.post("/submit")
    def parse_only():
        request.form, request.files  # noqa: B018 — parsing is the point
        return redirect("/submit/result", 303)

    @bare.get("/word")
    def word():
        return "ok"

    client = bare.test_client()
    body, content_type = multipart(list(fields) + [("csrf_token", "x" * 91), ("base_revision", "1"),
                                                   ("request_token", "y" * 22), ("action", "submit")], files)

    parse = median_s(lambda: client.post("/submit", data=body, content_type=content_type), rounds)
    trivial = median_s(lambda: client.get("/word"), rounds)
    return [
        "the stack's floor (a bare Flask app in this process, median of %d):" % rounds,
        f"  a route returning a word      {trivial * 1000:7.2f} ms",
        f"  a route parsing this submit's multipart body ({len(body)} bytes, {len(fields) + 4 + len(files)} parts) "
        f"and answering 303: {parse * 1000:.2f} ms = {parse / health:.2f}× our /healthz",
    ], parse, trivial


def least_work(app, data_dir: Path, fields, health: float, parse: float, trivial: float, rounds: int = 100) -> list[str]:
    """Two things every submit must do, however its page is made, each timed alone in this process: WTForms
    parsing and validating the answers (form class already built, no CSRF, no files) with the definition's own
    checks and the score, and `submissions.record` writing one submit. With the stack's floor they bound the
    ratio from above, for a submit counted as GET + POST and for the POST alone."""
    from werkzeug.datastructures import MultiDict

    from forms_app.adapters.web.forms import build_form_class
    from forms_app.data import connection as database
    from forms_app.rules import registry
    from forms_app.rules import submitting as submissions
    from scoring import points, validate_answers

    forms = database.open_forms(data_dir)
    try:
        definition = registry.definition(forms, FORM)
        form_class = build_form_class(definition, "vi")
        formdata = MultiDict(fields)
        answers = {}

        def validate():
            nonlocal answers
            with app.test_request_context(URL, method="POST"):
                form = form_class(formdata=formdata, meta={"csrf": False})
                form.validate()
                answers = form.answers()
                assert not validate_answers(definition, answers, "vi", require=False)
                points(definition, answers)

        unit = list(forms.execute("SELECT code FROM units ORDER BY code LIMIT 1"))[0][0]

        def write():
            submissions.record(forms, unit_code=unit, definition=definition, cycle_year=2022, answers=answers,
                               action="submit", author="bench", base_revision=None, request_token=secrets.token_urlsafe(16))

        checks, stored = median_s(validate, rounds), median_s(write, rounds)
    finally:
        forms.close()
    # A GET of the form does at least what /healthz does (session, database, headers). A POST does that, parses
    # the body (the bare parse route less the bare word route), checks the answers and stores them.
    post = health + (parse - trivial) + checks + stored
    return [
        f"the least a submit needs beside that (median of {rounds}):",
        f"  WTForms parse + validate of the answers, the definition's checks and the score: {checks * 1000:.2f} ms "
        f"= {checks / health:.2f}× our /healthz",
        f"  submissions.record of one submit (revision, long-form answers, scores, summaries): {stored * 1000:.2f} ms "
        f"= {stored / health:.2f}× our /healthz",
        f"  so with no page rendered at all, a POST costs at least {post / health:.1f} /healthz and GET + POST "
        f"{(post + health) / health:.1f}: the ratio could be at most {health / post:.2f} (POST alone) or "
        f"{health / (post + health):.2f} (GET + POST), against 0.4",
    ]


def in_process(data_dir: Path, session: str, fields, files, profile: bool, rounds: int = 30) -> str:
    """The same requests in this process, one at a time (create_wsgi + werkzeug's test client): the median cost of
    /healthz, of GET form and of POST submit, and with `profile` a cProfile of GET and of POST apart."""
    import cProfile
    import io
    import pstats

    from _common import _clean
    from werkzeug.test import Client as WClient

    from forms_app.adapters.web.context import SESSION_COOKIE
    from forms_app.adapters.wsgi import create_wsgi

    app = create_wsgi(data_dir)
    client = WClient(app)
    client.set_cookie(SESSION_COOKIE, session, domain="localhost")
    multi: dict[str, list[str]] = {}
    for name, value in fields:
        multi.setdefault(name, []).append(value)
    profilers = {"GET form": cProfile.Profile(), "POST submit": cProfile.Profile()}
    times: dict[str, list[float]] = {"GET /healthz": [], "GET form": [], "POST submit": []}

    def timed(kind: str, call, profiling: bool):
        profiler = profilers.get(kind) if profiling else None
        t = time.perf_counter()
        if profiler:
            profiler.enable()
        response = call()
        if profiler:
            profiler.disable()
        else:
            times[kind].append(time.perf_counter() - t)
        return response

    def once(profiling: bool = False):
        timed("GET /healthz", lambda: client.get("/healthz"), profiling)
        page = timed("GET form", lambda: client.get(URL), profiling).get_data(as_text=True)
        data = {**hidden_fields(page), "action": "submit", **multi}
        for name, filename, content in files:
            data[name] = (io.BytesIO(content), filename)
        response = timed("POST submit", lambda: client.post(URL, data=data, content_type="multipart/form-data"), profiling)
        assert response.status_code == 303, response.status_code

    once()
    for _ in range(rounds):
        once()
    lines = ["in this process, one request at a time (median of %d):" % rounds]
    for kind, values in times.items():
        lines.append(f"  {kind:<13} {statistics.median(values) * 1000:7.2f} ms")
    cycle = statistics.median(times["GET form"]) + statistics.median(times["POST submit"])
    health = statistics.median(times["GET /healthz"])
    lines.append(f"  one submit (GET form + POST) costs {cycle / health:.0f}× a /healthz; the POST alone "
                 f"{statistics.median(times['POST submit']) / health:.1f}×")
    bare, parse, trivial = floor(fields, files, health)
    lines.extend(bare)
    from forms_app.adapters.web.app import create_app

    lines.extend(least_work(create_app({"DATA_DIR": data_dir}), data_dir, fields, health, parse, trivial))
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
                lines.append(f"--- {kind} ×10, cProfile sorted by {sort} ---")
                lines.extend(_clean(line) for line in text[first:] if line.strip())
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=None, help="per measurement (20 full, 5 quick)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: serve's own default)")
    parser.add_argument("--profile", action="store_true", help="also profile one submit in-process with cProfile")
    args = parser.parse_args()
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    header("submits per second against /healthz, forms-app serve", args.quick)

    with tempfile.TemporaryDirectory(prefix="bench-submissions-") as tmp:
        data_dir = Path(tmp) / "data"
        t = time.perf_counter()
        sessions = build(data_dir, args.units)
        print(f"data dir with {args.units} units built in {time.perf_counter() - t:.1f} s")
        fields, files = answer_fields()
        port = free_port()
        extra = ["--workers", str(args.workers)] if args.workers else []
        server = start_server(data_dir, port, extra)
        monitor = RssMonitor(server.pid)
        monitor.start()
        try:
            tokens = list(sessions.values())
            idle_rss = tree_rss_mb(server.pid)[0]
            run_clients(port, args.clients, min(2.0, seconds / 2), healthz, tokens)  # warm up
            run_clients(port, min(args.clients, len(tokens)), 2.0 if not args.quick else 1.0, make_submit(fields, files), tokens)
            before = run_clients(port, args.clients, seconds, healthz, tokens)
            submits = run_clients(port, args.clients, seconds, make_submit(fields, files), tokens)
            after = run_clients(port, args.clients, seconds, healthz, tokens)
        finally:
            monitor.running = False
            monitor.join()
            stop_server(server)
        base = (before["rate"] + after["rate"]) / 2
        lat = submits["latencies"]
        post = submits["post_latencies"]
        print(f"server: forms-app serve {' '.join(extra) or '(default workers/threads)'}; clients: {args.clients} threads, "
              f"{args.units} units, {seconds:g} s per measurement")
        print(f"/healthz: {before['rate']:.1f} req/s before, {after['rate']:.1f} req/s after (mean {base:.1f}); "
              f"failures {before['failed'] + after['failed']}")
        print(f"submits:  {submits['rate']:.2f} /s ({submits['ok']} in {submits['elapsed']:.1f} s), failures {submits['failed']}"
              + (f" e.g. {submits['errors']}" if submits["errors"] else ""))
        print(f"submit latency (GET form + POST): p50 {percentile(lat, 50) * 1000:.0f} ms, p99 {percentile(lat, 99) * 1000:.0f} ms")
        print(f"POST alone:                       p50 {percentile(post, 50) * 1000:.0f} ms, p99 {percentile(post, 99) * 1000:.0f} ms")
        print(f"server process tree RSS: idle {idle_rss:.0f} MiB, peak of the sum {monitor.peak:.0f} MiB "
              f"(sum of each process's own peak VmHWM: {monitor.hwm:.0f} MiB)")
        ok = ratio_line("submits_per_healthz", submits["rate"] / base if base else 0.0, ">=", 0.4)
        ok = ratio_line("server_peak_rss_mb", max(monitor.peak, monitor.hwm), "<=", 300, digits=0, kind="CHECK") and ok
        ok = ok and submits["failed"] == 0
        print(in_process(data_dir, tokens[0], fields, files, args.profile, rounds=10 if args.quick else 30))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
