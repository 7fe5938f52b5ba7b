"""The pages' HTML, beside `static/`: `string.Template` files filled in by
the module serving each page."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from string import Template


@cache
def template(name: str) -> Template:
    """The template `name` (e.g. `page.html`), read once."""
    return Template((files(__name__) / name).read_text(encoding="utf-8"))
