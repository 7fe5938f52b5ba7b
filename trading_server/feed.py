"""The order event feed: WebSocket subscribers and fan-out.

Publishing never waits for a client. Each event is encoded and framed once
(one unmasked RFC 6455 text frame, the same bytes for every client: the
handshake negotiates no extensions). The events published while the event
loop runs one round of callbacks are written together, straight to every
subscriber's transport, at the end of that round: one write per client for
a burst rather than one per event. The transport's write buffer is the subscriber's
outbox: the kernel takes what the client can receive, the rest waits
there. A subscriber whose unsent bytes would pass `backlog_limit` is
disconnected (close code 1008) rather than allowed to grow the server's
memory, so a slow or vanished client only ever delays itself.

A client that subscribes with `since` (the `sequence` extension) is first
sent the retained events after that number, as fast as it takes them,
while the events published meanwhile are held for it; it joins the live
fan-out only once nothing is left to send, in one step with no await, so
the seam between replay and live has no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import json
import logging

from sanic import Websocket
from sanic.exceptions import RequestCancelled
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from .faults import FaultInjector
from .store import Event, Store

log = logging.getLogger("trading_server.feed")

TOO_SLOW = 1008
GOING_AWAY = 1001
SERVICE_RESTART = 1012
EVENT_FRAME_BYTES = 170  # about, for the log
# Replayed events are framed and written this many at a time, waiting for
# the client in between (the transport's flow control).
REPLAY_BATCH = 200

_encode = json.JSONEncoder(separators=(",", ":")).encode


class InvalidSince(ValueError):
    """`since` is not a non-negative integer."""


def parse_since(values: list[str]) -> int | None:
    """The `since` of a subscription (every value the query string gave it),
    or None without one."""
    if not values:
        return None
    if len(values) != 1:
        raise InvalidSince("since: give it once, as a non-negative integer")
    text = values[0]
    # isdigit() alone would take other scripts' digits and superscripts.
    if not (text.isascii() and text.isdigit()):
        raise InvalidSince(f"since: expected a non-negative integer (a seq), got {text[:40]!r}")
    try:
        return int(text)
    except ValueError:  # more digits than int() converts
        raise InvalidSince("since: too large for a seq") from None


def text_frame(message: str) -> bytes:
    """`message` as one complete server-to-client text frame."""
    return Frame(Opcode.TEXT, message.encode()).serialize(mask=False, extensions=[])


class Subscriber:
    def __init__(self, ws: Websocket, backlog_limit: int) -> None:
        # A handler is only given an open connection: its protocol and
        # transport are there for as long as it is served.
        assert ws.io_proto is not None
        assert ws.io_proto.transport is not None
        self.ws = ws
        self._protocol = ws.io_proto
        self._transport: asyncio.Transport = ws.io_proto.transport
        self._backlog_limit = backlog_limit

    def offer(self, frame: bytes) -> bool:
        """Write a frame; False when it would leave too much unsent."""
        if self.ws.ws_proto.state is not State.OPEN or self._transport.is_closing():
            return True  # closing already: Sanic finishes the close handshake
        if self.backlog() + len(frame) > self._backlog_limit:
            return False
        self._transport.write(frame)
        return True

    async def send(self, frames: bytes) -> bool:
        """Write frames once the client has taken most of the earlier ones
        (the transport's flow control); False when the client has gone."""
        if self.ws.ws_proto.state is not State.OPEN:
            return False
        try:
            await self._protocol.send(frames)
        except RequestCancelled:  # the connection is closing
            return False
        return True

    def backlog(self) -> int:
        """Bytes written for this client that it has not taken yet."""
        return self._transport.get_write_buffer_size()

    def disconnect(self, code: int, reason: str) -> None:
        """Close at once, without waiting for the client."""
        self.ws.fail_connection(code, reason)

    def drop(self, last_frames: bytes) -> None:
        """Write `last_frames`, then drop the TCP connection without a close
        frame, as a broken network would (an injected fault)."""
        self.offer(last_frames)
        self._transport.abort()

    def __str__(self) -> str:
        return _peer(self.ws)


class Feed:
    def __init__(self, store: Store, backlog_limit: int, faults: FaultInjector) -> None:
        self._backlog_limit = backlog_limit
        self._faults = faults
        self._store = store
        self._subscribers: set[Subscriber] = set()
        self._unsent: list[bytes] = []
        # Subscribers still being sent their replay, and the events held for them.
        self._replaying: dict[Subscriber, list[Event]] = {}
        # The latest event published here, and replays waiting for the next.
        self._published_seq = 0
        self._next_event: asyncio.Future | None = None
        store.on_event(self.publish)

    def publish(self, event: Event) -> None:
        """Send the event to every subscriber."""
        self._published_seq = event.seq
        if self._next_event is not None:
            self._next_event.set_result(None)
            self._next_event = None
        if self._replaying:
            self._hold(event)
        if not self._subscribers:
            return
        if not self._unsent:
            asyncio.get_running_loop().call_soon(self._flush)
        self._unsent.append(text_frame(_encode(event.to_json())))

    def _hold(self, event: Event) -> None:
        """Keep the event for the subscribers still being sent their replay;
        drop one that would need more held than the backlog limit allows."""
        held_limit = self._backlog_limit // EVENT_FRAME_BYTES
        for subscriber, held in list(self._replaying.items()):
            held.append(event)
            if len(held) > held_limit:
                del self._replaying[subscriber]
                log.warning(
                    "dropped a WebSocket client %s: %d events held while its replay "
                    "was being sent, the limit is %d",
                    _peer(subscriber.ws),
                    len(held),
                    held_limit,
                )
                subscriber.disconnect(TOO_SLOW, "too slow: too many events unsent")

    def _flush(self) -> None:
        """Write every event published since the last flush to every subscriber."""
        if not self._unsent:
            return
        batch, self._unsent = self._unsent, []
        frames = b"".join(batch)
        for subscriber in list(self._subscribers):
            delivered = self._faults.drops_feed_client(len(batch), subscriber)
            if delivered is not None:
                subscriber.drop(b"".join(batch[:delivered]))
                self._subscribers.discard(subscriber)
            elif not subscriber.offer(frames):
                self._subscribers.discard(subscriber)
                log.warning(
                    "dropped a WebSocket client %s: %d bytes (about %d events) unsent, "
                    "the limit is %d",
                    _peer(subscriber.ws),
                    subscriber.backlog(),
                    subscriber.backlog() // EVENT_FRAME_BYTES,
                    self._backlog_limit,
                )
                subscriber.disconnect(TOO_SLOW, "too slow: too many events unsent")

    async def serve(self, ws: Websocket, since: int | None = None) -> None:
        """Subscribe `ws` and keep it subscribed until the client leaves;
        with `since`, send it the retained events after that `seq` first."""
        subscriber = Subscriber(ws, self._backlog_limit)
        try:
            if since is not None and not await self._replay(subscriber, since):
                return
            self._flush()  # events from before the subscription (or sent in the replay)
            self._subscribers.add(subscriber)
            # Messages from clients are ignored, but reading them is what
            # lets the connection notice pongs and close frames.
            async for _ in ws:
                pass
        finally:
            self._replaying.pop(subscriber, None)
            self._subscribers.discard(subscriber)

    async def _replay(self, subscriber: Subscriber, since: int) -> bool:
        """Send the retained events after `since`, then those published
        meanwhile, until none is left; False when the client left."""
        held = self._replaying[subscriber] = []
        # Not `since`: after a restart (numbers start again at 1) a client
        # may resume beyond the latest event, and must still get the new ones.
        last_sent = 0
        pending = await self._store.events_after(since)
        while True:
            if subscriber not in self._replaying:  # dropped as too slow
                return False
            if not pending:  # sent what was fetched: now what was published meanwhile
                pending, held = held, []
                self._replaying[subscriber] = held
                if not pending:
                    if self._published_seq >= last_sent:
                        break
                    # A shared store delivers its events here a moment after
                    # numbering them: joining the live feed before it caught
                    # up with the replay would send those events twice.
                    await self._published()
                    continue
            batch, pending = pending[:REPLAY_BATCH], pending[REPLAY_BATCH:]
            frames = []
            for event in batch:
                # Held events may repeat the newest fetched ones.
                if event.seq > last_sent:
                    frames.append(text_frame(_encode(event.to_json())))
                    last_sent = event.seq
            delivered = self._faults.drops_feed_client(len(frames), subscriber)
            if delivered is not None:
                subscriber.drop(b"".join(frames[:delivered]))
                return False
            if frames and not await subscriber.send(b"".join(frames)):
                return False
            # Framing 10,000 events takes tens of milliseconds: let requests
            # and the other clients run between batches.
            await asyncio.sleep(0)
        del self._replaying[subscriber]
        return True

    def _published(self) -> asyncio.Future:
        """Resolved when the next event is published."""
        if self._next_event is None:
            self._next_event = asyncio.get_running_loop().create_future()
        return self._next_event

    def close(self) -> None:
        """Disconnect every client with 'going away': the server is stopping."""
        self._disconnect_all(GOING_AWAY, "server shutting down")

    def restart(self) -> None:
        """The store was reset (events are numbered from 1 again): disconnect
        every client with 'service restart', so that each resynchronises."""
        self._disconnect_all(SERVICE_RESTART, "the platform was reset: resynchronise")
        self._unsent.clear()
        self._published_seq = 0

    def _disconnect_all(self, code: int, reason: str) -> None:
        for subscriber in [*self._subscribers, *self._replaying]:
            subscriber.disconnect(code, reason)
        self._subscribers.clear()
        self._replaying.clear()


def _peer(ws: Websocket) -> str:
    transport = ws.io_proto.transport if ws.io_proto else None
    peer = transport.get_extra_info("peername") if transport else None
    return f"{peer[0]}:{peer[1]}" if peer else "(unknown)"
