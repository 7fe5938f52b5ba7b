"""`GET /orders` (the contract's `paging` extension): the query, the pages,
and an answer sent in pieces.

A long list is read from the store one page of `MAX_PAGE` orders at a
time and sent as it is encoded, with a turn of the event loop between
pages: while one client lists 100,000 orders, feed events and other
requests keep flowing (`python -m bench.soak` measures the feed's latency
meanwhile). Each page is a consistent snapshot; `Feed-Seq` is the first
page's, so the whole list reflects at least every event up to it.
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple
from urllib.parse import urlencode

import orjson
from sanic import Request
from sanic.response import HTTPResponse

from .model import OrderNotFound, OrderStatus
from .orders import OrderBook
from .responses import json
from .store import MAX_PAGE, OrderPage

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


async def first_page(book: OrderBook, query: Query) -> OrderPage:
    """Raises `InvalidQuery` when `after` names no retained order."""
    try:
        return await book.page(query.status, query.after, query.limit or MAX_PAGE)
    except OrderNotFound:
        raise InvalidQuery(
            f"after: no order {query.after!r} is kept (never placed, or forgotten as old)"
        ) from None


async def answer_list(
    request: Request, book: OrderBook, query: Query, page: OrderPage, headers: dict
) -> HTTPResponse | None:
    """The list, `page` first: one answer when that page is all of it,
    else sent in pieces (and then `None`: it is answered already)."""
    if query.limit is not None and page.more:
        headers["Link"] = query.next_link(page.orders[-1].order_id)
    if query.limit is not None or not page.more:
        return json([order.to_json() for order in page.orders], headers=headers)
    response = await request.respond(headers=headers, content_type="application/json")
    separator = b"["
    while True:
        if page.orders:  # none when every order after the last page was just forgotten
            # "[a,b]" -> "a,b": the pages' items joined into one array.
            items = orjson.dumps([order.to_json() for order in page.orders])[1:-1]
            await response.send(separator + items)
            separator = b","
        if not page.more:
            break
        await asyncio.sleep(0)  # a turn for everything else waiting
        page = await book.page(query.status, page.last, MAX_PAGE)
    await response.send(b"]" if separator == b"," else b"[]")
    await response.eof()
    return None
