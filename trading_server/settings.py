"""Every setting of the server, in one place.

Each setting comes from a command-line flag or an environment variable;
the flag wins. A malformed value is a `SettingError` whose message names
both spellings of the setting, so the command line can report it in one line.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from .faults import FaultSpec
from .randomness import DelayRange

T = TypeVar("T")


class SettingError(ValueError):
    """A setting's value cannot be used."""


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError(f"expected a port number 0-65535, got {text!r}")
    return int(text)


def _host(text: str) -> str:
    if not text.strip():
        raise ValueError("expected a host name or address, got an empty value")
    return text


def _origins(text: str) -> tuple[str, ...]:
    """Comma-separated web origins; `*` for any, `none` for none."""
    if text.strip() == "*":
        return ("*",)
    if text.strip().lower() == "none":
        return ()
    return tuple(_origin(item.strip()) for item in text.split(","))


def _origin(text: str) -> str:
    """One origin as a browser sends it in `Origin`: scheme://host[:port]."""
    parts = urlsplit(text)
    try:
        well_formed = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and parts.path in ("", "/")
            and not (parts.query or parts.fragment or parts.username)
            and parts.port != 0
        )
    except ValueError:  # .port: not a number from 0 to 65535
        well_formed = False
    if not well_formed:
        raise ValueError(
            f"expected origins such as http://localhost:3000 (comma-separated), * or none, "
            f"got {text!r}"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _seed(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def _store_url(text: str) -> str:
    if text == "memory":
        return text
    if not text.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"expected memory or redis://host:port/db, got {text!r}")
    if importlib.util.find_spec("redis") is None:
        raise ValueError("the Redis store needs redis-py: pip install -r requirements/redis.txt")
    from redis.connection import parse_url

    parse_url(text)  # a ValueError naming what is wrong (the port, say)
    return text


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"expected a whole number of processes, 1 or more, got {text!r}")
    return int(text)


def _directory(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise ValueError(f"{text!r} is not a directory")
    return path


def _token(text: str) -> str:
    # It travels in an HTTP header: visible ASCII, no spaces. Never echoed.
    if not text or not all("!" <= character <= "~" for character in text):
        raise ValueError(
            "expected a token of visible ASCII characters (no spaces), "
            "e.g. from: python -c 'import secrets; print(secrets.token_urlsafe())'"
        )
    return text


@dataclass(frozen=True)
class _Option:
    flag: str
    variable: str
    default: str | None
    metavar: str
    help: str


_OPTIONS = {
    "host": _Option("--host", "TRADING_HOST", "127.0.0.1", "HOST", "address to listen on"),
    "port": _Option("--port", "TRADING_PORT", "8000", "PORT", "port to listen on"),
    "response_delay": _Option(
        "--response-delay",
        "TRADING_RESPONSE_DELAY",
        "0.1,1.0",
        "MIN,MAX",
        "MIN,MAX seconds every order endpoint waits before answering (0,0: off)",
    ),
    "execution_delay": _Option(
        "--execution-delay",
        "TRADING_EXECUTION_DELAY",
        "1.5,3.0",
        "MIN,MAX",
        "MIN,MAX seconds from an order's creation to its execution (0,0: at once)",
    ),
    "store": _Option(
        "--store",
        "TRADING_STORE",
        "memory",
        "URL",
        "where orders are kept: memory (one process) or redis://host:port/db "
        "(shared by every worker and instance using it)",
    ),
    "workers": _Option(
        "--workers",
        "TRADING_WORKERS",
        "1",
        "N",
        "server processes; more than 1 needs a shared store (--store redis://...)",
    ),
    "reports_dir": _Option(
        "--reports-dir",
        "TRADING_REPORTS_DIR",
        None,
        "DIR",
        "directory whose files are published read-only at /reports/ (off by default)",
    ),
    "cors_origins": _Option(
        "--cors-origins",
        "TRADING_CORS_ORIGINS",
        "*",
        "LIST|none",
        "web origins whose pages may call the platform from a browser, comma-separated "
        "(*: any; none: only pages the platform serves itself)",
    ),
    "seed": _Option(
        "--seed",
        "TRADING_SEED",
        None,
        "N",
        "seed the one generator behind every random choice, for reproducible runs",
    ),
    "faults": _Option(
        "--faults",
        "TRADING_FAULTS",
        "",
        "SPEC",
        "inject faults: error=P,latency=P:SECONDS,disconnect=P (P from 0 to 1)",
    ),
    "control_token": _Option(
        "--control-token",
        "TRADING_CONTROL_TOKEN",
        None,
        "TOKEN",
        "turn on test control at run time (/control), for requests bearing this token",
    ),
}


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    response_delay: DelayRange = DelayRange(0.1, 1.0)
    execution_delay: DelayRange = DelayRange(1.5, 3.0)
    store: str = "memory"
    workers: int = 1
    reports_dir: Path | None = None
    cors_origins: tuple[str, ...] = ("*",)
    seed: int | None = None
    faults: FaultSpec = FaultSpec()
    # Kept out of repr(): settings may be printed, the token never.
    control_token: str | None = field(default=None, repr=False)
    quiet: bool = False

    @classmethod
    def from_command_line(
        cls, argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from flags, then environment variables, then defaults.

        Raises `SettingError` for a malformed value; argparse itself exits
        for `--help` and for unknown flags.
        """
        environ = os.environ if environ is None else environ
        args = _parser().parse_args(argv)

        def value(name: str, convert: Callable[[str], T]) -> T | None:
            option = _OPTIONS[name]
            raw = getattr(args, name)
            if raw is None:
                raw = environ.get(option.variable, option.default)
            if raw is None:
                return None
            try:
                return convert(raw)
            except ValueError as error:
                raise SettingError(f"{option.flag} / {option.variable}: {error}") from None

        settings = cls(
            host=value("host", _host),
            port=value("port", _port),
            response_delay=value("response_delay", DelayRange.parse),
            execution_delay=value("execution_delay", DelayRange.parse),
            store=value("store", _store_url),
            workers=value("workers", _workers),
            reports_dir=value("reports_dir", _directory),
            cors_origins=value("cors_origins", _origins),
            seed=value("seed", _seed),
            faults=value("faults", FaultSpec.parse),
            control_token=value("control_token", _token),
            quiet=args.quiet,
        )
        if settings.workers > 1 and settings.store == "memory":
            workers = _OPTIONS["workers"]
            raise SettingError(
                f"{workers.flag} / {workers.variable}: {settings.workers} workers need a shared "
                "store (--store redis://host:port/db); the memory store lives in one process"
            )
        return settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trading_server",
        description="A simulated trading platform: order REST API and WebSocket feed.",
        epilog="Each setting can also be given as the environment variable shown; the flag wins.",
    )
    for name, option in _OPTIONS.items():
        default = f"default: {option.default}" if option.default else "default: off"
        parser.add_argument(
            option.flag,
            dest=name,
            metavar=option.metavar,
            help=f"{option.help} [{option.variable}; {default}]",
        )
    parser.add_argument(
        "--quiet", action="store_true", help="no access log, only warnings and errors"
    )
    return parser
