"""The load and fault tests at full size: the same tests as CI (tests/test_load_faults.py), larger.

CI runs them with 32 units submitting at once, 3 rounds each. This runs them with more rounds
(and, if asked, more units), each unit its own client on loopback through a real
`forms-app serve` on a data directory in a temporary folder:

  - every unit GETs its form and POSTs a submit, round after round (round 2 is a double click):
    no 5xx, and every acknowledged submit (303) is stored exactly once with the score of the
    answers it sent;
  - the server's whole process group is killed with SIGKILL in the middle of the load and
    started again: every acknowledged submit is still there, PRAGMA integrity_check is ok on
    both databases, and the restarted server takes submits;
  - a database locked beyond the busy timeout, a database at its page limit and a full disk
    (a small tmpfs when this runs as root): the unit gets its form back with what it typed and
    a sentence asking to save again, and nothing is half-written.

Every loop is bounded and stops by itself. Exit status: pytest's (0 when every check holds).

    .venv/bin/python scripts/load_faults.py [--units 32] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=32, help="units submitting at once, one client each (32)")
    parser.add_argument("--rounds", type=int, default=20, help="submits per unit, at least 2 (20; CI runs 3)")
    args = parser.parse_args()
    if args.units < 2 or args.rounds < 2:
        parser.error("--units and --rounds must be at least 2")
    env = {**os.environ, "FORMS_APP_LOAD_UNITS": str(args.units), "FORMS_APP_LOAD_ROUNDS": str(args.rounds)}
    print(f"load and fault tests: {args.units} units at once × {args.rounds} rounds", flush=True)
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "tests/test_load_faults.py"]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
