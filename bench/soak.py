"""`python -m bench.soak MINUTES`: a platform left running, on either store.

    python -m bench.soak 10                  # memory store, 10 minutes
    python -m bench.soak 10 --store redis    # two workers on a Redis of its own
    python -m bench.soak 1 --rate 50 --max-orders 2000 --list-orders 20000   # CI's short one

Two parts, each against a fresh server started by the bench:

1. The soak: a steady rate of orders (each with an idempotency key; one in
   ten cancelled at once), a steady trickle of reads (one order, and a page
   of executed ones), and feed clients connected throughout, on a server
   started with a small `--max-orders`, so that retention fills early and
   the rest of the run shows whether memory stays flat. Every sample
   (every `--every` seconds): the server's RSS (every process of it),
   Redis's `used_memory` on the Redis store, POST and GET p99 over the
   interval, and events lost so far (gaps in the `seq` each feed client
   saw). RSS is "flat" when, from the first sample after retention filled
   and settled (twice `--max-orders` placed) to the end, it stays within
   10% of that sample.
2. Long lists: `--list-orders` orders in the book, then `GET /orders`
   (every one of them) back to back for `--list-seconds`, while a few
   orders a second are placed and a feed client times each event from its
   `timestamp` to its arrival; the same flow first without the long lists,
   as the baseline measured in the same run.

The table goes to the soak section of bench/RESULTS.md (its own section,
one per store, kept when `python -m bench` rewrites the rest); the figures
to bench/results/soak-<store>-<time>.json. Only loopback traffic, bounded
in rate and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import datetime, timezone

import websockets

from .common import NO_DELAYS, RESULTS_DIR, ROOT, Server, percentile, process_rss_bytes
from .httpclient import ORDER, Connection, place_orders
from .redis import Redis, Workers, _tree
from .wsclient import event_time

RESULTS_FILE = ROOT / "bench" / "RESULTS.md"
SOAK_HEADING = "## Soak"
SECTION_START = "<!-- soak:{store} -->"
SECTION_END = "<!-- /soak:{store} -->"
# The soak's server: answers at once (the latencies measured are the
# platform's own), orders pending for 0.5 to 1 s, so some are always pending.
SOAK_DELAYS = ["--response-delay", "0,0", "--execution-delay", "0.5,1.0", "--quiet"]
CONNECTIONS = 8
FLAT_WITHIN = 0.10
LIST_FEED_P99_MS = 50.0
TRICKLE_PER_SECOND = 20


class FeedClient:
    """A feed subscriber that only counts: events, and the gaps in `seq`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.received = 0
        self.first_seq: int | None = None
        self.last_seq = 0
        self.lost = 0
        self.latencies: list[float] = []
        self.task: asyncio.Task | None = None
        self.timing = False

    async def start(self) -> FeedClient:
        connected = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._read(connected))
        await connected
        return self

    async def _read(self, connected: asyncio.Future) -> None:
        async with websockets.connect(self.url, max_size=None) as ws:
            connected.set_result(None)
            async for message in ws:
                event = json.loads(message)
                seq = event["seq"]
                if self.first_seq is None:
                    self.first_seq = seq
                elif seq != self.last_seq + 1:
                    self.lost += max(seq - self.last_seq - 1, 0)
                self.last_seq = seq
                self.received += 1
                if self.timing:
                    self.latencies.append(time.time() - event_time(event["timestamp"]))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


class Window:
    """Latencies since the last sample."""

    def __init__(self) -> None:
        self.post: list[float] = []
        self.get: list[float] = []
        self.errors = 0

    def take(self) -> tuple[list[float], list[float], int]:
        taken = self.post, self.get, self.errors
        self.post, self.get, self.errors = [], [], 0
        return taken


async def _steady_load(port: int, rate: float, stop_at: float, window: Window, placed: list):
    """Orders at `rate` a second, paced by the clock (not by the answers);
    a read for every other order; one order in ten cancelled at once."""
    started = time.monotonic()
    next_slot = [0]
    recent: list[str] = []

    async def worker() -> None:
        connection = await Connection("127.0.0.1", port).open()
        try:
            while True:
                slot = next_slot[0]
                next_slot[0] += 1
                due = started + slot / rate
                if due >= stop_at:
                    return
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                begun = time.perf_counter()
                status, body = await connection.request(
                    "POST", "/orders", ORDER, {"Idempotency-Key": uuid.uuid4().hex}
                )
                window.post.append(time.perf_counter() - begun)
                if status != 201:
                    window.errors += 1
                    continue
                order_id = json.loads(body)["orderId"]
                placed[0] += 1
                recent.append(order_id)
                del recent[:-100]
                if slot % 10 == 0:
                    await connection.request("DELETE", f"/orders/{order_id}")
                if slot % 2 == 0:
                    path = (
                        f"/orders/{recent[0]}"
                        if slot % 4 == 0
                        else "/orders?status=EXECUTED&limit=100"
                    )
                    begun = time.perf_counter()
                    status, _ = await connection.request("GET", path)
                    window.get.append(time.perf_counter() - begun)
                    if status != 200:
                        window.errors += 1
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))


def _process_rss(server: Server) -> int:
    """Every process of the server's (the workers too)."""
    return sum(process_rss_bytes(pid) for pid in _tree(server.pid))


async def soak(server: Server, redis: Redis | None, args, log) -> dict:
    feeds = [
        await FeedClient(f"ws://127.0.0.1:{server.port}/ws").start() for _ in range(args.feeds)
    ]
    window, placed = Window(), [0]
    duration = args.minutes * 60
    started = time.monotonic()
    load = asyncio.create_task(
        _steady_load(server.port, args.rate, started + duration, window, placed)
    )
    samples: list[dict] = []
    while not load.done():
        await asyncio.wait({load}, timeout=args.every)
        post, get, errors = window.take()
        sample = {
            "seconds": round(time.monotonic() - started),
            "placed": placed[0],
            "rss_mb": _process_rss(server) / 2**20,
            "redis_mb": redis.info("used_memory") / 2**20 if redis else None,
            "post_p99_ms": percentile(post, 99) * 1000,
            "get_p99_ms": percentile(get, 99) * 1000,
            "errors": errors,
            "events_lost": sum(feed.lost for feed in feeds),
        }
        samples.append(sample)
        log(
            f"  {sample['seconds']:>5} s: {sample['placed']:>7,} placed, RSS "
            f"{sample['rss_mb']:.1f} MB"
            + (f", Redis {sample['redis_mb']:.1f} MB" if redis else "")
            + f", POST p99 {sample['post_p99_ms']:.1f} ms, GET p99 {sample['get_p99_ms']:.1f} ms"
            f", {errors} errors, {sample['events_lost']} events lost"
        )
    load.result()
    # Every event of the run reaches every client (or counts as lost).
    await asyncio.sleep(3)
    last_seq = max(feed.last_seq for feed in feeds)
    for feed in feeds:
        feed.lost += last_seq - feed.last_seq
        await feed.stop()
    full = [s for s in samples if s["placed"] >= 2 * args.max_orders]
    result = {
        "samples": samples,
        "placed": placed[0],
        "events_received": sum(feed.received for feed in feeds),
        "events_lost": sum(feed.lost for feed in feeds),
        "errors": sum(s["errors"] for s in samples),
    }
    for name in ("rss_mb", "redis_mb"):
        values: list[float] = [s[name] for s in full if s[name] is not None]
        if values:
            result[name] = {
                "at_full": values[0],
                "min": min(values),
                "max": max(values),
                "spread": max(abs(v - values[0]) for v in values) / values[0],
            }
    return result


async def long_lists(server: Server, args, log) -> dict:
    """Feed latency while `GET /orders` of every order runs back to back."""
    log(f"  placing {args.list_orders:,} orders")
    await place_orders("127.0.0.1", server.port, args.list_orders, connections=20, deadline=600)
    feed = await FeedClient(f"ws://127.0.0.1:{server.port}/ws").start()

    async def trickle(seconds: float) -> list[float]:
        connection = await Connection("127.0.0.1", server.port).open()
        latencies = []
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            begun = time.perf_counter()
            await connection.request("POST", "/orders", ORDER)
            latencies.append(time.perf_counter() - begun)
            await asyncio.sleep(1 / TRICKLE_PER_SECOND)
        await connection.close()
        return latencies

    async def lists(stop: asyncio.Event, took: list[float], sizes: list[int]) -> None:
        connection = await Connection("127.0.0.1", server.port).open()
        while not stop.is_set():
            begun = time.perf_counter()
            status, body = await connection.request("GET", "/orders")
            took.append(time.perf_counter() - begun)
            sizes.append(body.count(b'"orderId"'))
            if status != 200:
                raise RuntimeError(f"GET /orders answered {status}")
        await connection.close()

    result = {}
    for name, listing in (("baseline", False), ("long_lists", True)):
        feed.latencies, feed.timing = [], True
        stop = asyncio.Event()
        took: list[float] = []
        sizes: list[int] = []
        lister = asyncio.create_task(lists(stop, took, sizes)) if listing else None
        posts = await trickle(args.list_seconds)
        stop.set()
        if lister is not None:
            await lister
        await asyncio.sleep(0.5)
        feed.timing = False
        result[name] = {
            "feed_p50_ms": percentile(feed.latencies, 50) * 1000,
            "feed_p99_ms": percentile(feed.latencies, 99) * 1000,
            "feed_max_ms": max(feed.latencies, default=float("nan")) * 1000,
            "events": len(feed.latencies),
            "post_p99_ms": percentile(posts, 99) * 1000,
            "lists": len(took),
            "list_median_ms": percentile(took, 50) * 1000 if took else None,
            "listed": max(sizes, default=0),
        }
        log(
            f"  {name}: feed p50 / p99 / max {result[name]['feed_p50_ms']:.1f} / "
            f"{result[name]['feed_p99_ms']:.1f} / {result[name]['feed_max_ms']:.1f} ms over "
            f"{len(feed.latencies)} events; POST p99 {result[name]['post_p99_ms']:.1f} ms"
            + (
                f"; {len(took)} lists of {max(sizes):,} orders, median "
                f"{result[name]['list_median_ms']:.0f} ms"
                if took
                else ""
            )
        )
    await feed.stop()
    return result


def table(store: str, args, figures: dict) -> str:
    soaked, lists = figures["soak"], figures.get("lists")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### Soak, {store} store ({when}; `python -m bench.soak {args.minutes:g}"
        f"{' --store redis' if store == 'redis' else ''} --rate {args.rate:g} "
        f"--max-orders {args.max_orders} --feeds {args.feeds} --list-orders {args.list_orders}`)",
        "",
        "| s | placed | RSS MB | Redis MB | POST p99 ms | GET p99 ms | errors | events lost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in soaked["samples"]:
        redis_mb = f"{s['redis_mb']:.1f}" if s["redis_mb"] is not None else "–"
        lines.append(
            f"| {s['seconds']} | {s['placed']:,} | {s['rss_mb']:.1f} | {redis_mb} | "
            f"{s['post_p99_ms']:.1f} | {s['get_p99_ms']:.1f} | {s['errors']} | {s['events_lost']} |"
        )
    lines.append("")
    verdicts = []
    for name, label in (("rss_mb", "RSS"), ("redis_mb", "Redis used_memory")):
        if name in soaked:
            m = soaked[name]
            flat = "met" if m["spread"] <= FLAT_WITHIN else "**NOT met**"
            verdicts.append(
                f"- {label} once retention is full (from {2 * args.max_orders:,} placed): "
                f"{m['at_full']:.1f} MB, then {m['min']:.1f}–{m['max']:.1f} MB, at most "
                f"{m['spread']:.1%} from it (target ≤ {FLAT_WITHIN:.0%}): {flat}"
            )
    lost = soaked["events_lost"]
    verdicts.append(
        f"- Events lost: {lost} of {soaked['events_received'] + lost:,} "
        f"({args.feeds} feed clients; target 0): {'met' if lost == 0 else '**NOT met**'}"
    )
    if lists:
        base, busy = lists["baseline"], lists["long_lists"]
        met = "met" if busy["feed_p99_ms"] <= LIST_FEED_P99_MS else "**NOT met**"
        verdicts.append(
            f"- Feed latency p99 while `GET /orders` of {busy['listed']:,} orders runs back to "
            f"back ({busy['lists']} lists, median {busy['list_median_ms']:.0f} ms each): "
            f"{busy['feed_p99_ms']:.1f} ms (without the lists: {base['feed_p99_ms']:.1f} ms, "
            f"×{busy['feed_p99_ms'] / base['feed_p99_ms']:.2f}); target ≤ "
            f"{LIST_FEED_P99_MS:.0f} ms: {met}"
        )
    return "\n".join(lines + verdicts) + "\n"


def kept_section() -> str:
    """The soak section of bench/RESULTS.md as it stands ('' without one)."""
    text = RESULTS_FILE.read_text() if RESULTS_FILE.exists() else ""
    start = text.find(SOAK_HEADING)
    return "" if start < 0 else "\n" + text[start:]


def record(store: str, section: str) -> None:
    """Put the section in bench/RESULTS.md, replacing this store's last one."""
    start, end = SECTION_START.format(store=store), SECTION_END.format(store=store)
    text = RESULTS_FILE.read_text() if RESULTS_FILE.exists() else ""
    block = f"{start}\n{section}{end}\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end) + "\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        if SOAK_HEADING not in text:
            text = (
                text.rstrip("\n") + f"\n\n{SOAK_HEADING}\n\nProduced by `python -m bench.soak`.\n"
            )
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS_FILE.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("minutes", type=float, help="how long the soak runs")
    parser.add_argument("--store", choices=("memory", "redis"), default="memory")
    parser.add_argument("--rate", type=float, default=100, help="orders a second (100)")
    parser.add_argument("--max-orders", type=int, default=10_000, help="retention (10,000)")
    parser.add_argument("--feeds", type=int, default=5, help="feed clients connected (5)")
    parser.add_argument("--every", type=float, default=30, help="seconds between samples (30)")
    parser.add_argument(
        "--list-orders", type=int, default=100_000, help="orders in the long lists (0: skip)"
    )
    parser.add_argument("--list-seconds", type=float, default=20, help="seconds of long lists")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when an event was lost or a request failed (CI's short soak)",
    )
    args = parser.parse_args(argv)

    figures: dict = {"store": args.store, "arguments": vars(args)}
    with ExitStack() as stack:
        redis = stack.enter_context(Redis()) if args.store == "redis" else None

        def server(delays: list[str], max_orders: int) -> Server:
            options = [*delays, "--max-orders", str(max_orders)]
            if redis is None:
                return Server("memory store", "trading_server", options)
            redis.command("FLUSHALL")
            options += ["--store", redis.url, "--workers", "2"]
            return Workers("Redis store, 2 workers", "trading_server", options)

        _log(f"soak: {args.minutes:g} min on the {args.store} store")
        with server(SOAK_DELAYS, args.max_orders) as soaked:
            figures["soak"] = asyncio.run(soak(soaked, redis, args, _log))
        if args.list_orders:
            _log(f"long lists: {args.list_orders:,} orders")
            # Room for the trickle's orders too: every list is the same length.
            with server(NO_DELAYS, 2 * args.list_orders) as listed:
                figures["lists"] = asyncio.run(long_lists(listed, args, _log))

    section = table(args.store, args, figures)
    print(section)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS_DIR / f"soak-{args.store}-{stamp}.json").write_text(json.dumps(figures, indent=2))
    if not args.no_write:
        record(args.store, section)
    if args.check and (figures["soak"]["events_lost"] or figures["soak"]["errors"]):
        _log("soak: events were lost or requests failed")
        return 1
    return 0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
