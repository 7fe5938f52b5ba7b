"""The order lifecycle. Nothing here knows about HTTP or where orders are kept.

PENDING -> EXECUTED or PENDING -> CANCELLED; both are final. The store
(`trading_server.store`) makes each status change atomically, so two
changes racing each other (a cancel and an execution) have exactly one winner.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, NamedTuple

if TYPE_CHECKING:
    from .settings import DelayRange
    from .store import Store


class OrderStatus:
    PENDING = "PENDING"
    EXECUTED = "EXECUTED"
    CANCELLED = "CANCELLED"


def utc_timestamp(epoch_seconds: float | None = None) -> str:
    """Now (or `epoch_seconds`), as ISO 8601 UTC with microseconds and a `Z` suffix."""
    moment = (
        datetime.now(timezone.utc)
        if epoch_seconds is None
        else datetime.fromtimestamp(epoch_seconds, timezone.utc)
    )
    # isoformat() is faster than strftime(); "+00:00" becomes "Z".
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


class Order(NamedTuple):
    """An order as it stands. Immutable: a status change makes a new one."""

    order_id: str
    stocks: str
    quantity: int | float
    status: str
    created_at: str
    updated_at: str

    def to_json(self) -> dict:
        return {
            "orderId": self.order_id,
            "stocks": self.stocks,
            "quantity": self.quantity,
            "orderStatus": self.status,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    def event(self) -> dict:
        """The feed's message for the status change that made this order."""
        return {
            "orderId": self.order_id,
            "orderStatus": self.status,
            "stocks": self.stocks,
            "quantity": self.quantity,
            "timestamp": self.updated_at,
        }


class OrderNotFound(LookupError):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id!r} not found")


class OrderNotCancellable(Exception):
    def __init__(self, order: Order) -> None:
        super().__init__(
            f"order {order.order_id} is {order.status} already; "
            "only a PENDING order can be cancelled"
        )


PlacementListener = Callable[[Order, float], None]


class OrderBook:
    """The order lifecycle over a `Store`: the rules here, the keeping there.

    Placing samples the execution delay: an order is due at its creation
    time plus that delay, whichever process ends up executing it. Every
    status change goes through `Store.change`, which lets exactly one of
    any number of racing changes win (a cancel and an execution, say).
    """

    def __init__(self, store: Store, execution_delay: DelayRange) -> None:
        self._store = store
        self._execution_delay = execution_delay
        self._placement_listeners: list[PlacementListener] = []

    def on_placed(self, listener: PlacementListener) -> None:
        """Call `listener(order, due_at)` for every order this process places."""
        self._placement_listeners.append(listener)

    async def place(self, stocks: str, quantity: int | float) -> Order:
        created = time.time()
        now = utc_timestamp(created)
        order = Order(str(uuid.uuid4()), stocks, quantity, OrderStatus.PENDING, now, now)
        due_at = created + self._execution_delay.sample()
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

    async def execute(self, order_id: str) -> None:
        """Execute the order, unless it is no longer pending (it was cancelled)."""
        try:
            await self._store.change(order_id, OrderStatus.EXECUTED, utc_timestamp())
        except OrderNotCancellable:
            pass
