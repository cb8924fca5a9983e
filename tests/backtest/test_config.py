"""The strategies file: the shipped one parses; every error is one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketpulse.backtest import config
from marketpulse.backtest.engine import BacktestError
from tests.conftest import ROOT


def test_the_shipped_file_parses_with_its_defaults() -> None:
    loaded = config.load(ROOT / "backtests.toml")
    kinds = {strategy.name: strategy.kind for strategy in loaded.strategies}
    assert kinds["spy_sma_50_200"] == "sma_crossover"
    assert {"sma_crossover", "rsi_mean_reversion", "sector_rotation", "max_sharpe"} <= set(
        kinds.values()
    )
    assert loaded.costs.fee_bps == 1.0 and loaded.costs.slippage_bps == 2.0
    sma = next(strategy for strategy in loaded.strategies if strategy.name == "spy_sma_50_200")
    assert sma.parameters_json() == '{"fast": 50, "slow": 200, "symbol": "SPY"}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[strategies.a]\nkind = 'sma_crossover'\nsymbol = 'SPY'\nfast = 50\nslow = 20\n",
            "backtests.toml: strategies.a.slow: must be greater than fast (50), not 20",
        ),
        (
            "[strategies.a]\nkind = 'sma_crosover'\nsymbol = 'SPY'\n",
            "backtests.toml: strategies.a.kind: must be one of",
        ),
        (
            "[strategies.a]\nkind = 'sma_crossover'\nsymbol = 'SPY'\nfsat = 5\n",
            "backtests.toml: strategies.a.fsat: unknown key",
        ),
        (
            "[strategies.a]\nkind = 'rsi_mean_reversion'\n",
            "backtests.toml: strategies.a.symbol: required for kind rsi_mean_reversion",
        ),
        (
            "[strategies.a]\nkind = 'rsi_mean_reversion'\nsymbol = 'SPY'\nexit_above = 20\n",
            "backtests.toml: strategies.a.exit_above: must be in (entry_below, 100)",
        ),
        (
            "[strategies.a]\nkind = 'max_sharpe'\nsymbols = ['A', 'B']\nmax_weight = 0.4\n",
            "backtests.toml: strategies.a.max_weight: 0.4 x 2 symbols < 1",
        ),
        (
            "[strategies.a]\nkind = 'sector_rotation'\nrebalance = 'daily'\n",
            "backtests.toml: strategies.a.rebalance: must be one of weekly, monthly, quarterly",
        ),
        (
            "[strategies.a]\nkind = 'sector_rotation'\ntop_k = 'three'\n",
            "backtests.toml: strategies.a.top_k: must be an integer, not 'three'",
        ),
        (
            "[settings]\nfee_bps = -1\n[strategies.a]\nkind = 'sector_rotation'\n",
            "backtests.toml: settings.fee_bps: must be in [0, 10000), not -1.0",
        ),
        (
            "[settings]\nstart_date = 'soon'\n[strategies.a]\nkind = 'sector_rotation'\n",
            "backtests.toml: settings.start_date: must be a date (YYYY-MM-DD), not 'soon'",
        ),
        (
            "[strategies.Bad]\nkind = 'sector_rotation'\n",
            "backtests.toml: strategies.Bad: a name is lowercase letters",
        ),
        (
            "[strategies.a]\nkind = 'forecast'\nsymbol = 'SPY'\nhorizon = 3\n",
            "backtests.toml: strategies.a.horizon: must be 1, 5 or 21",
        ),
        ("[settings]\ncapital = 5\n", "backtests.toml: settings.capital: unknown key"),
        ("strategies = 3\n", "backtests.toml: strategies: declare at least one"),
        ("[strategies.a\n", "backtests.toml: not valid TOML"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "backtests.toml"
    path.write_text(text)
    with pytest.raises(BacktestError) as raised:
        config.load(path)
    assert str(raised.value).startswith(message), str(raised.value)
    assert "\n" not in str(raised.value)


def test_only_keeps_the_named_strategies_and_refuses_unknown_ones() -> None:
    loaded = config.load(ROOT / "backtests.toml", only=["spy_sma_50_200"])
    assert [strategy.name for strategy in loaded.strategies] == ["spy_sma_50_200"]
    with pytest.raises(BacktestError, match=r"strategies\.nope: no such strategy"):
        config.load(ROOT / "backtests.toml", only=["nope"])
