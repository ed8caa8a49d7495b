"""Loading source files (Markdown with front matter, plain text, PDF, HTML) into cited chunks.

Pure: no embeddings, no store. A chunk keeps its document's metadata, its heading path and an id
derived from its content, so re-ingesting the same text always yields the same id (idempotent
upserts, reconciliation by id after a crash).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.schema import DocumentMeta
from assistant.sources.readers import (
    Block,
    UnreadableFileError,
    read_html,
    read_pdf,
    read_text_blocks,
)

# Bump when chunking changes: the corpus hash includes it, so every index is refreshed.
CHUNKER_VERSION = "1"
SECTION_SEPARATOR = " > "
# all-MiniLM-L6-v2 reads 256 word pieces; ~180 words of clinical prose fit, longer text is cut.
MAX_CHUNK_WORDS = 180
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | {".txt", ".text", ".pdf", ".html", ".htm"}
# Front matter of user-supplied files that have none: unreviewed until someone approves them.
USER_FILE_PUBLISHER = "User-supplied file"

# The corpus writes `id` and `type`; the schema names them doc_id and source_type.
_FIELD_ALIASES = {"id": "doc_id", "type": "source_type"}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^(```|~~~)")


class DocumentError(Exception):
    """A file that cannot be indexed, named by file and field: `path: field: problem`."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        super().__init__(f"{path}: {field}: {problem}")
        self.path = str(path)
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Section:
    path: str  # heading path joined with SECTION_SEPARATOR
    text: str


@dataclass(frozen=True)
class Chunk:
    """One indexed unit: displayed `text`, plus title and section prepended for search."""

    chunk_id: str
    doc: DocumentMeta
    section: str
    text: str
    source_path: str

    @property
    def index_text(self) -> str:
        return index_text(self.doc.title, self.section, self.text)

    def metadata(self, corpus_hash: str) -> dict[str, str | int]:
        """Flat, Chroma-safe metadata (no None values)."""
        meta = self.doc
        return {
            "doc_id": meta.doc_id,
            "title": meta.title,
            "source_type": meta.source_type,
            "publisher": meta.publisher,
            "year": meta.year,
            "url": meta.url or "",
            "doi": meta.doi or "",
            "review_status": meta.review_status,
            "last_reviewed": meta.last_reviewed,
            "section": self.section,
            "chunk_id": self.chunk_id,
            "corpus_hash": corpus_hash,
            "source_path": self.source_path,
        }


@dataclass(frozen=True)
class SourceDocument:
    meta: DocumentMeta
    source_path: str
    sections: tuple[Section, ...]


def index_text(title: str, section: str, text: str) -> str:
    """What is embedded and BM25-indexed: title and heading path help retrieval a lot."""
    return f"{title}\n{section}\n{text}"


def meta_from_metadata(metadata: dict[str, Any]) -> DocumentMeta:
    """Inverse of `Chunk.metadata` for the document part (store -> schema)."""
    return DocumentMeta(
        doc_id=str(metadata["doc_id"]),
        title=str(metadata["title"]),
        source_type=metadata["source_type"],
        publisher=str(metadata["publisher"]),
        year=int(metadata["year"]),
        url=str(metadata.get("url") or "") or None,
        doi=str(metadata.get("doi") or "") or None,
        review_status=metadata["review_status"],
        last_reviewed=str(metadata["last_reviewed"]),
    )


def make_chunk_id(doc_id: str, section: str, text: str) -> str:
    digest = hashlib.sha256("\x1f".join((doc_id, section, text)).encode("utf-8"))
    return digest.hexdigest()[:24]


def load_document(
    path: Path, *, display_path: str | None = None, require_front_matter: bool = False
) -> SourceDocument:
    """Read one file into sections. Raises DocumentError naming the file and the field."""
    shown = display_path or str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(shown, "file", f"unsupported type {suffix or '(none)'}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(shown, "file", f"unreadable ({exc.strerror or exc})") from exc
    if suffix == ".pdf":
        try:
            title, blocks = read_pdf(raw)
        except UnreadableFileError as exc:
            raise DocumentError(shown, "content", str(exc)) from exc
        front: dict[str, Any] | None = None
    elif suffix in (".html", ".htm"):
        page_title, blocks = read_html(_decode(raw, shown))
        heading_title, blocks = _title_heading(blocks)
        title = page_title or heading_title
        front = None
    else:
        front, body = _split_front_matter(_decode(raw, shown), shown)
        if suffix in MARKDOWN_SUFFIXES:
            title, blocks = _markdown_blocks(body)
        else:
            title, blocks = None, read_text_blocks(body)
    if front is None and require_front_matter:
        raise DocumentError(shown, "front matter", "missing (a corpus document needs one)")
    meta = _document_meta(front, path, shown, title)
    sections = _sections(blocks, paged=suffix == ".pdf", plain=suffix in (".txt", ".text"))
    if not sections:
        raise DocumentError(shown, "content", "no readable text")
    return SourceDocument(meta=meta, source_path=shown, sections=tuple(sections))


def chunk_document(doc: SourceDocument) -> list[Chunk]:
    """Split sections into chunks of at most MAX_CHUNK_WORDS words at paragraph boundaries."""
    chunks: dict[str, Chunk] = {}  # same text twice in one section -> one chunk
    for section in doc.sections:
        for text in _pack_paragraphs(section.text.split("\n\n"), MAX_CHUNK_WORDS):
            chunk_id = make_chunk_id(
                doc.meta.doc_id, section.path, index_text(doc.meta.title, section.path, text)
            )
            chunks.setdefault(
                chunk_id, Chunk(chunk_id, doc.meta, section.path, text, doc.source_path)
            )
    return list(chunks.values())


def _decode(raw: bytes, shown: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(shown, "content", f"not UTF-8 text (byte {exc.start})") from exc


def _split_front_matter(text: str, shown: str) -> tuple[dict[str, Any] | None, str]:
    import yaml

    match = _FRONT_MATTER.match(text)
    if match is None:
        if text.startswith("---"):
            raise DocumentError(shown, "front matter", "not closed by a '---' line")
        return None, text
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise DocumentError(shown, "front matter", f"invalid YAML{where}") from exc
    if not isinstance(data, dict):
        raise DocumentError(shown, "front matter", "must be a mapping of fields")
    return data, text[match.end() :]


def _document_meta(
    front: dict[str, Any] | None, path: Path, shown: str, title: str | None
) -> DocumentMeta:
    if front is None:
        front = _user_file_meta(path, title)
    fields = {_FIELD_ALIASES.get(key, key): _plain(value) for key, value in front.items()}
    try:
        return DocumentMeta.model_validate(fields)
    except ValidationError as exc:
        problems = [(_written_name(e["loc"], front), e["msg"]) for e in exc.errors()]
        first_field, first_problem = problems[0]
        rest = "".join(f"; {name}: {msg}" for name, msg in problems[1:])
        raise DocumentError(shown, first_field, first_problem + rest) from exc


def _written_name(loc: tuple[int | str, ...], front: dict[str, Any]) -> str:
    """The field as the file spells it (`id`, not `doc_id`, unless the file wrote `doc_id`)."""
    name = ".".join(map(str, loc)) or "front matter"
    alias = next((a for a, field in _FIELD_ALIASES.items() if field == name), None)
    return name if alias is None or name in front else alias


def _plain(value: object) -> object:
    """YAML turns 2024-05-01 into a date; the schema keeps ISO strings."""
    return value.isoformat() if isinstance(value, date) else value


def _user_file_meta(path: Path, title: str | None) -> dict[str, Any]:
    modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()
    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"
    return {
        "doc_id": f"file-{stem}",
        "title": title or path.stem.replace("_", " ").replace("-", " ").strip() or path.name,
        "source_type": "Research",
        "publisher": USER_FILE_PUBLISHER,
        "year": modified.year,
        "review_status": "submitted",
        "last_reviewed": modified.isoformat(),
    }


def _markdown_blocks(body: str) -> tuple[str | None, list[Block]]:
    blocks: list[Block] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            blocks.append(Block(text="\n".join(paragraph).strip()))
            paragraph.clear()

    for line in body.splitlines():
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            flush()
            blocks.append(Block(text=heading.group(2).strip(), level=len(heading.group(1))))
        elif not line.strip() and not in_fence:
            flush()
        else:
            paragraph.append(line.rstrip())
    flush()
    return _title_heading(blocks)


def _title_heading(blocks: list[Block]) -> tuple[str | None, list[Block]]:
    """A single level-1 heading that opens the document is its title, not a section."""
    headings = [b for b in blocks if b.level]
    if not headings:
        return None, blocks
    top = min(b.level for b in headings)
    tops = [b for b in headings if b.level == top]
    if top == 1 and len(tops) == 1 and headings[0] is tops[0]:
        return tops[0].text, [b for b in blocks if b is not tops[0]]
    return None, blocks


def _sections(blocks: Iterable[Block], *, paged: bool, plain: bool) -> list[Section]:
    if paged or plain:
        return _grouped_sections(list(blocks), paged=paged)
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []

    def flush() -> None:
        text = "\n\n".join(t for t in body if t)
        if text.strip():
            name = SECTION_SEPARATOR.join(t for _, t in path) or "Introduction"
            sections.append(Section(path=name, text=text))
        body.clear()

    for block in blocks:
        if block.level:
            flush()
            path = [(lvl, t) for lvl, t in path if lvl < block.level] + [(block.level, block.text)]
        else:
            body.append(block.text)
    flush()
    return _merge_same_path(sections)


def _merge_same_path(sections: list[Section]) -> list[Section]:
    merged: dict[str, str] = {}
    for section in sections:
        merged[section.path] = (
            f"{merged[section.path]}\n\n{section.text}" if section.path in merged else section.text
        )
    return [Section(path=p, text=t) for p, t in merged.items()]


def _grouped_sections(blocks: list[Block], *, paged: bool) -> list[Section]:
    """Text files: one section per group of paragraphs; PDFs: per group of pages."""
    groups: list[list[Block]] = []
    words = 0
    for block in blocks:
        size = len(block.text.split())
        if not groups or words + size > MAX_CHUNK_WORDS:
            groups.append([])
            words = 0
        groups[-1].append(block)
        words += size
    sections = []
    for number, group in enumerate(groups, start=1):
        if paged:
            first, last = group[0].page, group[-1].page
            name = f"Page {first}" if first == last else f"Pages {first}-{last}"
        else:
            name = f"Part {number}"
        sections.append(Section(path=name, text="\n\n".join(b.text for b in group)))
    return _merge_same_path(sections)


def _pack_paragraphs(paragraphs: list[str], max_words: int) -> list[str]:
    pieces: list[str] = []
    for paragraph in (p.strip() for p in paragraphs):
        if len(paragraph.split()) > max_words * 3 // 2 and "|" not in paragraph:
            # An overlong paragraph (tables excepted) is split between sentences.
            sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(])", paragraph)
            pieces.extend(_pack(sentences, max_words, " "))
        elif paragraph:
            pieces.append(paragraph)
    return _pack(pieces, max_words, "\n\n")


def _pack(pieces: list[str], max_words: int, joiner: str) -> list[str]:
    """Greedy packing of whole pieces into groups of at most max_words; long pieces stay whole."""
    groups: list[str] = []
    current: list[str] = []
    words = 0
    for piece in pieces:
        size = len(piece.split())
        if current and words + size > max_words:
            groups.append(joiner.join(current))
            current, words = [], 0
        current.append(piece)
        words += size
    if current:
        groups.append(joiner.join(current))
    return groups
