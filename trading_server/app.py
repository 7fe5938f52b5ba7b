"""The app factory: wires settings, the store, the order lifecycle, execution and the feed."""

from __future__ import annotations

import asyncio
import logging
import time

from sanic import Request, Sanic
from sanic.exceptions import MethodNotAllowed, NotFound, RequestCancelled, SanicException
from sanic.handlers import ErrorHandler

from .api import feed, orders
from .control import ControlState
from .control_api import enable_control, follow_control
from .cors import enable_cors
from .docs import docs
from .execution import ExecutionScheduler
from .faults import FaultInjector
from .feed import Feed
from .live import live
from .orders import OrderBook
from .pages import pages, publish_reports
from .randomness import Randomness
from .responses import error, unavailable
from .settings import MAX_BODY_BYTES, Settings
from .store import StoreUnavailable, open_store

log = logging.getLogger("trading_server")
access_log = logging.getLogger("trading_server.access")

CLIENT_CLOSED_REQUEST = 499
# Bytes of events (each about 170) a WebSocket client may leave unsent
# before it is disconnected.
FEED_BACKLOG_LIMIT = 256 * 1024


class JSONErrorHandler(ErrorHandler):
    """Sanic's own errors (404, 405, 413, ...) in the contract's JSON shape."""

    def default(self, request: Request, exception: Exception):
        if isinstance(exception, MethodNotAllowed) and "Allow" not in exception.headers:
            exception.headers["Allow"] = ", ".join(_methods_served(request))
        if isinstance(exception, RequestCancelled):
            # Nobody reads this answer; its status is for the request log
            # (499, as nginx logs a client that closed the connection).
            return error(
                CLIENT_CLOSED_REQUEST, "the client closed the connection before the answer"
            )
        if isinstance(exception, NotFound):
            return error(404, f"no such path: {request.path} (the API is described at /docs)")
        if isinstance(exception, SanicException):
            return error(exception.status_code, str(exception), exception.headers or None)
        log.error("unexpected error on %s %s", request.method, request.path, exc_info=exception)
        return error(500, "internal server error")


def _methods_served(request: Request) -> list[str]:
    """The methods the router serves at this path.

    Sanic's router leaves out the allowed methods when it refuses one on a
    path with a parameter (`/orders/{orderId}`), so ask it method by method.
    """
    served = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            request.app.router.get(request.path, method, request.headers.get("host"))
        except (NotFound, MethodNotAllowed):
            continue
        served.append(method)
    return served


def create_app(settings: Settings) -> Sanic:
    app = Sanic("trading_server", error_handler=JSONErrorHandler())
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app.ctx.settings = settings
    # What test control (the `control` extension) may change at run time,
    # as it stands now (`tuning`) and as the settings started it.
    app.ctx.start_state = app.ctx.tuning = ControlState.from_settings(settings)
    # The contract's extensions this server offers, listed by /health; each
    # feature that implements one adds its name.
    app.ctx.extensions = []
    app.blueprint(orders)
    app.blueprint(feed)
    app.ctx.extensions += ["sequence", "idempotency"]
    app.blueprint(docs)
    app.blueprint(pages)
    app.blueprint(live)
    if settings.control_token is not None:
        enable_control(app, settings.control_token)
    app.exception(StoreUnavailable)(_store_unavailable)
    if settings.reports_dir is not None:
        publish_reports(app, settings.reports_dir)
    if not settings.quiet:
        _log_every_request(app)
    # Once every route is registered: it guards the feed's routes by name.
    enable_cors(app, settings.cors_origins, _methods_served)

    @app.before_server_start
    async def open_market(app: Sanic) -> None:
        app.ctx.store = open_store(settings.store)
        await app.ctx.store.open()
        # Per process: each worker has a generator (and a stream) of its own.
        app.ctx.randomness = Randomness(settings.seed)
        app.ctx.faults = FaultInjector(settings.faults, app.ctx.randomness)
        app.ctx.book = OrderBook(app.ctx.store, settings.execution_delay, app.ctx.randomness)
        app.ctx.feed = Feed(app.ctx.store, FEED_BACKLOG_LIMIT, app.ctx.faults)
        app.ctx.scheduler = ExecutionScheduler(
            app.ctx.book, app.ctx.store, asyncio.get_running_loop()
        )
        if settings.control_token is not None:
            await follow_control(app)

    @app.before_server_stop
    async def close_market(app: Sanic) -> None:
        app.ctx.scheduler.stop()
        app.ctx.feed.close()
        await app.ctx.store.close()

    return app


async def _store_unavailable(request: Request, problem: StoreUnavailable):
    """Redis is away: 503, changing nothing, until it is back (the store logs
    the outage once)."""
    return unavailable(f"the order store is unavailable, try again shortly: {problem}")


def _log_every_request(app: Sanic) -> None:
    async def start_clock(request: Request) -> None:
        request.ctx.started = time.perf_counter()

    # Before any other middleware, which may answer (a refused handshake).
    app.on_request(start_clock, priority=100)

    @app.on_response
    async def log_request(request: Request, response) -> None:
        started = getattr(request.ctx, "started", None)
        duration = f"{(time.perf_counter() - started) * 1000:.1f}ms" if started else "-"
        access_log.info("%s %s %s %s", request.method, request.path, response.status, duration)
