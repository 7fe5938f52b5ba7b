"""A client's own tests, steering the platform with its test control.

    python -m pytest examples/test_resilient_client.py

Proves what examples/resilient_client.py promises without timing luck:
the test decides when the platform fails, when it recovers, when an order
executes and when the platform restarts, through `trading_server.control`
(the platform is started with a control token). Each test starts from a
fresh platform (`control.reset()`).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from examples.resilient_client import FeedFollower, Platform, Tally, feed_url_of
from trading_server.control import Control

DEADLINE = 15.0  # seconds any one wait may take before the test fails


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def platform() -> Iterator[tuple[str, str]]:
    """A platform of its own with test control on: (its address, its token)."""
    token, port = secrets.token_urlsafe(24), free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "trading_server", "--port", str(port), "--quiet"],
        env={**os.environ, "TRADING_CONTROL_TOKEN": token},
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1):
                return True
        except OSError:
            return server.poll() is not None  # stop waiting: it exited

    try:
        wait_until(answers, "the platform answers /health")
        assert server.poll() is None, "the platform exited at start"
        yield url, token
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def control(platform: tuple[str, str]) -> Control:
    control = Control(*platform)
    control.reset()  # every test meets a fresh platform
    return control


def orders_on(url: str) -> list[dict]:
    with urllib.request.urlopen(url + "/orders", timeout=DEADLINE) as answer:
        return json.load(answer)


def test_a_refused_order_is_retried_until_the_platform_recovers(platform, control):
    url, _ = platform
    tally = Tally()
    client = Platform(url, tally, timeout=DEADLINE)
    with ThreadPoolExecutor(max_workers=1) as background:
        with control.faults("error=1"):
            placing = background.submit(client.place, "RETRY", 1)
            # The platform refuses twice: the client retried, and keeps trying.
            wait_until(lambda: tally.counts["retries after 503"] >= 2, "two refusals")
        order = placing.result(timeout=DEADLINE)

    assert order["orderStatus"] == "PENDING"
    assert [listed["orderId"] for listed in orders_on(url)] == [order["orderId"]]


@pytest.fixture
def following(platform, control) -> Iterator[tuple[Platform, FeedFollower, Tally]]:
    """The client under test, and its feed follower connected to the platform
    (after `control` reset it, so the follower sees no reset of its own)."""
    url, _ = platform
    tally = Tally()
    feed = FeedFollower(feed_url_of(url), resume=True, tally=tally)
    feed.start()
    try:
        assert feed.connected.wait(DEADLINE)
        yield Platform(url, tally, timeout=DEADLINE), feed, tally
    finally:
        feed.stop()


def test_an_order_held_pending_can_be_cancelled_and_then_never_executes(following, control):
    client, feed, _ = following
    with control.pause_execution():
        order = client.place("HELD", 1)
        client.call("DELETE", f"/orders/{order['orderId']}", expect=204)
    feed.wait_for_final([order["orderId"]], DEADLINE)
    assert feed.events[order["orderId"]] == ["PENDING", "CANCELLED"]


def test_after_a_platform_reset_the_feed_resynchronises(following, control):
    client, feed, tally = following
    with control.pause_execution():
        before = client.place("BEFORE", 1)
        wait_until(lambda: feed.events.get(before["orderId"]) == ["PENDING"], "PENDING")
        feed.connected.clear()
        control.reset()  # the platform restarts: events are numbered from 1 again
        wait_until(feed.connected.is_set, "the feed reconnects")
        after = client.place("AFTER", 2)
        control.execute(after["orderId"])
    feed.wait_for_final([after["orderId"]], DEADLINE)

    assert feed.events[after["orderId"]] == ["PENDING", "EXECUTED"]
    assert tally.counts["resynchronisations after a platform reset"] == 1
    assert (feed.gaps, feed.duplicates) == (0, 0)
