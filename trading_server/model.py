"""The order model: what an order is, its statuses and the errors of its
lifecycle. It imports nothing of the project, so every other module (the
store, the lifecycle, the handlers) can import it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple


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
