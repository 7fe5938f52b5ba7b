"""`python -m trading_server`: start the platform."""

from __future__ import annotations

import errno
import logging
import socket
import sys
import time

from .app import create_app
from .settings import SettingError, Settings

# One format for every line the server prints, Sanic's included: UTC time,
# level, logger, message.
LOG_FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s"
LOG_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets")

_PLAIN_WORDS = {
    errno.EADDRINUSE: "address already in use",
    errno.EACCES: "permission denied",
    errno.EADDRNOTAVAIL: "no such address on this machine",
}


def main(argv: list[str] | None = None) -> int:
    try:
        settings = Settings.from_command_line(argv)
    except SettingError as problem:
        return _refuse(str(problem))
    try:
        listener = listening_socket(settings.host, settings.port)
    except OSError as problem:
        return _refuse(f"cannot listen on {settings.host}:{settings.port}: {plain_words(problem)}")
    app = create_app(settings)
    _configure_logging(settings.quiet)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    logging.getLogger("trading_server").info(
        "listening on http://%s:%d (response delay %s s, execution delay %s s)",
        host,
        listener.getsockname()[1],
        settings.response_delay,
        settings.execution_delay,
    )
    if settings.seed is not None or settings.faults:
        logging.getLogger("trading_server").warning(
            "testing settings: seed %s, faults %s",
            "off" if settings.seed is None else settings.seed,
            settings.faults,
        )
    # One process: the order book lives in this process's memory, so a
    # second worker would have an order book of its own.
    app.run(sock=listener, single_process=True, access_log=False, motd=False)
    return 0


def _refuse(problem: str) -> int:
    print(f"trading_server: error: {problem}", file=sys.stderr)
    return 2


def listening_socket(host: str, port: int) -> socket.socket:
    """Bind before anything is logged, so a busy port is one line and exit 2.

    `socket.create_server` sets SO_REUSEADDR only where it does not let a
    second server take a port in use (not on Windows).
    """
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    return socket.create_server((host, port), family=family, backlog=100)


def plain_words(problem: OSError) -> str:
    if isinstance(problem, socket.gaierror):
        return "no such host"
    return _PLAIN_WORDS.get(problem.errno) or problem.strerror or str(problem)


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


if __name__ == "__main__":
    sys.exit(main())
