"""The project's own promises: bounded dependencies, a self-documenting Makefile, CI = README."""

from __future__ import annotations

import re
import subprocess
import tomllib

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
