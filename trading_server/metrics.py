"""`/metrics`: what the platform is doing, in the Prometheus text format.

The metrics are prometheus-client's, defined once here and counted where
things happen (the order book, the feed, the faults, the Redis store).
With several workers, each process counts in files of its own under
`PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode, which
`serving.py` sets up before the workers start), and `/metrics`, whichever
worker answers it, adds them up: one sum for the whole instance. With
several instances on one Redis, each reports its own work (the orders it
placed, the changes it made, its requests and feed clients); a sum over the
instances in Prometheus is the platform's.

`/metrics` is never delayed and never faulted: it is not an order endpoint.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from sanic import Blueprint, Request, Sanic, raw

#: The variable prometheus-client reads, at import, to count in files.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

ORDERS_PLACED = Counter("trading_orders_placed", "Orders placed")
STATUS_CHANGES = Counter("trading_order_status_changes", "Orders executed or cancelled", ["status"])
# Requests by route and status are this histogram's `_count` series.
REQUEST_SECONDS = Histogram(
    "trading_http_request_duration_seconds",
    "Time from a request's arrival to its answer (response delay included), by route and status",
    ["method", "route", "status"],
)
FEED_CLIENTS = Gauge(
    "trading_feed_clients", "Feed clients connected now", multiprocess_mode="livesum"
)
FEED_CONNECTIONS = Counter("trading_feed_connections", "Feed clients that connected")
FEED_DROPS = Counter(
    "trading_feed_clients_dropped",
    "Feed clients disconnected by the platform (slow: too many events unsent; "
    "fault: an injected disconnect)",
    ["reason"],
)
STORE_OUTAGES = Counter("trading_store_outages", "Times the order store became unreachable")
INJECTED_FAULTS = Counter("trading_injected_faults", "Faults injected (--faults)", ["fault"])

# Every series from the start at 0, so that a rate over it is defined
# before the first such thing happens; the status changes' by status, for
# a dict look-up per change rather than a `labels()` call.
STATUS_CHANGED = {status: STATUS_CHANGES.labels(status) for status in ("EXECUTED", "CANCELLED")}
for _reason in ("slow", "fault"):
    FEED_DROPS.labels(_reason)
for _fault in ("error", "latency", "disconnect"):
    INJECTED_FAULTS.labels(_fault)

metrics = Blueprint("metrics")


@metrics.get("/metrics")
async def exposition(request: Request):
    return raw(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def _registry():
    if MULTIPROCESS_DIR not in os.environ:
        from prometheus_client import REGISTRY

        return REGISTRY
    registry = CollectorRegistry()
    _multiprocess.MultiProcessCollector(registry)
    return registry


def count_requests(app: Sanic) -> None:
    """Count every HTTP answer by route (the pattern, not the path: one
    series for every order id) and time it."""

    # One histogram per (method, route, status), found again by a dict look-up:
    # `labels()` checks and locks on every call, a cost on every request.
    series: dict[tuple, Any] = {}

    async def start_clock(request: Request) -> None:
        request.ctx.metrics_started = time.perf_counter()

    async def count(request: Request, response) -> None:
        started = getattr(request.ctx, "metrics_started", None)
        if started is None:
            return
        path = request.route.path if request.route else None
        key = (request.method, path, response.status)
        histogram = series.get(key)
        if histogram is None:
            route = "unknown" if path is None else f"/{path}"
            histogram = series[key] = REQUEST_SECONDS.labels(
                request.method, route, str(response.status)
            )
        histogram.observe(time.perf_counter() - started)

    # Before any middleware that may answer (a refused handshake).
    app.register_middleware(start_clock, "request", priority=99)
    app.register_middleware(count, "response")


def forget_process(pid: int) -> None:
    """A worker stopped: its live gauges (feed clients) no longer count."""
    if MULTIPROCESS_DIR in os.environ:
        _multiprocess.mark_process_dead(pid)
