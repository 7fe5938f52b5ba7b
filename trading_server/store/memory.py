"""The store for one process: everything in this process's memory.

Orders, events and answers are kept as plain tuples of strings and numbers,
which the garbage collector stops tracking; a full collection then never
walks the whole book (measured at 250,000 orders: 0.6 ms instead of 50 ms,
a pause every request in flight would wait for). Named tuples are not
untracked (only exact tuples are), so `Order`s and `Event`s are rebuilt
on the way out.

Nothing here awaits: each method runs to completion in one go, which is
what makes a change atomic in a single event loop.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from itertools import islice

from ..model import Order, OrderNotCancellable, OrderNotFound, OrderStatus
from .base import (
    RETAINED_EVENTS,
    ControlListener,
    Event,
    EventListener,
    KeyClaim,
    ResetListener,
    Store,
    StoredAnswer,
)

#: Idempotency keys remembered at most; past it the oldest go first, even
#: inside their 24 hours, so that a flood of keys cannot exhaust memory.
#: Measured at about 810 bytes each (a UUID key, its 201 answer): ~200 MB.
MAX_KEYS = 250_000
#: A claim is settled when its request is answered, at most a few seconds
#: later; one still open after this (a bug, never a dead process here) is
#: freed rather than kept forever.
UNSETTLED_CLAIM_SECONDS = 60.0


class MemoryStore(Store):
    def __init__(self, retained_events: int = RETAINED_EVENTS, max_keys: int = MAX_KEYS) -> None:
        self._orders: dict[str, tuple] = {}
        self._due: dict[str, float] = {}  # pending orders not claimed by claim_due
        self._events: deque[tuple] = deque(maxlen=retained_events)  # (seq, order tuple)
        self._seq = 0
        self._listeners: list[EventListener] = []
        # key -> (fingerprint, answer tuple or None while in flight, expires at
        # on the monotonic clock), oldest claim or settlement first.
        self._keys: OrderedDict[str, tuple] = OrderedDict()
        self._max_keys = max_keys
        self._control: dict[str, str] = {}
        self._control_listeners: list[ControlListener] = []
        self._reset_listeners: list[ResetListener] = []

    def on_event(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    async def add(self, order: Order, due_at: float) -> Event:
        event = self._keep(order)
        self._due[order.order_id] = due_at
        return event

    async def get(self, order_id: str) -> tuple[Order, int]:
        return self._order(order_id), self._seq

    async def all(self) -> tuple[list[Order], int]:
        return list(map(Order._make, self._orders.values())), self._seq

    async def change(self, order_id: str, status: str, updated_at: str) -> Event:
        order = self._order(order_id)
        if order.status != OrderStatus.PENDING:
            raise OrderNotCancellable(order)
        self._due.pop(order_id, None)
        return self._keep(order._replace(status=status, updated_at=updated_at))

    async def claim_due(self, now: float) -> list[str]:
        due = [order_id for order_id, due_at in self._due.items() if due_at <= now]
        for order_id in due:
            del self._due[order_id]
        return due

    async def events_after(self, seq: int) -> list[Event]:
        if not self._events or seq >= self._seq:
            return []
        oldest = self._events[0][0]
        # Retained seqs are consecutive, so the first wanted one's place is known.
        start = max(seq + 1 - oldest, 0)
        return [
            Event(number, Order._make(order)) for number, order in islice(self._events, start, None)
        ]

    async def claim_key(self, key: str, fingerprint: str, ttl: float) -> str | StoredAnswer:
        now = time.monotonic()
        self._forget_expired_keys(now)
        entry = self._keys.get(key)
        if entry is not None and entry[2] <= now:
            del self._keys[key]
            entry = None
        if entry is None:
            self._keys[key] = (fingerprint, None, now + UNSETTLED_CLAIM_SECONDS)
            while len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)
            return KeyClaim.CLAIMED
        kept_fingerprint, answer, _ = entry
        if answer is None:
            return KeyClaim.IN_FLIGHT
        if kept_fingerprint != fingerprint:
            return KeyClaim.MISMATCH
        status, body, headers = answer
        return StoredAnswer(status, body, dict(headers))

    async def settle_key(self, key: str, answer: StoredAnswer | None, ttl: float) -> None:
        entry = self._keys.pop(key, None)
        if entry is None or answer is None:
            return
        kept = (answer.status, answer.body, tuple(answer.headers.items()))
        self._keys[key] = (entry[0], kept, time.monotonic() + ttl)

    def _forget_expired_keys(self, now: float) -> None:
        # Settled keys are appended in order of expiry (one ttl for all), so
        # the expired ones are at the front; an unsettled claim at the front
        # expires sooner still.
        while self._keys:
            key, (_, _, expires_at) = next(iter(self._keys.items()))
            if expires_at > now:
                return
            del self._keys[key]

    def on_control(self, listener: ControlListener) -> None:
        self._control_listeners.append(listener)

    def on_reset(self, listener: ResetListener) -> None:
        self._reset_listeners.append(listener)

    async def control_state(self) -> dict[str, str]:
        return dict(self._control)

    async def update_control(self, fields: dict[str, str], only_if_unset: bool = False) -> None:
        if only_if_unset and self._control:
            return
        self._control.update(fields)
        self._tell_control()

    async def reset(self, control: dict[str, str]) -> None:
        self._orders.clear()
        self._due.clear()
        self._events.clear()
        self._seq = 0
        self._keys.clear()
        self._control = dict(control)
        for listener in self._reset_listeners:
            listener()
        self._tell_control()

    def _tell_control(self) -> None:
        for listener in self._control_listeners:
            listener(dict(self._control))

    def _order(self, order_id: str) -> Order:
        try:
            return Order._make(self._orders[order_id])
        except KeyError:
            raise OrderNotFound(order_id) from None

    def _keep(self, order: Order) -> Event:
        self._seq += 1
        kept = tuple(order)
        self._orders[order.order_id] = kept
        self._events.append((self._seq, kept))
        event = Event(self._seq, order)
        for listener in self._listeners:
            listener(event)
        return event
