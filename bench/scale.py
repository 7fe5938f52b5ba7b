"""5. Scale: resident memory per stored order, and GET /orders as the book grows.

Orders are placed from 20 keep-alive connections up to 1,000, 10,000 and
100,000 in the book; at each size GET /orders is timed a few times (the
client's full round trip, body included). Memory per order is the growth
of the server's RSS from 1,000 to 100,000 orders, read before the large
list is first served.
"""

from __future__ import annotations

import asyncio
import time

from .common import median, trading_server
from .httpclient import Connection, place_orders

SIZES = (1_000, 10_000, 100_000)


async def measure(server, sizes, log) -> dict:
    result: dict = {"sizes": {}}
    placed = 0
    rss_first = None
    for size in sizes:
        started = time.perf_counter()
        await place_orders("127.0.0.1", server.port, size - placed, connections=20, deadline=300)
        placed = size
        rss = server.rss_bytes()
        if rss_first is None:
            rss_first, first_size = rss, size
        result["rss_mb"] = rss / 2**20
        result["bytes_per_order"] = (
            (rss - rss_first) / (size - first_size) if size > first_size else float("nan")
        )
        took = []
        connection = await Connection("127.0.0.1", server.port).open()
        for _ in range(5 if size < 100_000 else 3):
            begun = time.perf_counter()
            status, body = await connection.request("GET", "/orders")
            took.append(time.perf_counter() - begun)
            if status != 200:
                raise RuntimeError(f"GET /orders answered {status}")
        await connection.close()
        count = body.count(b'"orderId"')
        result["sizes"][size] = {
            "get_orders_ms": median(took) * 1000,
            "get_orders_max_ms": max(took) * 1000,
            "listed": count,
            "body_mb": len(body) / 2**20,
            "rss_mb": rss / 2**20,
        }
        log(
            f"  {size:,} orders (placed in {time.perf_counter() - started:.1f} s): GET /orders "
            f"{median(took) * 1000:.0f} ms ({count:,} listed, {len(body) / 2**20:.1f} MB), "
            f"RSS {rss / 2**20:.0f} MB"
        )
    return result


def run(sizes=SIZES, log=print) -> dict:
    with trading_server() as server:
        return asyncio.run(measure(server, sizes, log))
