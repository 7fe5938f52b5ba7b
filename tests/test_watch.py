"""The feed watcher's formatting (`trading_server/watch.py`)."""

from __future__ import annotations

import argparse

import pytest

from trading_server.watch import (
    HEADER,
    event_seq,
    feed_url,
    format_event,
    resume_url,
)

EVENT = (
    '{"seq": 3, "orderId": "7d1c5d4e-3f3a-4b9e-9a43-0c6f1f0d2b7a", "orderStatus": "EXECUTED", '
    '"stocks": "EURUSD", "quantity": 1e-7, "timestamp": "2026-11-21T07:13:00.123456Z"}'
)


def test_an_event_is_one_line_in_the_header_s_columns() -> None:
    line = format_event(EVENT)
    assert line.split() == [
        "2026-11-21T07:13:00.123456Z",
        "7d1c5d4e-3f3a-4b9e-9a43-0c6f1f0d2b7a",
        "EURUSD",
        "1e-7",  # as the server spelt it
        "EXECUTED",
    ]
    assert HEADER.index("ORDER ID") == line.index("7d1c5d4e")
    assert HEADER.index("STOCKS") == line.index("EURUSD")
    assert HEADER.index("QUANTITY") + len("QUANTITY") == line.index("1e-7") + len("1e-7")
    assert HEADER.index("STATUS") == line.index("EXECUTED")


def test_wide_and_control_characters_keep_the_columns() -> None:
    line = format_event(EVENT.replace("EURUSD", "株式\\n"))
    assert "株式\\n" in line
    assert "\n" not in line
    assert HEADER.index("STATUS") == len(line) - len("EXECUTED") + 2  # two wide characters


@pytest.mark.parametrize("frame", ["not json", "[]", '{"orderId": "x"}'])
def test_an_unreadable_event_is_shown_as_it_came(frame: str) -> None:
    assert format_event(frame) == f"(unreadable event) {frame}"


@pytest.mark.parametrize(
    ("frame", "seq"),
    [(EVENT, 3), ('{"seq": true}', None), ('{"seq": "3"}', None), ("[]", None), ("{", None)],
)
def test_the_seq_of_an_event(frame: str, seq: int | None) -> None:
    assert event_seq(frame) == seq


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("ws://127.0.0.1:8000/ws", "ws://127.0.0.1:8000/ws"),
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws"),
        ("https://example.org/platform/", "wss://example.org/platform/ws"),
        ("http://example.org/ws", "ws://example.org/ws"),
    ],
)
def test_the_feed_address_from_the_server_s(given: str, url: str) -> None:
    assert feed_url(given) == url


@pytest.mark.parametrize("given", ["ftp://example.org", "127.0.0.1:8000", "http://"])
def test_an_address_that_is_no_feed_is_refused(given: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        feed_url(given)


def test_resuming_asks_for_the_events_after_the_last_seen() -> None:
    assert resume_url("ws://host/ws", 41) == "ws://host/ws?since=41"
    assert resume_url("ws://host/ws?token=x", 41) == "ws://host/ws?token=x&since=41"
