"""Files that leave the machine (a CI run's uploaded artifacts) name no server and no credential.

CI masks secrets in its logs, not in uploaded files: the run report prints
`postgres user@host:port/db` and dbt's manifest and run results carry the database name in
every relation. `marketpulse artifacts --out DIR FILE...` copies the files with the warehouse's
identifiers (Warehouse.identifiers()) replaced by `<host>`, `<port>`, `<user>`, `<database>`,
`<password>`:

- the password and the host, everywhere;
- the user and the database where they name a connection or a relation (`user@`, `/db`,
  `"db".`, `user "x"`, `database "x"`, a JSON `database` field), so a database named like the
  dbt project or a user named like the adapter (`postgres`) leaves those names alone;
- JSON files are rewritten field by field and stay valid JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

PLACEHOLDERS = {name: f"<{name}>" for name in ("host", "port", "user", "database", "password")}
JSON_FIELDS = {"database": "database", "dbname": "database", "user": "user", "host": "host"}


def masker(identifiers: Mapping[str, str]) -> Callable[[str], str]:
    """A function masking `identifiers` in a text (see the module docstring for where)."""
    ids = {name: value for name, value in identifiers.items() if value}
    rules: list[tuple[re.Pattern[str], str]] = []

    def rule(pattern: str, replacement: str) -> None:
        rules.append((re.compile(pattern), replacement))

    user, host, port = ids.get("user"), ids.get("host"), ids.get("port")
    database, password = ids.get("database"), ids.get("password")
    if user and host and port and database:  # describe(): postgres user@host:port/db
        rule(
            re.escape(f"{user}@{host}:{port}/{database}"),
            "<user>@<host>:<port>/<database>",
        )
    if password:
        rule(re.escape(password), "<password>")
    if host and port:
        rule(re.escape(f"{host}:{port}") + r"(?!\d)", "<host>:<port>")
        rule(rf'port "?{re.escape(port)}"?(?!\d)', "port <port>")
    if host:
        rule(re.escape(host), "<host>")
    if user:
        word = re.escape(user)
        rule(rf"(?<![\w.$-]){word}(?=@)", "<user>")
        rule(rf'((?:user|role) ["\']?){word}(?![\w$-])', r"\1<user>")
        rule(rf"(\buser=){word}(?![\w$-])", r"\1<user>")
    if database:
        word = re.escape(database)
        rule(rf'"{word}"(?=\.)', '"<database>"')
        rule(rf'((?:database|dbname)[ =]["\']?){word}(?![\w$-])', r"\1<database>")
        rule(rf"(?<=<port>/){word}(?![\w$-])", "<database>")

    def mask(text: str) -> str:
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        return text

    return mask


def _mask_json(value: Any, mask: Callable[[str], str], ids: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            field = JSON_FIELDS.get(str(key).lower())
            if field and isinstance(item, str) and item and item == ids.get(field):
                masked[key] = PLACEHOLDERS[field]
            else:
                masked[key] = _mask_json(item, mask, ids)
        return masked
    if isinstance(value, list):
        return [_mask_json(item, mask, ids) for item in value]
    if isinstance(value, str):
        return mask(value)
    return value


def copy_masked(files: Iterable[Path], out: Path, identifiers: Mapping[str, str]) -> list[Path]:
    """Copy each file into `out` (flat, by name) with the identifiers masked; missing files
    are skipped (a run that failed early wrote no dbt artifacts). Returns the files written."""
    mask = masker(identifiers)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in files:
        if not source.is_file():
            continue
        text = source.read_text(encoding="utf-8", errors="replace")
        if source.suffix == ".json":
            try:
                data = json.loads(text)
            except ValueError:
                masked = mask(text)
            else:
                masked = json.dumps(_mask_json(data, mask, identifiers), indent=1)
        else:
            masked = mask(text)
        target = out / source.name
        target.write_text(masked, encoding="utf-8")
        written.append(target)
    return written
