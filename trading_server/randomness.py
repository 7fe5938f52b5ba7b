"""The one source of every random choice the platform makes.

Response delays, execution delays, order ids and fault draws all come from
one generator. With `--seed N` it is `random.Random(N)`, so a fresh
single-process server given the same requests one at a time makes the same
choices every run; without a seed it is seeded from the operating system,
and order ids come from `uuid.uuid4()`, exactly as before seeds existed.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass


class Randomness(random.Random):
    """A `random.Random` that also makes order ids."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed)
        self.seeded = seed is not None

    def order_id(self) -> str:
        """A new order id: a version-4 UUID, drawn from this generator when seeded."""
        if not self.seeded:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self.getrandbits(128), version=4))


@dataclass(frozen=True)
class DelayRange:
    """A random delay, uniform between `low` and `high` seconds."""

    low: float
    high: float

    @classmethod
    def parse(cls, text: str) -> DelayRange:
        parts = text.split(",")
        if len(parts) != 2:
            raise ValueError(f"expected MIN,MAX in seconds, got {text!r}")
        try:
            low, high = (float(part) for part in parts)
        except ValueError:
            raise ValueError(f"expected two numbers MIN,MAX, got {text!r}") from None
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"delays must be finite, got {text!r}")
        if not 0 <= low <= high:
            raise ValueError(f"need 0 <= MIN <= MAX, got {text!r}")
        return cls(low, high)

    @property
    def is_off(self) -> bool:
        return self.high == 0

    def sample(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)

    def __str__(self) -> str:
        return f"{self.low:g},{self.high:g}"
