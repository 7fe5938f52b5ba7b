"""Executes pending orders when they are due.

One event-loop timer per order this process placed, started when it is
placed and dropped as soon as the order changes (an event from any
process), so the book never has to be scanned. A timer that fires hands
its order to one long-lived task that executes whatever is due (a task
per execution would cost more than the execution). With a shared store an
order's process may die before its time; every process then also sweeps
the store now and then for due orders nobody executed (`Store.claim_due`
hands each to one of them).

While execution is paused (the `control` extension), due orders wait in
this process's queue, and sweeps claim nothing; they all execute once it
is resumed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from .model import Order, OrderNotFound, OrderStatus
from .orders import OrderBook
from .store import Event, Store, StoreUnavailable

log = logging.getLogger("trading_server.execution")

#: How often a process of a shared store looks for orders another process left behind.
SWEEP_SECONDS = 1.0


class ExecutionScheduler:
    def __init__(self, book: OrderBook, store: Store, loop: asyncio.AbstractEventLoop) -> None:
        self._book = book
        self._store = store
        self._loop = loop
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._due: deque[str] = deque()
        self._work = asyncio.Event()
        self._executor = loop.create_task(self._execute_due())
        self._sweeper: asyncio.Task | None = None
        self._paused = False
        book.on_placed(self._on_placed)
        store.on_event(self._on_event)
        if store.shared:
            self._sweeper = loop.create_task(self._sweep())

    @property
    def paused(self) -> bool:
        return self._paused

    @paused.setter
    def paused(self, paused: bool) -> None:
        self._paused = paused
        if not paused:
            self._work.set()  # what came due meanwhile executes now

    def forget(self) -> None:
        """Drop every timer and due order: the store has forgotten its orders."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._due.clear()

    def _on_placed(self, order: Order, due_at: float) -> None:
        self._timers[order.order_id] = self._loop.call_later(
            max(due_at - time.time(), 0), self._now_due, order.order_id
        )

    def _on_event(self, event: Event) -> None:
        if event.order.status != OrderStatus.PENDING:
            timer = self._timers.pop(event.order.order_id, None)
            if timer is not None:
                timer.cancel()

    def _now_due(self, order_id: str) -> None:
        self._timers.pop(order_id, None)
        self._due.append(order_id)
        self._work.set()

    async def _execute_due(self) -> None:
        while True:
            await self._work.wait()
            self._work.clear()
            while self._due and not self._paused:
                if self._store.shared:
                    # Each execution waits for a round trip to the store: one
                    # after another, a burst's last ones would run late (and
                    # lose races to cancels they should win). All at once.
                    due = list(self._due)
                    self._due.clear()
                    await asyncio.gather(*map(self._execute, due))
                else:
                    await self._execute(self._due.popleft())

    async def _execute(self, order_id: str) -> None:
        try:
            await self._book.execute(order_id)
        except StoreUnavailable:
            pass  # still due in the store: a sweep executes it once it is back
        except OrderNotFound:
            pass  # the store lost it: a Redis without persistence restarted
        except Exception:
            log.exception("executing order %s failed", order_id)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            if self._paused:
                continue
            try:
                for order_id in await self._store.claim_due(time.time()):
                    await self._book.execute(order_id)
            except StoreUnavailable:
                pass  # due orders wait for the store; it logs the outage itself

    def stop(self) -> None:
        """Cancel every timer: a stopping server executes nothing more."""
        self.forget()
        self._executor.cancel()
        if self._sweeper is not None:
            self._sweeper.cancel()
