"""Layout rules that keep the warehouse adapters honest (docs/decisions/0016).

- Only `marketpulse/warehouse/` asks which warehouse it is: anywhere else, behaviour that
  differs per warehouse is a method of the adapter, not a comparison of its kind.
- No import cycle among marketpulse's modules (the adapters and the lake used to import
  each other).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "marketpulse"
KIND_BRANCH = re.compile(
    r"\.kind\s*(==|!=|\bin\b|\bnot\s+in\b)|\bkind\s*(==|!=)|\bkind\s+(not\s+)?in\b"
)


def test_no_warehouse_kind_branch_outside_the_adapters() -> None:
    offending = []
    for folder in (PACKAGE, ROOT / "scripts"):
        for path in sorted(folder.rglob("*.py")):
            if (PACKAGE / "warehouse") in path.parents:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                code = line.split("#", 1)[0]
                if KIND_BRANCH.search(code):
                    offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offending, "branch on the warehouse in marketpulse/warehouse/ only:\n" + "\n".join(
        offending
    )


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> dict[str, set[str]]:
    """module -> the marketpulse modules it imports, at module level or inside functions
    (a lazy import inside a function still makes a cycle); `if TYPE_CHECKING:` blocks aside."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        skipped: set[int] = set()
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and _is_type_checking(node):
                skipped |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                # `from a.b import c`: the module a.b.c if there is one, else a.b
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            for target in targets:
                while target and target not in modules:
                    target = target.rsplit(".", 1)[0] if "." in target else ""
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in sorted(graph[node]):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_marketpulse_modules() -> None:
    graph = import_graph()
    assert "marketpulse.warehouse.base" in graph["marketpulse.warehouse.duckdb"]
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(cycle) for cycle in found)
