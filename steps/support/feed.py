"""A WebSocket client that records every event of the order feed.

A background thread keeps reading (the server pings its clients and drops
one that stops reading; websocket-client answers the pings while it reads)
and stores each frame with its arrival time on the monotonic clock. Steps
wait on the store with deadlines instead of sleeping.
"""

import contextlib
import json
import threading
import time
from dataclasses import dataclass

import websocket

HANDSHAKE_TIMEOUT = 10
# A PENDING event is sent when the order is created, before the confirmation
# leaves the server; this only allows for the two taking different paths.
EVENT_IN_FLIGHT = 2.0
READ_POLL = 1.0  # how often the reader checks whether it should stop
# A PENDING event is sent when the order is created, before the confirmation
# leaves the server; this only allows for the two taking different paths.
EVENT_IN_FLIGHT = 2.0


@dataclass(frozen=True)
class Event:
    received_at: float
    raw: str
    data: object  # the decoded JSON, or None if the frame was not JSON

    @property
    def order_id(self):
        return self.data.get("orderId") if isinstance(self.data, dict) else None

    @property
    def status(self):
        return self.data.get("orderStatus") if isinstance(self.data, dict) else None


def handshake_failure(error):
    if isinstance(error, (TimeoutError, websocket.WebSocketTimeoutException)):
        return f"no handshake within {HANDSHAKE_TIMEOUT} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    return str(error) or type(error).__name__


class FeedRefused(AssertionError):
    """The server answered the handshake with an HTTP error instead of opening the feed."""

    def __init__(self, url, status, headers, body):
        self.status = status
        self.headers = headers or {}
        self.body = body or b""
        text = self.body[:500].decode("utf-8", "replace")
        super().__init__(f"the feed {url} was refused: HTTP {status} {text!r}")


class FeedListener:
    """`since`: resume after that event number (the `sequence` extension)."""

    def __init__(self, url, since=None, **handshake):
        """`handshake`: websocket-client's options, e.g. `origin=` or
        `suppress_origin=True` (it sends the feed's own address by default)."""
        if since is not None:
            url = f"{url}?since={since}"
        self.url = url
        self._events = []
        self._error = None
        self.ending = None  # how the server ended the connection: "closed" or "dropped"
        self.close_code = None  # the code of the server's close frame, if it sent one
        self._stopping = False
        self._changed = threading.Condition()
        # create_connection returns once the handshake has completed, which is
        # the moment the contract counts as subscribed.
        try:
            self._socket = websocket.create_connection(url, timeout=HANDSHAKE_TIMEOUT, **handshake)
        except websocket.WebSocketBadStatusException as refusal:
            raise FeedRefused(
                url, refusal.status_code, refusal.resp_headers, refusal.resp_body
            ) from None
        except (OSError, websocket.WebSocketException) as error:
            # One line, as for a request the server does not answer (api.py).
            raise AssertionError(
                f"the feed {url} could not be opened: {handshake_failure(error)}"
            ) from None
        self._socket.settimeout(READ_POLL)
        self._reader = threading.Thread(target=self._read, name="feed-listener", daemon=True)
        self._reader.start()

    def _read(self):
        try:
            while not self._stopping:
                try:
                    opcode, data = self._socket.recv_data()
                except websocket.WebSocketTimeoutException:
                    continue
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    # The close code says why (1012: the platform was reset).
                    self.close_code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                    if not self._stopping:
                        self._record_error("the server closed the feed", "closed")
                    return
                self._record(data.decode("utf-8") if opcode == websocket.ABNF.OPCODE_TEXT else data)
        except (websocket.WebSocketConnectionClosedException, ConnectionError) as error:
            if not self._stopping:
                self._record_error(
                    f"the connection dropped without a close frame: {error!r}", "dropped"
                )
        except Exception as error:
            if not self._stopping:
                self._record_error(f"the feed failed: {error!r}", "failed")
        finally:
            self._socket.close()

    def _record(self, frame):
        try:
            data = json.loads(frame)
        except ValueError:
            data = None
        with self._changed:
            self._events.append(Event(time.monotonic(), frame, data))
            self._changed.notify_all()

    def _record_error(self, message, ending):
        with self._changed:
            self._error = message
            self.ending = ending
            self._changed.notify_all()

    def send(self, text):
        self._socket.send(text)

    def close(self):
        self._stopping = True
        with contextlib.suppress(Exception):  # closed already, or never opened
            self._socket.send_close()
        self._reader.join(timeout=READ_POLL + 1)

    # -- Reading the store -------------------------------------------------

    def seqs(self):
        """The `seq` of every event received, in arrival order."""
        return [
            event.data.get("seq") if isinstance(event.data, dict) else None
            for event in self.events()
        ]

    def wait_for_seq(self, seq, timeout):
        """Wait until the event numbered `seq` (or a later one) has arrived."""
        return self.wait_for(
            lambda event: (
                isinstance(event.data, dict)
                and isinstance(event.data.get("seq"), int)
                and event.data["seq"] >= seq
            ),
            timeout,
            f"the event numbered {seq}",
        )

    def events(self, predicate=lambda event: True):
        with self._changed:
            return [event for event in self._events if predicate(event)]

    def wait_until_ended(self, timeout):
        """How the server ended the connection ("closed", "dropped" or
        "failed"), waiting up to `timeout` seconds; None if it is still open."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.ending is None and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            return self.ending

    def events_for(self, order_id):
        return self.events(lambda event: event.order_id == order_id)

    def wait_for(self, predicate, timeout, what):
        """The first matching event, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self._events:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._error:
                    raise AssertionError(
                        f"the feed did not report {what} within {timeout:.1f} s"
                        + (f" ({self._error})" if self._error else "")
                        + f"; it reported: {self._describe(self._events)}"
                    )
                self._changed.wait(remaining)

    def wait_for_status(self, order_id, status, timeout):
        return self.wait_for(
            lambda event: event.order_id == order_id and event.status == status,
            timeout,
            f"order {order_id} as {status}",
        )

    def wait_for_all(self, order_ids, status, timeout):
        """One matching event per order id (the first of each)."""
        wanted = set(order_ids)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found: dict[str, Event] = {}
                for event in self._events:
                    if event.order_id in wanted and event.status == status:
                        found.setdefault(event.order_id, event)
                if len(found) == len(wanted):
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._error:
                    raise AssertionError(
                        f"the feed reported {status} for only {len(found)} of "
                        f"{len(wanted)} orders within {timeout:.1f} s"
                        + (f" ({self._error})" if self._error else "")
                    )
                self._changed.wait(remaining)

    def watch_until(self, deadline, predicate):
        """Watch the feed until `deadline` (monotonic) and return the matching
        events; returns as soon as one arrives, since that already answers
        "did anything arrive?"."""
        with self._changed:
            while True:
                matching = [event for event in self._events if predicate(event)]
                remaining = deadline - time.monotonic()
                if matching or remaining <= 0:
                    return matching
                self._changed.wait(remaining)

    @staticmethod
    def _describe(events, limit=20):
        shown = [event.raw for event in events[-limit:]]
        more = f" (and {len(events) - limit} earlier)" if len(events) > limit else ""
        return (", ".join(shown) or "nothing") + more


def refused_handshake(url):
    """Try to subscribe at `url`; the `FeedRefused` it was answered with.
    Fails when the server accepts the subscription."""
    try:
        listener = FeedListener(url)
    except FeedRefused as refusal:
        return refusal
    listener.close()
    raise AssertionError(f"the server accepted the subscription at {url}")
