"""Executes pending orders after a random delay.

One event-loop timer per pending order, started when the order is created
and dropped when it is cancelled, so the book never has to be scanned.
"""

from __future__ import annotations

import asyncio
import random

from .orders import Order, OrderBook, OrderStatus
from .settings import DelayRange


class ExecutionScheduler:
    def __init__(
        self,
        book: OrderBook,
        delay: DelayRange,
        loop: asyncio.AbstractEventLoop,
        rng: random.Random,
    ) -> None:
        self._book = book
        self._delay = delay
        self._rng = rng
        self._loop = loop
        self._timers: dict[str, asyncio.TimerHandle] = {}
        book.on_status_change(self._on_status_change)

    def _on_status_change(self, order: Order) -> None:
        if order.status == OrderStatus.PENDING:
            self._timers[order.order_id] = self._loop.call_later(
                self._delay.sample(self._rng), self._book.execute, order.order_id
            )
        else:
            timer = self._timers.pop(order.order_id, None)
            if timer is not None:
                timer.cancel()

    def stop(self) -> None:
        """Cancel every timer: a stopping server executes nothing more."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
