"""The order book and the order lifecycle. Nothing here knows about HTTP.

PENDING -> EXECUTED or PENDING -> CANCELLED; both are final. Every status
change is checked and made in one synchronous call, so two changes racing
each other (a cancel and an execution) have exactly one winner.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from enum import Enum
from typing import Callable, Iterator


class OrderStatus(str, Enum):
    PENDING = "PENDING"
    EXECUTED = "EXECUTED"
    CANCELLED = "CANCELLED"


def utc_timestamp() -> str:
    """Now, as ISO 8601 UTC with microseconds and a `Z` suffix."""
    # isoformat() is faster than strftime(); "+00:00" becomes "Z".
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")[:-6] + "Z"


class Order:
    __slots__ = ("order_id", "stocks", "quantity", "status", "created_at", "updated_at")

    def __init__(self, stocks: str, quantity: int | float) -> None:
        self.order_id = str(uuid.uuid4())
        self.stocks = stocks
        self.quantity = quantity
        self.status = OrderStatus.PENDING
        self.created_at = self.updated_at = utc_timestamp()

    def to_json(self) -> dict:
        return {
            "orderId": self.order_id,
            "stocks": self.stocks,
            "quantity": self.quantity,
            "orderStatus": self.status.value,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    def event(self) -> dict:
        """The feed's message for the status change just made."""
        return {
            "orderId": self.order_id,
            "orderStatus": self.status.value,
            "stocks": self.stocks,
            "quantity": self.quantity,
            "timestamp": self.updated_at,
        }


class OrderNotFound(LookupError):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id!r} not found")


class OrderNotCancellable(Exception):
    def __init__(self, order: Order) -> None:
        self.status = order.status
        super().__init__(
            f"order {order.order_id} is {order.status.value} already; "
            "only a PENDING order can be cancelled"
        )


StatusListener = Callable[[Order], None]


class OrderBook:
    """Every order ever placed, oldest first, and the only place statuses change."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._listeners: list[StatusListener] = []

    def on_status_change(self, listener: StatusListener) -> None:
        """Call `listener(order)` after every status change, creation included."""
        self._listeners.append(listener)

    def place(self, stocks: str, quantity: int | float) -> Order:
        order = Order(stocks, quantity)
        self._orders[order.order_id] = order
        self._notify(order)
        return order

    def get(self, order_id: str) -> Order:
        try:
            return self._orders[order_id]
        except KeyError:
            raise OrderNotFound(order_id) from None

    def __iter__(self) -> Iterator[Order]:
        return iter(self._orders.values())

    def __len__(self) -> int:
        return len(self._orders)

    def execute(self, order_id: str) -> bool:
        """Execute the order if it is still pending; say whether it was."""
        order = self._orders.get(order_id)
        if order is None or order.status is not OrderStatus.PENDING:
            return False
        self._change(order, OrderStatus.EXECUTED)
        return True

    def cancel(self, order_id: str) -> Order:
        order = self.get(order_id)
        if order.status is not OrderStatus.PENDING:
            raise OrderNotCancellable(order)
        self._change(order, OrderStatus.CANCELLED)
        return order

    def _change(self, order: Order, status: OrderStatus) -> None:
        order.status = status
        order.updated_at = utc_timestamp()
        self._notify(order)

    def _notify(self, order: Order) -> None:
        for listener in self._listeners:
            listener(order)
