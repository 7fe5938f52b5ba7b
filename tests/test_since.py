"""The feed's `since` (`trading_server/feed.py`): the last seq a client saw."""

from __future__ import annotations

import re

import pytest

from trading_server.feed import InvalidSince, parse_since


@pytest.mark.parametrize(
    ("values", "since"),
    [([], None), (["0"], 0), (["42"], 42), (["9" * 30], int("9" * 30))],
)
def test_since_is_read(values: list[str], since: int | None) -> None:
    assert parse_since(values) == since


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["1", "2"], "since: give it once"),
        ([""], "expected a non-negative integer (a seq), got ''"),
        (["-1"], "got '-1'"),
        (["1.5"], "got '1.5'"),
        (["abc"], "got 'abc'"),
        (["٣"], "got '٣'"),  # an Arabic-Indic digit: isdigit() alone would take it
        (["²"], "got '²'"),
        (["1" * 5000], "since: too large for a seq"),
    ],
)
def test_a_malformed_since_is_refused(values: list[str], message: str) -> None:
    with pytest.raises(InvalidSince, match=re.escape(message)):
        parse_since(values)
