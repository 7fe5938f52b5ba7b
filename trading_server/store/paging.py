"""Order lists in pages: the pieces both stores share.

An order's place in every list is its *creation number*, the `seq` of the
event that created it: numbers only grow, so "created after order X" is
"numbered above X's number", whichever store keeps the orders and however
many were forgotten in between.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from typing import NamedTuple

from ..model import Order

#: The most orders one page holds (the contract's `limit` goes up to 1,000);
#: a list without `limit` is also sent in pieces of this many.
MAX_PAGE = 1000


class OrderPage(NamedTuple):
    orders: list[Order]  # oldest first
    more: bool  # matching orders remain after the last one here
    seq: int  # the latest event this page reflects


class CreationIndex:
    """Order ids sorted by creation number, for one status (memory store).

    Orders join near the end (numbers only grow; a final status comes a few
    seconds after creation) and the oldest leave first (retention), so a
    list with a moving start does both cheaply; a leaver in the middle (a
    pending order that becomes final) costs a move of what follows it, and
    pending orders are few.
    """

    # The list drops the slots before its start once they are this many
    # and at least half of it: each slot is moved about once.
    _COMPACT_AFTER = 4096

    def __init__(self) -> None:
        self._entries: list[tuple[int, str]] = []
        self._start = 0

    def __len__(self) -> int:
        return len(self._entries) - self._start

    def add(self, number: int, order_id: str) -> None:
        insort(self._entries, (number, order_id), lo=self._start)

    def remove(self, number: int, order_id: str) -> None:
        index = bisect_right(self._entries, (number, order_id), lo=self._start) - 1
        if index == self._start:
            self._advance()
        else:
            del self._entries[index]

    def oldest(self) -> tuple[int, str] | None:
        return self._entries[self._start] if len(self) else None

    def pop_oldest(self) -> tuple[int, str]:
        oldest = self._entries[self._start]
        self._advance()
        return oldest

    def after(self, number: int, count: int) -> list[tuple[int, str]]:
        """Up to `count` entries numbered above `number`, oldest first."""
        index = bisect_right(self._entries, (number, "\U0010ffff"), lo=self._start)
        return self._entries[index : index + count]

    def _advance(self) -> None:
        self._start += 1
        if self._start >= self._COMPACT_AFTER and self._start * 2 >= len(self._entries):
            del self._entries[: self._start]
            self._start = 0
