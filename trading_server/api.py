"""HTTP and WebSocket handlers: thin translations between the wire and the book."""

from __future__ import annotations

import asyncio
from functools import wraps

from sanic import Blueprint, Request, Websocket, empty, raw
from sanic.response import HTTPResponse

from .faults import ERROR_MESSAGE
from .feed import InvalidSince, parse_since
from .idempotency import (
    KEY_HEADER,
    KEY_TTL_SECONDS,
    REPLAYED_HEADER,
    InvalidKey,
    fingerprint,
    parse_key,
)
from .model import OrderNotCancellable, OrderNotFound
from .responses import error, json, unavailable
from .store import KeyClaim, StoredAnswer
from .validation import InvalidOrder, NewOrder, parse_new_order

orders = Blueprint("orders")
feed = Blueprint("feed")

#: The `sequence` extension's header: the `seq` of the latest event an answer reflects.
FEED_SEQ = "Feed-Seq"


async def response_delay(request: Request) -> HTTPResponse | None:
    """Wait the response delay; then, if an injected error strikes, the 503
    to answer instead of acting."""
    faults = request.app.ctx.faults
    seconds = faults.response_delay(request, request.app.ctx.tuning.response_delay)
    if seconds:
        await asyncio.sleep(seconds)
    if faults.refuses(request):
        return unavailable(ERROR_MESSAGE)
    return None


def delayed(handler):
    """Answer after the response delay, before acting (or refuse: an injected fault)."""

    @wraps(handler)
    async def delayed_handler(request: Request, *args, **kwargs):
        fault = await response_delay(request)
        if fault is not None:
            return fault
        return await handler(request, *args, **kwargs)

    return delayed_handler


@orders.post("/orders")
async def place_order(request: Request):
    # Checked, and its key claimed, on arrival, so that a retry during the
    # response delay is told the first is still in flight; every answer
    # still comes after the delay.
    read = _read_new_order(request)
    if not isinstance(read, HTTPResponse):
        new_order, key = read
        if key is not None:
            claim = await request.app.ctx.store.claim_key(
                key, fingerprint(new_order), KEY_TTL_SECONDS
            )
            if claim == KeyClaim.CLAIMED:
                return await _place_with_key(request, new_order, key)
            read = _answer_to_retry(claim)
    fault = await response_delay(request)
    if fault is not None:
        return fault
    if isinstance(read, HTTPResponse):
        return read
    return await _place(request, read[0])


def _read_new_order(request: Request) -> tuple[NewOrder, str | None] | HTTPResponse:
    """The new order and its idempotency key, or the refusal to answer instead."""
    if request.content_type.split(";")[0].strip().lower() != "application/json":
        return error(415, "the body must be JSON: send Content-Type: application/json")
    try:
        return parse_new_order(request.body), parse_key(request.headers.getall(KEY_HEADER, []))
    except (InvalidOrder, InvalidKey) as problem:
        return error(400, str(problem))


async def _place(request: Request, new_order: NewOrder) -> HTTPResponse:
    order = await request.app.ctx.book.place(new_order.stocks, new_order.quantity)
    return json(order.to_json(), status=201, headers={"Location": f"/orders/{order.order_id}"})


async def _place_with_key(request: Request, new_order: NewOrder, key: str) -> HTTPResponse:
    """Place the order and keep the answer under the key; a request that
    ends any other way (cancelled during its delay, say) frees the key."""
    answer = None
    try:
        fault = await response_delay(request)
        if fault is not None:
            return fault  # the key stays free: nothing was placed
        placed = await _place(request, new_order)
        assert placed.body is not None  # json() always gives one
        answer = StoredAnswer(placed.status, placed.body, {"Location": placed.headers["Location"]})
        return placed
    finally:
        await request.app.ctx.store.settle_key(key, answer, KEY_TTL_SECONDS)


def _answer_to_retry(claim: str | StoredAnswer) -> HTTPResponse:
    if isinstance(claim, StoredAnswer):
        return raw(
            claim.body,
            status=claim.status,
            headers={**claim.headers, REPLAYED_HEADER: "true"},
            content_type="application/json",
        )
    if claim == KeyClaim.IN_FLIGHT:
        return error(409, f"{KEY_HEADER}: a request with this key is still being answered")
    return error(422, f"{KEY_HEADER}: this key was used for another order")


@orders.get("/orders")
@delayed
async def list_orders(request: Request):
    orders_now, seq = await request.app.ctx.book.all()
    return json([order.to_json() for order in orders_now], headers={FEED_SEQ: str(seq)})


@orders.get("/orders/<order_id:str>")
@delayed
async def get_order(request: Request, order_id: str):
    try:
        order, seq = await request.app.ctx.book.get(order_id)
    except OrderNotFound as problem:
        return error(404, str(problem))
    return json(order.to_json(), headers={FEED_SEQ: str(seq)})


@orders.delete("/orders/<order_id:str>")
@delayed
async def cancel_order(request: Request, order_id: str):
    try:
        await request.app.ctx.book.cancel(order_id)
    except OrderNotFound as problem:
        return error(404, str(problem))
    except OrderNotCancellable as problem:
        return error(409, str(problem))
    return empty()


@orders.get("/health")
async def health(request: Request):
    await request.app.ctx.store.ping()  # 503 while the store is unreachable
    return json({"status": "ok", "extensions": request.app.ctx.extensions})


@feed.on_request
async def read_since(request: Request):
    """Refuse a malformed `since` before the WebSocket handshake is answered."""
    try:
        request.ctx.since = parse_since(request.get_args(keep_blank_values=True).getlist("since"))
    except InvalidSince as problem:
        return error(400, str(problem))


@feed.websocket("/ws")
async def order_feed(request: Request, ws: Websocket):
    await request.app.ctx.feed.serve(ws, request.ctx.since)
