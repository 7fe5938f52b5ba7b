"""Faults injected on purpose (`--faults`), for testing a client's resilience.

`FaultSpec` is the setting: `error=P`, `latency=P:S` and `disconnect=P`,
comma-separated, each `P` a probability from 0 to 1. `FaultInjector` makes
the decisions, drawing from the platform's one generator, and logs each
fault it injects as one warning line. It only decides: the order handlers
answer the `503` (`api.py`), the feed drops the connection (`feed.py`).
With no faults set it draws nothing, so a seeded run is the same with or
without this module.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .randomness import DelayRange

log = logging.getLogger("trading_server.faults")

ERROR_MESSAGE = "injected fault: error (nothing was changed; try again)"


def _probability(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: expected a probability from 0 to 1, got {text!r}") from None
    if not 0 <= value <= 1:  # also refuses nan
        raise ValueError(f"{name}: expected a probability from 0 to 1, got {text!r}")
    return value


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: expected seconds after the colon, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name}: expected a finite number of seconds >= 0, got {text!r}")
    return value


@dataclass(frozen=True)
class FaultSpec:
    """Which faults to inject, and how often."""

    error: float = 0.0
    latency: float = 0.0
    latency_seconds: float = 0.0
    disconnect: float = 0.0

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """`error=P`, `latency=P:S`, `disconnect=P`, comma-separated; empty: none."""
        values: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, equals, value = item.partition("=")
            name = name.strip()
            if not equals:
                raise ValueError(f"expected NAME=P[:ARG] items, got {item!r}")
            if name in values:
                raise ValueError(f"{name} is given twice")
            probability, colon, argument = value.partition(":")
            if name == "latency":
                if not colon:
                    raise ValueError(f"latency: expected latency=P:SECONDS, got {item!r}")
                values["latency_seconds"] = _seconds(name, argument)
            elif name in ("error", "disconnect"):
                if colon:
                    raise ValueError(f"{name}: expected {name}=P, got {item!r}")
            else:
                raise ValueError(
                    f"unknown fault {name!r}: expected error=P, latency=P:SECONDS or disconnect=P"
                )
            values[name] = _probability(name, probability)
        return cls(**values)

    def __bool__(self) -> bool:
        return bool(self.error or self.latency or self.disconnect)

    def __str__(self) -> str:
        parts = []
        if self.error:
            parts.append(f"error={self.error:g}")
        if self.latency:
            parts.append(f"latency={self.latency:g}:{self.latency_seconds:g}")
        if self.disconnect:
            parts.append(f"disconnect={self.disconnect:g}")
        return ",".join(parts) or "none"


class _Request(Protocol):
    method: str
    path: str


class FaultInjector:
    """Decides, request by request and event by event, whether to misbehave."""

    def __init__(self, spec: FaultSpec, rng: random.Random) -> None:
        self.spec = spec
        self._rng = rng

    def _strikes(self, probability: float) -> bool:
        # No draw for a fault that is off: the seeded stream stays as without it.
        return probability > 0 and self._rng.random() < probability

    def response_delay(self, request: _Request, delay: DelayRange) -> float:
        """Seconds to wait before answering: a latency spike, or the random delay."""
        # `_strikes` spelt out: every order request comes this way, and the
        # calls cost about 1% of a GET's server CPU (python -m bench.instructions).
        if self.spec.latency and self._rng.random() < self.spec.latency:
            seconds = self.spec.latency_seconds
            log.warning(
                "injected fault latency: %s %s waits %g s", request.method, request.path, seconds
            )
            return seconds
        return delay.sample(self._rng) if delay.high else 0.0

    def refuses(self, request: _Request) -> bool:
        """True when this request is to be answered 503 without being acted on."""
        if self.spec.error and self._rng.random() < self.spec.error:
            log.warning("injected fault error: %s %s answered 503", request.method, request.path)
            return True
        return False

    def drops_feed_client(self, events: int, client: object) -> int | None:
        """How many of `events` events the client gets before its connection is
        dropped (one draw before each event), or None: it gets them all."""
        if self.spec.disconnect > 0:
            for written in range(events):
                if self._strikes(self.spec.disconnect):
                    log.warning("injected fault disconnect: dropped the feed client %s", client)
                    return written
        return None
