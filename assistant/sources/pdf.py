"""PDF files: embedded metadata, and text re-joined into headings and paragraphs.

Headings come from the outline (bookmarks) when the file has one: each entry is found on its
page and the page text is split there. Without an outline, lines set clearly larger than the
body text, or short lines entirely in bold, are headings. Lines wrapped inside a paragraph are
joined with a space, a word hyphenated at a line end is joined again, and running headers and
footers are left out. pypdf is imported only when a PDF is read.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.sources.pdf_layout import Line, OutlineEntry, blocks_from_lines
from assistant.sources.readers import Block, UnreadableFileError

# Errors pypdf raises on damaged files, besides its own.
_PDF_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    KeyError,
    TypeError,
    OSError,
    AttributeError,
    IndexError,
    RecursionError,
)
_DC = "http://purl.org/dc/elements/1.1/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML = "http://www.w3.org/XML/1998/namespace"
_DC_FIELDS = ("title", "creator", "date", "publisher", "identifier", "description")
_INFO_FIELDS = ("Title", "Author", "Subject", "CreationDate")
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demibold", re.IGNORECASE)


@dataclass(frozen=True)
class PdfContent:
    blocks: list[Block]
    info: dict[str, str] = field(default_factory=dict)  # document information: Title, Author...
    xmp: dict[str, list[str]] = field(default_factory=dict)  # Dublin Core values of the XMP packet


def read_pdf(raw: bytes) -> PdfContent:
    """Blocks (headings and paragraphs, tagged with their page) and the embedded metadata."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    errors: tuple[type[Exception], ...] = (PdfReadError, *_PDF_ERRORS)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise UnreadableFileError("encrypted PDF")
        lines = [
            line for number, page in enumerate(reader.pages, 1) for line in _lines(page, number)
        ]
    except errors as exc:
        raise UnreadableFileError(f"unreadable PDF ({exc})") from exc
    outline = _outline(reader, errors)
    return PdfContent(
        blocks=blocks_from_lines(lines, outline),
        info=_info(reader, errors),
        xmp=_xmp(reader, errors),
    )


def _lines(page: Any, number: int) -> list[Line]:
    """The page's text lines, each with its font size, boldness and baseline height."""
    runs: list[list[tuple[str, float, bool, float]]] = [[]]

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: Any) -> None:
        if not text:
            return
        scale = _scale(tm) * _scale(cm)
        effective = float(size or 0) * (scale or 1.0)
        bold = _is_bold(font)
        y = float(tm[4]) * float(cm[1]) + float(tm[5]) * float(cm[3]) + float(cm[5])
        for i, part in enumerate(text.split("\n")):
            if i:
                runs.append([])
            if part:
                runs[-1].append((part, effective, bold, y))

    page.extract_text(visitor_text=visit)
    lines = []
    for line_runs in runs:
        text = " ".join("".join(r[0] for r in line_runs).split())
        if not text:
            continue
        sizes: Counter[float] = Counter()
        inked = [r for r in line_runs if r[0].strip()]
        for part, size, _, _ in inked:
            sizes[round(size * 2) / 2] += len(part.strip())
        lines.append(
            Line(
                text=text,
                page=number,
                y=inked[0][3] if inked else None,
                size=sizes.most_common(1)[0][0] if sizes else 0.0,
                bold=bool(inked) and all(r[2] for r in inked),
            )
        )
    return lines


def _scale(matrix: Sequence[float]) -> float:
    a, b, c, d = (float(v) for v in matrix[:4])
    return float(abs(a * d - b * c) ** 0.5)


def _is_bold(font: Any) -> bool:
    if not font or not hasattr(font, "get"):
        return False
    name = str(font.get("/BaseFont", ""))
    if _BOLD_NAME.search(name):
        return True
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if hasattr(descriptor, "get_object") else descriptor
    if hasattr(descriptor, "get"):
        weight = descriptor.get("/FontWeight")
        if isinstance(weight, int | float) and weight >= 600:
            return True
    return False


def _outline(reader: Any, errors: tuple[type[Exception], ...]) -> list[OutlineEntry]:
    """Outline entries in order; a single root entry with children is the document title."""
    try:
        items = list(_walk(reader, reader.outline, 0))
    except errors:
        return []
    entries = [
        (depth, title, page, top)
        for depth, title, page, top in items
        if page is not None and page >= 0
    ]
    roots = [e for e in entries if e[0] == 0]
    shift = 1 if len(roots) == 1 and len(entries) > 1 else 2
    return [
        OutlineEntry(title=title, level=min(depth + shift, 6), page=page + 1, top=top)
        for depth, title, page, top in entries
    ]


def _walk(
    reader: Any, items: Any, depth: int
) -> Iterator[tuple[int, str, int | None, float | None]]:
    for item in items:
        if isinstance(item, list):
            yield from _walk(reader, item, depth + 1)
            continue
        title = " ".join(str(getattr(item, "title", "") or "").split())
        if not title:
            continue
        top = getattr(item, "top", None)
        yield (
            depth,
            title,
            reader.get_destination_page_number(item),
            float(top) if isinstance(top, int | float) else None,
        )


def _info(reader: Any, errors: tuple[type[Exception], ...]) -> dict[str, str]:
    try:
        info = reader.metadata or {}
        found = {key: info.get(f"/{key}") for key in _INFO_FIELDS}
    except errors:
        return {}
    return {key: " ".join(str(v).split()) for key, v in found.items() if v and str(v).strip()}


def _xmp(reader: Any, errors: tuple[type[Exception], ...]) -> dict[str, list[str]]:
    """Dublin Core values of the XMP packet, whatever its rdf:about (pdf:Producer is not read)."""
    try:
        xmp = reader.xmp_metadata
        root = xmp.rdf_root if xmp is not None else None
    except errors:
        return {}
    if root is None:
        return {}
    values: dict[str, list[str]] = {}
    for name in _DC_FIELDS:
        found = [v for v in _dc_values(root, name) if v]
        if found:
            values[name] = found
    return values


def _dc_values(root: Any, name: str) -> list[str]:
    values: list[str] = []
    for description in root.getElementsByTagNameNS(_RDF, "Description"):
        attribute = description.getAttributeNS(_DC, name)
        if attribute:
            values.append(" ".join(attribute.split()))
    for element in root.getElementsByTagNameNS(_DC, name):
        items = element.getElementsByTagNameNS(_RDF, "li")
        if not items:
            values.append(_text(element))
            continue
        # A language alternative lists the default language first.
        ordered = sorted(items, key=lambda li: li.getAttributeNS(_XML, "lang") != "x-default")
        values.extend(_text(li) for li in ordered)
    return values


def _text(element: Any) -> str:
    parts = [
        n.data for n in element.childNodes if n.nodeType in (n.TEXT_NODE, n.CDATA_SECTION_NODE)
    ]
    return " ".join("".join(parts).split())
