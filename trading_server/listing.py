"""`GET /orders` (the contract's `paging` extension): the query, the pages,
and a long list sent in pieces.

A list without `limit` is one snapshot the store takes at once (its
`Feed-Seq` exact, as the `sequence` extension promises), whose orders are
made, encoded and sent `MAX_PAGE` at a time, with a turn of the event loop
between pieces: while one client lists 100,000 orders, feed events and
other requests keep flowing (`python -m bench.soak` measures the feed's
latency meanwhile).
"""

from __future__ import annotations

import asyncio
from itertools import islice
from typing import NamedTuple
from urllib.parse import urlencode

import orjson
from sanic import Request
from sanic.response import HTTPResponse

from .model import OrderNotFound, OrderStatus
from .orders import OrderBook
from .responses import json
from .store import MAX_PAGE

STATUSES = (OrderStatus.PENDING, OrderStatus.EXECUTED, OrderStatus.CANCELLED)
PARAMETERS = ("status", "limit", "after")


class InvalidQuery(ValueError):
    """A paging parameter the contract refuses; the message names it."""


class Query(NamedTuple):
    status: str | None = None
    limit: int | None = None  # None: every matching order
    after: str | None = None

    def next_link(self, last_id: str) -> str:
        """The `Link` header to the page after the one ending with `last_id`."""
        parameters = {"status": self.status, "limit": self.limit, "after": last_id}
        query = urlencode({name: value for name, value in parameters.items() if value is not None})
        return f'</orders?{query}>; rel="next"'


def parse_query(request: Request) -> Query:
    """The paging parameters of `GET /orders`; any other parameter is ignored."""
    arguments = request.get_args(keep_blank_values=True)
    values = {}
    for name in PARAMETERS:
        given = arguments.getlist(name)
        if len(given) > 1:
            raise InvalidQuery(f"{name}: give it once")
        values[name] = given[0] if given else None
    status, limit, after = values["status"], values["limit"], values["after"]
    if status is not None and status not in STATUSES:
        raise InvalidQuery(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
    if limit is not None and not (
        limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_PAGE
    ):
        raise InvalidQuery(f"limit: expected a whole number from 1 to {MAX_PAGE}, got {limit!r}")
    if after is not None and not after:
        raise InvalidQuery("after: expected the id of an order, got an empty value")
    return Query(status, None if limit is None else int(limit), after)


async def answer_list(
    request: Request, book: OrderBook, query: Query, seq_header: str
) -> HTTPResponse | None:
    """A page (with `limit`), or every matching order: one snapshot, sent in
    pieces when long (and then `None`: it is answered already). The header
    `seq_header` tells the `seq` the answer reflects.

    Raises `InvalidQuery` when `after` names no retained order.
    """
    try:
        if query.limit is not None:
            page = await book.page(query.status, query.after, query.limit)
        else:
            orders, seq = await book.snapshot(query.status, query.after)
    except OrderNotFound:
        raise InvalidQuery(
            f"after: no order {query.after!r} is kept (never placed, or forgotten as old)"
        ) from None
    if query.limit is not None:
        headers = {seq_header: str(page.seq)}
        if page.more:
            headers["Link"] = query.next_link(page.orders[-1].order_id)
        return json([order.to_json() for order in page.orders], headers=headers)
    headers = {seq_header: str(seq)}
    piece, following = list(islice(orders, MAX_PAGE)), list(islice(orders, MAX_PAGE))
    if not following:
        return json([order.to_json() for order in piece], headers=headers)
    response = await request.respond(headers=headers, content_type="application/json")
    separator = b"["
    while piece:
        # "[a,b]" -> "a,b": the pieces' items joined into one array.
        await response.send(separator + orjson.dumps([order.to_json() for order in piece])[1:-1])
        separator = b","
        await asyncio.sleep(0)  # a turn for everything else waiting
        piece, following = following, list(islice(orders, MAX_PAGE))
    await response.send(b"]")
    await response.eof()
    return None
