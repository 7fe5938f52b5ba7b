"""The order lifecycle. Nothing here knows about HTTP or where orders are kept.

PENDING -> EXECUTED or PENDING -> CANCELLED; both are final. The store
(`trading_server.store`) makes each status change atomically, so two
changes racing each other (a cancel and an execution) have exactly one winner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .model import Order, OrderNotCancellable, OrderStatus, utc_timestamp

if TYPE_CHECKING:
    from .randomness import DelayRange, Randomness
    from .store import Store


PlacementListener = Callable[[Order, float], None]


class OrderBook:
    """The order lifecycle over a `Store`: the rules here, the keeping there.

    Placing samples the execution delay: an order is due at its creation
    time plus that delay, whichever process ends up executing it. Every
    status change goes through `Store.change`, which lets exactly one of
    any number of racing changes win (a cancel and an execution, say).
    """

    def __init__(self, store: Store, execution_delay: DelayRange, rng: Randomness) -> None:
        self._store = store
        # Control (the `control` extension) changes it at run time.
        self.execution_delay = execution_delay
        self._rng = rng
        self._placement_listeners: list[PlacementListener] = []

    def on_placed(self, listener: PlacementListener) -> None:
        """Call `listener(order, due_at)` for every order this process places."""
        self._placement_listeners.append(listener)

    async def place(self, stocks: str, quantity: int | float) -> Order:
        created = time.time()
        now = utc_timestamp(created)
        order = Order(self._rng.order_id(), stocks, quantity, OrderStatus.PENDING, now, now)
        due_at = created + self.execution_delay.sample(self._rng)
        await self._store.add(order, due_at)
        for listener in self._placement_listeners:
            listener(order, due_at)
        return order

    async def get(self, order_id: str) -> tuple[Order, int]:
        """The order and the `seq` of the latest event the answer reflects."""
        return await self._store.get(order_id)

    async def all(self) -> tuple[list[Order], int]:
        """Every order, oldest first, and the `seq` of the latest event it reflects."""
        return await self._store.all()

    async def cancel(self, order_id: str) -> Order:
        """Raises `OrderNotFound`, or `OrderNotCancellable` unless it is `PENDING`."""
        event = await self._store.change(order_id, OrderStatus.CANCELLED, utc_timestamp())
        return event.order

    async def execute_now(self, order_id: str) -> Order:
        """Execute the order whatever its due time; the order as executed.

        Raises `OrderNotFound`, or `OrderNotCancellable` (with the order as
        it stands) unless it is `PENDING`.
        """
        event = await self._store.change(order_id, OrderStatus.EXECUTED, utc_timestamp())
        return event.order

    async def execute(self, order_id: str) -> None:
        """Execute the order, unless it is no longer pending (it was cancelled)."""
        # Every order passes here: a try costs nothing until it catches, where
        # contextlib.suppress() would build a context manager each time.
        try:  # noqa: SIM105
            await self._store.change(order_id, OrderStatus.EXECUTED, utc_timestamp())
        except OrderNotCancellable:
            pass
