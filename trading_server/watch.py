"""`python -m trading_server.watch [URL]`: print the order feed, one line per event.

A console client for people: it connects to the feed, prints a header row
and then each event as a line in columns (on stdout), and says what it is
doing in timestamped lines of plain words (on stderr, so that stdout can be
redirected to a file of events). It reconnects with back-off when the
server goes away, stops with one line and exit status 2 when the server
refuses the subscription (a wrong address), and exits cleanly on Ctrl-C or
SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import signal
import socket
import sys
import unicodedata
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    WebSocketException,
)
from websockets.frames import Close

from .cli import program_name
from .settings import Settings

# The feed of a server started with its defaults.
DEFAULT_URL = f"ws://{Settings.host}:{Settings.port}/ws"
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 10.0

# (heading, width, alignment): the timestamp's and the UUID's own lengths,
# the contract's longest symbol (32 characters), and room for a quantity of
# 1,000,000,000 with some decimals.
COLUMNS = (
    ("TIME (UTC)", 27, "<"),
    ("ORDER ID", 36, "<"),
    ("STOCKS", 32, "<"),
    ("QUANTITY", 14, ">"),
    ("STATUS", 0, "<"),
)
GOING_AWAY = 1001


class SubscriptionRefused(Exception):
    """The server answered the handshake with a status that retrying won't change."""


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
        path = parts.path.rstrip("/")
        if not path.endswith("/ws"):
            path += "/ws"
        return urlunsplit((scheme, parts.netloc, path, "", ""))
    return url


def _printable(text: str) -> str:
    """Text from the server as it can be shown: control characters escaped, not obeyed."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cells(values: tuple[str, ...]) -> str:
    cells = []
    for value, (_, width, align) in zip(values, COLUMNS, strict=True):
        text = _printable(value)
        padding = " " * max(0, width - _display_width(text))
        cells.append(text + padding if align == "<" else padding + text)
    return "  ".join(cells).rstrip()


HEADER = _cells(tuple(heading for heading, _, _ in COLUMNS))


def format_event(frame: str) -> str:
    try:
        # Numbers keep the text the server sent, rather than Python's
        # spelling of them (which may differ: 1e-7 would become 1e-07).
        event = json.loads(frame, parse_int=str, parse_float=str)
        return _cells(
            (
                event["timestamp"],
                event["orderId"],
                event["stocks"],
                event["quantity"],
                event["orderStatus"],
            )
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"(unreadable event) {_printable(frame)}"


def say(message: str) -> None:
    """A status line, timestamped like the events."""
    print(
        f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S.%fZ}  {message}",
        file=sys.stderr,
        flush=True,
    )


def _http_status(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _why_unreachable(error: Exception, url: str) -> str:
    """Why the watcher is not subscribed, in words."""
    if isinstance(error, InvalidStatus):
        return f"the server answered {_http_status(error.response.status_code)}"
    if isinstance(error, socket.gaierror):
        return f"host {urlsplit(url).hostname} not found"
    address = urlsplit(url).netloc
    if isinstance(error, ConnectionRefusedError):
        return f"server not reachable at {address}"
    if isinstance(error, TimeoutError):
        return f"server at {address} not answering"
    if isinstance(error, ConnectionClosed):
        return _why_closed(error.rcvd)
    if isinstance(error, OSError):
        return f"server not reachable at {address} ({error.strerror or error})"
    return f"the connection failed ({error})"


def _why_closed(close: Close | None) -> str:
    """`close`: the close frame the server sent, if any."""
    if close is None:
        return "connection lost"
    if close.code == GOING_AWAY:
        return "the server is shutting down"
    return f"the server closed the connection ({close.reason or f'code {close.code}'})"


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


class FeedWatcher:
    def __init__(self, url: str) -> None:
        self.url = url
        self.header_printed = False
        # When the connection was last lost: events since then did not reach us.
        self.lost_at: datetime | None = None
        # The latest event's number, from a server with the `sequence` extension.
        self.last_seq: int | None = None

    def subscription_url(self) -> str:
        """Where each (re)connection subscribes: after the last event seen,
        when the server numbers its events, so that nothing is missed."""
        return self.url if self.last_seq is None else resume_url(self.url, self.last_seq)

    async def run(self) -> None:
        retry_in = FIRST_RETRY_SECONDS
        while True:
            try:
                async with connect(self.subscription_url()) as ws:
                    self._connected()
                    retry_in = FIRST_RETRY_SECONDS
                    try:
                        async for frame in ws:
                            self._show(frame)
                        problem = _why_closed(ws.protocol.close_rcvd)
                    except ConnectionClosed as closed:
                        problem = _why_closed(closed.rcvd)
                    self.lost_at = datetime.now(timezone.utc)
            except InvalidStatus as refusal:
                status = refusal.response.status_code
                # A server error may pass; anything else says the address is wrong
                # or the request is refused, which retrying will not change.
                if status < 500:
                    hint = (
                        ""
                        if urlsplit(self.url).path.endswith("/ws")
                        else "; the feed's address ends in /ws"
                    )
                    raise SubscriptionRefused(
                        f"{self.url}: the server did not open the feed "
                        f"({_http_status(status)}){hint}"
                    ) from None
                problem = _why_unreachable(refusal, self.url)
            except (OSError, InvalidHandshake, WebSocketException) as error:
                problem = _why_unreachable(error, self.url)
            say(f"{problem}; retrying in {retry_in:g} s")
            await asyncio.sleep(retry_in)
            retry_in = min(retry_in * 2, LONGEST_RETRY_SECONDS)

    def _connected(self) -> None:
        if self.lost_at is None:
            say(f"connected to {self.url}; waiting for order events")
        elif self.last_seq is not None:
            say(f"connected again to {self.url}; resuming after event {self.last_seq}")
        else:
            say(
                f"connected again to {self.url}; "
                f"events since {self.lost_at:%H:%M:%S}Z may have been missed"
            )
        self.lost_at = None
        if not self.header_printed:
            print(HEADER, flush=True)
            self.header_printed = True

    def _show(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):  # the feed sends text; a binary frame is shown as text
            frame = frame.decode(errors="replace")
        seq = event_seq(frame)
        if seq is not None and self.last_seq is not None:
            if seq <= self.last_seq:
                say(
                    f"the server's events are numbered from {seq} again: it restarted, "
                    "and orders placed before are gone"
                )
            elif seq > self.last_seq + 1:
                say(
                    f"events {self.last_seq + 1} to {seq - 1} were missed: "
                    "the server no longer keeps them"
                )
        if seq is not None:
            self.last_seq = seq
        print(format_event(frame), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=program_name("trading_server.watch"),
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
    # A symbol the console's encoding cannot show must not end the watcher.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):  # not when replaced (by a test, say)
            stream.reconfigure(errors="replace")
    # SIGTERM (docker stop, kill) ends the watcher as quietly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(FeedWatcher(url).run())
    except SubscriptionRefused as refusal:
        print(f"trading_server.watch: error: {refusal}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
