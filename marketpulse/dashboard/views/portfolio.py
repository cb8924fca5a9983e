"""Portfolio: holdings and drift, performance vs the benchmark, risk, and the efficient frontier."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from marketpulse.dashboard import data, ui
from marketpulse.dashboard.queries import portfolio as queries
from marketpulse.dashboard.queries import volatility_risk

TITLE = "Portfolio"
CAPTION = "An imported portfolio on the last day of the selected range: what it holds, how it did, how risky it is."
DRIFT_ALERT = 0.05  # weight more than 5 percentage points off its target: highlighted
METHODS = {  # how each point of an optimization run is drawn on the frontier chart
    "max_sharpe": ("Max Sharpe", "star", "#1a9850"),
    "min_volatility": ("Min volatility", "diamond", "#9467bd"),
    "current": ("Current portfolio", "circle", "#d73027"),
}


def render(context: ui.Context) -> None:
    target = context.target
    try:
        portfolios = queries.portfolios(target)
    except data.NoData as exc:
        ui.no_data(exc)
        return
    portfolio = _choose_portfolio(portfolios)
    portfolio_id = str(portfolio["portfolio_id"])
    benchmark = str(portfolio["benchmark_symbol"])

    weighting = "quantities" if portfolio["weighting"] == "quantity" else "target weights only"
    st.caption(
        f"**{portfolio['portfolio_name']}** (`{portfolio_id}`) · {portfolio['base_currency']}"
        f" · {portfolio['holding_count']} holdings in the snapshot of"
        f" {portfolio['latest_as_of_date']} · {weighting} · since {portfolio['inception_date']}"
        f" · benchmark {benchmark}"
        + (
            f" (the mart's; the sidebar's {context.benchmark} does not apply)"
            if context.benchmark != benchmark
            else ""
        )
    )

    inception = pd.Timestamp(portfolio["inception_date"]).date()
    if context.end < inception:
        # One notice, not one per panel (and never a reversed range).
        st.info(
            f"{portfolio['portfolio_name']} starts on {inception}; the chosen range ends on"
            f" {context.end}. Pick a range that ends on or after {inception}.",
            icon=":material/event_busy:",
        )
        return

    window = _headline(context, portfolio_id, benchmark, str(portfolio["base_currency"]))

    left, right = st.columns([7, 4])
    with left:
        try:
            holdings = queries.portfolio_holdings(target, portfolio_id, context.end)
            _holdings_table(holdings, str(portfolio["base_currency"]))
        except data.NoData as exc:
            holdings = None
            ui.no_data(exc)
    with right:
        if holdings is not None:
            _allocation(holdings)

    _performance(context, portfolio, benchmark)

    st.subheader("Risk by window")
    try:
        _risk_table(queries.portfolio_risk(target, portfolio_id), window)
    except data.NoData as exc:
        ui.no_data(exc)

    _frontier(context, portfolio_id)


def _choose_portfolio(portfolios: pd.DataFrame) -> pd.Series:
    """The picker, mirrored in the URL (?view=portfolio&portfolio=<id>) so links work."""
    ids = portfolios["portfolio_id"].astype(str).tolist()
    names = dict(zip(ids, portfolios["portfolio_name"].astype(str), strict=True))
    if st.session_state.get("portfolio") not in ids:
        wanted = st.query_params.get("portfolio", ids[0])
        st.session_state["portfolio"] = wanted if wanted in ids else ids[0]
    chosen = st.selectbox(
        "Portfolio", ids, format_func=lambda i: f"{names[i]} ({i})", key="portfolio"
    )
    st.query_params["portfolio"] = chosen
    return portfolios.loc[portfolios["portfolio_id"].astype(str) == chosen].iloc[0]


def _headline(context: ui.Context, portfolio_id: str, benchmark: str, currency: str) -> str:
    """Market value, total and active return since inception, and the window's risk."""
    target = context.target
    value, total, active = st.columns(3)
    try:
        latest = queries.portfolio_latest_performance(target, portfolio_id, context.end)
        today = latest.iloc[0]
        change = None
        if len(latest) > 1 and pd.notna(today["daily_return"]):
            change = ui.pct(today["daily_return"], 2) + f" on {today['trading_date']}"
        value.metric(
            f"Market value ({currency})",
            f"{today['market_value']:,.0f}",
            delta=change,
            border=True,
            help=f"Sum of quantity x close on {today['trading_date']}",
        )
        total.metric(
            "Total return",
            ui.pct(today["cumulative_return"]),
            border=True,
            help="Since inception, dividends reinvested (fct_portfolio_performance_daily)",
        )
        gap = float(today["cumulative_return"]) - float(today["benchmark_cumulative_return"])
        active.metric(
            f"vs {benchmark}",
            "n/a" if pd.isna(gap) else f"{gap * 100:+.1f} pp",
            delta=f"{benchmark} {ui.pct(today['benchmark_cumulative_return'])}",
            delta_color="off",
            border=True,
            help=f"Total return minus {benchmark}'s over the same sessions",
        )
    except data.NoData as exc:
        with value:
            ui.no_data(exc)
    window = (
        st.segmented_control(
            "Risk window",
            queries.PORTFOLIO_RISK_WINDOWS,
            default="1y",
            key="portfolio_window",
            help="The window of the Sharpe ratio, volatility and maximum drawdown cards.",
        )
        or "1y"
    )
    sharpe, volatility, drawdown = st.columns(3)
    try:
        risk = queries.portfolio_risk(target, portfolio_id)
        found = risk.loc[risk["window_name"] == window]
        if found.empty:  # the mart has no row for a window longer than the history
            row = pd.Series(
                {c: None for c in ("sharpe_ratio", "annual_volatility", "max_drawdown")}
            )
            observed = f"the portfolio's history is shorter than the {window} window"
        else:
            row = found.iloc[0]
            observed = f"{window} window, {row['n_observations']} sessions to {row['as_of_date']}"
        sharpe.metric(f"Sharpe ({window})", _ratio(row["sharpe_ratio"]), border=True, help=observed)
        volatility.metric(
            f"Volatility ({window})",
            _plain_pct(row["annual_volatility"]),
            border=True,
            help=f"Annualised; {observed}",
        )
        drawdown.metric(
            f"Max drawdown ({window})",
            _plain_pct(row["max_drawdown"]),
            border=True,
            help=observed,
        )
    except data.NoData as exc:
        with sharpe:
            ui.no_data(exc)
    return window


def _holdings_table(holdings: pd.DataFrame, currency: str) -> None:
    day = holdings["trading_date"].iloc[0]
    st.subheader(f"Holdings on {day}")
    table = holdings[
        [
            "symbol",
            "quantity",
            "close",
            "market_value",
            "weight",
            "target_weight",
            "weight_drift",
            "unrealized_pnl",
        ]
    ].reset_index(drop=True)
    # a column the portfolio does not carry (no cost basis, no targets) is left out, not "None"
    empty = [
        c for c in ("target_weight", "weight_drift", "unrealized_pnl") if table[c].isna().all()
    ]
    table = table.drop(columns=empty)
    number = {"quantity": _quantity, "close": "{:,.2f}", "market_value": "{:,.0f}"}
    percent = {"weight": "{:.1%}", "target_weight": "{:.1%}", "weight_drift": "{:+.1%}"}
    formats = {**number, **percent, "unrealized_pnl": "{:+,.0f}"}
    styled = table.style.format({c: f for c, f in formats.items() if c in table}, na_rep="")
    if "weight_drift" in table:
        styled = styled.map(_drift_colour, subset=["weight_drift"])
    ui.table(
        styled,
        hide_index=True,
        column_config={
            "symbol": "Symbol",
            "quantity": "Quantity",
            "close": f"Price ({currency})",
            "market_value": f"Market value ({currency})",
            "weight": "Weight",
            "target_weight": "Target",
            "weight_drift": "Drift",
            "unrealized_pnl": "Unrealized P&L",
        },
        key="holdings_table",
    )
    snapshot = holdings["snapshot_as_of_date"].iloc[0]
    st.caption(
        f"Snapshot of {snapshot}, closes of {day}. Drift = weight - target; beyond"
        f" ±{DRIFT_ALERT:.0%} it is highlighted."
    )


def _quantity(value: float) -> str:
    """Whole shares as integers; a weights-only portfolio's bought fractions to 2 decimals."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _drift_colour(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    drift = float(value)  # type: ignore[arg-type]
    if abs(drift) <= DRIFT_ALERT:
        return ""
    return "background-color: rgba(242,142,43,0.28); font-weight: 600"  # off target, either way


def _allocation(holdings: pd.DataFrame) -> None:
    ordered = holdings.sort_values("weight")
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            y=ordered["symbol"],
            x=ordered["weight"].astype(float),
            orientation="h",
            name="Weight",
            marker_color=ui.PRIMARY,
            text=[ui.pct(w).lstrip("+") for w in ordered["weight"]],
            textposition="outside",
            cliponaxis=False,
        )
    )
    if ordered["target_weight"].notna().any():
        figure.add_trace(
            go.Scatter(
                y=ordered["symbol"],
                x=ordered["target_weight"].astype(float),
                mode="markers",
                name="Target",
                marker={"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": "#1b2533"}},
            )
        )
    widest = float(max(ordered["weight"].max(), ordered["target_weight"].max(skipna=True) or 0))
    figure.update_xaxes(tickformat=".0%", range=[0, widest * 1.2])  # room for the labels
    figure.update_layout(hovermode="y unified", bargap=0.35)
    day = holdings["trading_date"].iloc[0]
    ui.chart(figure, f"Allocation on {day}: weight vs target", height=360)


def _performance(context: ui.Context, portfolio: pd.Series, benchmark: str) -> None:
    portfolio_id = str(portfolio["portfolio_id"])
    start = pd.Timestamp(portfolio["inception_date"]).date()
    end = context.end
    try:
        performance = queries.portfolio_performance(context.target, portfolio_id, start, end)
    except data.NoData as exc:
        ui.no_data(exc)
        return
    points = " (weekly points)" if data.weekly_grain(start, end) else ""
    day = performance["trading_date"]
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06, row_heights=[0.68, 0.32]
    )
    figure.add_trace(
        go.Scatter(
            x=day,
            y=performance["cumulative_return"].astype(float),
            name="Portfolio",
            line={"color": ui.PRIMARY, "width": 2.4},
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=day,
            y=performance["benchmark_cumulative_return"].astype(float),
            name=benchmark,
            line={"color": "#1b2533", "dash": "dash", "width": 2},
        ),
        row=1,
        col=1,
    )
    active = performance["active_cumulative_return"].astype(float)
    figure.add_trace(
        go.Scatter(
            x=day,
            y=active.clip(lower=0),
            name=f"Ahead of {benchmark}",
            line={"color": ui.UP, "width": 0.5},
            fill="tozeroy",
            fillcolor="rgba(26,152,80,0.25)",
        ),
        row=2,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=day,
            y=active.clip(upper=0),
            name=f"Behind {benchmark}",
            line={"color": ui.DOWN, "width": 0.5},
            fill="tozeroy",
            fillcolor="rgba(215,48,39,0.25)",
        ),
        row=2,
        col=1,
    )
    figure.update_yaxes(tickformat=".0%", row=1, col=1, title_text="Cumulative return")
    figure.update_yaxes(tickformat=".0%", row=2, col=1, title_text="Active")
    ui.chart(
        figure,
        f"Cumulative return vs {benchmark} since {start}, and active return"
        f" (portfolio minus {benchmark}){points}",
        height=520,
    )
    st.caption(
        "Total return (dividends reinvested) from the first session on or after the inception"
        f" date to {end}; the sidebar's start date does not apply."
    )


def _risk_table(risk: pd.DataFrame, window: str) -> None:
    columns = ["window_name", "n_observations", *volatility_risk.RISK_COLUMNS]
    ui.table(
        risk[columns],
        hide_index=True,
        column_config={
            "window_name": "Window",
            "n_observations": st.column_config.NumberColumn("Sessions", format="%d"),
            "annual_return": st.column_config.NumberColumn("Annual return", format="percent"),
            "annual_volatility": st.column_config.NumberColumn("Volatility", format="percent"),
            "sharpe_ratio": st.column_config.NumberColumn("Sharpe", format="%.2f"),
            "sortino_ratio": st.column_config.NumberColumn("Sortino", format="%.2f"),
            "max_drawdown": st.column_config.NumberColumn("Max drawdown", format="percent"),
            "calmar_ratio": st.column_config.NumberColumn("Calmar", format="%.2f"),
            "var_95": st.column_config.NumberColumn("VaR 95%", format="percent"),
            "cvar_95": st.column_config.NumberColumn("CVaR 95%", format="percent"),
            "beta": st.column_config.NumberColumn("Beta", format="%.2f"),
            "correlation": st.column_config.NumberColumn("Correlation", format="%.2f"),
            "risk_free_coverage": st.column_config.NumberColumn(
                "Risk-free coverage", format="percent"
            ),
        },
        key="portfolio_risk_table",
    )
    note = volatility_risk.sharpe_note(risk, "window_name")
    if note:
        st.caption(note)
    row = risk.iloc[0]
    st.caption(
        f"As of {row['as_of_date']} against {row['benchmark_symbol']}; the cards above show the"
        f" {window} window. Same definitions as the symbols' risk metrics (empyrical)."
    )


def _frontier(context: ui.Context, portfolio_id: str) -> None:
    st.subheader("Efficient frontier")
    try:
        run = queries.optimization_run(context.target, portfolio_id)
    except data.NoData as exc:
        if data.has(context.target, "fct_optimization_results"):
            st.info(
                f"No optimization run yet: `make optimize PORTFOLIO={portfolio_id}`",
                icon=":material/hourglass_empty:",
            )
        else:
            ui.no_data(exc)
        return
    left, right = st.columns([3, 2])
    with left:
        _frontier_chart(run)
    first = run.iloc[0]
    with right:
        try:
            weights = queries.optimization_weights(context.target, str(first["run_id"]))
            ui.table(
                weights.style.format(
                    {c: "{:.1%}" for c in weights.columns if c != "symbol"}, na_rep=""
                ),
                hide_index=True,
                column_config={
                    "symbol": "Symbol",
                    "current_weight": "Current",
                    "max_sharpe_weight": "Max Sharpe",
                    "min_volatility_weight": "Min volatility",
                },
                key="optimization_weights",
            )
        except data.NoData as exc:
            ui.no_data(exc)
        bounds = "long only" if bool(first["is_long_only"]) else "shorts allowed"
        capped = pd.notna(first["max_weight"]) and float(first["max_weight"]) < 1
        cap = f", at most {first['max_weight']:.0%} each" if capped else ""
        st.caption(
            f"Latest run `{first['run_id']}`, {pd.Timestamp(first['created_at']):%Y-%m-%d %H:%M}"
            f" UTC: mean-variance on {first['n_observations']} daily returns,"
            f" {first['lookback_start_date']} to {first['lookback_end_date']}; {bounds}{cap};"
            f" risk-free rate {first['risk_free_rate']:.2%}."
        )


def _frontier_chart(run: pd.DataFrame) -> None:
    frontier = run[run["method"] == "frontier"].sort_values("point_index")
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=frontier["volatility"].astype(float),
            y=frontier["expected_return"].astype(float),
            mode="lines+markers",
            name="Efficient frontier",
            line={"color": ui.PRIMARY, "width": 2},
            marker={"size": 5},
            customdata=frontier["sharpe_ratio"].astype(float),
            hovertemplate="vol %{x:.1%}, return %{y:.1%}, Sharpe %{customdata:.2f}<extra></extra>",
        )
    )
    for method, (label, symbol, colour) in METHODS.items():
        point = run[run["method"] == method]
        if point.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=point["volatility"].astype(float),
                y=point["expected_return"].astype(float),
                mode="markers",
                name=label,
                marker={
                    "symbol": symbol,
                    "size": 16,
                    "color": colour,
                    "line": {"width": 1, "color": "white"},
                },
                customdata=point["sharpe_ratio"].astype(float),
                hovertemplate=f"{label}: vol %{{x:.1%}}, return %{{y:.1%}},"
                " Sharpe %{customdata:.2f}<extra></extra>",
            )
        )
    figure.update_xaxes(tickformat=".0%", title_text="Volatility (annualised)")
    figure.update_yaxes(tickformat=".0%", title_text="Expected return (annualised)")
    figure.update_layout(
        hovermode="closest",
        legend={
            "orientation": "v",
            "x": 0.99,
            "xanchor": "right",
            "y": 0.02,
            "yanchor": "bottom",
            "bgcolor": "rgba(255,255,255,0.85)",
        },
    )
    ui.chart(figure, "Efficient frontier with the current portfolio", height=440)


def _ratio(value: object) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):.2f}"  # type: ignore[arg-type]


def _plain_pct(value: object) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):.1%}"  # type: ignore[arg-type]
