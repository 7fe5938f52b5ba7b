"""`python -m trading_server`: start the platform."""

from __future__ import annotations

import errno
import socket
import sys

from .serving import serve
from .settings import SettingError, Settings

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
    serve(settings, listener)
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
    plain = _PLAIN_WORDS.get(problem.errno) if problem.errno is not None else None
    return plain or problem.strerror or str(problem)


if __name__ == "__main__":
    sys.exit(main())
