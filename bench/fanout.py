"""2. WebSocket fan-out: one burst of 100 orders, to 100 and to 1000 subscribers.

Every subscriber is a cheap client (bench/wsclient.py) in this process, on
CLIENT_CORE. A burst is 100 POST /orders sent at once over 100 open
keep-alive connections; with no execution delay each order makes two
events (PENDING, EXECUTED), so each subscriber must receive 200 messages.
Latency is each message's arrival at each client minus the event's own
`timestamp`; messages/s is every delivered message over the time from the
first POST to the last arrival; CPU per message is the server's CPU time
over the burst divided by the messages delivered.
"""

from __future__ import annotations

import asyncio
import time

from .common import percentile, trading_server
from .httpclient import ORDER, Connection
from .wsclient import event_time, subscribe_many, wait_for

ORDERS_PER_BURST = 100


async def burst(server, clients, posters) -> dict:
    expected = 2 * ORDERS_PER_BURST
    for client in clients:
        client.forget()
    await asyncio.sleep(0.2)
    cpu_before = server.cpu_seconds()
    started = time.time()
    for connection in posters:
        connection.send("POST", "/orders", ORDER)
    statuses = await asyncio.gather(*(connection.answer() for connection in posters))
    if any(status != 201 for status, _ in statuses):
        raise RuntimeError("a POST of the burst failed")
    await wait_for(clients, expected, timeout=60)
    cpu = server.cpu_seconds() - cpu_before
    latencies: list[float] = []
    last_arrival = started
    delivered = 0
    for client in clients:
        for arrived, event in client.events():
            latencies.append(arrived - event_time(event["timestamp"]))
            last_arrival = max(last_arrival, arrived)
            delivered += 1
    return {
        "delivered": delivered,
        "expected": expected * len(clients),
        "seconds": last_arrival - started,
        "server_cpu_s": cpu,
        "latencies": latencies,
    }


async def measure(server, subscribers: int, bursts: int, log) -> dict:
    clients = await subscribe_many("127.0.0.1", server.port, subscribers)
    posters = [await Connection("127.0.0.1", server.port).open() for _ in range(ORDERS_PER_BURST)]
    await asyncio.sleep(0.5)
    runs = []
    for number in range(1, bursts + 1):
        run = await burst(server, clients, posters)
        runs.append(run)
        log(
            f"  {subscribers} subscribers, burst {number}/{bursts}: "
            f"{run['delivered']:,}/{run['expected']:,} messages in {run['seconds'] * 1000:.0f} ms, "
            f"p99 {percentile(run['latencies'], 99) * 1000:.1f} ms, "
            f"{run['server_cpu_s'] / max(run['delivered'], 1) * 1e6:.2f} us CPU/message"
        )
    for connection in posters:
        await connection.close()
    for client in clients:
        client.transport.close()
    latencies = [latency for run in runs for latency in run["latencies"]]
    delivered = sum(run["delivered"] for run in runs)
    return {
        "subscribers": subscribers,
        "bursts": bursts,
        "delivered": delivered,
        "expected": sum(run["expected"] for run in runs),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "messages_per_s": sorted(run["delivered"] / run["seconds"] for run in runs)[len(runs) // 2],
        "cpu_us_per_message": sum(run["server_cpu_s"] for run in runs) / max(delivered, 1) * 1e6,
    }


def run(bursts: int = 3, sizes=(100, 1000), log=print) -> dict:
    results = {}
    for subscribers in sizes:
        with trading_server() as server:
            results[subscribers] = asyncio.run(measure(server, subscribers, bursts, log))
    return results
