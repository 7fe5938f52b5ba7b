"""The order event feed: WebSocket subscribers and fan-out.

Publishing never waits for a client. Each event is encoded once and put in
every subscriber's own bounded outbox; each subscriber has its own writer
task, so a slow or vanished client only ever delays itself. A client whose
outbox overflows is disconnected (close code 1008) rather than allowed to
grow the server's memory.
"""

from __future__ import annotations

import asyncio
import json
import logging

from sanic import Websocket

log = logging.getLogger("trading_server.feed")

TOO_SLOW = 1008
GOING_AWAY = 1001


class Subscriber:
    def __init__(self, ws: Websocket, outbox_limit: int) -> None:
        self.ws = ws
        self._outbox: asyncio.Queue[str] = asyncio.Queue(outbox_limit)
        self._writer = asyncio.create_task(self._write_forever())

    def offer(self, frame: str) -> bool:
        """Queue a frame; False when the outbox is full."""
        try:
            self._outbox.put_nowait(frame)
        except asyncio.QueueFull:
            return False
        return True

    async def _write_forever(self) -> None:
        while True:
            await self.ws.send(await self._outbox.get())

    def disconnect(self, code: int, reason: str) -> None:
        """Stop writing and close at once, without waiting for the client."""
        self._writer.cancel()
        self.ws.fail_connection(code, reason)

    def stop_writing(self) -> None:
        self._writer.cancel()


class Feed:
    def __init__(self, outbox_limit: int) -> None:
        self._outbox_limit = outbox_limit
        self._subscribers: set[Subscriber] = set()

    def __len__(self) -> int:
        return len(self._subscribers)

    def publish(self, event: dict) -> None:
        frame = json.dumps(event, separators=(",", ":"))
        for subscriber in list(self._subscribers):
            if not subscriber.offer(frame):
                self._subscribers.discard(subscriber)
                log.warning(
                    "dropped a WebSocket client %s: more than %d events queued",
                    _peer(subscriber.ws),
                    self._outbox_limit,
                )
                subscriber.disconnect(TOO_SLOW, "too slow: outbox full")

    async def serve(self, ws: Websocket) -> None:
        """Subscribe `ws` and keep it subscribed until the client leaves."""
        subscriber = Subscriber(ws, self._outbox_limit)
        self._subscribers.add(subscriber)
        try:
            # Messages from clients are ignored, but reading them is what
            # lets the connection notice pongs and close frames.
            async for _ in ws:
                pass
        finally:
            self._subscribers.discard(subscriber)
            subscriber.stop_writing()

    def close(self) -> None:
        """Disconnect every client with 'going away': the server is stopping."""
        for subscriber in self._subscribers:
            subscriber.disconnect(GOING_AWAY, "server shutting down")
        self._subscribers.clear()


def _peer(ws: Websocket) -> str:
    transport = ws.io_proto.transport if ws.io_proto else None
    peer = transport.get_extra_info("peername") if transport else None
    return f"{peer[0]}:{peer[1]}" if peer else "(unknown)"
