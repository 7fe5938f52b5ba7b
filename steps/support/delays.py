"""The delay ranges the suite expects from the server under test."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class DelayRange:
    minimum: float
    maximum: float

    @classmethod
    def from_env(cls, variable, default):
        """Read "MIN,MAX" seconds from the environment, as the server does."""
        text = os.environ.get(variable, "").strip()
        if not text:
            return default
        try:
            low, high = (float(part) for part in text.split(","))
        except ValueError:
            raise ValueError(f"{variable} must be MIN,MAX in seconds, got {text!r}") from None
        if not 0 <= low <= high:
            raise ValueError(f"{variable} must have 0 <= MIN <= MAX, got {text!r}")
        return cls(low, high)

    @property
    def varies(self):
        # A range narrower than this cannot be told apart from jitter.
        return self.maximum - self.minimum >= 0.1

    def __str__(self):
        return f"{self.minimum:g}–{self.maximum:g} s"


RESPONSE_DELAY = DelayRange.from_env("TRADING_RESPONSE_DELAY", DelayRange(0.1, 1.0))
EXECUTION_DELAY = DelayRange.from_env("TRADING_EXECUTION_DELAY", DelayRange(1.5, 3.0))

# Client-side measurements include the loopback round trip, thread scheduling
# on a busy 2-core machine and timer granularity (about 16 ms on Windows).
EARLY_TOLERANCE = 0.02
LATE_TOLERANCE = 0.3
# Server-side timestamps only carry the event loop's lateness.
SERVER_LATE_TOLERANCE = 0.25
# "At once": well below the smallest response delay the contract allows by default.
AT_ONCE = 0.1


def execution_deadline(confirmed_at):
    """The latest moment (monotonic) by which an order confirmed at
    `confirmed_at` must have been executed."""
    return confirmed_at + EXECUTION_DELAY.maximum + LATE_TOLERANCE
