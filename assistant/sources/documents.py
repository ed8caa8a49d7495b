"""Loading source files (Markdown with front matter, plain text, PDF, HTML) into cited chunks.

Pure: no embeddings, no store. A chunk keeps its document's metadata, its heading path and an id
derived from its content, so re-ingesting the same text always yields the same id (idempotent
upserts, reconciliation by id after a crash).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from labtool.markdown import FrontMatterError, read_markdown, split_front_matter
from pydantic import ValidationError

from assistant.schema import DocumentMeta
from assistant.sources.metadata import (
    MetadataError,
    html_metadata,
    merged,
    pdf_metadata,
    read_sidecar,
    sidecar_path,
)
from assistant.sources.pdf import read_pdf
from assistant.sources.readers import Block, UnreadableFileError, read_html, read_text_blocks
from assistant.sources.review import REVIEW_KEY, body_hash, review_fields
from assistant.sources.sections import MAX_CHUNK_WORDS as MAX_CHUNK_WORDS
from assistant.sources.sections import SECTION_SEPARATOR as SECTION_SEPARATOR
from assistant.sources.sections import Section as Section
from assistant.sources.sections import (
    grouped_sections,
    heading_sections,
    markdown_blocks,
    pack_paragraphs,
    title_heading,
)

# Bump when chunking changes: the corpus hash includes it, so every index is refreshed.
# 2: PDF and text files are split at their headings, with metadata read from the file.
CHUNKER_VERSION = "2"
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | {".txt", ".text", ".pdf", ".html", ".htm"}
# Front matter of files that have none: unreviewed until someone approves them.
_UNREVIEWED = {"source_type": "Research", "review_status": "submitted"}

# The corpus writes `id` and `type`; the schema names them doc_id and source_type.
_FIELD_ALIASES = {"id": "doc_id", "type": "source_type"}


class DocumentError(Exception):
    """A file that cannot be indexed, named by file and field: `path: field: problem`."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        super().__init__(f"{path}: {field}: {problem}")
        self.path = str(path)
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Chunk:
    """One indexed unit: displayed `text`, plus title and section prepended for search."""

    chunk_id: str
    doc: DocumentMeta
    section: str
    text: str
    source_path: str
    patient: str = ""  # the section's patient-language statements (not indexed for search)

    @property
    def index_text(self) -> str:
        return index_text(self.doc.title, self.section, self.text)

    def metadata(self, corpus_hash: str) -> dict[str, str | int]:
        """Flat, Chroma-safe metadata: no None values ("" for an unknown year or publisher)."""
        meta = self.doc
        flat: dict[str, str | int] = {
            "doc_id": meta.doc_id,
            "title": meta.title,
            "source_type": meta.source_type,
            "publisher": meta.publisher or "",
            "year": meta.year if meta.year is not None else "",
            "url": meta.url or "",
            "doi": meta.doi or "",
            "review_status": meta.review_status,
            "last_reviewed": meta.last_reviewed,
            "reviewed_by": meta.reviewed_by or "",
            "reviewed_on": meta.reviewed_on or "",
            "review_state": meta.review_state,
            "section": self.section,
            "chunk_id": self.chunk_id,
            "corpus_hash": corpus_hash,
            "source_path": self.source_path,
        }
        # Only when known, so that the metadata of documents without them stays as it was.
        if meta.authors:
            flat["authors"] = json.dumps(list(meta.authors), ensure_ascii=False)
        if meta.subject:
            flat["subject"] = meta.subject
        if meta.kind:
            flat["kind"] = meta.kind
        if self.patient:
            flat["patient"] = self.patient
        return flat


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
    year = metadata.get("year")
    authors = json.loads(str(metadata["authors"])) if metadata.get("authors") else []
    return DocumentMeta(
        doc_id=str(metadata["doc_id"]),
        title=str(metadata["title"]),
        source_type=metadata["source_type"],
        publisher=str(metadata.get("publisher") or "") or None,
        year=None if year in (None, "") else int(year),
        url=str(metadata.get("url") or "") or None,
        doi=str(metadata.get("doi") or "") or None,
        review_status=metadata["review_status"],
        last_reviewed=str(metadata.get("last_reviewed") or ""),
        reviewed_by=str(metadata.get("reviewed_by") or "") or None,
        reviewed_on=str(metadata.get("reviewed_on") or "") or None,
        review_state=metadata.get("review_state") or "never reviewed",
        authors=tuple(str(name) for name in authors),
        subject=str(metadata.get("subject") or "") or None,
        kind=metadata.get("kind") or None,
    )


def make_chunk_id(doc_id: str, section: str, text: str) -> str:
    digest = hashlib.sha256("\x1f".join((doc_id, section, text)).encode("utf-8"))
    return digest.hexdigest()[:24]


def load_document(
    path: Path,
    *,
    display_path: str | None = None,
    require_front_matter: bool = False,
    max_bytes: int | None = None,
) -> SourceDocument:
    """Read one file into sections. Raises DocumentError naming the file and the field.

    `max_bytes`: the largest file read (default: the ASSISTANT_MAX_DOCUMENT_BYTES setting).
    """
    shown = display_path or str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(shown, "file", f"unsupported type {suffix or '(none)'}")
    raw = read_document_bytes(path, shown, max_bytes)
    front: dict[str, Any] | None = None
    embedded: dict[str, Any] = {}
    # What a review record's hash is compared with: the body of a text file, else the bytes.
    content_hash = hashlib.sha256(raw).hexdigest()
    if suffix == ".pdf":
        try:
            pdf = read_pdf(raw)
        except UnreadableFileError as exc:
            raise DocumentError(shown, "content", str(exc)) from exc
        title, blocks = title_heading(pdf.blocks)
        embedded = pdf_metadata(pdf.info, pdf.xmp)
    elif suffix in (".html", ".htm"):
        html = read_html(_decode(raw, shown))
        title, blocks = title_heading(html.blocks)
        embedded = html_metadata(html.meta, html.title)
    elif suffix in MARKDOWN_SUFFIXES:
        text = _decode(raw, shown)
        front, title, blocks = _markdown(text, shown)
        content_hash = body_hash(text)
    else:
        text = _decode(raw, shown)
        content_hash = body_hash(text)
        try:
            found, body = split_front_matter(text)
        except FrontMatterError as exc:
            raise _front_matter_error(shown, exc) from exc
        front = _checked_front_matter(text, found, found is not None, shown)
        title, blocks = title_heading(read_text_blocks(body))
    if front is None and require_front_matter:
        raise DocumentError(shown, "front matter", "missing (a corpus document needs one)")
    meta = _document_meta(path, shown, front, merged(embedded, {"title": title}), content_hash)
    # Text and PDF files without headings are grouped into parts (text) or pages (PDF).
    headed = suffix in MARKDOWN_SUFFIXES | {".html", ".htm"} or any(b.level for b in blocks)
    sections = (
        heading_sections(blocks) if headed else grouped_sections(blocks, paged=suffix == ".pdf")
    )
    if not sections:
        raise DocumentError(shown, "content", "no readable text")
    return SourceDocument(meta=meta, source_path=shown, sections=tuple(sections))


def max_document_bytes() -> int:
    """The ASSISTANT_MAX_DOCUMENT_BYTES setting (its default when the settings are invalid)."""
    from assistant.config import DEFAULT_MAX_DOCUMENT_BYTES, get_settings

    try:
        return get_settings().max_document_bytes
    except ValidationError:
        return DEFAULT_MAX_DOCUMENT_BYTES


def read_document_bytes(path: Path, shown: str, max_bytes: int | None = None) -> bytes:
    """A document's bytes; a file over the size limit is refused by name, without reading it
    all (a 50 MB file would take most of an hour to chunk and embed)."""
    limit = max_document_bytes() if max_bytes is None else max_bytes
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise DocumentError(shown, "file", f"unreadable ({exc.strerror or exc})") from exc
    if len(raw) > limit:
        raise DocumentError(
            shown,
            "file",
            f"{max(size, len(raw)):,} bytes is over the maximum document size of {limit:,} bytes "
            "(ASSISTANT_MAX_DOCUMENT_BYTES)",
        )
    return raw


def chunk_document(doc: SourceDocument) -> list[Chunk]:
    """Split sections into chunks of at most MAX_CHUNK_WORDS words at paragraph boundaries."""
    chunks: dict[str, Chunk] = {}  # same text twice in one section -> one chunk
    for section in doc.sections:
        for text in pack_paragraphs(section.text.split("\n\n"), MAX_CHUNK_WORDS):
            chunk_id = make_chunk_id(
                doc.meta.doc_id, section.path, index_text(doc.meta.title, section.path, text)
            )
            chunks.setdefault(
                chunk_id,
                Chunk(chunk_id, doc.meta, section.path, text, doc.source_path, section.patient),
            )
    return list(chunks.values())


def _decode(raw: bytes, shown: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(shown, "content", f"not UTF-8 text (byte {exc.start})") from exc


def _checked_front_matter(
    text: str, front: dict[str, Any] | None, present: bool, shown: str
) -> dict[str, Any] | None:
    if not present:
        if text.startswith("---"):
            raise DocumentError(shown, "front matter", "not closed by a '---' line")
        return None
    if not front:  # the shared reader gives {} for YAML that is no mapping
        raise DocumentError(shown, "front matter", "must be a mapping of fields")
    return front


def _front_matter_error(shown: str, exc: FrontMatterError) -> DocumentError:
    mark = getattr(exc.__cause__, "problem_mark", None)
    where = f" (line {mark.line + 2})" if mark is not None else ""
    return DocumentError(shown, "front matter", f"invalid YAML{where}")


def _document_meta(
    path: Path,
    shown: str,
    front: dict[str, Any] | None,
    embedded: dict[str, Any],
    content_hash: str = "",
) -> DocumentMeta:
    """Front matter as written; otherwise sidecar > embedded metadata > the file's name.

    A file with front matter keeps its metadata there: a sidecar next to it is an error.
    A `reviewed` record becomes reviewed_by, reviewed_on and review_state, the state comparing
    the record's hash with `content_hash` (the body of a text file, the bytes of any other).
    """
    shown_sidecar = str(sidecar_path(Path(shown)))
    try:
        sidecar = read_sidecar(path)
    except MetadataError as exc:
        raise DocumentError(shown_sidecar, "metadata", str(exc)) from exc
    if sidecar is not None and front is not None:
        problem = f"{Path(shown).name} has front matter; keep its metadata in one place"
        raise DocumentError(shown_sidecar, "metadata", problem)
    sidecar = sidecar or {}
    if front is None:
        stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"
        name = path.stem.replace("_", " ").replace("-", " ").strip() or path.name
        front = merged(embedded, {"id": f"file-{stem}", "title": name}, _UNREVIEWED)
    written = {**front, **sidecar}
    try:
        review = review_fields(written, content_hash)
    except ValueError as exc:
        where = shown_sidecar if REVIEW_KEY in sidecar else shown
        raise DocumentError(where, REVIEW_KEY, str(exc)) from exc
    fields = {
        _FIELD_ALIASES.get(key, key): _plain(value)
        for key, value in written.items()
        if key != REVIEW_KEY
    }
    fields.update(review)
    try:
        return DocumentMeta.model_validate(fields)
    except ValidationError as exc:
        problems = [(_written_name(e["loc"], written), e["msg"]) for e in exc.errors()]
        first_field, first_problem = problems[0]
        rest = "".join(f"; {name}: {msg}" for name, msg in problems[1:])
        where = shown_sidecar if first_field.split(".")[0] in sidecar else shown
        raise DocumentError(where, first_field, first_problem + rest) from exc


def _written_name(loc: tuple[int | str, ...], front: dict[str, Any]) -> str:
    """The field as the file spells it (`id`, not `doc_id`, unless the file wrote `doc_id`)."""
    name = ".".join(map(str, loc)) or "front matter"
    alias = next((a for a, field in _FIELD_ALIASES.items() if field == name), None)
    return name if alias is None or name in front else alias


def _plain(value: object) -> object:
    """YAML turns 2024-05-01 into a date; the schema keeps ISO strings."""
    return value.isoformat() if isinstance(value, date) else value


def _markdown(text: str, shown: str) -> tuple[dict[str, Any] | None, str | None, list[Block]]:
    """Front matter, title and blocks from the shared Markdown reader (labtool.markdown).

    Headings come from the reader; the text between them is kept as written, a paragraph being
    a run of lines without a blank line (list and quote markers, code fences and all).
    """
    try:
        document = read_markdown(text)
    except FrontMatterError as exc:
        raise _front_matter_error(shown, exc) from exc
    present = document.has_front_matter
    front = _checked_front_matter(text, document.front_matter, present, shown)
    return front, document.title, markdown_blocks(document)


_NOT_DOCUMENTS = ("readme",)  # a pack's notes for people, not guideline documents


def pack_files(folder: Path) -> list[Path]:
    """The guideline documents of a pack folder, by file name: every supported format, hidden
    files and the README left out (rules.yaml, domain.yaml and sidecars are not documents)."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_SUFFIXES
        and not path.name.startswith(".")
        and not path.stem.lower().startswith(_NOT_DOCUMENTS)
    )
