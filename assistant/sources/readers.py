"""Readers for the non-Markdown files a user can point ingestion at: plain text, PDF, HTML.

Each reader returns an optional title and a flat list of blocks (headings with a level, or text
paragraphs); `assistant.sources.documents` turns blocks into sections. pypdf and BeautifulSoup are
imported only when a file of that type is read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

_SPACES = re.compile(r"[ \t\u00a0]+")
_HTML_HEADINGS = ("h1", "h2", "h3")
_HTML_TEXT = ("p", "li", "pre", "blockquote", "td", "th", "dt", "dd", "h4", "h5", "h6", "caption")
_HTML_NOISE = ("script", "style", "nav", "footer", "header", "noscript", "template", "form")


class UnreadableFileError(Exception):
    """The file's content cannot be read; the message says why."""


@dataclass(frozen=True)
class Block:
    text: str
    level: int = 0  # 0 = paragraph; 1..6 = heading level
    page: int = 0  # PDF page number (1-based), 0 elsewhere


def read_text_blocks(text: str) -> list[Block]:
    """Paragraphs of a plain-text file (blank-line separated)."""
    paragraphs = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))
    return [Block(text=p.strip()) for p in paragraphs if p.strip()]


def read_pdf(raw: bytes) -> tuple[str | None, list[Block]]:
    """One block per non-empty paragraph of each page, tagged with its page number."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise UnreadableFileError("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableFileError(f"unreadable PDF ({exc})") from exc
    blocks = [
        Block(text=_SPACES.sub(" ", paragraph.strip()), page=number)
        for number, page in enumerate(pages, start=1)
        for paragraph in re.split(r"\n[ \t]*\n", page)
        if paragraph.strip()
    ]
    return (str(title).strip() or None) if title else None, blocks


def read_html(html: str) -> tuple[str | None, list[Block]]:
    """Headings h1-h3 open sections; text elements become paragraphs, in document order."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
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
    return title or None, blocks
