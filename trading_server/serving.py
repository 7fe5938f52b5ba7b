"""Running the app: in this process, or in several worker processes.

Worker processes are started fresh (spawned), so each builds its own app,
store connection and logging from the settings, through `worker_app`,
which lives here rather than in `__main__` so that workers can import it.
"""

from __future__ import annotations

import logging
import socket
import sys
import time
from functools import partial

from sanic import Sanic
from sanic.worker.loader import AppLoader

from .app import create_app
from .settings import Settings

# One format for every line the server prints, Sanic's included: UTC time,
# level, logger, message.
LOG_FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s"
LOG_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets")


def serve(settings: Settings, listener: socket.socket) -> None:
    """Serve on `listener`, a socket bound already (so a busy port was
    reported before anything claimed to listen)."""
    app = worker_app(settings)
    log = logging.getLogger("trading_server")
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    log.info(
        "listening on http://%s:%d (response delay %s s, execution delay %s s, "
        "store %s, %d worker%s)",
        host,
        listener.getsockname()[1],
        settings.response_delay,
        settings.execution_delay,
        _redacted(settings.store),
        settings.workers,
        "" if settings.workers == 1 else "s",
    )
    if settings.seed is not None or settings.faults:
        log.warning(
            "testing settings: seed %s, faults %s",
            "off" if settings.seed is None else settings.seed,
            settings.faults,
        )
    if settings.control_token is not None:
        # Never the token itself: logs are read by more people than it is meant for.
        log.warning("test control is on: /control answers requests bearing the control token")
    if settings.workers == 1:
        # No worker processes at all: the memory store lives in this one.
        app.run(sock=listener, access_log=False, motd=False, single_process=True)
    else:
        app.prepare(sock=listener, access_log=False, motd=False, workers=settings.workers)
        Sanic.serve(primary=app, app_loader=AppLoader(factory=partial(worker_app, settings)))


def worker_app(settings: Settings) -> Sanic:
    """The app, with logging set up in the process that runs it (after
    Sanic has set up its own loggers, which this takes over)."""
    app = create_app(settings)
    _configure_logging(settings.quiet)
    return app


def _redacted(url: str) -> str:
    """The store's URL without its password, for the log."""
    scheme, separator, rest = url.partition("://")
    if "@" not in rest:
        return url
    return f"{scheme}{separator}***@{rest.split('@', 1)[1]}"


def _configure_logging(quiet: bool) -> None:
    """Every line through one handler on stdout; --quiet keeps warnings and errors only."""
    formatter = logging.Formatter(LOG_FORMAT, LOG_TIME_FORMAT)
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    logging.getLogger().addHandler(handler)
    level = logging.WARNING if quiet else logging.INFO
    logging.getLogger("trading_server").setLevel(level)
    # Sanic gave its loggers handlers of their own: their lines now reach
    # the one handler above instead.
    for name in SANIC_LOGGERS:
        sanic_logger = logging.getLogger(name)
        sanic_logger.handlers.clear()
        sanic_logger.propagate = True
        sanic_logger.setLevel(level)
