"""Debian's Chromium driven by Playwright, for the console's browser tests, and where
their screenshots go."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Where screenshots go; scripts/screenshots.sh points this at docs/screenshots.
SHOTS = Path(os.environ.get("SOCIALCARE_SCREENSHOTS_DIR", "/tmp/socialcare-screenshots"))


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless browser (skips the test without Playwright, fails without Chromium)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: scripts/test.sh installs it (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # This machine's network is closed: no background calls home.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Any, name: str) -> None:
    """A full-page screenshot as ``SHOTS/console-{name}.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)
