"""The live order page: plain HTML, CSS and a script from the package itself
(no CDN, no build step), so it works offline. The script follows the API
and the feed like any other client."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint

STATIC_DIR = Path(__file__).parent / "static"

live = Blueprint("live")
live.static("/live", STATIC_DIR / "live.html", name="page")
live.static("/live.css", STATIC_DIR / "live.css", name="styles")
live.static("/live.js", STATIC_DIR / "live.js", name="script")
