"""4. The contract's 100-order scenario, at the default delays.

One WebSocket subscriber (a cheap client), then 100 POST /orders sent at
once over 100 open connections. Reported: the wall time from the first
POST sent to the last answer, the execution delays by the server's own
timestamps (EXECUTED `timestamp` minus `createdAt`), and the error of the
same delay as a client measures it (arrival of the EXECUTED event minus
arrival of the PENDING event) against the server's figure.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from .common import Server
from .httpclient import ORDER, Connection
from .wsclient import event_time, subscribe, wait_for

ORDERS = 100


async def measure(server: Server) -> dict:
    client = await subscribe("127.0.0.1", server.port)
    posters = [await Connection("127.0.0.1", server.port).open() for _ in range(ORDERS)]
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    for connection in posters:
        connection.send("POST", "/orders", ORDER)
    answers = await asyncio.gather(*(connection.answer() for connection in posters))
    wall = time.perf_counter() - started
    created = {}
    for status, body in answers:
        if status != 201:
            raise RuntimeError(f"POST /orders answered {status}")
        order = json.loads(body)
        created[order["orderId"]] = event_time(order["createdAt"])
    await wait_for([client], 2 * ORDERS, timeout=10)
    for connection in posters:
        await connection.close()
    arrivals: dict[str, dict[str, float]] = {}
    server_delay: dict[str, float] = {}
    for arrived, event in client.events():
        arrivals.setdefault(event["orderId"], {})[event["orderStatus"]] = arrived
        if event["orderStatus"] == "EXECUTED":
            server_delay[event["orderId"]] = (
                event_time(event["timestamp"]) - created[event["orderId"]]
            )
    client.transport.close()
    errors = [
        (arrivals[order_id]["EXECUTED"] - arrivals[order_id]["PENDING"]) - delay
        for order_id, delay in server_delay.items()
        if "PENDING" in arrivals[order_id]
    ]
    delays = list(server_delay.values())
    return {
        "orders": ORDERS,
        "wall_s": wall,
        "executed": len(delays),
        "delay_min_s": min(delays),
        "delay_mean_s": statistics.fmean(delays),
        "delay_max_s": max(delays),
        "delay_stdev_s": statistics.stdev(delays),
        "error_mean_ms": statistics.fmean(errors) * 1000,
        "error_mean_abs_ms": statistics.fmean(abs(error) for error in errors) * 1000,
        "error_max_abs_ms": max(abs(error) for error in errors) * 1000,
    }


def run(repeats: int = 3, log=print) -> dict:
    runs = []
    for number in range(1, repeats + 1):
        with Server("trading server", "trading_server", ["--quiet"]) as server:
            result = asyncio.run(measure(server))
        runs.append(result)
        log(
            f"  run {number}/{repeats}: 100 orders placed in {result['wall_s']:.3f} s, "
            f"execution delay {result['delay_min_s']:.2f}-{result['delay_max_s']:.2f} s "
            f"(mean {result['delay_mean_s']:.2f}), client error mean "
            f"{result['error_mean_ms']:+.2f} ms, max abs {result['error_max_abs_ms']:.2f} ms"
        )
    return {"runs": runs, "wall_s_max": max(run["wall_s"] for run in runs)}
