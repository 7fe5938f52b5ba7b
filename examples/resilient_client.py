"""A trading client that survives a hostile platform: what `--faults` is for.

    python -m trading_server --faults error=0.2,disconnect=0.05 --port 9000
    python examples/resilient_client.py http://127.0.0.1:9000 --orders 1000

It places a burst of orders while following the feed, and ends by checking
that every order was placed exactly once and that every event of every
order was received. To get there it:

- retries a refused or unanswered `POST /orders` with exponential back-off
  and jitter, waiting at least what `Retry-After` asks;
- sends each order with its own `Idempotency-Key` (when the platform offers
  the `idempotency` extension), so a retry after a lost answer never places
  the order twice;
- reconnects to the feed when the connection drops and, when the platform
  offers `sequence`, resumes after the last event it saw (`?since=N`), so a
  dropped connection loses nothing;
- when the platform says it restarted (close code 1012, as a reset through
  the `control` extension does), resumes from the start of the new numbering.

examples/test_resilient_client.py proves the retries and the resync
deterministically, steering the platform with its test control.

Without those extensions it still retries, and reports what it could not
guarantee. Exit status 0 when every check passes, 1 otherwise. Needs
`requests` and `websocket-client` (both in requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
import websocket

FIRST_BACKOFF = 0.1  # seconds before the first retry, doubled each time
LONGEST_BACKOFF = 5.0
ATTEMPTS = 30
CONNECT_TIMEOUT = 5
FINAL_STATUSES = {"EXECUTED", "CANCELLED"}
# The close code of a feed whose platform was reset (1012, service restart).
PLATFORM_RESET = (1012).to_bytes(2, "big")


def backoff(attempt: int, retry_after: str | None) -> float:
    """Full jitter (a random wait up to the doubled back-off), never shorter
    than the server's Retry-After."""
    wait = random.uniform(0, min(LONGEST_BACKOFF, FIRST_BACKOFF * 2**attempt))
    if retry_after and retry_after.isdigit():
        wait = max(wait, float(retry_after))
    return wait


@dataclass
class Tally:
    """What happened, counted across threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: Counter = field(default_factory=Counter)

    def add(self, what: str, amount: int = 1) -> None:
        with self.lock:
            self.counts[what] += amount


class Platform:
    """The REST side: one `requests` session per thread."""

    def __init__(self, base_url: str, tally: Tally, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.tally = tally
        self.timeout = (CONNECT_TIMEOUT, timeout)
        self._local = threading.local()
        self.extensions = set(self.call("GET", "/health").json().get("extensions", []))

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs) -> requests.Response:
        """The answer `expect`ed, retrying 5xx answers and lost connections."""
        for attempt in range(ATTEMPTS):
            try:
                answer = self.session.request(
                    method, self.base_url + path, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as problem:
                # The request may or may not have been acted on: only an
                # idempotency key makes retrying a POST safe.
                self.tally.add(f"retries after {type(problem).__name__}")
                time.sleep(backoff(attempt, None))
                continue
            if answer.status_code == expect:
                return answer
            # 503: an injected error (nothing changed); 409: the same key is
            # still being answered (our earlier attempt, cut off).
            if answer.status_code >= 500 or answer.status_code == 409:
                self.tally.add(f"retries after {answer.status_code}")
                time.sleep(backoff(attempt, answer.headers.get("Retry-After")))
                continue
            raise RuntimeError(f"{method} {path} answered {answer.status_code}: {answer.text}")
        raise RuntimeError(f"{method} {path}: no success after {ATTEMPTS} attempts")

    def place(self, stocks: str, quantity: int) -> dict:
        headers = {"Content-Type": "application/json"}
        if "idempotency" in self.extensions:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        body = json.dumps({"stocks": stocks, "quantity": quantity})
        answer = self.call("POST", "/orders", expect=201, data=body, headers=headers)
        if answer.headers.get("Idempotent-Replayed") == "true":
            self.tally.add("answers replayed for a retried key")
        return answer.json()


class FeedFollower(threading.Thread):
    """Follows `/ws`, reconnecting whenever the connection drops."""

    def __init__(self, feed_url: str, resume: bool, tally: Tally) -> None:
        super().__init__(name="feed", daemon=True)
        self.feed_url = feed_url
        self.resume = resume
        self.tally = tally
        self.events: dict[str, list[str]] = defaultdict(list)
        self.changed = threading.Condition()
        self.last_seq = 0
        self.gaps = 0
        self.duplicates = 0
        self.connected = threading.Event()
        self._stopping = False

    def run(self) -> None:
        attempt = 0
        while not self._stopping:
            url = f"{self.feed_url}?since={self.last_seq}" if self.resume else self.feed_url
            try:
                ws = websocket.create_connection(url, timeout=10)
            except (OSError, websocket.WebSocketException):
                time.sleep(backoff(attempt, None))
                attempt += 1
                continue
            attempt = 0
            self.connected.set()
            ws.settimeout(1)  # to notice stop()
            try:
                while not self._stopping:
                    try:
                        opcode, data = ws.recv_data()
                    except websocket.WebSocketTimeoutException:
                        continue
                    if opcode == websocket.ABNF.OPCODE_CLOSE:
                        if data[:2] == PLATFORM_RESET:
                            self._resynchronise()
                        break
                    self._record(json.loads(data))
            except (OSError, websocket.WebSocketException):
                pass
            finally:
                ws.close()
            if not self._stopping:
                self.tally.add("feed reconnections")

    def _record(self, event: dict) -> None:
        seq = event.get("seq")
        with self.changed:
            if isinstance(seq, int):
                if seq <= self.last_seq:
                    self.duplicates += 1
                    return
                if self.resume and seq != self.last_seq + 1:
                    self.gaps += 1
                self.last_seq = seq
            self.events[event["orderId"]].append(event["orderStatus"])
            self.changed.notify_all()

    def _resynchronise(self) -> None:
        """The platform was reset: its events are numbered from 1 again, so
        resume from the start of the new numbering, not from the old number."""
        with self.changed:
            self.last_seq = 0
        self.tally.add("resynchronisations after a platform reset")

    def wait_for_final(self, order_ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while time.monotonic() < deadline and not all(
                FINAL_STATUSES & set(self.events.get(order_id, ())) for order_id in order_ids
            ):
                self.changed.wait(deadline - time.monotonic())

    def stop(self) -> None:
        self._stopping = True


def feed_url_of(base_url: str) -> str:
    scheme, rest = base_url.rstrip("/").split("://", 1)
    return ("wss" if scheme == "https" else "ws") + "://" + rest + "/ws"


def run(args: argparse.Namespace) -> int:
    base_url, orders, concurrency = args.url, args.orders, args.concurrency
    tally = Tally()
    platform = Platform(base_url, tally, args.timeout)
    offered = sorted(platform.extensions & {"idempotency", "sequence"})
    print(f"platform {base_url}: extensions used: {', '.join(offered) or 'none'}")
    feed = FeedFollower(feed_url_of(base_url), "sequence" in platform.extensions, tally)
    feed.start()
    feed.connected.wait(30)

    # One symbol for this run, and one quantity per order, so the orders of
    # this run can be told apart on the platform afterwards.
    stocks = f"RUN{uuid.uuid4().hex[:8].upper()}"
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        placed = list(pool.map(lambda index: platform.place(stocks, index + 1), range(orders)))
    placing_took = time.monotonic() - started
    order_ids = [order["orderId"] for order in placed]
    feed.wait_for_final(order_ids, args.final_timeout)
    feed.stop()

    everything = platform.call("GET", "/orders").json()
    listed = [order for order in everything if order["stocks"] == stocks]
    per_quantity = Counter(order["quantity"] for order in listed)
    once = sum(1 for index in range(orders) if per_quantity[index + 1] == 1)
    complete = sum(
        1
        for order_id in order_ids
        if len(feed.events.get(order_id, ())) == 2
        and feed.events[order_id][0] == "PENDING"
        and feed.events[order_id][1] in FINAL_STATUSES
    )
    events = sum(len(feed.events.get(order_id, ())) for order_id in order_ids)

    print(f"placed {len(placed)} orders in {placing_took:.1f} s ({concurrency} at a time)")
    for what, count in sorted(tally.counts.items()):
        print(f"  {what}: {count}")
    print(f"exactly once: {once} of {orders} (the platform lists {len(listed)} orders of this run)")
    print(
        f"every event: {complete} of {orders} orders seen PENDING then final "
        f"({events} events of {2 * orders}; {feed.gaps} gaps, {feed.duplicates} duplicates)"
    )
    return 0 if once == orders == len(listed) and complete == orders else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the platform's http:// address")
    parser.add_argument("--orders", type=int, default=1000, help="orders in the burst (1000)")
    parser.add_argument("--concurrency", type=int, default=50, help="requests at a time (50)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for an answer before trying again (30)",
    )
    parser.add_argument(
        "--final-timeout",
        type=float,
        default=60.0,
        help="seconds to wait, after the burst, for every order's final event (60)",
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
