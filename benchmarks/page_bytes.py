"""Bytes over the wire of the pages a unit and the office open most, compressed (as a browser asks) against the same
pages uncompressed, both measured in this run.

On a demo data directory (60 units; --data-dir to reuse one), through the whole product (forms_app.adapters.wsgi),
signed in as the demo's first unit and as the reviewer `vanphong`: the unit's scored form of the last year and its
result page (the latest result link of the unit's dashboard, so no form is named here), the office's dashboard (the
status board), and the two static files. Each is requested without Accept-Encoding (the baseline: what every page
weighed before issue 16), with `gzip` and with `gzip, deflate, br`.

RATIO: the form page's bytes with brotli over its uncompressed bytes; target ≤ 0.25.
CHECK: the form page over the wire in KB (brotli, and gzip for a browser on plain HTTP, which never asks for br);
target ≤ 20.

    .venv/bin/python benchmarks/page_bytes.py [--quick] [--data-dir DIR]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_dir, demo_options, header, ratio_line  # noqa: E402

ENCODINGS = ("", "gzip", "gzip, deflate, br")
TARGET_RATIO = 0.25
TARGET_KB = 20


def client_as(app, data_dir: Path, username: str):
    from werkzeug.test import Client

    from forms_app.adapters.web.context import SESSION_COOKIE
    from forms_app.data import connection as database
    from forms_app.rules import accounts

    conn = database.open_accounts(data_dir)
    token = accounts.start_session(conn, username)
    conn.close()
    client = Client(app)
    client.set_cookie(SESSION_COOKIE, token, domain="localhost")
    return client


def wire_bytes(client, url: str) -> list[int]:
    """The body's length on the wire for each of ENCODINGS (and the status, checked)."""
    sizes = []
    for accept in ENCODINGS:
        response = client.get(url, headers={"Accept-Encoding": accept} if accept else {}, buffered=True)
        assert response.status_code == 200, (url, response.status_code)
        assert bool(accept) == ("Content-Encoding" in response.headers) or len(response.data) < 500, url
        sizes.append(len(response.data))
        response.close()
    return sizes


def pages(unit) -> list[tuple[str, object, str]]:
    dashboard = unit.get("/", buffered=True).get_data(as_text=True)
    result = max(re.findall(r'href="(/forms/[^"]+/(\d{4})/result)"', dashboard), key=lambda link: link[1])[0]
    form_page = result.removesuffix("/result")
    form_html = unit.get(form_page, buffered=True).get_data(as_text=True)
    statics = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', dashboard + form_html)))
    return [("form page", unit, form_page), ("result page", unit, result)] + [(url.split("?")[0], unit, url) for url in statics]


def main() -> int:
    parser = demo_options(__doc__)
    args = parser.parse_args()
    header("page bytes", args.quick)
    data_dir = args.data_dir or demo_dir(60)[0]
    from forms_app.adapters.wsgi import create_wsgi

    app = create_wsgi(data_dir)
    accounts_csv = (data_dir / "demo-accounts.csv").read_text("utf-8").splitlines()
    first_unit = next(line.split(",")[0] for line in accounts_csv if line.split(",")[2] == "unit")
    unit, office = client_as(app, data_dir, first_unit), client_as(app, data_dir, "vanphong")
    rows = pages(unit) + [("office dashboard", office, "/")]
    print(f"{'page':<20} {'plain':>9} {'gzip':>9} {'br':>9}  gzip/plain  br/plain")
    sizes = {}
    for label, client, url in rows:
        plain, gz, br = sizes[label] = wire_bytes(client, url)
        print(f"{label:<20} {plain:>9,} {gz:>9,} {br:>9,}  {gz / plain:>10.3f}  {br / plain:>8.3f}   {url}")
    plain, gz, br = sizes["form page"]
    ok = ratio_line("form_page_br_over_plain", br / plain, "<=", TARGET_RATIO)
    ok &= ratio_line("form_page_kb_br", br / 1024, "<=", TARGET_KB, digits=1, kind="CHECK")
    ok &= ratio_line("form_page_kb_gzip", gz / 1024, "<=", TARGET_KB, digits=1, kind="CHECK")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
