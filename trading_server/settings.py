"""Every setting of the server, in one place.

Each setting comes from a command-line flag or an environment variable;
the flag wins. A malformed value is a `SettingError` whose message names
both spellings of the setting, so the command line can report it in one line.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .cli import program_name
from .faults import FaultSpec
from .randomness import DelayRange
from .store import MEMORY, check_store_url

T = TypeVar("T")

#: The largest request body the server reads (a `413` past it).
MAX_BODY_BYTES = 64 * 1024


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
    """How a setting is spelt; its default is the `Settings` field's."""

    flag: str
    variable: str
    metavar: str
    help: str


_OPTIONS = {
    "host": _Option("--host", "TRADING_HOST", "HOST", "address to listen on"),
    "port": _Option("--port", "TRADING_PORT", "PORT", "port to listen on"),
    "response_delay": _Option(
        "--response-delay",
        "TRADING_RESPONSE_DELAY",
        "MIN,MAX",
        "MIN,MAX seconds every order endpoint waits before answering (0,0: off)",
    ),
    "execution_delay": _Option(
        "--execution-delay",
        "TRADING_EXECUTION_DELAY",
        "MIN,MAX",
        "MIN,MAX seconds from an order's creation to its execution (0,0: at once)",
    ),
    "store": _Option(
        "--store",
        "TRADING_STORE",
        "URL",
        f"where orders are kept: {MEMORY} (one process) or redis://host:port/db "
        "(shared by every worker and instance using it)",
    ),
    "workers": _Option(
        "--workers",
        "TRADING_WORKERS",
        "N",
        "server processes; more than 1 needs a shared store (--store redis://...)",
    ),
    "reports_dir": _Option(
        "--reports-dir",
        "TRADING_REPORTS_DIR",
        "DIR",
        "directory whose files are published read-only at /reports/ (off by default)",
    ),
    "cors_origins": _Option(
        "--cors-origins",
        "TRADING_CORS_ORIGINS",
        "LIST|none",
        "web origins whose pages may call the platform from a browser, comma-separated "
        "(*: any; none: only pages the platform serves itself)",
    ),
    "seed": _Option(
        "--seed",
        "TRADING_SEED",
        "N",
        "seed the one generator behind every random choice, for reproducible runs",
    ),
    "faults": _Option(
        "--faults",
        "TRADING_FAULTS",
        "SPEC",
        "inject faults: error=P,latency=P:SECONDS,disconnect=P (P from 0 to 1)",
    ),
    "control_token": _Option(
        "--control-token",
        "TRADING_CONTROL_TOKEN",
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
    store: str = MEMORY
    workers: int = 1
    reports_dir: Path | None = None
    cors_origins: tuple[str, ...] = ("*",)
    seed: int | None = None
    faults: FaultSpec = FaultSpec()
    # Kept out of repr(): settings may be printed, the token never.
    control_token: str | None = dataclasses.field(default=None, repr=False)
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
        defaults = cls()

        def value(name: str, convert: Callable[[str], T], default: T) -> T:
            option = _OPTIONS[name]
            raw = getattr(args, name)
            if raw is None:
                raw = environ.get(option.variable)
            if raw is None:
                return default
            try:
                return convert(raw)
            except ValueError as error:
                raise SettingError(f"{option.flag} / {option.variable}: {error}") from None

        settings = cls(
            host=value("host", _host, defaults.host),
            port=value("port", _port, defaults.port),
            response_delay=value("response_delay", DelayRange.parse, defaults.response_delay),
            execution_delay=value("execution_delay", DelayRange.parse, defaults.execution_delay),
            store=value("store", check_store_url, defaults.store),
            workers=value("workers", _workers, defaults.workers),
            reports_dir=value("reports_dir", _directory, defaults.reports_dir),
            cors_origins=value("cors_origins", _origins, defaults.cors_origins),
            seed=value("seed", _seed, defaults.seed),
            faults=value("faults", FaultSpec.parse, defaults.faults),
            control_token=value("control_token", _token, defaults.control_token),
            quiet=args.quiet,
        )
        if settings.workers > 1 and settings.store == MEMORY:
            workers = _OPTIONS["workers"]
            raise SettingError(
                f"{workers.flag} / {workers.variable}: {settings.workers} workers need a shared "
                f"store (--store redis://host:port/db); the {MEMORY} store lives in one process"
            )
        return settings


def _shown(default: Any) -> str:
    """A default as the flag would spell it."""
    if default is None or default == FaultSpec():
        return "off"
    if isinstance(default, tuple):
        return ",".join(default)
    return str(default)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=program_name("trading_server"),
        description="A simulated trading platform: order REST API and WebSocket feed.",
        epilog="Each setting can also be given as the environment variable shown; the flag wins.",
    )
    defaults = {field.name: field.default for field in fields(Settings)}
    for name, option in _OPTIONS.items():
        parser.add_argument(
            option.flag,
            dest=name,
            metavar=option.metavar,
            help=f"{option.help} [{option.variable}; default: {_shown(defaults[name])}]",
        )
    parser.add_argument(
        "--quiet", action="store_true", help="no access log, only warnings and errors"
    )
    return parser
