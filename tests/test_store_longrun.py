"""Retention and paging (issue 19), on the memory store and a real Redis.

Each case runs once per store. The Redis half starts a `redis-server` of its
own on a free local port (Debian's redis-server) and is skipped, saying so,
without one. These cases belong with the store contract's module when it
lands (tests/test_store.py); they need no plugin: each runs its coroutine
with asyncio.run, opening and closing its stores inside it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest

from trading_server.model import Order, OrderNotFound, OrderStatus, utc_timestamp
from trading_server.store import KeyClaim, Store, StoredAnswer
from trading_server.store.memory import MemoryStore

TTL = 60.0
START_DEADLINE = 10.0

Case = Callable[[Callable[..., Awaitable[Store]]], Awaitable[None]]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None or importlib.util.find_spec("redis") is None:
        pytest.skip("the Redis cases need redis-server and redis-py (requirements/redis.txt)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tempfile.TemporaryDirectory()
    # No persistence: a server of the tests' own, gone with them.
    options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = subprocess.Popen(
        [executable, "--port", str(port), *options, "--dir", directory.name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + START_DEADLINE
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.terminate()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)
    directory.cleanup()


@pytest.fixture(params=["memory", "redis"])
def run(request: pytest.FixtureRequest) -> Callable[[Case], None]:
    """Run a case with `open_store(**limits)`, which opens an empty store of
    this kind (Redis: flushed) and closes it when the case ends."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None

    def run_case(case: Case) -> None:
        async def with_stores() -> None:
            opened: list[Store] = []

            async def open_store(**limits: int) -> Store:
                if url is None:
                    store: Store = MemoryStore(**limits)
                else:
                    from trading_server.store.redis import RedisStore

                    store = RedisStore(url, **limits)
                await store.open()
                if url is not None and not opened:
                    await store._redis.flushdb()  # type: ignore[attr-defined]
                opened.append(store)
                return store

            try:
                await case(open_store)
            finally:
                for store in opened:
                    await store.close()

        asyncio.run(with_stores())

    return run_case


def new_order(number: int) -> Order:
    now = utc_timestamp()
    return Order(f"order-{number}", "EURUSD", 10, OrderStatus.PENDING, now, now)


async def place(store: Store, count: int) -> list[Order]:
    orders = [new_order(number) for number in range(1, count + 1)]
    for order in orders:
        await store.add(order, time.time() + 3600)
    return orders


async def kept(store: Store) -> list[str]:
    orders, _ = await store.all()
    return [order.order_id for order in orders]


def test_past_its_limit_a_store_forgets_the_oldest_final_orders(run) -> None:
    async def case(open_store) -> None:
        store = await open_store(max_orders=3)
        first, second, _ = await place(store, 3)
        await store.change(second.order_id, OrderStatus.EXECUTED, utc_timestamp())
        await store.change(first.order_id, OrderStatus.CANCELLED, utc_timestamp())
        await store.add(new_order(4), time.time() + 3600)
        # The oldest by creation, not the first to become final.
        assert await kept(store) == ["order-2", "order-3", "order-4"]
        with pytest.raises(OrderNotFound):
            await store.get(first.order_id)
        await store.add(new_order(5), time.time() + 3600)
        assert await kept(store) == ["order-3", "order-4", "order-5"]

    run(case)


def test_a_pending_order_is_never_forgotten(run) -> None:
    async def case(open_store) -> None:
        store = await open_store(max_orders=2)
        orders = await place(store, 4)
        assert await kept(store) == [order.order_id for order in orders]
        # Final while over the limit: forgotten at once.
        await store.change("order-3", OrderStatus.EXECUTED, utc_timestamp())
        assert await kept(store) == ["order-1", "order-2", "order-4"]

    run(case)


def test_following_pages_visits_each_order_once(run) -> None:
    async def case(open_store) -> None:
        store = await open_store()
        orders = await place(store, 7)
        await store.change("order-2", OrderStatus.CANCELLED, utc_timestamp())
        await store.change("order-5", OrderStatus.EXECUTED, utc_timestamp())
        seen: list[str] = []
        after = None
        while True:
            page = await store.page(None, after, 3)
            assert len(page.orders) <= 3
            seen += [order.order_id for order in page.orders]
            if not page.more:
                break
            after = page.orders[-1].order_id
        assert seen == [order.order_id for order in orders]
        assert page.seq == 9

    run(case)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (OrderStatus.PENDING, ["order-3", "order-4"]),
        (OrderStatus.EXECUTED, ["order-5"]),
        (OrderStatus.CANCELLED, ["order-2"]),
    ],
)
def test_a_page_and_a_snapshot_hold_only_the_status_asked_for(
    run, status: str, expected: list[str]
) -> None:
    async def case(open_store) -> None:
        store = await open_store()
        await place(store, 5)
        for order_id, final in (("order-2", "CANCELLED"), ("order-5", "EXECUTED")):
            await store.change(order_id, final, utc_timestamp())
        # The `after` order may have any status.
        await store.change("order-1", OrderStatus.EXECUTED, utc_timestamp())
        page = await store.page(status, "order-1", 10)
        assert [order.order_id for order in page.orders] == expected
        assert not page.more
        # A page's `last` goes on from where it ended, whatever is kept.
        assert (await store.page(status, page.last, 10)).orders == []
        orders, seq = await store.snapshot(status, "order-1")
        assert [order.order_id for order in orders] == expected
        assert seq == 8

    run(case)


def test_a_list_after_an_order_not_kept_is_refused(run) -> None:
    async def case(open_store) -> None:
        store = await open_store()
        await place(store, 1)
        with pytest.raises(OrderNotFound):
            await store.page(None, "no-such-order", 10)
        with pytest.raises(OrderNotFound):
            await store.snapshot(None, "no-such-order")

    run(case)


def test_past_its_limit_a_store_forgets_the_oldest_keys(run) -> None:
    async def case(open_store) -> None:
        store = await open_store(max_keys=2)
        answer = StoredAnswer(201, b"{}", {"Location": "/orders/x"})
        for key in ("first", "second", "third"):
            assert await store.claim_key(key, "body", TTL) == KeyClaim.CLAIMED
            await store.settle_key(key, answer, TTL)
        assert await store.claim_key("first", "body", TTL) == KeyClaim.CLAIMED
        assert await store.claim_key("third", "body", TTL) == answer

    run(case)
