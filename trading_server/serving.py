"""Running the app: in this process, or in several worker processes.

Worker processes are started fresh (spawned), so each builds its own app,
store connection and logging from the settings, through `worker_app`,
which lives here rather than in `__main__` so that workers can import it.
"""

from __future__ import annotations

import logging
import sys
from functools import partial

from sanic import Sanic
from sanic.worker.loader import AppLoader

from .app import create_app
from .settings import Settings


def serve(settings: Settings) -> None:
    app = worker_app(settings)
    logging.getLogger("trading_server").info(
        "listening on http://%s:%d (response delay %s s, execution delay %s s, "
        "store %s, %d worker%s)",
        settings.host,
        settings.port,
        settings.response_delay,
        settings.execution_delay,
        _redacted(settings.store),
        settings.workers,
        "" if settings.workers == 1 else "s",
    )
    options = dict(host=settings.host, port=settings.port, access_log=False, motd=False)
    if settings.workers == 1:
        # No worker processes at all: the memory store lives in this one.
        app.run(single_process=True, **options)
    else:
        app.prepare(workers=settings.workers, **options)
        Sanic.serve(primary=app, app_loader=AppLoader(factory=partial(worker_app, settings)))


def worker_app(settings: Settings) -> Sanic:
    """The app, with logging set up in the process that runs it."""
    _configure_logging(settings.quiet)
    return create_app(settings)


def _redacted(url: str) -> str:
    """The store's URL without its password, for the log."""
    scheme, separator, rest = url.partition("://")
    if "@" not in rest:
        return url
    return f"{scheme}{separator}***@{rest.split('@', 1)[1]}"


def _configure_logging(quiet: bool) -> None:
    """Our lines on stdout beside Sanic's; --quiet keeps warnings and errors only."""
    level = logging.WARNING if quiet else logging.INFO
    ours = logging.getLogger("trading_server")
    if not ours.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        ours.addHandler(handler)
    ours.setLevel(level)
    ours.propagate = False
    for name in ("sanic.root", "sanic.server", "sanic.websockets"):
        logging.getLogger(name).setLevel(level)
