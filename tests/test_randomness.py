"""Delay ranges and seeded choices (`trading_server/randomness.py`)."""

from __future__ import annotations

import random
import re

import pytest

from trading_server.randomness import DelayRange, Randomness


@pytest.mark.parametrize(
    ("text", "delay"),
    [("0.1,1.0", DelayRange(0.1, 1.0)), ("0,0", DelayRange(0, 0)), (" 2 , 2 ", DelayRange(2, 2))],
)
def test_a_delay_range_is_read(text: str, delay: DelayRange) -> None:
    assert DelayRange.parse(text) == delay


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1", "expected MIN,MAX in seconds"),
        ("1,2,3", "expected MIN,MAX in seconds"),
        ("a,b", "expected two numbers MIN,MAX"),
        ("0,inf", "delays must be finite"),
        ("2,1", "need 0 <= MIN <= MAX"),
        ("-1,1", "need 0 <= MIN <= MAX"),
    ],
)
def test_a_malformed_delay_range_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        DelayRange.parse(text)


def test_a_delay_is_drawn_within_its_range() -> None:
    delay, rng = DelayRange(0.1, 0.2), random.Random(1)
    assert all(0.1 <= delay.sample(rng) <= 0.2 for _ in range(1000))
    assert str(delay) == "0.1,0.2"
    assert DelayRange(0, 0).is_off
    assert not delay.is_off


def test_a_seeded_generator_makes_the_same_order_ids() -> None:
    first, second = Randomness(42), Randomness(42)
    ids = [first.order_id() for _ in range(3)]
    assert ids == [second.order_id() for _ in range(3)]
    assert len(set(ids)) == 3
    assert Randomness().order_id() != Randomness().order_id()
