"""`make docs`: the static site describes every model and column; the dashboard is an exposure."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.sample_warehouses import DocsSite


@pytest.fixture
def docs(docs_site: DocsSite) -> dict[str, Any]:
    """The site the e2e fixtures generate once (tests/e2e/conftest.py)."""
    return {"manifest": docs_site.manifest, "catalog": docs_site.catalog, "site": docs_site.site}


def test_every_model_and_every_mart_column_is_described(docs: dict[str, Any]) -> None:
    nodes = {
        key: node
        for key, node in docs["manifest"]["nodes"].items()
        if node["resource_type"] in ("model", "seed")
    }
    assert any(node["schema"] == "marts" for node in nodes.values())
    for key, node in nodes.items():
        assert node["description"].strip(), f"{key} has no description"
        if node["schema"] != "marts":
            continue  # the issue asks for every model described and every mart column
        in_warehouse = set(docs["catalog"]["nodes"][key]["columns"])
        undescribed = sorted(
            column
            for column in in_warehouse
            if not node["columns"].get(column, {}).get("description", "").strip()
        )
        assert not undescribed, f"{key}: undescribed columns {undescribed}"


def test_overview_page_explains_the_layers(docs: dict[str, Any]) -> None:
    overview = docs["manifest"]["docs"]["doc.marketpulse.__overview__"]["block_contents"]
    for layer in ("raw", "staging", "intermediate", "marts", "exposures"):
        assert f"{layer}" in overview.lower(), layer
    assert "Who reads the marts" in docs["site"]


def test_the_dashboard_is_an_exposure_on_every_mart_it_reads(docs: dict[str, Any]) -> None:
    manifest = docs["manifest"]
    exposure = manifest["exposures"]["exposure.marketpulse.marketpulse_dashboard"]
    assert exposure["type"] == "dashboard"
    depends = {key.split(".")[-1] for key in exposure["depends_on"]["nodes"]}
    marts = {node["name"] for node in manifest["nodes"].values() if node.get("schema") == "marts"}
    assert depends <= marts
    source = "\n".join(
        path.read_text() for path in sorted((ROOT / "marketpulse" / "dashboard").rglob("*.py"))
    )
    read = set(re.findall(r"marts\.(\w+)", source)) | set(
        re.findall(r'"(fct_\w+|dim_\w+)"', source)
    )
    # every mart the dashboard reads that exists in the project must be declared, and back
    assert read & marts == depends, (read & marts) ^ depends
