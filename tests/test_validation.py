"""The input rules for a new order (`trading_server/validation.py`)."""

from __future__ import annotations

import re

import pytest

from trading_server.validation import InvalidOrder, NewOrder, parse_new_order


@pytest.mark.parametrize(
    ("body", "order"),
    [
        (b'{"stocks": "EURUSD", "quantity": 10}', NewOrder("EURUSD", 10)),
        (b'{"quantity": 0.5, "stocks": "BTC/USD"}', NewOrder("BTC/USD", 0.5)),
        (b'{"stocks": " EURUSD ", "quantity": 1e3}', NewOrder(" EURUSD ", 1000.0)),
        ('{"stocks": "Ünï", "quantity": 1}'.encode("utf-16"), NewOrder("Ünï", 1)),
        (b'{"stocks": "' + b"A" * 32 + b'", "quantity": 1000000000}', NewOrder("A" * 32, 10**9)),
    ],
)
def test_a_valid_order_is_read(body: bytes, order: NewOrder) -> None:
    assert parse_new_order(body) == order


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b"{", "not valid JSON"),
        (b'{"stocks": "EURUSD", "quantity": NaN}', "not valid JSON"),
        (b"[]", "must be a JSON object with stocks and quantity, not an array"),
        (b'{"stocks": "EURUSD"}', "quantity: the field is missing"),
        (b'{"quantity": 1}', "stocks: the field is missing"),
        (b'{"stocks": "X", "quantity": 1, "side": "buy"}', "unknown field 'side'"),
        (b'{"stocks": 7, "quantity": 1}', "stocks: must be a string, not a number"),
        (b'{"stocks": "", "quantity": 1}', "stocks: must be 1 to 32 characters long, not 0"),
        (b'{"stocks": "' + b"A" * 33 + b'", "quantity": 1}', "not 33"),
        (b'{"stocks": "   ", "quantity": 1}', "stocks: must not be only white space"),
        (b'{"stocks": "X", "quantity": "10"}', "quantity: must be a number, not a string"),
        (b'{"stocks": "X", "quantity": true}', "quantity: must be a number, not a boolean"),
        (b'{"stocks": "X", "quantity": null}', "quantity: must be a number, not null"),
        (b'{"stocks": "X", "quantity": 0}', "must be greater than 0 and at most 1,000,000,000"),
        (b'{"stocks": "X", "quantity": -1}', "not -1"),
        (b'{"stocks": "X", "quantity": 1000000000.5}', "not 1000000000.5"),
        (b'{"stocks": "X", "quantity": 1e400}', "not 1e400"),
        (b'{"stocks": "X", "quantity": 1' + b"0" * 5000 + b"}", "(5001 characters)"),
    ],
)
def test_an_invalid_order_is_refused_naming_the_problem(body: bytes, message: str) -> None:
    with pytest.raises(InvalidOrder, match=re.escape(message)):
        parse_new_order(body)
