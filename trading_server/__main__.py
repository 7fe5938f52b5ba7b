"""`python -m trading_server`: start the platform."""

from __future__ import annotations

import logging
import sys

from .app import create_app
from .settings import SettingError, Settings


def main(argv: list[str] | None = None) -> int:
    try:
        settings = Settings.from_command_line(argv)
    except SettingError as problem:
        print(f"trading_server: error: {problem}", file=sys.stderr)
        return 2
    app = create_app(settings)
    _configure_logging(settings.quiet)
    logging.getLogger("trading_server").info(
        "listening on http://%s:%d (response delay %s s, execution delay %s s)",
        settings.host,
        settings.port,
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
    app.run(
        host=settings.host,
        port=settings.port,
        single_process=True,
        access_log=False,
        motd=False,
    )
    return 0


def _configure_logging(quiet: bool) -> None:
    """Our lines on stdout beside Sanic's; --quiet keeps warnings and errors only."""
    level = logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    ours = logging.getLogger("trading_server")
    ours.addHandler(handler)
    ours.setLevel(level)
    ours.propagate = False
    for name in ("sanic.root", "sanic.server", "sanic.websockets"):
        logging.getLogger(name).setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
