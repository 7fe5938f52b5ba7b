"""Where orders are kept, chosen by URL the way `--store` names it."""

from __future__ import annotations

import importlib.util

from .base import Event, EventListener, KeyClaim, Store, StoredAnswer, StoreUnavailable
from .paging import MAX_PAGE, OrderPage

__all__ = [
    "MAX_PAGE",
    "MEMORY",
    "Event",
    "EventListener",
    "KeyClaim",
    "OrderPage",
    "Store",
    "StoreUnavailable",
    "StoredAnswer",
    "check_store_url",
    "open_store",
]

#: The store of one process, and the default.
MEMORY = "memory"
#: URL schemes of the Redis store (redis-py's: TCP, TLS, a Unix socket).
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def check_store_url(url: str) -> str:
    """`url` when a store can be opened from it; a ValueError saying why not."""
    if url == MEMORY:
        return url
    if not url.startswith(REDIS_SCHEMES):
        raise ValueError(f"expected {MEMORY} or redis://host:port/db, got {url!r}")
    if importlib.util.find_spec("redis") is None:
        raise ValueError("the Redis store needs redis-py: pip install -r requirements/redis.txt")
    from redis.connection import parse_url

    parse_url(url)  # a ValueError naming what is wrong (the port, say)
    return url


def open_store(url: str, max_orders: int | None = None, max_keys: int | None = None) -> Store:
    """`memory` (one process) or `redis://host:port/db` (shared), keeping at
    most `max_orders` orders and `max_keys` idempotency keys (no limit: None)."""
    if check_store_url(url) == MEMORY:
        from .memory import MemoryStore

        if max_keys is None:
            return MemoryStore(max_orders=max_orders)
        return MemoryStore(max_keys=max_keys, max_orders=max_orders)
    from .redis import RedisStore

    return RedisStore(url, max_orders=max_orders, max_keys=max_keys)
