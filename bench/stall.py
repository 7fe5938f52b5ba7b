"""3. A stalled subscriber among ten readers.

Ten cheap subscribers read everything; an eleventh completes its handshake
and then stops reading (its transport paused), like a client that hung.
Orders then flow from 20 keep-alive connections, each placing the next
order as soon as the last is answered. The same flow runs twice on one
server: first without the silent client (the control), then with it.

Reported: the share of events each reader received, the readers' p99 with
and without the stalled client, the slowest POST, whether and when the
server dropped the silent client (its log line says how much was queued),
and the server's resident memory over each flow.
"""

from __future__ import annotations

import asyncio
import time

from .common import percentile, trading_server
from .httpclient import place_orders
from .wsclient import event_time, subscribe, subscribe_many, wait_for

READERS = 10
POSTERS = 20


async def flow(server, orders: int, silent: bool, log) -> dict:
    readers = await subscribe_many("127.0.0.1", server.port, READERS)
    quiet = await subscribe("127.0.0.1", server.port) if silent else None
    if quiet is not None:
        quiet.transport.pause_reading()
    await asyncio.sleep(0.3)
    samples: list[int] = []
    sampling = True

    async def sample_memory() -> None:
        while sampling:
            samples.append(server.rss_bytes())
            await asyncio.sleep(0.05)

    log_lines_before = len(server.lines)
    rss_before = server.rss_bytes()
    sampler = asyncio.create_task(sample_memory())
    started = time.time()
    post_latencies = await place_orders("127.0.0.1", server.port, orders, POSTERS)
    expected = 2 * orders
    await wait_for(readers, expected, timeout=60)
    elapsed = time.time() - started
    sampling = False
    await sampler
    rss_after = server.rss_bytes()

    received = [0] * READERS
    latencies: list[float] = []
    for index, reader in enumerate(readers):
        for arrived, event in reader.events():
            received[index] += 1
            latencies.append(arrived - event_time(event["timestamp"]))
        reader.transport.close()

    result = {
        "orders": orders,
        "seconds": elapsed,
        "events_per_reader": expected,
        "min_received_share": min(received) / expected,
        "reader_p50_ms": percentile(latencies, 50) * 1000,
        "reader_p99_ms": percentile(latencies, 99) * 1000,
        "post_p99_ms": percentile(post_latencies, 99) * 1000,
        "post_max_ms": max(post_latencies) * 1000,
        "rss_before_mb": rss_before / 2**20,
        "rss_max_mb": max(*samples, rss_after) / 2**20,
        "rss_after_mb": rss_after / 2**20,
    }
    if quiet is not None:
        drops = [
            line
            for line in server.lines[log_lines_before:]
            if "dropped a WebSocket client" in line.text
        ]
        result["dropped"] = bool(drops)
        result["drop_log"] = drops[0].text.split(": ", 1)[-1] if drops else ""
        result["dropped_after_s"] = drops[0].at - started if drops else None
        # Resume reading: what reached the silent client before it was dropped.
        quiet.transport.resume_reading()
        await asyncio.sleep(1.0)
        messages = quiet.messages()
        result["silent_received"] = sum(1 for _, opcode, _ in messages if opcode == 1)
        result["silent_close_code"] = next(
            (int.from_bytes(payload[:2], "big") for _, opcode, payload in messages if opcode == 8),
            None,
        )
        quiet.transport.close()
    log(
        f"  {'with' if silent else 'without'} a stalled client: {orders:,} orders in "
        f"{elapsed:.1f} s, readers got {result['min_received_share']:.1%} (min), "
        f"p99 {result['reader_p99_ms']:.1f} ms, "
        f"slowest POST {result['post_max_ms']:.0f} ms, RSS {result['rss_before_mb']:.0f} -> "
        f"{result['rss_max_mb']:.0f} MB"
        + (f", dropped: {result['drop_log'] or 'NO'}" if silent else "")
    )
    return result


def run(orders: int = 30000, log=print) -> dict:
    with trading_server() as server:

        async def both() -> dict:
            control = await flow(server, orders, silent=False, log=log)
            stalled = await flow(server, orders, silent=True, log=log)
            return {"control": control, "stalled": stalled}

        return asyncio.run(both())
