"""Sector Rotation: performance comparison, momentum ranks over time, relative rotation graph."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from marketpulse.dashboard import data, ui
from marketpulse.dashboard.queries import sector_rotation as queries

TITLE = "Sector Rotation"
CAPTION = "The 11 SPDR sector ETFs against the benchmark: who leads, who lags, who is turning."
TAIL_WEEKS = 5
RANK_SESSIONS = 63  # fct_sector_rotation's 3-month return window
QUADRANTS = (
    ("Leading", 1, 1, "rgba(26,152,80,0.08)"),
    ("Weakening", 1, -1, "rgba(242,142,43,0.10)"),
    ("Lagging", -1, -1, "rgba(215,48,39,0.08)"),
    ("Improving", -1, 1, "rgba(31,111,235,0.08)"),
)


def render(context: ui.Context) -> None:
    target = context.target
    try:
        sectors = queries.sector_etfs(target)
    except data.NoData as exc:
        ui.no_data(exc)
        return
    labels = dict(zip(sectors["symbol"], sectors["sector"], strict=True))

    try:
        performance = queries.weekly_performance(
            target,
            data.as_tuple([*sectors["symbol"], context.benchmark]),
            context.start,
            context.end,
        )
        performance = performance.assign(
            label=performance["symbol"].map(lambda s: labels.get(s, s)),
            cumulative_return=performance["cumulative_return"].astype(float),
        )
        figure = go.Figure()
        for index, (label, group) in enumerate(performance.groupby("label", sort=False)):
            is_benchmark = label == context.benchmark
            figure.add_trace(
                go.Scatter(
                    x=group["trading_date"],
                    y=group["cumulative_return"],
                    name=str(label),
                    mode="lines",
                    line={"dash": "dash", "width": 3, "color": "#1b2533"}
                    if is_benchmark
                    else {"color": ui.sector_colour(str(label), index)},
                )
            )
        figure.update_yaxes(tickformat=".0%")
        ui.chart(figure, f"Sector performance vs {context.benchmark} (weekly, total return)")
    except data.NoData as exc:
        ui.no_data(exc)

    try:
        rotation = queries.rotation(target, context.start, context.end)
    except data.NoData as exc:
        ui.no_data(exc)
        return
    rotation = rotation.assign(label=rotation["symbol"].map(lambda s: labels.get(s, s)))
    benchmark = str(rotation["benchmark_symbol"].iloc[-1])
    left, right = st.columns(2)
    with left:
        _rrg(rotation, benchmark, context)
    with right:
        _ranks(rotation)
    if benchmark != context.benchmark:
        st.caption(
            f"Relative strength is measured against {benchmark}, the benchmark the rotation mart"
            " is built on (dbt var `benchmark_symbol`), whichever benchmark the sidebar picks."
        )


def _ranks(rotation) -> None:  # type: ignore[no-untyped-def]
    ranked = rotation.dropna(subset=["momentum_rank"])
    if ranked.empty:
        # Early in the history every rank is still warming up: say so instead of an empty chart.
        ui.warming_up(
            f"No momentum ranks in this range yet: a rank needs {RANK_SESSIONS} sessions"
            " (3 months) of history before the week it ranks. Pick a range ending later."
        )
        return
    ranks = ranked.pivot_table(
        index="label", columns="trading_date", values="momentum_rank", aggfunc="first"
    )
    ranks = ranks.loc[ranks.iloc[:, -1].sort_values(na_position="last").index]
    figure = go.Figure(
        go.Heatmap(
            z=ranks.to_numpy(),
            x=list(ranks.columns),
            y=list(ranks.index),
            colorscale="RdYlGn_r",
            colorbar={"title": "rank"},
            hovertemplate="%{y}<br>%{x}: rank %{z}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(hovermode="closest")
    ui.chart(figure, "Momentum rank over time (1 = strongest 3-month return)", height=460)


def _rrg(rotation, benchmark: str, context: ui.Context) -> None:  # type: ignore[no-untyped-def]
    last_dates = sorted(rotation["trading_date"].unique())[-TAIL_WEEKS:]
    tails = rotation[rotation["trading_date"].isin(last_dates)].dropna(
        subset=["rs_ratio", "rs_momentum"]
    )
    if tails.empty:
        ui.warming_up(
            "Not enough history in this range for a relative rotation graph: the RS ratio"
            " needs 50 sessions and its momentum 50 more before the weeks they plot."
        )
        return
    x = tails["rs_ratio"].astype(float)
    y = tails["rs_momentum"].astype(float)
    span_x = max(abs(x - 100).max() * 1.15, 1.0)
    span_y = max(abs(y - 100).max() * 1.15, 1.0)
    figure = go.Figure()
    for name, sx, sy, color in QUADRANTS:
        x0, x1 = (100, 100 + sx * span_x) if sx > 0 else (100 + sx * span_x, 100)
        y0, y1 = (100, 100 + sy * span_y) if sy > 0 else (100 + sy * span_y, 100)
        figure.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, fillcolor=color, line_width=0)
        figure.add_annotation(
            x=100 + sx * span_x * 0.95,
            y=100 + sy * span_y * 0.95,
            text=name,
            showarrow=False,
            xanchor="right" if sx > 0 else "left",
            font={"color": ui.MUTED, "size": 13},
        )
    for index, (label, group) in enumerate(tails.groupby("label", sort=True)):
        group = group.sort_values("trading_date")
        color = ui.sector_colour(str(label), index)
        figure.add_trace(
            go.Scatter(
                x=group["rs_ratio"],
                y=group["rs_momentum"],
                mode="lines+markers+text",
                name=label,
                # The sector's name beside its latest point, so the chart reads without the legend.
                text=[""] * (len(group) - 1) + [str(label)],
                textposition="top center",
                textfont={"color": color, "size": 11},
                line={"color": color, "width": 1.5},
                marker={"size": [5] * (len(group) - 1) + [12], "color": color},
                customdata=group[["trading_date", "quadrant"]].astype(str).to_numpy(),
                hovertemplate=label
                + " %{customdata[0]}<br>RS ratio %{x:.2f}<br>RS momentum %{y:.2f}"
                + "<br>%{customdata[1]}<extra></extra>",
            )
        )
    figure.update_xaxes(title="RS ratio", range=[100 - span_x, 100 + span_x])
    figure.update_yaxes(title="RS momentum", range=[100 - span_y, 100 + span_y])
    # The legend below the plot, clear of the axis titles.
    figure.update_layout(
        hovermode="closest",
        showlegend=True,
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
    )
    ui.chart(
        figure,
        f"Relative rotation graph vs {benchmark} (last {TAIL_WEEKS} weeks to {context.end})",
        height=460,
    )
