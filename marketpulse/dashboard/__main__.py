"""`python -m marketpulse.dashboard [streamlit options]`: start the app (what `make dashboard` runs)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from streamlit.web import cli as streamlit_cli

APP = Path(__file__).resolve().parent / "app.py"


def preload() -> None:
    """Import the app's modules (pandas, Plotly, every view) and run once what each imports
    lazily on first use (Plotly's trace and layout validators, pandas' Styler templates)
    before the server listens. Streamlit would otherwise do it in the first session's script
    runs: seconds of the first load and of the first switch to a view with charts after a
    start (docs/decisions/0037-dashboard-first-paint.md)."""
    import pandas as pd
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from marketpulse.dashboard import data, ui  # noqa: F401
    from marketpulse.dashboard.views import (  # noqa: F401
        macro_lens,
        overview,
        portfolio,
        sector_rotation,
        trends_sentiment,
        volatility_risk,
    )

    figure = make_subplots(rows=2, cols=1, specs=[[{"secondary_y": True}], [{}]])
    day = ["2018-12-28", "2018-12-31"]
    figure.add_trace(go.Candlestick(x=day, open=[1, 2], high=[2, 3], low=[0, 1], close=[2, 1]))
    figure.add_trace(go.Scatter(x=day, y=[1, 2], fill="tonexty"), secondary_y=True)
    figure.add_trace(go.Bar(x=day, y=[1, 2], marker_color=[ui.UP, ui.DOWN]), row=2, col=1)
    figure.add_hline(y=1, row=2, col=1)
    figure.add_vrect(x0=day[0], x1=day[1])
    figure.update_xaxes(rangebreaks=[{"bounds": ["sat", "mon"]}])
    figure.to_json()
    go.Figure(go.Heatmap(z=[[1, 2]])).to_json()
    pd.DataFrame({"a": [0.1]}).style.format(ui.pct).map(lambda v: ui.heat_colour(v, 1.0)).to_html()


def main() -> None:
    # Decorating a cached query outside a running server logs "No runtime found": true here
    # and harmless (each cache is created on its first call, inside the server), so not shown.
    caching_log = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = caching_log.level
    caching_log.setLevel(logging.ERROR)
    try:
        preload()
    finally:
        caching_log.setLevel(level)
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(streamlit_cli.main())


if __name__ == "__main__":
    main()
