"""Browser clients on other origins: the contract's `cors` extension.

A browser lets a page on another origin call the platform only once the
platform has said yes: to a preflight (`OPTIONS` with
`Access-Control-Request-Method`) before a request that is not "simple"
(a JSON `POST`, a `DELETE`), and in `Access-Control-Allow-Origin` on every
answer. A WebSocket handshake gets no such protection from the browser,
so the feed checks the handshake's `Origin` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from sanic import Request, Sanic, empty
from sanic.exceptions import MethodNotAllowed
from sanic.response import BaseHTTPResponse, HTTPResponse

from .responses import error

ANY_ORIGIN = "*"
ALLOWED_HEADERS = "Content-Type, Idempotency-Key"
EXPOSED_HEADERS = "Location, Feed-Seq, Idempotent-Replayed, Retry-After"
# Seconds a browser may reuse a preflight's answer instead of asking again.
PREFLIGHT_MAX_AGE = "600"


class OriginPolicy:
    """Which web origins may call the platform from a browser."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.any = ANY_ORIGIN in allowed
        self._allowed = frozenset(allowed)

    @property
    def is_on(self) -> bool:
        return bool(self._allowed)

    def allows(self, origin: str) -> bool:
        return self.any or origin.lower() in self._allowed

    def accepts(self, request: Request) -> bool:
        """Whether to serve a request: no `Origin` (not a browser on
        another origin), the platform's own address, or an allowed origin."""
        origin = request.headers.get("origin")
        return origin is None or _is_own_address(origin, request) or self.allows(origin)


def _is_own_address(origin: str, request: Request) -> bool:
    # Host against host, as browsers compare origins, ignoring the scheme: a
    # TLS proxy in front of the platform turns https into http.
    return urlsplit(origin).netloc.lower() == request.host.lower()


def _refused(request: Request) -> HTTPResponse:
    return error(
        403,
        f"origin {request.headers['origin']} is not allowed to call this platform from a "
        "browser (--cors-origins / TRADING_CORS_ORIGINS)",
    )


def enable_cors(
    app: Sanic, allowed: tuple[str, ...], methods_served: Callable[[Request], list[str]]
) -> None:
    """Answer preflights, label answers for the browser, guard the feed.

    Call it once every route is registered. `methods_served(request)` lists
    the methods the router serves at the request's path.

    No route serves `OPTIONS`, so the router refuses a preflight before any
    handler (and its response delay) runs; the refusal is where it is
    answered. The feed's handshakes are checked by middleware of the feed's
    own routes, before the handshake completes. Every other request passes
    through one response middleware only: each middleware costs every answer
    about 3% of a GET's server CPU (`python -m bench.instructions`).
    """
    policy = OriginPolicy(allowed)
    if policy.is_on:
        app.ctx.extensions.append("cors")
    answer_refused_method = app.error_handler.default

    @app.exception(MethodNotAllowed)
    async def answer_preflight(request: Request, refusal: MethodNotAllowed) -> BaseHTTPResponse:
        if (
            request.method != "OPTIONS"
            or "origin" not in request.headers
            or "access-control-request-method" not in request.headers
        ):
            return answer_refused_method(request, refusal)
        if not policy.accepts(request):
            return _refused(request)
        # No handler reads a preflight's (empty) body; unread, Sanic logs an
        # error for every preflight.
        await request.receive_body()
        return empty(
            headers={
                "Access-Control-Allow-Methods": ", ".join(methods_served(request)),
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            }
        )

    async def check_handshake_origin(request: Request) -> HTTPResponse | None:
        if "origin" in request.headers and not policy.accepts(request):
            return _refused(request)
        return None

    feed_routes = [route.name for route in app.router.routes if route.extra.websocket]
    # Before the feed reads `since`: a refused page learns nothing more.
    app.register_named_middleware(check_handshake_origin, feed_routes, priority=1)

    @app.on_response
    async def allow_origin(request: Request, response: BaseHTTPResponse) -> None:
        if not policy.any:
            # The answer depends on the Origin: caches must not mix them up.
            response.headers["Vary"] = "Origin"
        origin = request.headers.get("origin")
        if origin is not None and policy.allows(origin):
            response.headers["Access-Control-Allow-Origin"] = ANY_ORIGIN if policy.any else origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
