"""Reading the app's HTML back: its tags, attributes and text (for the escaping checks here and
in tests/reliability/test_fuzz.py)."""

from __future__ import annotations

from html.parser import HTMLParser

# What the renderer may write; anything else in the HTML came from the text.
ALLOWED_TAGS = {
    "div", "p", "span", "a", "details", "summary", "ul", "ol", "li", "strong", "em", "code",
    "h4", "table", "caption", "thead", "tbody", "tr", "th", "td", "br", "button", "pre",
    "blockquote", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"class", "href", "id", "role", "open", "hidden", "type", "scope", "title"}


class Markup(HTMLParser):
    """Every tag and attribute of an HTML string, and its text."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.feed(source)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
