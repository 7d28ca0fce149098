"""A real headless Chromium for the browser tests: Debian's package, driven by Playwright, and axe-core on a page."""

from __future__ import annotations

import os

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def launched():
    """Chromium launched for one test (a generator for a fixture: yields the browser, closes it after)."""
    import pytest

    playwright_api = pytest.importorskip("playwright.sync_api")
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: sh scripts/setup.sh --test installs it"
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def no_serious_violations(page, name: str) -> None:
    """axe-core on the page as it stands: no violation of serious or critical impact (the others are printed)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
               if v["impact"] in ("serious", "critical")]
    for v in violations:
        print(name, v["id"], v["impact"], len(v["nodes"]))
    assert not serious, f"{name}: {serious}"


def sign_in(page, base: str, username: str, password: str | None = None) -> None:
    """Sign in through the login form in the browser and wait for the dashboard."""
    from support.data import PASSWORD

    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password or PASSWORD)
    page.click("button.primary")
    page.wait_for_url(base + "/")
