"""Where orders are kept, chosen by URL the way `--store` names it."""

from __future__ import annotations

import importlib.util

from .base import Event, EventListener, KeyClaim, Store, StoredAnswer, StoreUnavailable

__all__ = [
    "MEMORY",
    "Event",
    "EventListener",
    "KeyClaim",
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


def open_store(url: str) -> Store:
    """`memory` (one process) or `redis://host:port/db` (shared)."""
    if check_store_url(url) == MEMORY:
        from .memory import MemoryStore

        return MemoryStore()
    from .redis import RedisStore

    return RedisStore(url)
