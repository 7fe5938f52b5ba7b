"""A deliberately cheap WebSocket subscriber for fan-out measurements.

A bare asyncio protocol: it performs the opening handshake itself and, once
open, only stamps each chunk the kernel hands it with the time of arrival.
Frames are parsed afterwards (`messages()`, `count()`), when nothing is
arriving, so a thousand of these in one process measure the server, not
the client. It understands just what the
server sends: unmasked, unfragmented frames of up to 64 KiB payload.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from datetime import datetime

# Bytes received by every subscriber of this process, so far.
TOTAL = [0]


async def wait_for(clients: list[Subscriber], each: int, timeout: float) -> bool:
    """Wait until every client has `each` text frames; check only when
    nothing has arrived for 20 ms, so that counting delays no arrival."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = TOTAL[0]
        await asyncio.sleep(0.02)
        if TOTAL[0] == seen and all(client.count() >= each for client in clients):
            return True
    return False


class Subscriber(asyncio.Protocol):
    def __init__(self, host: str, port: int) -> None:
        self._request = (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self._transport: asyncio.Transport | None = None
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()
        self._head = b""
        self.chunks: list[tuple[float, bytes]] = []

    @property
    def transport(self) -> asyncio.Transport:
        """The connection, once made (`opened` is done by then)."""
        assert self._transport is not None, "not connected yet"
        return self._transport

    def connection_made(self, transport) -> None:
        self._transport = transport
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        if not self.opened.done():
            self._head += data
            head, separator, rest = self._head.partition(b"\r\n\r\n")
            if not separator:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(head.split(b"\r\n")[0].decode()))
                return
            self.opened.set_result(None)
            data = rest
            if not data:
                return
        self.chunks.append((time.time(), data))
        TOTAL[0] += len(data)

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during handshake"))
        if not self.closed.done():
            self.closed.set_result(exc)

    def messages(self) -> list[tuple[float, int, bytes]]:
        """Every complete frame so far: (arrival time, opcode, payload)."""
        out = []
        buffer = b""
        for arrived, data in self.chunks:
            buffer += data
            position, size = 0, len(buffer)
            while position + 2 <= size:
                opcode = buffer[position] & 0x0F
                length = buffer[position + 1] & 0x7F
                header = 2
                if length == 126:
                    if position + 4 > size:
                        break
                    length = int.from_bytes(buffer[position + 2 : position + 4], "big")
                    header = 4
                elif length == 127:
                    if position + 10 > size:
                        break
                    length = int.from_bytes(buffer[position + 2 : position + 10], "big")
                    header = 10
                if position + header + length > size:
                    break
                out.append(
                    (arrived, opcode, buffer[position + header : position + header + length])
                )
                position += header + length
            buffer = buffer[position:]
        return out

    def events(self) -> list[tuple[float, dict]]:
        """Every text frame so far, decoded: (arrival time, event)."""
        return [(at, json.loads(payload)) for at, opcode, payload in self.messages() if opcode == 1]

    def forget(self) -> None:
        self.chunks.clear()

    def count(self) -> int:
        """Complete text frames received so far."""
        return sum(1 for _, opcode, _ in self.messages() if opcode == 1)


async def subscribe(host: str, port: int) -> Subscriber:
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: Subscriber(host, port), host, port)
    await client.opened
    return client


async def subscribe_many(host: str, port: int, count: int, batch: int = 50) -> list[Subscriber]:
    clients: list[Subscriber] = []
    while len(clients) < count:
        size = min(batch, count - len(clients))
        clients += await asyncio.gather(*(subscribe(host, port) for _ in range(size)))
    return clients


_EPOCH_CACHE: dict[str, float] = {}


def event_time(timestamp: str) -> float:
    """The event's ISO 8601 UTC `timestamp` as seconds since the epoch."""
    seconds = _EPOCH_CACHE.get(timestamp)
    if seconds is None:
        seconds = _EPOCH_CACHE[timestamp] = datetime.fromisoformat(timestamp).timestamp()
    return seconds
