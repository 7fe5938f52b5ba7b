"""Where orders are kept, chosen by URL the way `--store` names it."""

from __future__ import annotations

from .base import (
    ControlListener,
    Event,
    EventListener,
    KeyClaim,
    ResetListener,
    Store,
    StoredAnswer,
    StoreUnavailable,
)

__all__ = [
    "ControlListener",
    "Event",
    "EventListener",
    "KeyClaim",
    "ResetListener",
    "Store",
    "StoreUnavailable",
    "StoredAnswer",
    "open_store",
]


def open_store(url: str) -> Store:
    """`memory` (one process) or `redis://host:port/db` (shared)."""
    if url == "memory":
        from .memory import MemoryStore

        return MemoryStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore(url)
    raise ValueError(f"expected memory or redis://host:port/db, got {url!r}")
