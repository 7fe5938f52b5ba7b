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
"""

from __future__ import annotations

import asyncio
import json
import logging
from sanic import Websocket
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from .store import Event, Store

log = logging.getLogger("trading_server.feed")

TOO_SLOW = 1008
GOING_AWAY = 1001
EVENT_FRAME_BYTES = 170  # about, for the log

_encode = json.JSONEncoder(separators=(",", ":")).encode


def text_frame(message: str) -> bytes:
    """`message` as one complete server-to-client text frame."""
    return Frame(Opcode.TEXT, message.encode()).serialize(mask=False, extensions=[])


class Subscriber:
    def __init__(self, ws: Websocket, backlog_limit: int) -> None:
        self.ws = ws
        self._transport = ws.io_proto.transport
        self._backlog_limit = backlog_limit

    def offer(self, frame: bytes) -> bool:
        """Write a frame; False when it would leave too much unsent."""
        if self.ws.ws_proto.state is not State.OPEN or self._transport.is_closing():
            return True  # closing already: Sanic finishes the close handshake
        if self.backlog() + len(frame) > self._backlog_limit:
            return False
        self._transport.write(frame)
        return True

    def backlog(self) -> int:
        """Bytes written for this client that it has not taken yet."""
        return self._transport.get_write_buffer_size()

    def disconnect(self, code: int, reason: str) -> None:
        """Close at once, without waiting for the client."""
        self.ws.fail_connection(code, reason)


class Feed:
    def __init__(self, store: Store, backlog_limit: int) -> None:
        self._backlog_limit = backlog_limit
        self._subscribers: set[Subscriber] = set()
        self._unsent: list[bytes] = []
        store.on_event(self.publish)

    def publish(self, event: Event) -> None:
        """Send the event to every subscriber."""
        if not self._subscribers:
            return
        if not self._unsent:
            asyncio.get_running_loop().call_soon(self._flush)
        self._unsent.append(text_frame(_encode(event.order.event())))

    def _flush(self) -> None:
        """Write every event published since the last flush to every subscriber."""
        if not self._unsent:
            return
        frames = b"".join(self._unsent)
        self._unsent.clear()
        for subscriber in list(self._subscribers):
            if not subscriber.offer(frames):
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

    async def serve(self, ws: Websocket) -> None:
        """Subscribe `ws` and keep it subscribed until the client leaves."""
        subscriber = Subscriber(ws, self._backlog_limit)
        self._flush()  # events from before the subscription are not for this client
        self._subscribers.add(subscriber)
        try:
            # Messages from clients are ignored, but reading them is what
            # lets the connection notice pongs and close frames.
            async for _ in ws:
                pass
        finally:
            self._subscribers.discard(subscriber)

    def close(self) -> None:
        """Disconnect every client with 'going away': the server is stopping."""
        for subscriber in self._subscribers:
            subscriber.disconnect(GOING_AWAY, "server shutting down")
        self._subscribers.clear()


def _peer(ws: Websocket) -> str:
    transport = ws.io_proto.transport if ws.io_proto else None
    peer = transport.get_extra_info("peername") if transport else None
    return f"{peer[0]}:{peer[1]}" if peer else "(unknown)"
