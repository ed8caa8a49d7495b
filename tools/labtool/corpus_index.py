"""What the rules file may cite: each corpus document's id, title and `## ` headings.

Read with labtool.markdown (the project's one Markdown and front-matter reader) so that
tools/ stays independent of the assistant package (and of the search index).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from labtool.markdown import FrontMatterError, MarkdownDocument, read_markdown

SECTION_LEVEL = 2  # `## ` headings name the sections rules and cases cite


class CorpusError(Exception):
    """The corpus folder cannot be read well enough to check citations."""


@dataclass(frozen=True)
class CorpusDocument:
    doc_id: str
    title: str
    sections: tuple[str, ...]
    path: Path
    text: str  # the body after the front matter
    markdown: MarkdownDocument | None = field(default=None, repr=False, compare=False)
    publisher: str | None = None
    year: int | str | None = None

    @property
    def short_name(self) -> str:
        """How a citation names it in brief: the publisher's abbreviations ("NICE",
        "SFAR–SRLF") or the publisher, else the title; with the year when known."""
        return short_name(self.title, self.publisher, self.year)

    def section_text(self, heading: str) -> str | None:
        """The body of one `## ` section exactly as written (up to the next heading of level
        2 or 1), or None."""
        document = self.markdown or read_markdown(self.text)
        for block in document.headings(SECTION_LEVEL):
            if block.text == heading:
                return document.section_source(block)
        return None


_PARENTHESES = re.compile(r"\(([^()]*)\)")
_CAPITALS = re.compile(r"(?<![\w.])[A-Z][A-Z0-9&]+(?![\w.])")
_ALL_CAPITALS = re.compile(r"[A-Z][A-Z0-9&]*(?: [A-Z][A-Z0-9&]*)*")


def _abbreviates(abbreviation: str, text: str) -> bool:
    """Are the abbreviation's letters, in order, capitals of the text ("NICE" of "National
    Institute for Health and Care Excellence")?"""
    capitals = iter(ch for ch in text if ch.isupper())
    return all(letter in capitals for letter in abbreviation.replace(" ", "") if letter.isalpha())


def short_name(title: str, publisher: str | None, year: int | str | None) -> str:
    """A source's short name: the abbreviations of its publisher's name given in parentheses,
    joined by an en dash ("National Institute ... (NICE)" -> "NICE"), else the publisher
    without its parentheses, else the title; with the year when known ("NICE 2024")."""
    name = ""
    if publisher:
        found: list[str] = []
        for part in _PARENTHESES.findall(publisher):
            part = part.strip()
            candidates = [part] if _ALL_CAPITALS.fullmatch(part) else _CAPITALS.findall(part)
            found.extend(c for c in candidates if _abbreviates(c, publisher.replace(c, "", 1)))
        name = "–".join(dict.fromkeys(found)) or _PARENTHESES.sub("", publisher)
        name = " ".join(name.split()).strip(" ,")
    name = name or title
    return f"{name} {year}" if year else name


def read_document(path: Path) -> CorpusDocument | None:
    """A corpus document, or None for a Markdown file without an `id` (e.g. README.md)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read corpus document ({exc})") from exc
    try:
        document = read_markdown(text)
    except FrontMatterError:
        return None  # not a document the rules can cite
    meta = document.front_matter
    doc_id = meta.get("id")
    if not document.has_front_matter or not isinstance(doc_id, str) or not doc_id:
        return None
    title = meta.get("title")
    return CorpusDocument(
        doc_id=doc_id,
        title=title if isinstance(title, str) and title else doc_id,
        sections=tuple(block.text for block in document.headings(SECTION_LEVEL)),
        path=path,
        text=document.body,
        markdown=document,
        publisher=str(meta["publisher"]) if meta.get("publisher") else None,
        year=meta["year"] if isinstance(meta.get("year"), int | str) and meta.get("year") else None,
    )


def read_corpus(corpus_dir: Path) -> dict[str, CorpusDocument]:
    """Every document in corpus_dir/*.md by id (sorted by file name for determinism)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: corpus folder not found")
    documents: dict[str, CorpusDocument] = {}
    for path in sorted(corpus_dir.glob("*.md")):
        document = read_document(path)
        if document is None:
            continue
        if document.doc_id in documents:
            first = documents[document.doc_id].path.name
            raise CorpusError(f"{path}: document id '{document.doc_id}' is also used by {first}")
        documents[document.doc_id] = document
    return documents


def corpus_signature(corpus_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """File names, sizes and mtimes: changes whenever a document is edited (cache key)."""
    try:
        return tuple(
            (path.name, stat.st_mtime_ns, stat.st_size)
            for path in sorted(corpus_dir.glob("*.md"))
            for stat in (path.stat(),)
        )
    except OSError:
        return ()
