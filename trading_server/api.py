"""HTTP and WebSocket handlers: thin translations between the wire and the book."""

from __future__ import annotations

import asyncio
from functools import wraps

from sanic import Blueprint, Request, Websocket, empty, json
from sanic.response import JSONResponse

from .faults import ERROR_MESSAGE, RETRY_AFTER_SECONDS
from .orders import OrderNotCancellable, OrderNotFound
from .validation import InvalidOrder, parse_new_order

orders = Blueprint("orders")


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    """The contract's one shape for every error."""
    return json({"code": status, "message": message}, status=status, headers=headers)


def delayed(handler):
    """Answer after the response delay, before acting (or refuse: an injected fault)."""

    @wraps(handler)
    async def delayed_handler(request: Request, *args, **kwargs):
        faults = request.app.ctx.faults
        seconds = faults.response_delay(request, request.app.ctx.settings.response_delay)
        if seconds:
            await asyncio.sleep(seconds)
        if faults.refuses(request):
            return error(503, ERROR_MESSAGE, {"Retry-After": str(RETRY_AFTER_SECONDS)})
        return await handler(request, *args, **kwargs)

    return delayed_handler


@orders.post("/orders")
@delayed
async def place_order(request: Request):
    if request.content_type.split(";")[0].strip().lower() != "application/json":
        return error(415, "the body must be JSON: send Content-Type: application/json")
    try:
        new_order = parse_new_order(request.body)
    except InvalidOrder as problem:
        return error(400, str(problem))
    order = request.app.ctx.book.place(new_order.stocks, new_order.quantity)
    return json(order.to_json(), status=201, headers={"Location": f"/orders/{order.order_id}"})


@orders.get("/orders")
@delayed
async def list_orders(request: Request):
    return json([order.to_json() for order in request.app.ctx.book])


@orders.get("/orders/<order_id:str>")
@delayed
async def get_order(request: Request, order_id: str):
    try:
        return json(request.app.ctx.book.get(order_id).to_json())
    except OrderNotFound as problem:
        return error(404, str(problem))


@orders.delete("/orders/<order_id:str>")
@delayed
async def cancel_order(request: Request, order_id: str):
    try:
        request.app.ctx.book.cancel(order_id)
    except OrderNotFound as problem:
        return error(404, str(problem))
    except OrderNotCancellable as problem:
        return error(409, str(problem))
    return empty()


@orders.get("/health")
async def health(request: Request):
    return json({"status": "ok", "extensions": request.app.ctx.extensions})


@orders.websocket("/ws")
async def order_feed(request: Request, ws: Websocket):
    await request.app.ctx.feed.serve(ws)
