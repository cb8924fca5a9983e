"""Trends & Sentiment: search interest vs price, daily news sentiment, divergence flags."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from marketpulse.dashboard import data, ui
from marketpulse.dashboard.queries import trends_sentiment as queries

TITLE = "Trends & Sentiment"
CAPTION = "What people search for and what the headlines say, beside what prices do."


def render(context: ui.Context) -> None:
    target = context.target
    try:
        interest = queries.trends(target, context.start, context.end)
        closes = queries.daily_closes(target, context.benchmark, context.start, context.end)
        if data.weekly_grain(context.start, context.end):  # as the search interest: weekly
            closes = data.week_ends(closes, "trading_date")
        figure = make_subplots(specs=[[{"secondary_y": True}]])
        for keyword, group in interest.groupby("keyword", sort=True):
            figure.add_trace(
                go.Scatter(
                    x=group["observed_date"],
                    y=group["interest_score"].astype(float),
                    name=str(keyword),
                ),
                secondary_y=False,
            )
        figure.add_trace(
            go.Scatter(
                x=closes["trading_date"],
                y=closes["adj_close"].astype(float),
                name=context.benchmark,
                line={"color": "#1b2533", "width": 2.5, "dash": "dot"},
            ),
            secondary_y=True,
        )
        figure.update_yaxes(title_text="search interest (0-100)", secondary_y=False)
        figure.update_yaxes(
            title_text=context.benchmark, secondary_y=True, showgrid=False, tickformat=",.0f"
        )
        ui.chart(figure, f"Search interest (weekly) vs {context.benchmark}")
    except data.NoData as exc:
        st.subheader("Search interest vs price")
        ui.no_data(exc)

    has_sentiment = False
    try:
        sentiment = queries.sentiment_daily(target, context.symbols, context.start, context.end)
        has_sentiment = True
        figure = go.Figure()
        for symbol, group in sentiment.groupby("symbol", sort=True):
            figure.add_trace(
                go.Bar(
                    x=group["sentiment_date"],
                    y=group["mean_compound"].astype(float),
                    name=str(symbol),
                    customdata=group["article_count"],
                    hovertemplate="%{x}: %{y:.2f} (%{customdata} articles)",
                )
            )
        figure.add_hline(y=0, line={"color": ui.MUTED})
        figure.update_yaxes(title_text="mean VADER compound", range=[-1, 1])
        ui.chart(figure, "Daily news sentiment per symbol")
    except data.NoData as exc:
        st.subheader("Daily news sentiment")
        ui.no_data(exc)

    if has_sentiment:
        _headlines(context)

    st.subheader("Divergence flags")
    if not has_sentiment:
        # No sentiment, so nothing to diverge: never a green "no divergence".
        st.info(
            "No divergence flags: they compare 5-day sentiment with 5-day return, and there is"
            " no sentiment for these symbols in this range.",
            icon=":material/hourglass_empty:",
        )
        return
    try:
        flags = queries.sentiment_divergence(target, context.symbols, context.start, context.end)
        if flags.empty:
            st.success("No divergence between 5-day sentiment and 5-day return in this range.")
        else:
            ui.table(
                flags,
                hide_index=True,
                column_config={
                    "sentiment_5d": st.column_config.NumberColumn("5-day sentiment", format="%.2f"),
                    "return_5d": st.column_config.NumberColumn("5-day return", format="percent"),
                },
                key="divergence",
            )
    except data.NoData as exc:
        ui.no_data(exc)


def _headlines(context: ui.Context) -> None:
    """The headlines behind the bars: what the sentiment is made of."""
    try:
        frame = queries.headlines(context.target, context.symbols, context.start, context.end)
    except data.NoData as exc:
        ui.no_data(exc)
        return
    with st.expander(f"Headlines behind the bars ({len(frame)}, newest first)", expanded=False):
        ui.table(
            frame,
            key="headlines",
            hide_index=True,
            column_config={
                "published_date": st.column_config.DateColumn("Date (UTC)"),
                "symbol": "Symbol",
                "publisher": "Publisher",
                "title": st.column_config.TextColumn("Headline", width="large"),
                "url": st.column_config.LinkColumn("Link", display_text="open"),
                "vader_compound": st.column_config.NumberColumn("VADER", format="%.2f"),
                "finance_compound": st.column_config.NumberColumn(
                    "VADER + finance lexicon", format="%.2f"
                ),
            },
        )
