"""What one bench run creates, under names no other run can have, and removes on the way out.

Every database (DuckDB file, Postgres database, Spark folder) is named
`<prefix>_<pid>_<random>_<Y>y`, created only if nothing of that name exists, and recorded
here the moment it exists. On exit, on an error and on Ctrl-C or SIGTERM, the run drops what
it recorded and nothing else (unless --keep): two runs on one server never touch each other's
databases, and a database the run did not create is never dropped, whatever its name.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

DEFAULT_PREFIX = "marketpulse_bench"
PREFIX_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,39}")


class BenchError(Exception):
    """A bench setting or precondition a user can fix."""


def check_prefix(prefix: str) -> str:
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise BenchError(
            f"--prefix {prefix!r}: use 1-40 lowercase letters, digits and underscores,"
            " not starting with a digit (it names databases)"
        )
    return prefix


@dataclass
class Created:
    """One thing this run made, and how to remove it."""

    what: str
    name: str
    drop: Callable[[], None]


@dataclass
class Scratch:
    prefix: str = DEFAULT_PREFIX
    keep: bool = False
    run_id: str = field(init=False)
    created: list[Created] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_prefix(self.prefix)
        self.run_id = f"{self.prefix}_{os.getpid()}_{secrets.token_hex(3)}"

    def name(self, years: int) -> str:
        """This run's database name for a history of `years`."""
        return f"{self.run_id}_{years}y"

    def record(self, what: str, name: str, drop: Callable[[], None]) -> None:
        self.created.append(Created(what, name, drop))

    def cleanup(self) -> list[str]:
        """Drop what this run created, newest first; returns what it dropped (or kept)."""
        done = []
        while self.created:
            item = self.created.pop()
            if self.keep:
                print(f"kept {item.what} {item.name} (--keep)", file=sys.stderr)
                continue
            try:
                item.drop()
                done.append(item.name)
            except Exception as exc:  # one failed drop must not keep the others
                print(f"could not drop {item.what} {item.name}: {exc}", file=sys.stderr)
        return done


@contextmanager
def scratch(prefix: str = DEFAULT_PREFIX, keep: bool = False) -> Iterator[Scratch]:
    """A Scratch cleaned up however the block ends: SIGTERM becomes SystemExit, so it
    unwinds through here like Ctrl-C (KeyboardInterrupt) does."""
    run = Scratch(prefix=prefix, keep=keep)

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield run
    finally:
        signal.signal(signal.SIGTERM, previous)
        run.cleanup()
