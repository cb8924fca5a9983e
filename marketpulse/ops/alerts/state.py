"""Cool-down: when each condition was last sent, in a small JSON file per warehouse."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path


class CooldownState:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._sent: dict[str, str] = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            self._sent = {}

    def cooling(self, key: str, now: datetime, cooldown: timedelta) -> bool:
        """True when `key` was sent less than `cooldown` before `now`."""
        last = self._sent.get(key)
        return last is not None and now - datetime.fromisoformat(last) < cooldown

    def mark_sent(self, key: str, now: datetime) -> None:
        self._sent[key] = now.isoformat()

    def save(self) -> None:
        """Write atomically: a killed process never leaves half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._sent, indent=2, sort_keys=True))
        os.replace(temporary, self.path)
