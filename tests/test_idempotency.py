"""Idempotency keys and what counts as the same order (`trading_server/idempotency.py`)."""

from __future__ import annotations

import re

import pytest

from trading_server.idempotency import InvalidKey, fingerprint, parse_key
from trading_server.validation import NewOrder


@pytest.mark.parametrize(
    ("values", "key"),
    [([], None), (["3f1c0a52-order-42"], "3f1c0a52-order-42"), (["!" * 255], "!" * 255)],
)
def test_a_valid_key_is_read(values: list[str], key: str | None) -> None:
    assert parse_key(values) == key


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["a", "b"], "send it once"),
        ([""], "must be 1 to 255 characters, got 0"),
        (["k" * 256], "must be 1 to 255 characters, got 256"),
        (["with space"], "only visible ASCII characters"),
        (["clé"], "only visible ASCII characters"),
    ],
)
def test_an_invalid_key_is_refused(values: list[str], message: str) -> None:
    with pytest.raises(InvalidKey, match=re.escape(message)):
        parse_key(values)


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (NewOrder("EURUSD", 10), NewOrder("EURUSD", 10.0), True),
        (NewOrder("EURUSD", 0.1), NewOrder("EURUSD", 0.1), True),
        (NewOrder("EURUSD", 10), NewOrder("EURUSD", 11), False),
        (NewOrder("EURUSD", 10), NewOrder("eurusd", 10), False),
        (NewOrder("EURUSD", 10), NewOrder("EURUSD ", 10), False),
    ],
)
def test_the_same_order_has_the_same_fingerprint(
    first: NewOrder, second: NewOrder, same: bool
) -> None:
    assert (fingerprint(first) == fingerprint(second)) is same
