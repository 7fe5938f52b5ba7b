"""The platform's own pages for people: the home page and the reports listing.

Plain server-rendered HTML (the templates in `templates/`) with its style
inline, so that the pages work offline and without scripts.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import NamedTuple

from sanic import Blueprint, Request, Sanic, empty, html, redirect
from sanic.handlers.directory import DirectoryHandler

from .randomness import DelayRange
from .templates import template

pages = Blueprint("pages")

TITLE = "Simulated trading platform"


def _page(title: str, body: str) -> str:
    return template("page.html").substitute(title=escape(title), body=body)


class Place(NamedTuple):
    """Somewhere the home page sends a person: a link, or an address to copy."""

    name: str
    address: str
    about: str


def _places(request: Request) -> list[Place]:
    feed = f"{'wss' if request.scheme == 'https' else 'ws'}://{request.host}/ws"
    places = [
        Place("Live orders", "/live", "every order and its status as it changes; place and cancel"),
        Place("API documentation", "/docs", "interactive: read and try every order endpoint"),
        Place("OpenAPI document", "/docs/openapi.json", "the API's machine-readable description"),
        Place("Order event feed", feed, "WebSocket: every status change of every order, as JSON"),
        Place("Health check", "/health", "answers at once while the platform is up"),
    ]
    if request.app.ctx.settings.reports_dir is not None:
        places.append(
            Place("Test reports", "/reports/", "the acceptance suite's published reports")
        )
    return places


def _home_page(request: Request) -> str:
    settings = request.app.ctx.settings
    rows = "\n".join(
        f"<tr><th>{escape(place.name)}</th><td>{_address(place.address)}</td>"
        f"<td>{escape(place.about)}</td></tr>"
        for place in _places(request)
    )
    body = template("home.html").substitute(
        title=TITLE,
        response_delay=_seconds(settings.response_delay),
        execution_delay=_seconds(settings.execution_delay),
        rows=rows,
    )
    return _page(TITLE, body)


def _address(address: str) -> str:
    """A link for the platform's own paths; other addresses (ws://) to copy."""
    text = escape(address)
    return f'<a href="{text}">{text}</a>' if address.startswith("/") else f"<code>{text}</code>"


def _seconds(delay: DelayRange) -> str:
    if delay.is_off:
        return "no delay"
    if delay.low == delay.high:
        return f"{delay.low:g} s"
    return f"{delay.low:g} to {delay.high:g} s"


@pages.get("/")
async def home(request: Request):
    return html(_home_page(request))


@pages.get("/favicon.ico")
async def no_icon(request: Request):
    """Browsers ask for an icon on every visit; the platform has none (204, not 404)."""
    return empty()


def publish_reports(app: Sanic, reports_dir: Path) -> None:
    """The suite's reports, read-only, with a listing of the platform's own.

    Sanic's static files keep every path inside the folder.
    """
    app.static(
        "/reports/",
        reports_dir,
        name="reports",
        directory_handler=ReportsListing("/reports/", reports_dir),
    )

    @app.get("/reports", name="reports_folder")
    async def reports_folder(request: Request):
        return redirect("/reports/")


class Entry(NamedTuple):
    name: str
    is_folder: bool
    size: int
    modified: float


class ReportsListing(DirectoryHandler):
    """Sanic's folder handler (its path checks, its symlink rules) with a
    listing of the platform's own: readable sizes, UTC times, a way home."""

    def __init__(self, uri: str, directory: Path) -> None:
        super().__init__(uri, directory, directory_view=True)

    def _index(self, location: Path, path: str, debug: bool):
        if "//" in path or not path.endswith("/"):
            return super()._index(location, path, debug)  # redirects to the tidy path
        entries = []
        # Sanic's own walk, so that its rules on symlinks decide what is listed.
        for info in self._iter_files(location):
            name = info["file_name"].rstrip("/")
            try:
                stat = (location / name).stat()
            except OSError:
                continue
            entries.append(
                Entry(name, info["file_name"].endswith("/"), stat.st_size, stat.st_mtime)
            )
        return html(_listing_page(path, entries))


def _listing_page(path: str, entries: list[Entry]) -> str:
    folders = [part for part in path.strip("/").split("/") if part]
    crumbs = ['<a href="/">Home</a>'] + [
        f'<a href="/{"/".join(folders[: depth + 1])}/">{escape(folder)}</a>'
        for depth, folder in enumerate(folders)
    ]
    rows = "\n".join(
        f'<tr><td><a href="{escape(entry.name)}{"/" if entry.is_folder else ""}">'
        f"{escape(entry.name)}{'/' if entry.is_folder else ''}</a></td>"
        f'<td class="number">{"" if entry.is_folder else readable_size(entry.size)}</td>'
        f"<td>{utc_time(entry.modified)}</td></tr>"
        for entry in entries
    )
    if not entries:
        rows = '<tr><td colspan="3">No reports yet.</td></tr>'
    body = template("reports.html").substitute(
        crumbs=" / ".join(crumbs), platform=TITLE.lower(), rows=rows
    )
    return _page(f"Test reports: {path}", body)


def readable_size(size: int) -> str:
    """Bytes as a person reads them: 512 B, 2.4 KiB, 3.1 MiB."""
    if size < 1024:
        return f"{size} B"
    value, unit = size / 1024, "KiB"
    for larger in ("MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.1f} {unit}"


def utc_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
