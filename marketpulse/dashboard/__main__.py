"""`python -m marketpulse.dashboard [streamlit options]`: start the app (what `make dashboard` runs)."""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.web import cli as streamlit_cli

APP = Path(__file__).resolve().parent / "app.py"


def main() -> None:
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(streamlit_cli.main())


if __name__ == "__main__":
    main()
