"""Safe retries of `POST /orders` (the contract's `idempotency` extension):
what a key may be, and when two bodies count as the same order.

The store remembers the keys (`Store.claim_key` / `settle_key`); the HTTP
handler claims a key before the response delay, so that a retry arriving
during it is told the first is still in flight.
"""

from __future__ import annotations

import json

from .validation import NewOrder

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
#: A used-up key answers retries for 24 hours.
KEY_TTL_SECONDS = 24 * 60 * 60
MAX_KEY_LENGTH = 255


class InvalidKey(ValueError):
    """The `Idempotency-Key` header is not 1 to 255 visible ASCII characters."""


def parse_key(values: list[str]) -> str | None:
    """The request's idempotency key (every value its headers gave it), or
    None without one."""
    if not values:
        return None
    if len(values) > 1:
        raise InvalidKey(f"{KEY_HEADER}: send it once")
    value = values[0]
    if not 1 <= len(value) <= MAX_KEY_LENGTH:
        raise InvalidKey(
            f"{KEY_HEADER}: must be 1 to {MAX_KEY_LENGTH} characters, got {len(value)}"
        )
    if not all("!" <= character <= "~" for character in value):
        raise InvalidKey(f"{KEY_HEADER}: only visible ASCII characters (! to ~), no spaces")
    return value


def fingerprint(order: NewOrder) -> str:
    """Equal for the same order: `stocks` equal and `quantity` numerically
    equal (10 and 10.0; every valid quantity is exact as a float)."""
    return json.dumps([order.stocks, float(order.quantity)])
