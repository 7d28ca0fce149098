#!/bin/sh
# Installs everything the product needs on a Debian machine (as root) into ./.venv.
#   sh scripts/setup.sh          the product
#   sh scripts/setup.sh --test   the product and what its test suite needs
# Safe to run again: apt and pip skip what is already there.
set -eu
cd "$(dirname "$0")/.."

WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

# System packages: a Python 3.11 with venv, fonts with every Vietnamese glyph, WeasyPrint's Pango;
# for the tests, Debian's Chromium (driven by Playwright, which must not download a browser of its own).
APT_PACKAGES="python3 python3-venv python3-dev git fonts-noto-core fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
# Tests also read PDFs back (poppler), decode QR codes (zbar) and open exports in LibreOffice.
[ "$WITH_TEST" = 1 ] && APT_PACKAGES="$APT_PACKAGES chromium poppler-utils zbar-tools libreoffice-calc-nogui"
# apt-get, waiting (up to APT_LOCK_WAIT seconds, saying so every 30 s) while another apt or dpkg process (an
# unattended upgrade, another terminal) holds its lock, instead of failing at once with apt's own error.
APT_LOCK_WAIT=${APT_LOCK_WAIT:-600}
apt_get() {
    started=$(date +%s)
    errors=$(mktemp)
    while :; do
        tried=$(date +%s)
        if apt-get -o DPkg::Lock::Timeout=30 "$@" 2>"$errors"; then
            cat "$errors" >&2
            rm -f "$errors"
            return 0
        fi
        now=$(date +%s)
        if ! grep -Eqi "could not get lock|unable to (acquire|lock)" "$errors" || [ $((now - started)) -ge "$APT_LOCK_WAIT" ]; then
            cat "$errors" >&2
            rm -f "$errors"
            [ $((now - started)) -ge "$APT_LOCK_WAIT" ] && echo "setup: apt is still locked by another process after $APT_LOCK_WAIT s; run this again once it has finished." >&2
            return 1
        fi
        echo "setup: another apt or dpkg process holds the lock ($((now - started)) s so far); waiting for it, up to $APT_LOCK_WAIT s..." >&2
        [ $((now - tried)) -lt 30 ] && sleep $((30 - (now - tried)))
    done
}

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    missing=""
    for pkg in $APT_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
    done
    if [ -n "$missing" ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt_get update -qq
        apt_get install -y -qq --no-install-recommends $missing >/dev/null
    fi
fi

PYTHON=""
for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys, venv, ensurepip; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
        PYTHON=$candidate
        break
    fi
done
[ -n "$PYTHON" ] || { echo "Python 3.11 with venv is needed (apt-get install python3 python3-venv)." >&2; exit 1; }

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$WITH_TEST" = 1 ]; then
    .venv/bin/python -m pip install --quiet -e ".[test]"
else
    .venv/bin/python -m pip install --quiet -e .
fi
echo "Installed into .venv ($(.venv/bin/python --version))."
