"""The README and docs/ tell the truth about the tree, the Makefile and the command line.

Every command a newcomer copies from README.md, docs/*.md or the program's own hints must exist;
every relative link must resolve; the README's layout must be the real layout; the marts the
docs list must be the marts dbt builds.
"""

from __future__ import annotations

import ast
import re

import pytest

from marketpulse import cli
from marketpulse.warehouse import Warehouse, hints
from tests.conftest import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
MARTS_DIR = ROOT / "dbt_project" / "models" / "marts"
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
MAKE = re.compile(r"(?:^|[\s;&|(])make +((?:-\S+ +)*)([a-z][a-z0-9-]*)")
CONSOLE = re.compile(r"(?:^|[\s/;&|(`])(?:python -m )?marketpulse +([a-z][a-z-]*)\b(?![.\w-])")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def code_of(text: str) -> list[str]:
    """The fenced blocks and inline code spans of a markdown page: where commands are."""
    blocks = FENCE.findall(text)
    prose = FENCE.sub("", text)
    return blocks + [match.group(2) for match in INLINE.finditer(prose)]


def makefile_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*):(?!=)", makefile, flags=re.MULTILINE))


def subcommands(capsys: pytest.CaptureFixture[str]) -> set[str]:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    usage = capsys.readouterr().out
    choices = re.search(r"\{([a-z,-]+)\}", usage)
    assert choices, usage
    return set(choices.group(1).split(","))


def program_hints() -> list[str]:
    """The commands the program tells users to run: backquoted spans in its strings, and
    the demo's "next:" lines for every warehouse kind."""
    found: list[str] = []
    for path in (ROOT / "marketpulse").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [m.group(2) for m in INLINE.finditer(node.value)]
    for env in (
        {"WAREHOUSE": "duckdb"},
        {"WAREHOUSE": "postgres", "PGDATABASE": "marketpulse"},
        {"WAREHOUSE": "spark"},
    ):
        warehouse = Warehouse.from_env(env)
        found += [*hints.next_steps(warehouse), hints.mixed_origin(warehouse)]
    return found


def named(snippets: list[str], pattern: re.Pattern[str], group: int) -> set[str]:
    return {match.group(group) for text in snippets for match in pattern.finditer(text)}


def test_readme_is_a_front_door() -> None:
    assert len(README.read_text().splitlines()) <= 250


def test_readme_layout_is_the_real_tree() -> None:
    text = README.read_text()
    layout = FENCE.search(text[text.index("## Layout") :])
    assert layout, "README has no layout block under ## Layout"
    lines = layout.group(1).splitlines()
    top = {m.group(1) for line in lines if (m := re.match(r"^([.\w-]+(?:/[\w-]+)*)/\s", line))}
    package = {m.group(1) for line in lines if (m := re.match(r"^  ([\w-]+)/\s", line))}
    real = {
        path.name
        for path in (ROOT / "marketpulse").iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    }
    assert "marketpulse" in top
    assert package == real, f"README layout names {sorted(package)}, the package has {sorted(real)}"
    missing = [folder for folder in top if not (ROOT / folder).is_dir()]
    assert not missing, f"README layout names folders that do not exist: {missing}"


def test_every_make_target_named_in_docs_and_hints_exists() -> None:
    snippets = [code for page in PAGES for code in code_of(page.read_text())] + program_hints()
    unknown = named(snippets, MAKE, 2) - makefile_targets()
    assert not unknown, f"named but not in the Makefile: {sorted(unknown)}"


def test_every_marketpulse_command_named_in_docs_and_hints_exists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    snippets = [code for page in PAGES for code in code_of(page.read_text())] + program_hints()
    mentioned = named(snippets, CONSOLE, 1)
    assert {"demo", "ingest", "build", "query", "reset"} <= mentioned  # the parser finds them
    unknown = mentioned - subcommands(capsys)
    assert not unknown, f"named but not a marketpulse command: {sorted(unknown)}"


def test_examples_need_nothing_that_make_setup_does_not_install() -> None:
    """Bare `python`/`dbt` need `source .envrc`; the `duckdb` CLI is not installed at all."""
    for page in PAGES:
        for block in FENCE.findall(page.read_text()):
            for line in block.splitlines():
                command = re.sub(r"^(?:[A-Z_]+=\S+ +)*", "", line.strip())
                assert not re.match(r"(python3?|dbt|duckdb|pip) ", command), f"{page.name}: {line}"


def test_every_command_has_its_exit_codes_documented(capsys: pytest.CaptureFixture[str]) -> None:
    operations = (ROOT / "docs" / "operations.md").read_text()
    table = operations[operations.index("## Exit codes") :].split("\n## ")[0]
    rows = set(re.findall(r"^\| `marketpulse ([a-z-]+)` \|", table, flags=re.MULTILINE))
    assert rows == subcommands(capsys)
    assert "reports 2" in table  # make's own code for any failure


def _slug(heading: str) -> str:
    heading = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return heading.replace(" ", "-")


def test_every_relative_link_resolves() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(FENCE.sub("", page.read_text())):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and resolved.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", resolved.read_text(), flags=re.MULTILINE)
                if anchor not in {_slug(heading) for heading in headings}:
                    broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken


def _marts_by_domain() -> dict[str, set[str]]:
    return {
        domain.name: {model.stem for model in domain.glob("*.sql")}
        for domain in MARTS_DIR.iterdir()
        if domain.is_dir()
    }


def test_models_page_lists_the_marts_by_domain() -> None:
    text = (ROOT / "docs" / "models.md").read_text()
    listed = {
        row.group(1): set(re.findall(r"`(\w+)`", row.group(2)))
        for row in re.finditer(r"^\| ([a-z_]+) \| (`.*`) \|$", text, flags=re.MULTILINE)
    }
    assert listed == _marts_by_domain()


def test_bi_page_names_every_mart_and_no_other() -> None:
    text = (ROOT / "docs" / "bi.md").read_text()
    named_marts = set(re.findall(r"`((?:dim|fct)_\w+)`", text))
    real = set().union(*_marts_by_domain().values())
    assert named_marts == real
