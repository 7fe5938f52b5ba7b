"""HTTP and WebSocket handlers: thin translations between the wire and the book."""

from __future__ import annotations

import asyncio
from functools import wraps

from sanic import Blueprint, Request, Websocket, empty, json
from sanic.response import JSONResponse

from .orders import OrderNotCancellable, OrderNotFound
from .validation import InvalidOrder, parse_new_order

orders = Blueprint("orders")


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    """The contract's one shape for every error."""
    return json({"code": status, "message": message}, status=status, headers=headers)


def delayed(handler):
    """Answer after the configured random response delay, before acting."""

    @wraps(handler)
    async def delayed_handler(request: Request, *args, **kwargs):
        delay = request.app.ctx.settings.response_delay
        if not delay.is_off:
            await asyncio.sleep(delay.sample())
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
    order = await request.app.ctx.book.place(new_order.stocks, new_order.quantity)
    return json(order.to_json(), status=201, headers={"Location": f"/orders/{order.order_id}"})


@orders.get("/orders")
@delayed
async def list_orders(request: Request):
    orders_now, _ = await request.app.ctx.book.all()
    return json([order.to_json() for order in orders_now])


@orders.get("/orders/<order_id:str>")
@delayed
async def get_order(request: Request, order_id: str):
    try:
        order, _ = await request.app.ctx.book.get(order_id)
    except OrderNotFound as problem:
        return error(404, str(problem))
    return json(order.to_json())


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


@orders.websocket("/ws")
async def order_feed(request: Request, ws: Websocket):
    await request.app.ctx.feed.serve(ws)
