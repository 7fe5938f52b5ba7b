"""`python -m bench.retries`: many simultaneous retries of one order
(`Idempotency-Key`, the `idempotency` extension) place it exactly once.

A server with the default response delay (0.1 to 1.0 s, so the retries
meet the first request in flight) is started on a free port and watched
by a feed client. RETRIES connections are opened, then each sends the same
POST /orders with the same key at once. Expected: one 201 that is not a
replay; every other answer a 409 (the first still in flight) or a 201
replaying the first's body with `Idempotent-Replayed: true`; one order in
GET /orders; one PENDING event on the feed. Exit status 0 when so.

    python -m bench.retries [--retries 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.request
from collections import Counter

from websockets.asyncio.client import connect

from .common import Server

ORDER = b'{"stocks": "RETRY", "quantity": 7}'
KEY = "bench-retries-0001"
SETTLE_SECONDS = 1.0  # after the last answer, for any stray event to arrive


async def post_with_key(host: str, port: int, start: asyncio.Event) -> tuple[int, bool, bytes]:
    """One POST on its own connection, sent when `start` is set:
    (status, replayed, body)."""
    reader, writer = await asyncio.open_connection(host, port)
    await start.wait()
    writer.write(
        f"POST /orders HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Idempotency-Key: {KEY}\r\nContent-Length: {len(ORDER)}\r\n\r\n".encode()
        + ORDER
    )
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip()
        for name, _, value in (line.partition(":") for line in head[1:] if line)
    }
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    writer.close()
    return int(head[0][9:12]), headers.get("idempotent-replayed") == "true", body


async def run(retries: int) -> int:
    with Server(
        "trading server", "trading_server", ["--quiet", "--execution-delay", "60,60"]
    ) as server:
        events: list[dict] = []
        async with connect(f"ws://127.0.0.1:{server.port}/ws") as feed:
            start = asyncio.Event()
            posts = [
                asyncio.create_task(post_with_key("127.0.0.1", server.port, start))
                for _ in range(retries)
            ]
            await asyncio.sleep(1.0)  # every connection open before the start signal
            started = time.monotonic()
            start.set()
            answers = await asyncio.gather(*posts)
            seconds = time.monotonic() - started
            try:
                while True:
                    events.append(json.loads(await asyncio.wait_for(feed.recv(), SETTLE_SECONDS)))
            except TimeoutError:
                pass
        with urllib.request.urlopen(server.url + "/orders") as answer:
            orders = json.load(answer)

    kinds = Counter("201 replayed" if replayed else str(status) for status, replayed, _ in answers)
    firsts = [body for status, replayed, body in answers if status == 201 and not replayed]
    replays = [body for status, replayed, body in answers if status == 201 and replayed]
    pending = [event for event in events if event.get("orderStatus") == "PENDING"]
    problems = []
    if len(firsts) != 1:
        problems.append(f"{len(firsts)} answers placed an order, not 1")
    if firsts and any(body != firsts[0] for body in replays):
        problems.append("a replay's body differs from the first answer's")
    if set(kinds) - {"201", "201 replayed", "409"}:
        problems.append(f"unexpected answers: {dict(kinds)}")
    if len(orders) != 1:
        problems.append(f"GET /orders lists {len(orders)} orders, not 1")
    if len(pending) != 1:
        problems.append(f"the feed reported {len(pending)} PENDING events, not 1")
    print(
        f"{retries} simultaneous POSTs with one key, answered within {seconds:.2f} s: "
        f"{', '.join(f'{count} × {kind}' for kind, count in sorted(kinds.items()))}; "
        f"{len(orders)} order(s) in GET /orders; {len(pending)} PENDING event(s) on the feed"
    )
    for problem in problems:
        print("PROBLEM:", problem)
    if not problems:
        print("placed exactly once")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.retries",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--retries", type=int, default=1000)
    args = parser.parse_args(argv)
    return asyncio.run(run(args.retries))


if __name__ == "__main__":
    sys.exit(main())
