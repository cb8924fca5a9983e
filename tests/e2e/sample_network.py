"""The bundled sample in place of the network, for a whole Python environment.

tests/e2e/test_scheduled_workflows.py copies this module into the site-packages of the
workflow checkout's own virtualenv, with a `.pth` line importing it, so every `marketpulse`
process a workflow step starts finds `runner.live_clients` answering from sample_data/
(its rows labelled `live`, as the real clients label theirs) instead of Yahoo, FRED, Google Trends and the news
feed. Only that boundary is replaced; no environment variable is involved, so the workflow's
steps run with exactly the environment the workflow gives them.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

TARGET = "marketpulse.ingest.runner"


def _replay_live_clients(runner: ModuleType) -> Any:
    def live_clients(config: object) -> tuple[Any, Any, Any, Any]:
        from marketpulse.sources.fred.client import ReplayFredClient
        from marketpulse.sources.news.client import ReplayNewsClient
        from marketpulse.sources.trends.client import ReplayTrendsClient
        from marketpulse.sources.yahoo.client import ReplayYahooClient

        class LiveYahoo(ReplayYahooClient):
            """Rows labelled `live`, as the real clients label them (no real/simulated)."""

            def origin_of(self, symbol: str) -> str:
                return "live"

            def intraday_origin_of(self, symbol: str) -> str:
                return "live"

        class LiveFred(ReplayFredClient):
            def origin_of(self, series_id: str) -> str:
                return "live"

            def observations(self, series_id: str, start: Any) -> Any:
                frame = super().observations(series_id, start)
                return frame.drop(columns="data_origin", errors="ignore")

        class LiveTrends(ReplayTrendsClient):
            def origin_of(self, keyword: str) -> str:
                return "live"

        class LiveNews(ReplayNewsClient):
            def origin_of(self, symbol: str) -> str:
                return "live"

        sample = runner.SAMPLE_DIR
        return (
            LiveYahoo(sample / "yahoo", origin="live"),
            LiveFred(sample / "fred", origin="live"),
            LiveTrends(sample / "trends", origin="live"),
            LiveNews(sample / "news", origin="live"),
        )

    return live_clients


class _Patch(importlib.abc.MetaPathFinder):
    """Once marketpulse.ingest.runner is executed, swap its live_clients."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader: Any = spec.loader
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            module.live_clients = _replay_live_clients(module)  # type: ignore[attr-defined]

        loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _Patch())
