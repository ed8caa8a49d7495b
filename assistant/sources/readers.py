"""Readers for the non-Markdown files a user can point ingestion at: plain text and HTML.

Each reader returns a flat list of blocks (headings with a level, or text paragraphs) and what
the file says about itself; `assistant.sources.documents` turns blocks into sections and
`assistant.sources.metadata` reads the metadata. PDFs are read by `assistant.sources.pdf`.
BeautifulSoup is imported only when an HTML file is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPACES = re.compile(r"[ \t\u00a0]+")
_HTML_HEADINGS = ("h1", "h2", "h3")
_HTML_TEXT = ("p", "li", "pre", "blockquote", "td", "th", "dt", "dd", "h4", "h5", "h6", "caption")
_HTML_NOISE = ("script", "style", "nav", "footer", "header", "noscript", "template", "form")
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
# A line standing alone is a heading when it is short, unfinished by a full stop and no list item.
_MAX_HEADING_CHARS = 80
_LIST_ITEM = re.compile(r"^(?:[-*+•‣◦▪–·]\s|\(?[a-z0-9]{1,3}[.)]\s|\|)", re.IGNORECASE)
PLAIN_HEADING_LEVEL = 2  # below a title: a plain-text heading is never the document title


class UnreadableFileError(Exception):
    """The file's content cannot be read; the message says why."""


@dataclass(frozen=True)
class Block:
    text: str
    level: int = 0  # 0 = paragraph; 1..6 = heading level
    page: int = 0  # PDF page number (1-based), 0 elsewhere
    patient: bool = False  # a patient-language statement ("> For patients: ...")


@dataclass(frozen=True)
class HtmlContent:
    blocks: list[Block]
    title: str | None = None  # the <title> element
    meta: dict[str, list[str]] = field(default_factory=dict)  # <meta> name/property -> contents


def read_text_blocks(text: str) -> list[Block]:
    """Paragraphs of a plain-text file (blank-line separated), with its headings.

    `#` headings count when the file has any; otherwise a short line standing alone is one.
    """
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))]
    paragraphs = [p for p in paragraphs if p]
    marked = any(_MARKDOWN_HEADING.match(p) and "\n" not in p for p in paragraphs)
    blocks = []
    for paragraph in paragraphs:
        heading = _MARKDOWN_HEADING.match(paragraph) if "\n" not in paragraph else None
        if marked and heading:
            blocks.append(Block(text=heading.group(2).strip(), level=len(heading.group(1))))
        elif not marked and _plain_heading(paragraph):
            blocks.append(Block(text=_SPACES.sub(" ", paragraph), level=PLAIN_HEADING_LEVEL))
        else:
            blocks.append(Block(text=paragraph))
    return blocks


def _plain_heading(paragraph: str) -> bool:
    return (
        "\n" not in paragraph
        and len(paragraph) < _MAX_HEADING_CHARS
        and not paragraph.endswith((".", ",", ";"))
        and any(c.isalpha() for c in paragraph)
        and _LIST_ITEM.match(paragraph) is None
    )


def read_html(html: str) -> HtmlContent:
    """Headings h1-h3 open sections; text elements become paragraphs, in document order."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    meta: dict[str, list[str]] = {}
    for tag in soup.find_all("meta"):
        if not isinstance(tag, Tag):
            continue
        name = tag.get("name") or tag.get("property")
        content = tag.get("content")
        if isinstance(name, str) and isinstance(content, str) and content.strip():
            meta.setdefault(name.strip().lower(), []).append(_SPACES.sub(" ", content.strip()))
    for noise in soup.find_all(_HTML_NOISE):
        noise.decompose()
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    blocks: list[Block] = []
    wanted = (*_HTML_HEADINGS, *_HTML_TEXT)
    for element in soup.find_all(wanted):
        if not isinstance(element, Tag) or element.find_parent(_HTML_TEXT):
            continue  # nested text (a <p> inside an <li>) is read with its parent
        text = _SPACES.sub(" ", element.get_text(" ", strip=True))
        if not text:
            continue
        level = int(element.name[1]) if element.name in _HTML_HEADINGS else 0
        blocks.append(Block(text=text, level=level))
    return HtmlContent(blocks=blocks, title=title or None, meta=meta)
