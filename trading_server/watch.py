"""`python -m trading_server.watch [URL]`: print the order feed, one line per event.

A console client for people: it connects to the feed, prints each event as
a readable line, reconnects with back-off when the server goes away, and
exits cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, WebSocketException

DEFAULT_URL = "ws://127.0.0.1:8000/ws"
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 10.0


def feed_url(url: str) -> str:
    """Accept the feed's ws:// address, or the server's http:// base address."""
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{url!r} is not a URL: {error}") from None
    if parts.scheme not in ("ws", "wss", "http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{url!r} is not a ws://, wss://, http:// or https:// address"
        )
    if parts.scheme in ("http", "https"):
        scheme = "ws" if parts.scheme == "http" else "wss"
        path = parts.path.rstrip("/") + "/ws"
        return urlunsplit((scheme, parts.netloc, path, "", ""))
    return url


def format_event(frame: str) -> str:
    try:
        event = json.loads(frame)
        return "  ".join(
            (
                event["timestamp"],
                event["orderId"],
                f"{event['stocks']:<8}",
                f"{event['quantity']:>12}",
                event["orderStatus"],
            )
        )
    except (ValueError, KeyError, TypeError):
        return f"(unreadable event) {frame}"


def event_seq(frame: str) -> int | None:
    """The event's `seq` (servers with the `sequence` extension number events)."""
    try:
        seq = json.loads(frame).get("seq")
    except (ValueError, AttributeError):
        return None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def resume_url(url: str, last_seq: int) -> str:
    """The feed address that replays what came after `last_seq`."""
    return f"{url}{'&' if urlsplit(url).query else '?'}since={last_seq}"


async def watch(url: str) -> None:
    retry_in = FIRST_RETRY_SECONDS
    last_seq = None
    while True:
        try:
            async with connect(url if last_seq is None else resume_url(url, last_seq)) as ws:
                if last_seq is None:
                    print(f"connected to {url}; waiting for order events", flush=True)
                else:
                    print(f"reconnected to {url}; resuming after event {last_seq}", flush=True)
                retry_in = FIRST_RETRY_SECONDS
                async for frame in ws:
                    last_seq = event_seq(frame) or last_seq
                    print(format_event(frame), flush=True)
            problem = "the server closed the connection"
        except (OSError, InvalidHandshake, WebSocketException) as error:
            problem = f"cannot reach {url} ({error or type(error).__name__})"
        print(f"{problem}; retrying in {retry_in:g} s", flush=True)
        await asyncio.sleep(retry_in)
        retry_in = min(retry_in * 2, LONGEST_RETRY_SECONDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trading_server.watch",
        description="Print the trading platform's order events as they happen.",
    )
    parser.add_argument(
        "url",
        nargs="?",
        type=feed_url,
        default=DEFAULT_URL,
        help=f"the feed's ws:// address or the server's http:// address (default: {DEFAULT_URL})",
    )
    url = parser.parse_args(argv).url
    # SIGTERM (docker stop, kill) ends the watcher as quietly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(watch(url))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
