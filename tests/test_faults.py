"""Fault specs (`--faults`) and the injector's decisions (`trading_server/faults.py`)."""

from __future__ import annotations

import random
import re
from types import SimpleNamespace

import pytest

from trading_server.faults import FaultInjector, FaultSpec
from trading_server.randomness import DelayRange


@pytest.mark.parametrize(
    ("text", "spec", "shown"),
    [
        ("", FaultSpec(), "none"),
        (" , ", FaultSpec(), "none"),
        ("error=0.1", FaultSpec(error=0.1), "error=0.1"),
        ("latency=0.5:2", FaultSpec(latency=0.5, latency_seconds=2.0), "latency=0.5:2"),
        (
            "disconnect=1, error=0",
            FaultSpec(disconnect=1.0),
            "disconnect=1",
        ),
    ],
)
def test_a_fault_spec_is_read(text: str, spec: FaultSpec, shown: str) -> None:
    assert FaultSpec.parse(text) == spec
    assert str(spec) == shown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("error", "expected NAME=P[:ARG] items"),
        ("error=0.1,error=0.2", "error is given twice"),
        ("error=1.5", "error: expected a probability from 0 to 1, got '1.5'"),
        ("error=nan", "expected a probability from 0 to 1"),
        ("error=0.1:2", "error: expected error=P"),
        ("latency=0.5", "latency: expected latency=P:SECONDS"),
        ("latency=0.5:-1", "expected a finite number of seconds >= 0"),
        ("latency=0.5:soon", "expected seconds after the colon"),
        ("crash=1", "unknown fault 'crash'"),
    ],
)
def test_a_malformed_fault_spec_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        FaultSpec.parse(text)


REQUEST = SimpleNamespace(method="GET", path="/orders")


def test_no_faults_draw_nothing_from_the_generator() -> None:
    rng = random.Random(7)
    injector = FaultInjector(FaultSpec(), rng)
    assert not injector.refuses(REQUEST)
    assert injector.drops_feed_client(5, "client") is None
    assert injector.response_delay(REQUEST, DelayRange(0, 0)) == 0.0
    assert rng.random() == random.Random(7).random()


def test_certain_faults_always_strike() -> None:
    injector = FaultInjector(FaultSpec.parse("error=1,latency=1:2.5,disconnect=1"), random.Random())
    assert injector.refuses(REQUEST)
    assert injector.response_delay(REQUEST, DelayRange(0.1, 1.0)) == 2.5
    assert injector.drops_feed_client(5, "client") == 0
