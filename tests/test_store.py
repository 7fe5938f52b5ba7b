"""The store contract (`trading_server/store/base.py`), run against every store.

Each test takes `store` (one process's view) or `stores` (open more
handles: processes sharing the store) and runs once for memory and once for
Redis (see conftest.py). A new case is one more `async def test_...` here.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from trading_server.model import (
    Order,
    OrderNotCancellable,
    OrderNotFound,
    OrderStatus,
    utc_timestamp,
)
from trading_server.store import Event, KeyClaim, Store, StoredAnswer

from .conftest import RETAINED_EVENTS, SharedStore

TTL = 60.0
EVENT_DEADLINE = 5.0


def new_order(number: int, quantity: float = 10) -> Order:
    now = utc_timestamp()
    return Order(f"order-{number}", "EURUSD", quantity, OrderStatus.PENDING, now, now)


async def place(store: Store, count: int, due_in: float = 3600.0) -> list[Order]:
    orders = [new_order(number) for number in range(1, count + 1)]
    for order in orders:
        await store.add(order, time.time() + due_in)
    return orders


async def test_a_new_order_is_kept_pending(store: Store) -> None:
    order = new_order(1, quantity=0.5)
    event = await store.add(order, time.time() + 10)
    assert event == Event(1, order)
    assert await store.get(order.order_id) == (order, 1)


async def test_every_order_is_listed_oldest_first_with_the_latest_seq(store: Store) -> None:
    assert await store.all() == ([], 0)
    orders = await place(store, 3)
    assert await store.all() == (orders, 3)


@pytest.mark.parametrize("status", [OrderStatus.EXECUTED, OrderStatus.CANCELLED])
async def test_a_pending_order_changes_once(store: Store, status: str) -> None:
    [order] = await place(store, 1)
    changed_at = utc_timestamp()
    event = await store.change(order.order_id, status, changed_at)
    changed = order._replace(status=status, updated_at=changed_at)
    assert event == Event(2, changed)
    assert await store.get(order.order_id) == (changed, 2)
    with pytest.raises(OrderNotCancellable, match=f"is {status} already"):
        await store.change(order.order_id, OrderStatus.CANCELLED, utc_timestamp())


async def test_an_unknown_order_is_not_found(store: Store) -> None:
    with pytest.raises(OrderNotFound):
        await store.get("no-such-order")
    with pytest.raises(OrderNotFound):
        await store.change("no-such-order", OrderStatus.CANCELLED, utc_timestamp())


async def test_a_cancel_racing_an_execution_has_exactly_one_winner(stores: SharedStore) -> None:
    first, second = await stores.open(), await stores.open()
    orders = await place(first, 20)
    for order in orders:
        outcomes = await asyncio.gather(
            first.change(order.order_id, OrderStatus.CANCELLED, utc_timestamp()),
            second.change(order.order_id, OrderStatus.EXECUTED, utc_timestamp()),
            return_exceptions=True,
        )
        winners = [outcome for outcome in outcomes if isinstance(outcome, Event)]
        losers = [outcome for outcome in outcomes if isinstance(outcome, OrderNotCancellable)]
        assert (len(winners), len(losers)) == (1, 1), outcomes
        final, _ = await first.get(order.order_id)
        assert final.status == winners[0].order.status


async def test_due_orders_are_claimed_once(stores: SharedStore) -> None:
    first, second = await stores.open(), await stores.open()
    due = await place(first, 10, due_in=-1)
    later = new_order(99)
    await first.add(later, time.time() + 3600)
    claims = await asyncio.gather(first.claim_due(time.time()), second.claim_due(time.time()))
    claimed = claims[0] + claims[1]
    assert sorted(claimed) == sorted(order.order_id for order in due)
    assert await first.claim_due(time.time()) == []


async def test_a_changed_order_is_no_longer_due(store: Store) -> None:
    [order] = await place(store, 1, due_in=-1)
    await store.change(order.order_id, OrderStatus.CANCELLED, utc_timestamp())
    assert await store.claim_due(time.time()) == []


async def test_events_after_a_seq_come_in_order(store: Store) -> None:
    orders = await place(store, 3)
    await store.change(orders[0].order_id, OrderStatus.CANCELLED, utc_timestamp())
    events = await store.events_after(1)
    assert [event.seq for event in events] == [2, 3, 4]
    assert [(event.order.order_id, event.order.status) for event in events] == [
        ("order-2", OrderStatus.PENDING),
        ("order-3", OrderStatus.PENDING),
        ("order-1", OrderStatus.CANCELLED),
    ]
    assert await store.events_after(4) == []


async def test_the_latest_events_are_retained_and_older_ones_go(store: Store) -> None:
    total = RETAINED_EVENTS * 6
    await place(store, total)
    seqs = [event.seq for event in await store.events_after(0)]
    # At least the retained number, the latest among them, with no gap.
    assert seqs == list(range(seqs[0], total + 1))
    assert RETAINED_EVENTS <= len(seqs) < total


async def test_every_process_hears_every_event_in_order(stores: SharedStore) -> None:
    placing, listening = await stores.open(), await stores.open()
    heard: list[int] = []
    all_heard = asyncio.Event()

    def listen(event: Event) -> None:
        heard.append(event.seq)
        if len(heard) == 3:
            all_heard.set()

    listening.on_event(listen)
    await place(placing, 3)
    await asyncio.wait_for(all_heard.wait(), EVENT_DEADLINE)
    assert heard == [1, 2, 3]


ANSWER = StoredAnswer(201, b'{"orderId": "order-1"}', {"Location": "/orders/order-1"})


async def test_a_free_key_is_claimed_then_in_flight(store: Store) -> None:
    assert await store.claim_key("key-1", "fingerprint", TTL) == KeyClaim.CLAIMED
    assert await store.claim_key("key-1", "fingerprint", TTL) == KeyClaim.IN_FLIGHT


async def test_a_settled_key_replays_its_answer_to_the_same_body(store: Store) -> None:
    await store.claim_key("key-1", "fingerprint", TTL)
    await store.settle_key("key-1", ANSWER, TTL)
    assert await store.claim_key("key-1", "fingerprint", TTL) == ANSWER


async def test_a_settled_key_refuses_another_body(store: Store) -> None:
    await store.claim_key("key-1", "fingerprint", TTL)
    await store.settle_key("key-1", ANSWER, TTL)
    assert await store.claim_key("key-1", "another fingerprint", TTL) == KeyClaim.MISMATCH


async def test_settling_without_an_answer_frees_the_key(store: Store) -> None:
    await store.claim_key("key-1", "fingerprint", TTL)
    await store.settle_key("key-1", None, TTL)
    assert await store.claim_key("key-1", "another fingerprint", TTL) == KeyClaim.CLAIMED


async def test_a_key_is_claimed_by_one_of_two_processes(stores: SharedStore) -> None:
    first, second = await stores.open(), await stores.open()
    claims = await asyncio.gather(
        first.claim_key("key-1", "fingerprint", TTL),
        second.claim_key("key-1", "fingerprint", TTL),
    )
    assert sorted(claims) == sorted([KeyClaim.CLAIMED, KeyClaim.IN_FLIGHT])
