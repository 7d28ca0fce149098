"""Run the six benchmarks (with --quick unless --full) one after another and sum up their RATIO/CHECK lines.

    .venv/bin/python benchmarks/run_all.py                 # quick sizes: a few minutes in all
    .venv/bin/python benchmarks/run_all.py --full          # the issue's sizes (the 50,000-unit demo: tens of minutes)
    .venv/bin/python benchmarks/run_all.py --only rescoring reviewers --profile

Each benchmark runs in its own process (one after another, never two at once: they measure the
same two cores). The exit status is 1 when any target failed, 0 otherwise.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = ["submissions", "rescoring", "certificates", "reviewers", "demo", "page_bytes", "exports"]
PROFILED = {"submissions", "rescoring", "certificates", "reviewers", "demo"}
LINE = re.compile(r"^(RATIO|CHECK) (\S+)=(\S+) target=(.*?)\s+(PASS|FAIL|INFO)\s*$")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the issue's full sizes instead of --quick")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="run only these")
    parser.add_argument("--profile", action="store_true", help="pass --profile to each benchmark")
    parser.add_argument("--data-dir", type=Path, help="an existing demo data directory for rescoring and reviewers")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per benchmark (600 quick, 5400 full)")
    args = parser.parse_args()
    timeout = args.timeout or (5400 if args.full else 600)
    results = []
    for name in args.only or NAMES:
        command = [sys.executable, str(HERE / f"{name}.py")] + ([] if args.full else ["--quick"])
        if args.profile and name in PROFILED:
            command.append("--profile")
        if args.data_dir and name in ("rescoring", "reviewers"):
            command += ["--data-dir", str(args.data_dir)]
        print(f"\n##### {name}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        lines = []
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            deadline = start + timeout
            for line in process.stdout:  # echoed as it comes
                print(line, end="", flush=True)
                lines.append(line.rstrip("\n"))
                if time.perf_counter() > deadline:
                    process.kill()
                    lines.append(f"CHECK {name}_finished=0 target=finished  FAIL")
                    break
            process.wait()
        except OSError as exc:
            lines.append(f"CHECK {name}_started=0 target=started  FAIL ({exc})")
            process = None
        found = [LINE.match(line) for line in lines]
        found = [m for m in found if m]
        if not found:
            results.append((name, "RATIO", f"{name}_output", "-", "a RATIO line", "FAIL", time.perf_counter() - start))
        for m in found:
            results.append((name, m[1], m[2], m[3], m[4], m[5], time.perf_counter() - start))
    print("\n##### summary" + (" (full sizes)" if args.full else " (quick sizes)"))
    for name, kind, metric, value, target, verdict, seconds in results:
        print(f"{name:<13} {kind:<5} {metric:<34} {value:>10}  target {target:<12} {verdict:<4}  ({seconds:.0f} s)")
    failed = [r for r in results if r[5] == "FAIL"]
    print(f"{len(results) - len(failed)} of {len(results)} lines pass or are information only; {len(failed)} fail")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
