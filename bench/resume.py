"""`python -m bench.resume`: a feed client that keeps losing its connection
during a burst of orders, and resumes each time with `since` (the
`sequence` extension), must end up with every event exactly once, in order.

A server (delays off, so the burst is as dense as it gets) is started on a
free port, and a bystander client subscribes without `since`. While
ORDERS orders are placed over 20 connections, the client drops its
connection after a random number of events (half the time abruptly,
without a close frame, as a broken network would), stays away for a
random time, reconnects with `since=` the last `seq` it saw, and carries
on. At the end its `seq`s must be exactly 1..N with N the server's `Feed-Seq`, each order's events
PENDING then EXECUTED. Exit status 0 when they are, 1 otherwise.

    python -m bench.resume [--orders 10000] [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import urllib.request
from itertools import pairwise
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .common import trading_server
from .httpclient import place_orders

LONGEST_RUN = 2_000  # events at most between two disconnections
LONGEST_OFFLINE = 0.2  # seconds: a few thousand events at most, well within the 10,000 retained
GIVE_UP_SECONDS = 60


async def watch_live(url: str, seqs: list[int]) -> None:
    """A bystander that stays connected: with it, live events are being
    fanned out while the resuming client's replays are sent."""
    async with connect(url, max_queue=None) as ws:
        async for frame in ws:
            seqs.append(json.loads(frame)["seq"])


async def follow(
    url: str, expected: int, placing: asyncio.Task, rng: random.Random, stats: dict
) -> list[dict]:
    """Every event, reconnecting with `since` after each deliberate drop,
    until `expected` have arrived once the placing is done, or time is up."""
    events: list[dict] = []
    last_seq = 0
    give_up_at = time.monotonic() + GIVE_UP_SECONDS

    def finished() -> bool:
        return (placing.done() and len(events) >= expected) or time.monotonic() > give_up_at

    while not finished():
        run = rng.randint(1, LONGEST_RUN)
        since, received_before = last_seq, len(events)
        async with connect(f"{url}?since={since}", max_queue=None) as ws:
            try:
                while run > 0:
                    try:
                        frame = await asyncio.wait_for(ws.recv(), timeout=1.0)
                    except TimeoutError:
                        if finished():
                            break
                        continue
                    event = json.loads(frame)
                    events.append(event)
                    last_seq = event["seq"]
                    run -= 1
                if run == 0 and rng.random() < 0.5:
                    ws.transport.abort()  # no close frame: a broken network
                    stats["aborted"] += 1
            except ConnectionClosed:
                pass
        first = events[received_before]["seq"] if len(events) > received_before else None
        stats["connections"].append((since, first, len(events) - received_before))
        # Offline for a while: the replay is then long enough to be sent
        # while new events are being published.
        await asyncio.sleep(rng.uniform(0, LONGEST_OFFLINE))
    return events


def problems(events: list[dict], final_seq: int, orders: int) -> list[str]:
    found = []
    seqs = [event["seq"] for event in events]
    if seqs != list(range(1, final_seq + 1)):
        duplicates = len(seqs) - len(set(seqs))
        missing = len(set(range(1, final_seq + 1)) - set(seqs))
        out_of_order = sum(1 for a, b in pairwise(seqs) if b <= a)
        found.append(
            f"seqs are not 1..{final_seq}: {duplicates} duplicates, "
            f"{missing} missing, {out_of_order} out of order"
        )
    statuses: dict[str, list[str]] = {}
    for event in events:
        statuses.setdefault(event["orderId"], []).append(event["orderStatus"])
    if len(statuses) != orders:
        found.append(f"events for {len(statuses)} orders, not {orders}")
    wrong = [order for order, seen in statuses.items() if seen != ["PENDING", "EXECUTED"]]
    if wrong:
        found.append(f"{len(wrong)} orders without exactly PENDING then EXECUTED")
    return found


async def run(orders: int, seed: int | None) -> int:
    rng = random.Random(seed)
    with trading_server() as server:
        url = f"ws://127.0.0.1:{server.port}/ws"
        expected = 2 * orders
        stats: dict[str, Any] = {"connections": [], "aborted": 0}
        started = time.monotonic()
        bystander: list[int] = []
        watching = asyncio.create_task(watch_live(url, bystander))
        placing = asyncio.create_task(place_orders("127.0.0.1", server.port, orders))
        events = await follow(url, expected, placing, rng, stats)
        await placing
        watching.cancel()
        seconds = time.monotonic() - started
        with urllib.request.urlopen(server.url + "/orders") as answer:
            final_seq = int(answer.headers["Feed-Seq"])
    found = problems(events, final_seq, orders)
    if bystander != list(range(1, final_seq + 1)):
        found.append(f"the bystander received {len(bystander)} events, not 1..{final_seq} in order")
    connections = len(stats["connections"])
    print(
        f"{orders} orders, {final_seq} events (Feed-Seq at the end) in {seconds:.1f} s; "
        f"the client connected {connections} times "
        f"({connections - 1} resumes, {stats['aborted']} after an abrupt drop) "
        f"and received {len(events)} events"
    )
    for problem in found:
        print("PROBLEM:", problem)
    if found:
        print(
            "each connection's since, first seq received and events received:", stats["connections"]
        )
    if not found:
        print("every event exactly once, in order")
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.resume",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seed", type=int, help="for the random drops")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.orders, args.seed))


if __name__ == "__main__":
    sys.exit(main())
