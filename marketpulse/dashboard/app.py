"""marketpulse dashboard: seven views over the `marts` schema. Start it with `make dashboard`."""

from __future__ import annotations

import time
from datetime import date, timedelta

import streamlit as st

from marketpulse.dashboard import data, ui
from marketpulse.dashboard.queries import overview as overview_queries
from marketpulse.dashboard.queries import universe as universe_queries
from marketpulse.dashboard.views import (
    forecasts_backtests,
    macro_lens,
    overview,
    portfolio,
    sector_rotation,
    trends_sentiment,
    volatility_risk,
)

VIEWS = {
    "overview": overview,
    "sector-rotation": sector_rotation,
    "macro-lens": macro_lens,
    "trends-sentiment": trends_sentiment,
    "volatility-risk": volatility_risk,
    "portfolio": portfolio,
    "forecasts-backtests": forecasts_backtests,
}
DEFAULT_SYMBOLS = ("SPY", "AAPL", "MSFT")

st.set_page_config(
    page_title="marketpulse",
    page_icon=":material/monitoring:",
    layout="wide",
    initial_sidebar_state="expanded",
)


def _choose_view() -> str:
    """The sidebar's view picker, mirrored in the URL (?view=macro-lens) so links work."""
    slugs = list(VIEWS)
    wanted = st.query_params.get("view", "overview")
    if "view" not in st.session_state:
        st.session_state["view"] = wanted if wanted in VIEWS else "overview"
    slug = st.sidebar.radio(
        "View",
        slugs,
        format_func=lambda s: VIEWS[s].TITLE,
        key="view",
    )
    st.query_params["view"] = slug
    return slug


def _auto_refresh(minutes: float) -> None:
    """Rerun the whole app every `minutes` (the caches expire at the same interval)."""
    st.session_state["_last_full_run"] = time.monotonic()

    @st.fragment(run_every=timedelta(minutes=minutes))
    def tick() -> None:
        last = st.session_state.get("_last_full_run", 0.0)
        if time.monotonic() - last >= minutes * 60 * 0.95:
            universe_queries.freshness.clear()
            st.rerun(scope="app")

    tick()


def _sidebar(target: data.Target) -> ui.Context:
    universe = universe_queries.symbols(target)
    first, last = universe_queries.data_range(target)
    names = universe["symbol"].tolist()

    defaults = [s for s in DEFAULT_SYMBOLS if s in names] or names[:3]
    default_start = max(first, last - timedelta(days=365))
    _from_url(names, first, last, default_start)
    # A widget whose key a link has set takes no default (Streamlit warns on both).
    chosen = st.sidebar.multiselect(
        "Symbols",
        names,
        default=None if "symbols" in st.session_state else defaults,
        key="symbols",
        help="The first one gets the price and indicator charts.",
    )
    picked = st.sidebar.date_input(
        "Date range",
        value=st.session_state.get("_url_range", (default_start, last)),
        min_value=first,
        max_value=last,
        key="date_range",
    )
    start, end = _range(picked, default_start, last)
    benchmarks = universe.loc[universe["is_benchmark"].astype(bool), "symbol"].tolist()
    options = benchmarks + [s for s in names if s not in benchmarks]
    # Always a benchmark: the state is seeded before the widget exists (a link's choice, the
    # user's, else the first benchmark), never an empty box. With index=None once the key was
    # in the state, a run could come up with no benchmark: seen in CI as Trends & Sentiment's
    # "no None prices" under load.
    if options and st.session_state.get("benchmark") not in options:
        st.session_state["benchmark"] = options[0]
    benchmark = st.sidebar.selectbox("Benchmark", options, key="benchmark")
    # Mirrored in the URL, as the view is: a link or a reload shows the same page.
    st.query_params["symbols"] = ",".join(chosen)
    st.query_params["start"], st.query_params["end"] = str(start), str(end)
    st.query_params["benchmark"] = benchmark
    return ui.Context(
        target=target,
        symbols=data.as_tuple(chosen or defaults),
        start=start,
        end=end,
        benchmark=benchmark,
        universe=universe,
    )


def _from_url(names: list[str], first: date, last: date, default_start: date) -> None:
    """Seed the sidebar from a shared link (?symbols=XOM,SPY&start=...&end=...&benchmark=SPY)
    once per session; what the link names that the warehouse does not hold is left out."""
    if st.session_state.get("_seeded_from_url"):
        return
    st.session_state["_seeded_from_url"] = True
    params = st.query_params
    if "symbols" in params:
        st.session_state["symbols"] = [s for s in params["symbols"].split(",") if s in names]
    if "start" in params or "end" in params:
        start = _url_date(params.get("start"), default_start, first, last)
        end = _url_date(params.get("end"), last, first, last)
        st.session_state["_url_range"] = (start, end) if start <= end else (end, start)
    if params.get("benchmark") in names:
        st.session_state["benchmark"] = params["benchmark"]


def _url_date(text: str | None, default: date, first: date, last: date) -> date:
    try:
        day = date.fromisoformat(text) if text else default
    except ValueError:
        day = default
    return min(max(day, first), last)


def _range(picked: object, default_start: date, last: date) -> tuple[date, date]:
    if isinstance(picked, tuple | list):
        if len(picked) == 2:
            return picked[0], picked[1]
        if len(picked) == 1:
            return picked[0], last
    if isinstance(picked, date):
        return picked, last
    return default_start, last


def _as_of_line(target: data.Target) -> None:
    fresh = universe_queries.freshness(target)
    checked = fresh["checked_at"].strftime("%Y-%m-%d %H:%M UTC")
    macro = f" · macro to {fresh['macro_as_of']}" if fresh["macro_as_of"] else ""
    st.caption(
        f"**Data as of {fresh['prices_as_of']}** (latest trading day in the marts){macro}"
        f" · checked {checked} · auto-refresh every {data.refresh_minutes():g} min"
    )


def _sample_banner(target: data.Target) -> None:
    """On every view: the bundled offline sample is not market data to act on."""
    facts = universe_queries.sample_origin(target)
    if facts is None:
        return
    parts = []
    if facts["simulated"]:
        parts.append(f"{facts['simulated']} of its {facts['symbols']} symbols are simulated prices")
    if facts["sample_runs"]:
        parts.append("the latest load is the recorded sample, a history that ends in the past")
    st.warning(
        "**Offline sample, not live market data.** This warehouse holds the bundled sample"
        f" (`make demo`): {'; '.join(parts)}. `make ingest && make build` loads live data.",
        icon=":material/science:",
    )


def _stale_warning(target: data.Target) -> None:
    """On every view: what the latest ingest run could not refresh (a partial run builds what
    loaded, docs/decisions/0029-partial-runs-build-what-loaded.md)."""
    try:
        stale = overview_queries.stale_items(target)
    except data.NoData:
        return  # no run audit in this warehouse yet
    if len(stale):
        shown = ", ".join(f"{row.source_name} {row.item_id}" for row in stale.head(12).itertuples())
        more = f" and {len(stale) - 12} more" if len(stale) > 12 else ""
        st.warning(
            f"Stale: not refreshed by the latest ingest run: {shown}{more}. "
            "`make health` says why.",
            icon=":material/sync_problem:",
        )


def main() -> None:
    st.sidebar.title(":material/monitoring: marketpulse")
    slug = _choose_view()
    view = VIEWS[slug]
    target = data.Target.from_env()
    st.sidebar.caption(f"Warehouse: {target.location}")

    st.title(view.TITLE)
    st.caption(view.CAPTION)
    if st.sidebar.button("Refresh now", icon=":material/refresh:"):
        st.cache_data.clear()
    with data.render_session():
        try:
            context = _sidebar(target)
        except data.NoData as exc:
            ui.no_data(exc)
            return
        except data.WarehouseError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        _auto_refresh(data.refresh_minutes())
        _as_of_line(target)
        _sample_banner(target)
        _stale_warning(target)
        view.render(context)
        ui.prefetch_bundles()


main()
