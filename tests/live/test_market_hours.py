"""`python -m marketpulse market-open`: holidays, half days, DST changes, one-off closures.

Expected answers are the NYSE's published hours (09:30-16:00 New York, 13:00 on half days),
written out by hand in UTC for each case."""

from __future__ import annotations

import subprocess
import sys

import pytest

from marketpulse.cli import main
from marketpulse.live.market_hours import CLOSED_EXIT_CODE
from tests.conftest import ROOT

CASES = [
    # EDT (UTC-4): 09:30 = 13:30Z; the Friday before the 2018-11-04 change to EST
    ("2018-11-02T13:29:59Z", "closed: next open 2018-11-02T13:30:00Z"),
    ("2018-11-02T13:30:00Z", "open"),
    ("2018-11-02T19:59:00Z", "open"),
    ("2018-11-02T20:00:00Z", "closed: next open 2018-11-05T14:30:00Z"),
    # EST (UTC-5): the Monday after, 13:30Z is 08:30 in New York
    ("2018-11-05T13:30:00Z", "closed: next open 2018-11-05T14:30:00Z"),
    ("2018-11-05T14:30:00Z", "open"),
    ("2018-11-05T20:59:00Z", "open"),
    ("2018-11-05T21:00:00Z", "closed: next open 2018-11-06T14:30:00Z"),
    # spring forward 2024-03-10: Friday 14:30Z open (EST), Monday 13:30Z open (EDT)
    ("2024-03-08T14:29:00Z", "closed: next open 2024-03-08T14:30:00Z"),
    ("2024-03-11T13:30:00Z", "open"),
    ("2024-03-11T20:00:00Z", "closed: next open 2024-03-12T13:30:00Z"),
    # half days close at 13:00 New York
    ("2018-11-23T17:59:00Z", "open"),
    ("2018-11-23T18:00:00Z", "closed: next open 2018-11-26T14:30:00Z"),
    ("2018-12-24T17:30:00Z", "open"),
    ("2018-12-24T18:00:00Z", "closed: next open 2018-12-26T14:30:00Z"),
    ("2019-07-03T16:59:00Z", "open"),  # EDT half day: 13:00 = 17:00Z
    ("2019-07-03T17:00:00Z", "closed: next open 2019-07-05T13:30:00Z"),
    # holidays and the 2018-12-05 day of mourning for President Bush
    ("2018-12-05T15:00:00Z", "closed: next open 2018-12-06T14:30:00Z"),
    ("2018-12-25T15:00:00Z", "closed: next open 2018-12-26T14:30:00Z"),
    ("2018-12-31T21:00:00Z", "closed: next open 2019-01-02T14:30:00Z"),
    ("2025-01-09T15:00:00Z", "closed: next open 2025-01-10T14:30:00Z"),  # Carter mourning
    ("2024-06-19T15:00:00Z", "closed: next open 2024-06-20T13:30:00Z"),  # Juneteenth
    # weekends; offsets other than Z
    ("2018-12-01T15:00:00Z", "closed: next open 2018-12-03T14:30:00Z"),
    ("2018-12-03T09:30:00-05:00", "open"),
    ("2018-12-03T09:29:00-05:00", "closed: next open 2018-12-03T14:30:00Z"),
]


@pytest.mark.parametrize(("at", "expected"), CASES)
def test_market_open_answers_like_the_nyse_schedule(
    at: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["market-open", "--at", at])
    assert capsys.readouterr().out.strip() == expected
    assert code == (0 if expected == "open" else CLOSED_EXIT_CODE)


@pytest.mark.parametrize("at", ["tomorrow", "2018-12-03T15:00:00", "2018-13-01T00:00:00Z"])
def test_market_open_rejects_bad_times_in_one_line(
    at: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["market-open", "--at", at]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --at") and "\n" not in err


def test_market_open_as_a_process_exits_3_when_closed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "marketpulse", "market-open", "--at", "2018-12-25T15:00:00Z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (3, "closed: next open 2018-12-26T14:30:00Z\n")
