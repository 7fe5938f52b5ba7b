"""The one source of every random choice the platform makes.

Response delays, execution delays, order ids and fault draws all come from
one generator. With `--seed N` it is `random.Random(N)`, so a fresh
single-process server given the same requests one at a time makes the same
choices every run; without a seed it is seeded from the operating system,
and order ids come from `uuid.uuid4()`, exactly as before seeds existed.
"""

from __future__ import annotations

import random
import uuid


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
