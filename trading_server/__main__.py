"""`python -m trading_server`: start the platform."""

from __future__ import annotations

import sys

from .serving import serve
from .settings import SettingError, Settings


def main(argv: list[str] | None = None) -> int:
    try:
        settings = Settings.from_command_line(argv)
    except SettingError as problem:
        print(f"trading_server: error: {problem}", file=sys.stderr)
        return 2
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
