"""The dashboard in a real browser: Debian's headless Chromium, driven by Playwright.

`streamlit run` serves the app on a free port against the demo warehouse; the test clicks through
the six views in the sidebar, waits for text each must show, and saves a screenshot of each
under the test's tmp dir. Needs /usr/bin/chromium (`apt-get install -y chromium`; `.ci/run`
installs it): under CI=true its absence fails the test, elsewhere it skips.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT
from tests.sample_warehouses import Demo

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; MARKETPULSE_CHROMIUM overrides


def find_chromium() -> Path | None:
    override = os.environ.get("MARKETPULSE_CHROMIUM")
    if override:
        return Path(override)
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found else None


# view title in the sidebar -> (its ?view= slug, texts that must be visible once it rendered)
VIEWS = {
    "Overview": ("overview", ("Market snapshot", "Sector heatmap: total return to 2018-12-31")),
    "Sector Rotation": ("sector-rotation", ("Relative rotation graph vs SPY", "Leading")),
    "Macro Lens": ("macro-lens", ("CPI YoY vs S&P 500", "Yield curve spreads")),
    "Trends & Sentiment": (
        "trends-sentiment",
        ("Search interest (weekly) vs SPY", "Divergence flags"),
    ),
    "Volatility & Risk": ("volatility-risk", ("SPY: candlestick", "Rolling 63-day volatility")),
    # the Portfolio view adds its picker to the link: ?view=portfolio&portfolio=<id>
    "Portfolio": (
        "portfolio&portfolio=sample-growth-income",
        ("Holdings on 2018-12-31", "Efficient frontier with the current portfolio"),
    ),
}


# view slug -> a text it must show on the sample's first quarter (2013-01-02..2013-03-28)
EARLY_RANGE_VIEWS = {
    "sector-rotation": "No momentum ranks in this range yet",
    "volatility-risk": "Nothing in 2013-01-02..2013-03-28: 63-day volatility",
    "overview": "Top movers, 2013-01-02 to 2013-03-28",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(
                f"streamlit exited: {server.stdout.read() if server.stdout else ''}"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"streamlit did not answer on {url} within {timeout}s")


@pytest.fixture
def chromium() -> Path:
    found = find_chromium()
    if found is None or not found.exists():
        message = f"{CHROMIUM} not found: apt-get install -y chromium (.ci/run does it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_every_view_renders_in_headless_chromium(
    chromium: Path, demo_duckdb: Demo, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(demo_duckdb.warehouse.duckdb_path),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "marketpulse" / "dashboard" / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_healthy(url, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium), headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            sidebar = page.get_by_test_id("stSidebar")
            for title, (slug, texts) in VIEWS.items():
                sidebar.get_by_text(title, exact=True).click()
                expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(
                    timeout=60_000
                )
                for text in texts:
                    expect(page.get_by_text(text).first).to_be_visible(timeout=60_000)
                expect(page.get_by_text("Data as of 2018-12-31").first).to_be_visible()
                assert page.get_by_test_id("stException").count() == 0, title
                # The page's state is in its URL (the view, and the sidebar's choices).
                query = parse_qs(urlsplit(page.url).query)
                view, _, portfolio = slug.partition("&portfolio=")
                assert query["view"] == [view], page.url
                assert not portfolio or query["portfolio"] == [portfolio], page.url
                assert query["start"] == ["2017-12-31"] and query["end"] == ["2018-12-31"]
                shot = tmp_path / f"{view}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 20_000, shot  # a rendered page, not a blank one
            # Another range, from a shared link: the first quarter of history, inside every
            # warm-up (issue 19 item 1: this range used to raise on Sector Rotation).
            for slug, text in EARLY_RANGE_VIEWS.items():
                page.goto(f"{url}/?view={slug}&start=2013-01-02&end=2013-03-28")
                expect(page.get_by_text(text).first).to_be_visible(timeout=60_000)
                assert page.get_by_test_id("stException").count() == 0, slug
                page.screenshot(path=str(tmp_path / f"{slug}-early.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert len(list(tmp_path.glob("*.png"))) == len(VIEWS) + len(EARLY_RANGE_VIEWS)
