"""Build a sample warehouse once per test session and share it between pytest-xdist workers.

The first worker to ask builds under a file lock into the session's shared folder (the parent
of every worker's temp folder, fresh per session); the others wait on the lock and then read
what was built. A failed build is recorded, so the waiting workers fail with its message instead
of building again. Nothing is cached across sessions: every run builds from the code it tests.
docs/decisions/0018-test-loop.md says what is shared and why that is safe.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

# Postgres databases built for the whole session, dropped by pytest_sessionfinish in the main
# process (after every worker is done with them): one name a line in this file.
SESSION_DATABASES = "postgres-databases.txt"


def session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this session shares (the main process's base temp)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_build(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    build: Callable[[Path], dict[str, Any]],
) -> tuple[Path, dict[str, Any]]:
    """`build(folder)` once per session; every caller gets the folder and what build returned
    (JSON). A build that raised fails every later caller with the same message."""
    root = session_root(tmp_path_factory) / "shared"
    root.mkdir(exist_ok=True)
    folder = root / name
    done, failed = folder / "built.json", folder / "failed.txt"
    with FileLock(str(root / f"{name}.lock")):
        if failed.exists():
            pytest.fail(
                f"the shared {name} build failed (in another worker):\n{failed.read_text()}"
            )
        if not done.exists():
            folder.mkdir(exist_ok=True)
            try:
                info = build(folder)
            except BaseException:
                failed.write_text(traceback.format_exc()[-4000:])
                raise
            done.write_text(json.dumps(info))
    return folder, json.loads(done.read_text())


def register_session_database(tmp_path_factory: pytest.TempPathFactory, database: str) -> None:
    """A database every worker reads; dropped by the main process at the session's end."""
    listed = session_root(tmp_path_factory) / SESSION_DATABASES
    with FileLock(f"{listed}.lock"), listed.open("a") as names:
        names.write(database + "\n")


def session_databases(root: Path) -> list[str]:
    listed = root / SESSION_DATABASES
    return listed.read_text().split() if listed.exists() else []
