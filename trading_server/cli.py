"""What the platform's two commands (`trading-server`, `trading-watch`) share."""

from __future__ import annotations

import sys
from pathlib import Path


def program_name(module: str) -> str:
    """How the user started the program, for its usage line: `python -m
    <module>`, or the installed command (`trading-server`, also
    `trading-server.exe`)."""
    started_as = Path(sys.argv[0])
    if started_as.suffix == ".py" or started_as.name in ("-c", ""):
        return f"python -m {module}"
    return started_as.stem
