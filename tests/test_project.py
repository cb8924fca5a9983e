"""The project's own promises: bounded dependencies, a self-documenting Makefile, CI = README."""

from __future__ import annotations

import re
import subprocess
import tomllib

import pytest

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirements() -> list[str]:
    project = PYPROJECT["project"]
    return project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]


def test_every_dependency_has_an_upper_bound() -> None:
    for requirement in requirements():
        assert "<" in requirement or "~=" in requirement or "==" in requirement, requirement


def test_dbt_is_pinned_below_1_12() -> None:
    pins = {re.split(r"[~<>=\[]", r)[0]: r for r in requirements()}
    assert pins["dbt-core"] == "dbt-core~=1.11.0"
    assert pins["dbt-postgres"] == "dbt-postgres~=1.11.0"
    assert pins["dbt-duckdb"] == "dbt-duckdb~=1.11.0"
    for name in (
        "dlt",
        "yfinance",
        "fredapi",
        "pytrends",
        "vaderSentiment",
        "pandas",
        "sqlfluff",
        "sqlfluff-templater-dbt",
        "pytest",
        "pytest-xdist",
        "filelock",
        "ruff",
    ):
        assert name in pins, name
    assert "duckdb" in pins["dlt"] and "postgres" in pins["dlt"]


def test_make_help_lists_every_public_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    documented = set(re.findall(r"^([a-z][a-z-]*):.*## ", makefile, flags=re.MULTILINE))
    assert {
        "help",
        "setup",
        "demo",
        "ingest",
        "build",
        "test",
        "test-fast",
        "lint",
        "docs",
        "clean",
    } <= documented
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    listed = {
        line.split()[0]
        for line in re.sub(r"\x1b\[[0-9;]*m", "", shown).splitlines()
        if line.strip()
    }
    assert listed == documented


def test_ci_runs_what_the_readme_tells_users_to_run() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci.splitlines()[-1]
    assert "make demo" in readme and "make test" in readme


def test_make_test_runs_in_parallel_and_test_fast_leaves_builds_out() -> None:
    def dry_run(*args: str) -> str:
        return subprocess.run(
            ["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout

    assert "-m pytest -n 2 --dist loadgroup --no-loadscope-reorder" in dry_run("test")
    assert "-m pytest -n 0 --dist loadgroup" in dry_run("test", "PYTEST_WORKERS=0")
    assert '-m "not build and not spark"' in dry_run("test-fast")


def test_build_and_spark_markers_follow_the_fixtures(request: pytest.FixtureRequest) -> None:
    """tests/conftest.py marks the session's tests from their fixtures; a Spark test carries
    the xdist group in its node id under --dist loadgroup (all on one worker)."""
    loadgroup = request.config.getoption("dist", "no") == "loadgroup"
    for item in request.session.items:
        used = set(item.fixturenames)
        if used & {"demo_duckdb", "demo_postgres", "spark_sample", "docs_site"}:
            assert "runs_dbt" in used, item.nodeid
        assert (item.get_closest_marker("build") is not None) == ("runs_dbt" in used), item.nodeid
        spark = "spark_available" in used
        assert (item.get_closest_marker("spark") is not None) == spark, item.nodeid
        if spark and loadgroup and hasattr(request.config, "workerinput"):
            assert item.nodeid.endswith("@spark"), item.nodeid


def test_fixtures_that_reach_a_build_at_run_time_ask_for_runs_dbt() -> None:
    """getfixturevalue() hides a fixture from collection: the fixture calling it for a build
    must ask for runs_dbt itself, or its tests escape the `build` mark (and `make test-fast`)."""
    builds = re.compile(r'getfixturevalue\("(demo_duckdb|demo_postgres|spark_sample|docs_site)"\)')
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text()
        for match in builds.finditer(text):
            function = text[: match.start()].rsplit("\ndef ", 1)[-1]
            assert "runs_dbt" in function.split(")", 1)[0], f"{path.name}: {match.group(0)}"
