"""Settings from flags and environment variables (`trading_server/settings.py`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trading_server.faults import FaultSpec
from trading_server.randomness import DelayRange
from trading_server.settings import SettingError, Settings


def settings(*flags: str, **variables: str) -> Settings:
    return Settings.from_command_line(list(flags), variables)


def test_nothing_given_is_the_defaults() -> None:
    assert settings() == Settings()


@pytest.mark.parametrize(
    ("flags", "variables", "expected"),
    [
        (["--port", "9000"], {}, {"port": 9000}),
        ([], {"TRADING_PORT": "9001"}, {"port": 9001}),
        (["--port", "9000"], {"TRADING_PORT": "9001"}, {"port": 9000}),  # the flag wins
        (["--host", "::1"], {}, {"host": "::1"}),
        (["--response-delay", "0,0"], {}, {"response_delay": DelayRange(0, 0)}),
        ([], {"TRADING_EXECUTION_DELAY": "1,2"}, {"execution_delay": DelayRange(1, 2)}),
        (
            ["--store", "redis://127.0.0.1:6379/0", "--workers", "2"],
            {},
            {"store": "redis://127.0.0.1:6379/0", "workers": 2},
        ),
        (
            ["--cors-origins", "http://localhost:3000, HTTPS://Example.org"],
            {},
            {"cors_origins": ("http://localhost:3000", "https://example.org")},
        ),
        ([], {"TRADING_CORS_ORIGINS": "none"}, {"cors_origins": ()}),
        (["--seed", "7"], {}, {"seed": 7}),
        ([], {"TRADING_FAULTS": "error=0.5"}, {"faults": FaultSpec(error=0.5)}),
        (["--quiet"], {}, {"quiet": True}),
    ],
)
def test_a_setting_comes_from_its_flag_or_its_variable(
    flags: list[str], variables: dict[str, str], expected: dict[str, object]
) -> None:
    got = settings(*flags, **variables)
    assert {name: getattr(got, name) for name in expected} == expected


def test_the_reports_directory_must_exist(tmp_path: Path) -> None:
    assert settings("--reports-dir", str(tmp_path)).reports_dir == tmp_path
    with pytest.raises(SettingError, match="is not a directory"):
        settings("--reports-dir", str(tmp_path / "missing"))


@pytest.mark.parametrize(
    ("flags", "variables", "message"),
    [
        (["--port", "65536"], {}, "--port / TRADING_PORT: expected a port number 0-65535"),
        ([], {"TRADING_PORT": "http"}, "--port / TRADING_PORT: expected a port number"),
        (["--host", " "], {}, "--host / TRADING_HOST: expected a host name or address"),
        (["--response-delay", "2,1"], {}, "--response-delay / TRADING_RESPONSE_DELAY: need 0"),
        (["--store", "postgres://db"], {}, "--store / TRADING_STORE: expected memory or redis://"),
        (["--store", "redis://host:port/0"], {}, "--store / TRADING_STORE: "),
        (["--workers", "0"], {}, "--workers / TRADING_WORKERS: expected a whole number"),
        (["--workers", "2"], {}, "2 workers need a shared store"),
        (["--cors-origins", "localhost:3000"], {}, "expected origins such as"),
        (["--seed", "-1"], {}, "--seed / TRADING_SEED: expected a whole number >= 0"),
        ([], {"TRADING_FAULTS": "crash=1"}, "--faults / TRADING_FAULTS: unknown fault"),
    ],
)
def test_a_malformed_setting_is_refused_naming_both_spellings(
    flags: list[str], variables: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingError, match=re.escape(message)):
        settings(*flags, **variables)


def test_help_shows_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        settings("--help")
    text = " ".join(capsys.readouterr().out.split())
    for shown in ("default: 127.0.0.1]", "default: 8000]", "default: 0.1,1]", "default: memory]"):
        assert shown in text
    assert "TRADING_FAULTS; default: off]" in text
