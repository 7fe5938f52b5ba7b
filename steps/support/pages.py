"""Reading a web page as a browser does: what it loads, what it links to,
and the text a person sees without scripts."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    scripts: list = field(default_factory=list)  # <script src>
    stylesheets: list = field(default_factory=list)  # <link rel="stylesheet" href>
    links: dict = field(default_factory=dict)  # <a href> -> its text
    text: str = ""  # what shows without scripts


class _Reader(HTMLParser):
    HIDDEN = frozenset({"script", "style", "title"})
    # Tags that start a new block or cell: their text is separate words.
    SEPARATE = frozenset(
        {"p", "div", "br", "li", "tr", "td", "th", "pre", "h1", "h2", "h3", "nav", "table"}
    )

    def __init__(self):
        super().__init__()
        self.page = Page()
        self._hidden = 0
        self._link = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.page.scripts.append(attrs["src"])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split() and attrs.get("href"):
            self.page.stylesheets.append(attrs["href"])
        if tag == "a" and attrs.get("href"):
            self._link = attrs["href"]
            self.page.links[self._link] = ""
        if tag in self.HIDDEN:
            self._hidden += 1
        if tag in self.SEPARATE:
            self._text.append(" ")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self._hidden -= 1
        if tag == "a":
            self._link = None

    def handle_data(self, data):
        if self._hidden:
            return
        self._text.append(data)
        if self._link is not None:
            self.page.links[self._link] += data

    def close(self):
        super().close()
        self.page.text = " ".join("".join(self._text).split())


def read_page(html_text):
    reader = _Reader()
    reader.feed(html_text)
    reader.close()
    return reader.page
