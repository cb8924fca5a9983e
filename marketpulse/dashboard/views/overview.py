"""Overview: market snapshot, sector heatmap, KPI cards, freshness and quality badge."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from marketpulse.dashboard import data, ui
from marketpulse.dashboard.queries import overview as queries
from marketpulse.dashboard.queries import universe as universe_queries

TITLE = "Overview"
CAPTION = "Where the market stands on the last day of the selected range."


def render(context: ui.Context) -> None:
    target, as_of = context.target, context.end
    _kpis(context)
    universe = context.universe
    indices = universe.loc[universe["asset_class"] == "index", "symbol"].tolist()
    sectors = universe.loc[
        (universe["asset_class"] == "etf") & universe["sector"].notna(), ["symbol", "sector"]
    ]
    wanted = data.as_tuple([*indices, context.benchmark, *sectors["symbol"], *context.symbols])
    try:
        returns = queries.period_returns(target, wanted, as_of)
    except data.NoData as exc:
        ui.no_data(exc)
        return

    left, right = st.columns(2)
    with left:
        st.subheader("Market snapshot")
        snapshot = returns[returns["symbol"].isin([*indices, context.benchmark, *context.symbols])]
        snapshot = snapshot.merge(universe[["symbol", "name"]], on="symbol", how="left")
        order = {
            symbol: i for i, symbol in enumerate([*indices, context.benchmark, *context.symbols])
        }
        snapshot = snapshot.sort_values("symbol", key=lambda s: s.map(order))
        labels = {"symbol": "Symbol", "name": "Name", "last_close": "Last close"}
        labels |= {"change_1d": "1D", "change_1m": "1M", "change_ytd": "YTD"}
        shown = snapshot[list(labels)].rename(columns=labels)
        shown["Name"] = shown["Name"].fillna("")
        changes = ["1D", "1M", "YTD"]
        # Signed and coloured, "n/a" where the period reaches before the history: never a
        # "None" cell. The values stay numbers (the CSV download).
        styled = (
            shown.style.hide(axis="index")
            .format(ui.pct, subset=changes)
            .format("{:.2f}", subset=["Last close"], na_rep="n/a")
            .map(lambda value: ui.signed_colour(ui.pct(value)), subset=changes)
        )
        ui.static_table(styled, key="snapshot")
        st.caption(
            f"Closes as traded; changes are total return (adjusted closes) to {as_of};"
            " n/a: the period starts before the loaded history."
        )
    with right:
        heat = sectors.merge(returns, on="symbol").sort_values("change_1m", ascending=False)
        if heat.empty:
            ui.no_data(data.NoData("no sector ETF prices", "make ingest && make build"))
        else:
            _heatmap(heat, as_of)
    _movers_and_breadth(context)
    _badge(context)


def _heatmap(heat: pd.DataFrame, as_of: object) -> None:
    """The sector ETFs x periods as a table coloured like a heatmap (red - yellow - green,
    centred on 0): the first page draws no Plotly chart, so it needs no Plotly bundle (4.7 MB
    of JavaScript, most of a first load's time in the browser; docs/dashboard.md)."""
    st.markdown(f"**Sector heatmap: total return to {as_of}**")
    labels = {"sector": "Sector", "symbol": "ETF"}
    labels |= {column: label for label, column in queries.PERIODS}
    shown = heat[list(labels)].rename(columns=labels)
    columns = [label for label, _ in queries.PERIODS]
    scale = float(shown[columns].astype(float).abs().max().max()) or 1.0
    styled = (
        shown.style.hide(axis="index")
        .format(ui.pct, subset=columns)
        .map(lambda value: ui.heat_colour(value, scale), subset=columns)
    )
    ui.static_table(styled, key="sector_heatmap")


MOVERS = 5


def _movers_and_breadth(context: ui.Context) -> None:
    """What traders look at first: who moved most over the range, and how broad the market's
    last session was."""
    st.subheader(f"Top movers, {context.start} to {context.end}")
    try:
        moved = queries.movers(context.target, context.start, context.end)
    except data.NoData as exc:
        ui.no_data(exc)
    else:
        names = context.universe.set_index("symbol")["name"]
        moved = moved.assign(name=moved["symbol"].map(names).fillna(""))
        gainers, losers = st.columns(2)
        for column, title, rows, key in (
            (gainers, "Gainers", moved.head(MOVERS), "gainers"),
            (losers, "Losers", moved.tail(MOVERS).iloc[::-1], "losers"),
        ):
            with column:
                st.markdown(f"**{title}**")
                labels = {"symbol": "Symbol", "name": "Name", "period_return": "Total return"}
                shown = rows[list(labels)].rename(columns=labels)
                styled = (
                    shown.style.hide(axis="index")
                    .format(ui.pct, subset=["Total return"])
                    .map(lambda value: ui.signed_colour(ui.pct(value)), subset=["Total return"])
                )
                ui.static_table(styled, key=key)
    try:
        row = queries.breadth(context.target, context.end).iloc[0]
    except data.NoData as exc:
        ui.no_data(exc)
        return
    advancing, above = st.columns(2)
    with advancing:
        st.metric(
            f"Advancers / decliners on {row['as_of_date']}",
            f"{int(row['advancers'])} / {int(row['decliners'])}",
            help=f"Equities and ETFs up / down on the session ({int(row['unchanged'])} unchanged),"
            " adjusted close against the session before",
            border=True,
        )
    with above:
        total = int(row["with_sma_200"])
        share = ui.pct(row["above_sma_200"] / total).lstrip("+") if total else "n/a"
        st.metric(
            "Above their 200-session SMA",
            share,
            help=f"{int(row['above_sma_200'])} of the {total} equities and ETFs with 200 sessions"
            " of history close above their SMA 200",
            border=True,
        )


def _kpis(context: ui.Context) -> None:
    target, as_of = context.target, context.end
    vix, spread, cpi = st.columns(3)
    with vix:
        try:
            frame = queries.period_returns(target, ("^VIX",), as_of)
            row = frame.iloc[0]
            st.metric(
                "VIX",
                f"{row['last_close']:.2f}",
                delta=ui.pct(row["change_1m"]) + " 1M",
                delta_color="inverse",
                border=True,
                help=f"CBOE volatility index, close on {row['last_date']}",
            )
        except data.NoData as exc:
            ui.no_data(exc)
    with spread:
        try:
            row = queries.macro_latest(target, "T10Y2Y", as_of).iloc[0]
            change = None if pd.isna(row["value_1m_ago"]) else row["value"] - row["value_1m_ago"]
            st.metric(
                "10Y-2Y spread",
                f"{row['value']:.2f} pp",
                delta=None if change is None else f"{change:+.2f} pp 1M",
                border=True,
                help=f"FRED T10Y2Y for {row['observation_date']}, as known on {as_of};"
                " below 0 = inverted curve",
            )
        except data.NoData as exc:
            ui.no_data(exc)
    with cpi:
        try:
            frame = queries.cpi_yoy_latest(target, as_of)
            latest = frame.iloc[0]
            previous = frame.iloc[1] if len(frame) > 1 else None
            delta = None
            if previous is not None:
                delta = f"{(latest['cpi_yoy'] - previous['cpi_yoy']) * 100:+.2f} pp"
            st.metric(
                "CPI YoY",
                f"{latest['cpi_yoy'] * 100:.1f}%",
                delta=delta,
                delta_color="inverse",
                border=True,
                help=f"CPIAUCSL for {latest['cpi_observation_date']:%b %Y} over a year earlier,"
                f" as known at the {latest['month_end']} month end",
            )
        except data.NoData as exc:
            ui.no_data(exc)


def _badge(context: ui.Context) -> None:
    target = context.target
    fresh = universe_queries.freshness(target)
    st.subheader("Data freshness and quality")
    left, right = st.columns(2)
    with left:
        last = fresh["prices_as_of"]
        age = (datetime.now(UTC).date() - last).days if last else None
        color = "green" if age is not None and age <= 5 else "orange"
        st.badge(
            f"Prices to {last} ({age} days old)",
            icon=":material/schedule:",
            color=color,
        )
        if fresh["macro_as_of"]:
            st.badge(f"Macro to {fresh['macro_as_of']}", icon=":material/schedule:", color="blue")
    with right:
        try:
            quality = queries.quality_summary(target).iloc[0]
            grade_color = "green" if quality["below_threshold"] == 0 else "orange"
            st.badge(
                f"Quality {quality['mean_score']:.2f} mean, {quality['min_score']:.2f} min"
                f" over {quality['entities']} series ({quality['below_threshold']} below 0.7)",
                icon=":material/verified:",
                color=grade_color,
            )
        except data.NoData as exc:
            ui.no_data(exc)
