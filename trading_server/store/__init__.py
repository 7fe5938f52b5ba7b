"""Where orders are kept, chosen by URL the way `--store` names it."""

from __future__ import annotations

from .base import Event, EventListener, KeyClaim, Store, StoredAnswer, StoreUnavailable
from .paging import MAX_PAGE, OrderPage

__all__ = [
    "MAX_PAGE",
    "Event",
    "EventListener",
    "KeyClaim",
    "OrderPage",
    "Store",
    "StoreUnavailable",
    "StoredAnswer",
    "open_store",
]


def open_store(url: str, max_orders: int, max_keys: int) -> Store:
    """`memory` (one process) or `redis://host:port/db` (shared), keeping at
    most `max_orders` orders and `max_keys` idempotency keys."""
    if url == "memory":
        from .memory import MemoryStore

        return MemoryStore(max_keys=max_keys, max_orders=max_orders)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore(url, max_orders=max_orders, max_keys=max_keys)
    raise ValueError(f"expected memory or redis://host:port/db, got {url!r}")
