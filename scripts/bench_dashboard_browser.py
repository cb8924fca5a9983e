"""The dashboard in a real browser: headless Chromium driven by Playwright (`make bench-dashboard`).

What is timed, in the browser's own clock (performance.now(), so Playwright's round trips are
not counted):

- first load: from the navigation's start (a new browser context: no cache, no cookies, a new
  Streamlit session) until the default view is rendered;
- a view switch: from the click on the view's name in the sidebar (the click event) until that
  view is rendered. The click comes once the page is idle (no request for 500 ms, then an idle
  callback), as a reader's would: the first page prefetches the Plotly and data grid bundles when it
  is idle (ui.prefetch_bundles), and a click in the same millisecond as the render would wait for it.

Rendered means all of these hold at once (checked on every animation frame):

1. Streamlit reports its script run finished: `stApp`'s data-test-script-state is `notRunning`;
2. the main area's title (h1) is the view's title and no element is marked stale
   (data-stale="true", what Streamlit shows while a rerun replaces the page);
3. the main area holds as many Plotly charts and tables (`stDataFrame`) as the server sends
   for the view (those AppTest finds in the same render), so one still on its way cannot be
   missed, and every one displayed has drawn: a chart its `.main-svg`, a table its canvas (a
   table in a collapsed expander is drawn when opened, and is not waited for).

The server is the app as `make dashboard` starts it (`python -m marketpulse.dashboard`, which
imports the app's modules before it listens), on a free port. "cold" is a server started for
the measurement (every st.cache_data empty: what the first user after a start or a refresh
sees); "warm" is the next browser session on the same server (the queries cached, the figures
built again, sent and drawn again). Each repeat starts a new server.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; MARKETPULSE_CHROMIUM names another
VIEWPORT = {"width": 1440, "height": 1000}
TIMEOUT_MS = int(os.environ.get("BENCH_TIMEOUT_MS", "180000"))

# The order of the switches: every view but the default, then back to the default.
SWITCH_ORDER = (
    "sector-rotation",
    "macro-lens",
    "trends-sentiment",
    "volatility-risk",
    "portfolio",
    "forecasts-backtests",
    "overview",
)

RENDERED = """
([title, charts, tables]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const main = document.querySelector('[data-testid="stMain"]');
    const heading = main && main.querySelector('h1');
    if (!heading || heading.textContent.trim() !== title) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const plots = main.querySelectorAll('[data-testid="stPlotlyChart"]');
    const grids = main.querySelectorAll('[data-testid="stDataFrame"]');
    if (plots.length !== charts || grids.length !== tables) return false;
    // What is not displayed (a collapsed expander) has nothing to draw yet.
    const shown = (element) =>
        element.getClientRects().length > 0 && !element.closest('details:not([open])');
    for (const plot of plots) if (shown(plot) && !plot.querySelector('.main-svg')) return false;
    for (const grid of grids) if (shown(grid) && !grid.querySelector('canvas')) return false;
    return performance.now();
}
"""

# Records when the user's click on the sidebar happened, in the page's clock.
CLICK_CLOCK = """
() => {
    window.__clickedAt = null;
    document.addEventListener('click', () => { window.__clickedAt = performance.now(); },
        {capture: true, once: true});
}
"""


def find_chromium() -> Path:
    override = os.environ.get("MARKETPULSE_CHROMIUM")
    found = (
        Path(override)
        if override
        else CHROMIUM
        if CHROMIUM.exists()
        else Path(shutil.which("chromium") or shutil.which("chromium-browser") or CHROMIUM)
    )
    if not found.exists():
        raise SystemExit(
            f"error: {found} not found: apt-get install -y chromium (or MARKETPULSE_CHROMIUM=...)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The dashboard as `make dashboard` starts it, on a free port; stopped on exit."""

    def __init__(self, env: dict[str, str], app: Path | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The dashboard as `make dashboard` runs it, or another app (the floor) through streamlit.
        command = ["marketpulse.dashboard"] if app is None else ["streamlit", "run", str(app)]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                *command,
                "--server.port",
                str(self.port),
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

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                raise SystemExit(f"error: streamlit exited: {output}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:  # noqa: S310 (http, localhost)
                    if answer.read().decode().strip() == "ok":
                        return self
            except OSError:
                time.sleep(0.25)
        raise SystemExit(f"error: streamlit did not answer on {self.url} within 120 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@dataclass
class Visit:
    """One timed render in the browser: how long, and what came over the WebSocket."""

    seconds: float
    ws_bytes: int


@dataclass
class Session:
    """One browser session: its first load, then a switch to each view."""

    first_load: Visit
    switches: dict[str, Visit] = field(default_factory=dict)


def _browse(browser, url: str, expected: dict[str, tuple[str, int, int]]) -> Session:  # type: ignore[no-untyped-def]
    """A new context (no cache), the app's URL, then every view in SWITCH_ORDER."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    received = [0]

    def on_websocket(socket) -> None:  # type: ignore[no-untyped-def]
        socket.on(
            "framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload))
        )

    page.on("websocket", on_websocket)
    title, charts, tables = expected["overview"]
    page.goto(url, wait_until="commit")
    rendered_at = _rendered(page, "overview", (title, charts, tables))
    session = Session(first_load=Visit(rendered_at / 1000, received[0]))
    _no_exception(page, "overview")
    sidebar = page.get_by_test_id("stSidebar")
    for view in SWITCH_ORDER:
        title, charts, tables = expected[view]
        _idle(page)
        received[0] = 0
        page.evaluate(CLICK_CLOCK)
        sidebar.get_by_text(title, exact=True).click()
        rendered_at = _rendered(page, view, (title, charts, tables))
        clicked_at = page.evaluate("window.__clickedAt")
        session.switches[view] = Visit((rendered_at - clicked_at) / 1000, received[0])
        _no_exception(page, view)
    context.close()
    return session


def _screenshots(
    browser, url: str, expected: dict[str, tuple[str, int, int]], folder: Path
) -> None:  # type: ignore[no-untyped-def]
    """One untimed pass: each view rendered, then the page as tall as the view, photographed
    whole (Streamlit scrolls its main area, not the document)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    for view, (title, charts, tables) in expected.items():
        page.set_viewport_size(VIEWPORT)
        page.goto(f"{url}/?view={view}", wait_until="commit")
        _rendered(page, view, (title, charts, tables))
        height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size(
            {"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])}
        )
        _rendered(page, view, (title, charts, tables))
        page.wait_for_timeout(500)  # Plotly redraws at the new size
        page.screenshot(path=str(folder / f"{view}.png"))
    context.close()


STATE = """
() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMain"]');
    const count = (selector) => main ? main.querySelectorAll(selector).length : 0;
    return {
        script: app && app.getAttribute('data-test-script-state'),
        title: main && main.querySelector('h1') && main.querySelector('h1').textContent,
        stale: document.querySelectorAll('[data-stale="true"]').length,
        charts: count('[data-testid="stPlotlyChart"]'),
        drawn_charts: count('[data-testid="stPlotlyChart"] .main-svg'),
        tables: count('[data-testid="stDataFrame"]'),
    };
}
"""


def _rendered(page, view: str, expected: tuple[str, int, int]) -> float:  # type: ignore[no-untyped-def]
    """The page's clock (ms) when `view` is rendered; on a timeout, what the page shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        handle = page.wait_for_function(
            RENDERED, arg=list(expected), polling="raf", timeout=TIMEOUT_MS
        )
    except PlaywrightTimeout:
        raise SystemExit(
            f"error: {view} not rendered in {TIMEOUT_MS / 1000:.0f} s: expected"
            f" {expected}, the page: {page.evaluate(STATE)}"
        ) from None
    return float(handle.json_value())


def _idle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait as a reader would before the next click: no request for 500 ms (the Plotly bundle
    the app prefetches after the first page has arrived) and the page's main thread idle."""
    page.wait_for_load_state("networkidle")
    page.evaluate("() => new Promise((done) => requestIdleCallback(() => done()))")


def _no_exception(page, view: str) -> None:  # type: ignore[no-untyped-def]
    if page.get_by_test_id("stException").count():
        raise SystemExit(
            f"error: {view} raised in the browser: {page.get_by_test_id('stException').first.inner_text()}"
        )


def time_in_browser(
    env: dict[str, str],
    expected: dict[str, tuple[str, int, int]],
    repeat: int,
    screenshots: Path,
) -> dict[str, object]:
    """Per repeat: a new server, a cold session then a warm one. Medians per measurement."""
    from playwright.sync_api import sync_playwright

    screenshots.mkdir(parents=True, exist_ok=True)
    cold: list[Session] = []
    warm: list[Session] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(find_chromium()), headless=True, args=["--no-sandbox"]
        )
        for index in range(repeat):
            with Server(env) as server:
                cold.append(_browse(browser, server.url, expected))
                warm.append(_browse(browser, server.url, expected))
                if index == 0:
                    _screenshots(browser, server.url, expected, screenshots)
        floor = _floor(browser, env, repeat)
        version = browser.version
        browser.close()
    return {
        "floor_first_load": floor,
        "browser": f"Chromium {version} (headless, Playwright), viewport {VIEWPORT['width']}x{VIEWPORT['height']}",
        "screenshots": str(screenshots),
        "cold": _medians(cold),
        "warm": _medians(warm),
    }


FLOOR_APP = ROOT / "scripts" / "bench_dashboard_floor_app.py"


def _floor(browser, env: dict[str, str], repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Streamlit's own first load here (scripts/bench_dashboard_floor_app.py: the sidebar and a
    title, nothing of ours), timed as the app's is: a new context, until rendered."""
    times = []
    with Server(env, FLOOR_APP) as server:
        for _ in range(2 * repeat):
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.goto(server.url, wait_until="commit")
            times.append(_rendered(page, "floor", ("Overview", 0, 0)) / 1000)
            context.close()
    return {"seconds": statistics.median(times), "max_seconds": max(times)}


def _medians(sessions: list[Session]) -> dict[str, object]:
    def median(visits: list[Visit]) -> dict[str, float]:
        return {
            "seconds": statistics.median(visit.seconds for visit in visits),
            "max_seconds": max(visit.seconds for visit in visits),
            "ws_bytes": int(statistics.median(visit.ws_bytes for visit in visits)),
        }

    return {
        "first_load": median([session.first_load for session in sessions]),
        "switch": {
            view: median([session.switches[view] for session in sessions]) for view in SWITCH_ORDER
        },
    }
