"""The seam between the order lifecycle and where orders are kept.

The lifecycle (`trading_server.orders`) owns the rules: what a new order
looks like, when it is due, which changes are allowed and what an answer
says. A store only keeps orders, makes one status change atomically,
numbers the events and remembers idempotency keys. The memory store serves
one process; a shared store (Redis) lets any number of processes, on any
number of hosts, behave as one platform. Nothing here knows about HTTP,
timers or WebSocket clients.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import NamedTuple

from ..model import Order

#: The contract's minimum: the latest 10,000 events can be replayed.
RETAINED_EVENTS = 10_000


class Event(NamedTuple):
    """One status change, numbered by the store: 1, 2, 3, ... across all orders."""

    seq: int
    order: Order  # the order as that change left it

    def to_json(self) -> dict:
        return {"seq": self.seq, **self.order.event()}


EventListener = Callable[[Event], None]
#: Called with every field of the control state (the `control` extension).
ControlListener = Callable[[dict[str, str]], None]
#: Called when the store has been reset (the `control` extension).
ResetListener = Callable[[], None]


class StoredAnswer(NamedTuple):
    """What the first request with an idempotency key was answered."""

    status: int
    body: bytes
    headers: dict[str, str]


class KeyClaim:
    """How `Store.claim_key` found a key (a `StoredAnswer` when it was used up)."""

    CLAIMED = "claimed"  # free until now: the caller places the order, then settles the key
    IN_FLIGHT = "in flight"  # another request with this key is still being answered
    MISMATCH = "mismatch"  # used up by a request with another body


class StoreUnavailable(Exception):
    """The store cannot be reached; the platform answers 503 until it is back."""


class Store(ABC):
    #: True when several processes may share the store (`--workers N` > 1).
    shared: bool = False

    async def open(self) -> None:  # noqa: B027 (optional: nothing to open by default)
        """Connect and prepare; called once before the server takes requests."""

    async def close(self) -> None:  # noqa: B027 (optional: nothing to release by default)
        """Release connections and background tasks."""

    async def ping(self) -> None:  # noqa: B027 (optional: always usable by default)
        """Raise `StoreUnavailable` unless the store can be used right now."""

    @abstractmethod
    def on_event(self, listener: EventListener) -> None:
        """Call `listener(event)` for every event, in `seq` order.

        Every event reaches every process: this process's own changes and,
        for a shared store, every other process's. The memory store calls
        listeners synchronously inside the change; a shared store from the
        task that follows its event log.
        """

    @abstractmethod
    async def add(self, order: Order, due_at: float) -> Event:
        """Keep a new `PENDING` order and number its creation event.

        `due_at` (seconds since the epoch) is when it is to be executed;
        the order stays claimable by `claim_due` until it is changed.
        """

    @abstractmethod
    async def get(self, order_id: str) -> tuple[Order, int]:
        """The order, and the `seq` of the latest event this answer reflects.

        Raises `OrderNotFound`.
        """

    @abstractmethod
    async def all(self) -> tuple[list[Order], int]:
        """Every order, oldest first by the creation order the store
        assigned, and the `seq` of the latest event the list reflects
        (`0` before any): a consistent snapshot."""

    @abstractmethod
    async def change(self, order_id: str, status: str, updated_at: str) -> Event:
        """Move a `PENDING` order to `status`, atomically, and number the event.

        Exactly one of any number of racing changes to the same order wins,
        across every process sharing the store; the others raise
        `OrderNotCancellable(order)` with the order as the winner left it.
        Raises `OrderNotFound` for an unknown id. A changed order is no
        longer due.
        """

    @abstractmethod
    async def claim_due(self, now: float) -> list[str]:
        """Ids of `PENDING` orders due by `now` that nobody claimed yet.

        Each id is handed to exactly one caller across every process; the
        caller then executes it with `change`. This is how an order whose
        process died before its time is still executed once.
        """

    @abstractmethod
    async def events_after(self, seq: int) -> list[Event]:
        """The retained events with a `seq` greater than `seq`, oldest first.

        At least the latest `RETAINED_EVENTS` are retained; older ones may be
        gone, and then the list starts at the oldest retained.
        """

    @abstractmethod
    async def claim_key(self, key: str, fingerprint: str, ttl: float) -> str | StoredAnswer:
        """Claim an idempotency key for a request whose body has `fingerprint`.

        Returns `KeyClaim.CLAIMED` when the key was free (it is now in
        flight until `settle_key`), `KeyClaim.IN_FLIGHT` while another
        request holds it, `KeyClaim.MISMATCH` when it was used up by
        another body, or the `StoredAnswer` when it was used up by this
        body. A used-up key is forgotten `ttl` seconds after it was settled;
        a claim never settled (its process died) is freed after a while.
        """

    @abstractmethod
    async def settle_key(self, key: str, answer: StoredAnswer | None, ttl: float) -> None:
        """End a claim: keep `answer` under the key for `ttl` seconds, or,
        with `None` (the request was refused), free the key again."""

    # -- The `control` extension: one control state for every process ----

    @abstractmethod
    def on_control(self, listener: ControlListener) -> None:
        """Call `listener(fields)` with every field of the control state
        each time it changes, whichever process changed it (a shared store
        also calls it once when it first reads the state)."""

    @abstractmethod
    def on_reset(self, listener: ResetListener) -> None:
        """Call `listener()` in every process when the store has been reset,
        before the control listeners hear of the restored state."""

    @abstractmethod
    async def control_state(self) -> dict[str, str]:
        """The control state's fields (text), empty before anyone set them."""

    @abstractmethod
    async def update_control(self, fields: dict[str, str], only_if_unset: bool = False) -> None:
        """Change these fields of the control state; every process's
        control listeners are told. With `only_if_unset`, only when no
        process has set a control state yet (a platform starting up)."""

    @abstractmethod
    async def reset(self, control: dict[str, str]) -> None:
        """Forget every order, event and idempotency key, at once for
        every process: events are numbered from 1 again. The control state
        becomes `control`. Every process's reset listeners, then its
        control listeners, are told."""
