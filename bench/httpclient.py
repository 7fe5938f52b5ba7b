"""A small keep-alive HTTP/1.1 client on asyncio streams, for placing many
orders from Python with each request's latency recorded."""

from __future__ import annotations

import asyncio
import time

ORDER = b'{"stocks": "EURUSD", "quantity": 10}'


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        assert self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)

    async def answer(self) -> tuple[int, bytes]:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
            elif line.lower() == b"transfer-encoding: chunked":
                chunked = True  # a long GET /orders is sent in pieces
        if chunked:
            return status, await self._chunks()
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        pieces = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            pieces.append(await self.reader.readexactly(size + 2))
            if size == 0:
                return b"".join(piece[:-2] for piece in pieces)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        self.send(method, path, body, headers)
        return await self.answer()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def place_orders(
    host: str, port: int, count: int, connections: int = 20, deadline: float = 120.0
) -> list[float]:
    """Place `count` orders over `connections` keep-alive connections; each
    POST's latency in seconds. Stops at `deadline` seconds whatever is left."""
    pool = [await Connection(host, port).open() for _ in range(connections)]
    latencies: list[float] = []
    remaining = [count]
    stop_at = time.monotonic() + deadline

    async def worker(connection: Connection) -> None:
        while remaining[0] > 0 and time.monotonic() < stop_at:
            remaining[0] -= 1
            started = time.perf_counter()
            status, _ = await connection.request("POST", "/orders", ORDER)
            latencies.append(time.perf_counter() - started)
            if status != 201:
                raise RuntimeError(f"POST /orders answered {status}")

    try:
        await asyncio.gather(*(worker(connection) for connection in pool))
    finally:
        for connection in pool:
            await connection.close()
    return latencies
