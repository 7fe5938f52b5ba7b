"""Cancel against execution across two instances sharing one Redis: one winner each.

    python -m bench.races                      # 10,000 races on a Redis and two instances it starts
    python -m bench.races --orders 2000 --connections 20
    python -m bench.races --urls http://127.0.0.1:8001,http://127.0.0.1:8002

Each order is placed through one instance and cancelled at once through the
other, while its execution (1-5 ms after creation) is due: whichever change
Redis runs first wins. Every instance's feed is watched throughout. At the
end every order must have exactly one winner:
- a `204` cancel reads back `CANCELLED`, a `409` reads back `EXECUTED`;
- each feed shows the order `PENDING` first, then one final event, the one
  the read-back says, and nothing more; `seq` (when sent) only increases.

With `--urls` the instances are yours (started with `--store redis://...`):
kill Redis or an instance by hand mid-burst; requests that fail then are
counted as unknown, and the checks cover what was answered, over the feeds
still open at the end: a confirmed order is never lost nor executed twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from itertools import pairwise
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

from .common import Server, free_port
from .httpclient import ORDER, Connection

EXECUTION_DELAY = "0.001,0.005"
FINAL = {204: "CANCELLED", 409: "EXECUTED"}
QUIET_SECONDS = 1.0  # the feeds are complete once nothing arrived for this long
BURST_DEADLINE = 600.0  # seconds: a platform that stopped answering ends the run
RETRY_PAUSE = 0.2  # after a failed request, before the next attempt
SETTLE_SECONDS = 15.0  # at most this long for the last pending orders to be executed


class Feed:
    """One instance's feed, every event kept, pings answered by websockets."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: list[dict] = []
        self.last_arrival = time.monotonic()
        self.broken: str | None = None  # why it ended before we closed it
        self._closing = False

    async def open(self) -> None:
        self._socket = await connect(self.url, max_size=None, max_queue=None)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self._socket:
                self.events.append(json.loads(message))
                self.last_arrival = time.monotonic()
        except Exception as error:
            self.broken = repr(error)
        if not self._closing and self.broken is None:
            self.broken = "closed by the server"

    async def close(self) -> None:
        self._closing = True
        await self._socket.close()
        await self._task


async def race(urls: list[str], orders: int, connections: int) -> dict:
    addresses = [urlsplit(url) for url in urls]
    feeds = [Feed(f"ws://{address.netloc}/ws") for address in addresses]
    for feed in feeds:
        await feed.open()
    outcomes: dict[str, int] = {}  # order id -> the cancel's status
    unknown: Counter[str] = Counter()
    gone: set[int] = set()  # instances that refuse connections
    remaining = [orders]
    started = time.monotonic()
    give_up_at = started + BURST_DEADLINE

    async def worker(index: int) -> None:
        open_connections: dict[int, Connection] = {}

        async def connection(side: int) -> Connection:
            if side not in open_connections:
                address = addresses[side]
                host, port = address.hostname or "127.0.0.1", address.port or 80
                open_connections[side] = await Connection(host, port).open()
            return open_connections[side]

        while remaining[0] > 0 and time.monotonic() < give_up_at:
            # Place through one instance, cancel through the other; through
            # the survivor alone once an instance is gone.
            live = [side for side in range(len(addresses)) if side not in gone] or [0]
            placer, canceller = live[index % len(live)], live[(index + 1) % len(live)]
            try:
                status, body = await (await connection(placer)).request("POST", "/orders", ORDER)
                if status != 201:
                    unknown[f"POST {status}"] += 1
                    await asyncio.sleep(RETRY_PAUSE)
                    continue
                remaining[0] -= 1
                order_id = json.loads(body)["orderId"]
                status, _ = await (await connection(canceller)).request(
                    "DELETE", f"/orders/{order_id}"
                )
                if status in FINAL:
                    outcomes[order_id] = status
                else:
                    unknown[f"DELETE {status}"] += 1
            except ConnectionRefusedError:
                unknown["ConnectionRefusedError"] += 1
                gone.update(side for side in (placer, canceller) if side not in open_connections)
                open_connections.clear()
            except (OSError, asyncio.IncompleteReadError) as error:
                # An instance or Redis went away mid-request (by hand, with --urls).
                unknown[type(error).__name__] += 1
                open_connections.clear()
                await asyncio.sleep(RETRY_PAUSE)

    await asyncio.gather(*(worker(index) for index in range(connections)))
    burst = time.monotonic() - started
    while any(
        feed.broken is None and time.monotonic() - feed.last_arrival < QUIET_SECONDS
        for feed in feeds
    ):
        await asyncio.sleep(0.1)
    final_statuses = await read_back(addresses)
    for feed in feeds:
        await feed.close()
    return check(outcomes, unknown, final_statuses, feeds, burst)


async def read_back(addresses) -> dict[str, str]:
    """Every order's status, once none is pending (an order whose instance
    died waits for a sweep, or for a claim's lease), or at the deadline."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        try:
            statuses = await read_once(addresses)
        except RuntimeError:  # Redis is still away, say
            if time.monotonic() > deadline:
                raise
        else:
            if "PENDING" not in statuses.values() or time.monotonic() > deadline:
                return statuses
        await asyncio.sleep(0.5)


async def read_once(addresses) -> dict[str, str]:
    """Every order's status, from whichever instance answers."""
    failures = []
    for address in addresses:
        try:
            connection = await Connection(address.hostname, address.port).open()
            status, body = await connection.request("GET", "/orders")
            await connection.close()
        except (OSError, asyncio.IncompleteReadError) as error:
            failures.append(f"{address.netloc}: {error!r}")
            continue
        if status == 200:
            return {order["orderId"]: order["orderStatus"] for order in json.loads(body)}
        failures.append(f"{address.netloc}: {status} {body[:200]!r}")
    raise RuntimeError(f"no instance answered GET /orders: {failures}")


def check(outcomes, unknown, final_statuses, feeds, burst) -> dict:
    problems: list[str] = []
    for order_id, cancel_status in outcomes.items():
        final = final_statuses.get(order_id)
        if final != FINAL[cancel_status]:
            problems.append(
                f"{order_id}: the cancel answered {cancel_status}, the order reads back {final}"
            )
    pending = [order_id for order_id, status in final_statuses.items() if status == "PENDING"]
    problems += [f"{order_id}: still PENDING at the end" for order_id in pending]
    feed_reports = []
    for feed in feeds:
        feed_reports.append({"url": feed.url, "events": len(feed.events), "broken": feed.broken})
        if feed.broken:
            continue  # its instance went away: the other feed speaks for the platform
        per_order = defaultdict(list)
        for event in feed.events:
            per_order[event["orderId"]].append(event["orderStatus"])
        for order_id, final in final_statuses.items():
            if per_order[order_id] != ["PENDING", final]:
                problems.append(
                    f"{order_id}: {feed.url} reported {per_order[order_id]}, read back {final}"
                )
        seqs = [event["seq"] for event in feed.events if "seq" in event]
        if any(later <= earlier for earlier, later in pairwise(seqs)):
            problems.append(f"{feed.url}: seq not increasing")
    wins = Counter(FINAL[status] for status in outcomes.values())
    return {
        "races": len(outcomes),
        "cancel won": wins["CANCELLED"],
        "execution won": wins["EXECUTED"],
        "unknown answers": dict(unknown),
        "orders in the store": len(final_statuses),
        "burst seconds": round(burst, 1),
        "feeds": feed_reports,
        "problems": problems[:20],
        "problem count": len(problems),
    }


def start_platform(directory: str, execution_delay: str):
    """A redis-server and two instances on it, all on free ports."""
    redis_port = free_port()
    redis = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--dir",
            directory,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    store = ["--store", f"redis://127.0.0.1:{redis_port}/0"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", redis_port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    delays = ["--response-delay", "0,0", "--execution-delay", execution_delay, "--quiet"]
    instances = [
        Server(f"instance {name}", "trading_server", [*delays, *store]).start() for name in "AB"
    ]
    return redis, instances


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.races",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument(
        "--connections",
        type=int,
        default=20,
        help="concurrent place-then-cancel loops (default 20)",
    )
    parser.add_argument(
        "--execution-delay",
        default=EXECUTION_DELAY,
        metavar="MIN,MAX",
        help=f"of the instances it starts (default {EXECUTION_DELAY}): "
        "the closer to a request's round trip, the more even the races",
    )
    parser.add_argument("--urls", help="two running instances, comma-separated")
    args = parser.parse_args(argv)
    redis = instances = directory = None
    if args.urls:
        urls = args.urls.split(",")
    else:
        directory = tempfile.TemporaryDirectory()
        redis, instances = start_platform(directory.name, args.execution_delay)
        urls = [instance.url for instance in instances]
    try:
        result = asyncio.run(race(urls, args.orders, args.connections))
    finally:
        for instance in instances or []:
            instance.stop()
        if redis is not None:
            redis.terminate()
            redis.wait(10)
        if directory is not None:
            directory.cleanup()
    print(json.dumps(result, indent=2))
    return 1 if result["problem count"] or result["races"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
