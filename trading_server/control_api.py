"""The `control` extension over HTTP: thin handlers around `trading_server.control`.

Registered only when the platform has a control token: without one there
is no control surface at all (its paths are unknown, `404`). Every request
must bear the token (`401` otherwise, changing nothing). No control request
is delayed or faulted: it is the test's hand on the platform, not traffic.

Changes go through the store, which tells every process (this one and, on
a shared store, every other): each process applies the state it is told
(`apply`), so all of them obey the same one.
"""

from __future__ import annotations

import logging

from sanic import Blueprint, Request, Sanic, empty

from .control import ControlState, InvalidPatch, authorized, parse_patch
from .model import OrderNotCancellable, OrderNotFound
from .responses import error, json
from .store import StoreUnavailable

log = logging.getLogger("trading_server.control")

control = Blueprint("control")

EXTENSION = "control"


def enable_control(app: Sanic, token: str) -> None:
    """Offer the `control` extension to requests bearing `token` (before
    the server starts; `follow_control` once the store is open)."""
    app.ctx.control_token = token
    app.blueprint(control)
    app.ctx.extensions.append(EXTENSION)


async def follow_control(app: Sanic) -> None:
    """Obey the platform's control state, now and whenever it changes."""
    store = app.ctx.store
    store.on_reset(lambda: _forget_everything(app))
    store.on_control(lambda fields: apply(app, app.ctx.tuning.with_fields(fields)))
    # The first process of a platform sets its start-up state; the others
    # (and processes started later) obey the state already set.
    try:
        await store.update_control(app.ctx.start_state.to_fields(), only_if_unset=True)
        apply(app, app.ctx.tuning.with_fields(await store.control_state()))
    except StoreUnavailable:
        # Start anyway, as without control: the start-up state until the
        # store is back, when its subscription reads the shared one.
        log.warning("the store is unavailable: control starts from the start-up settings")


def apply(app: Sanic, state: ControlState) -> None:
    """Make this process obey `state`, for requests and orders from now on."""
    app.ctx.tuning = state
    app.ctx.faults.spec = state.faults
    app.ctx.book.execution_delay = state.execution_delay
    app.ctx.scheduler.paused = state.execution_paused


def _forget_everything(app: Sanic) -> None:
    """The store was reset: nothing this process holds about orders is true any more."""
    app.ctx.scheduler.forget()
    app.ctx.feed.restart()


@control.on_request
async def require_token(request: Request):
    if authorized(request.headers.getall("authorization", []), request.app.ctx.control_token):
        return None
    # The token is never logged: neither the one expected nor the one sent.
    given = request.headers.getall("authorization", [])
    log.warning(
        "refused %s %s: %s",
        request.method,
        request.path,
        "a wrong bearer token" if given else "no Authorization header",
    )
    return error(
        401,
        "control needs the header Authorization: Bearer <the platform's control token>",
        {"WWW-Authenticate": 'Bearer realm="control"'},
    )


@control.get("/control")
async def read_control(request: Request):
    return json(request.app.ctx.tuning.to_json())


@control.patch("/control")
async def change_control(request: Request):
    try:
        fields = parse_patch(request.body)
    except InvalidPatch as problem:
        return error(400, str(problem))
    await request.app.ctx.store.update_control(fields)
    return json(request.app.ctx.tuning.to_json())


@control.post("/control/orders/<order_id:str>/execute")
async def execute_order(request: Request, order_id: str):
    try:
        order = await request.app.ctx.book.execute_now(order_id)
    except OrderNotFound as problem:
        return error(404, str(problem))
    except OrderNotCancellable:
        order, _ = await request.app.ctx.book.get(order_id)
        return error(
            409, f"order {order_id} is {order.status} already; only a PENDING order can be executed"
        )
    return json(order.to_json())


@control.post("/control/reset")
async def reset_platform(request: Request):
    await request.app.ctx.store.reset(request.app.ctx.start_state.to_fields())
    return empty()
