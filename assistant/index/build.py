"""Building and updating the search index: incremental, idempotent and safe to interrupt.

Each run reconciles the store with the sources by chunk id (ids derive from document, section
and text): chunks not yet stored are embedded and upserted batch by batch, chunks no source
produces any more are deleted, and only then is the manifest (model, corpus hash, extra sources)
written. A run killed at any point leaves a stale manifest; the next run finishes the job
without duplicates. A different embedding model drops the collection rather than mix vectors.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.index.store import ChunkStore, Manifest, StoreError, bump_generation, open_store
from assistant.sources.documents import (
    CHUNKER_VERSION,
    SUPPORTED_SUFFIXES,
    Chunk,
    DocumentError,
    chunk_document,
    load_document,
    pack_files,
)

logger = logging.getLogger(__name__)
LOCK_FILE = ".ingest.lock"
_process_lock = threading.Lock()


class IngestError(Exception):
    """Ingestion cannot run at all (store unreachable, model missing, corpus folder absent)."""


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0  # chunks in the index after the run
    embedded: int = 0
    removed: int = 0
    unchanged: int = 0
    metadata_updated: int = 0
    seconds: float = 0.0
    rebuilt: str | None = None  # why the index was dropped first, if it was
    failures: list[str] = field(default_factory=list)  # "path: field: problem"

    def describe(self) -> str:
        line = (
            f"indexed {self.chunks} chunks from {self.documents} documents "
            f"(embedded {self.embedded} new, removed {self.removed}, unchanged {self.unchanged}) "
            f"in {self.seconds:.1f} s"
        )
        if self.rebuilt:
            line += f"; rebuilt: {self.rebuilt}"
        if self.failures:
            line += f"; {len(self.failures)} file(s) skipped"
        return line


@dataclass(frozen=True)
class SourceFile:
    path: Path
    key: str  # stable name stored with each chunk and shown in messages
    in_corpus: bool  # corpus Markdown must carry front matter


def run_ingest(
    settings: Settings, extra_paths: Sequence[Path] = (), rebuild: bool = False
) -> IngestReport:
    """Bring the index in line with the corpus plus extra files (remembered across runs)."""
    with _exclusive(settings):
        report = _ingest(settings, extra_paths, rebuild)
    bump_generation()  # searchers in this process reload on their next question
    return report


def ensure_index(settings: Settings) -> None:
    """Build or update the index when it is missing or the corpus or model changed."""
    if _is_current(settings):
        return
    with _exclusive(settings):
        if _is_current(settings):  # another thread or process built it meanwhile
            return
        report = _ingest(settings, (), rebuild=False)
    bump_generation()  # searchers in this process reload on their next question
    logger.info("index updated: %s", report.describe())
    for failure in report.failures:
        logger.warning("skipped: %s", failure)


def _ingest(settings: Settings, extra_paths: Sequence[Path], rebuild: bool) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    store = _open(settings)
    model = _fingerprint(settings)
    manifest = store.manifest()
    remembered = () if rebuild else manifest.extra_sources
    sources, extras = _discover(settings, [*map(Path, remembered), *extra_paths], report)
    report.rebuilt = _prepare_collection(store, manifest, model, rebuild)
    digest = corpus_hash(sources)  # before reading: a file edited meanwhile looks stale next time
    chunks, protected = _load_chunks(sources, report)
    _reconcile(store, settings, chunks, protected, digest, report)
    store.write_manifest(Manifest(model=model, corpus_hash=digest, extra_sources=extras))
    report.chunks = store.count()
    report.seconds = time.perf_counter() - started
    return report


def corpus_hash(sources: Sequence[SourceFile]) -> str:
    """Hash of every source's name and bytes, and the chunker version."""
    digest = hashlib.sha256(f"chunker:{CHUNKER_VERSION}".encode())
    for source in sorted(sources, key=lambda s: s.key):
        try:
            content = hashlib.sha256(source.path.read_bytes()).hexdigest()
        except OSError:
            content = "unreadable"
        digest.update(f"\0{source.key}\0{content}".encode())
    return digest.hexdigest()[:32]


def _is_current(settings: Settings) -> bool:
    store = _open(settings)
    manifest = store.manifest()
    if not manifest.corpus_hash or manifest.model != _fingerprint(settings):
        return False
    sources, _ = _discover(settings, [Path(p) for p in manifest.extra_sources], IngestReport())
    return manifest.corpus_hash == corpus_hash(sources)


def _open(settings: Settings) -> ChunkStore:
    try:
        return open_store(settings)
    except StoreError as exc:
        raise IngestError(str(exc)) from exc


def _fingerprint(settings: Settings) -> str:
    from assistant.index.embeddings import EmbeddingModelError, index_fingerprint

    try:
        return index_fingerprint(settings)
    except EmbeddingModelError as exc:
        raise IngestError(str(exc)) from exc


def _discover(
    settings: Settings, extra_paths: Sequence[Path], report: IngestReport
) -> tuple[list[SourceFile], tuple[str, ...]]:
    """Corpus files, then extra files and folders; returns the extras worth remembering."""
    corpus_dir = settings.corpus_dir
    if not corpus_dir.is_dir():
        raise IngestError(f"corpus folder not found: {corpus_dir}")
    sources = [
        SourceFile(path, f"{corpus_dir.name}/{path.name}", path.suffix.lower() == ".md")
        for path in pack_files(corpus_dir)
    ]
    seen = {s.path.resolve() for s in sources}
    remembered: dict[str, None] = {}
    for given in extra_paths:
        path = given.expanduser().resolve()
        if not path.exists():
            report.failures.append(f"{given}: file: not found")
            continue
        if path.is_file() and path.suffix.lower() not in SUPPORTED_SUFFIXES:
            report.failures.append(f"{given}: file: unsupported type {path.suffix or '(none)'}")
            continue
        remembered[str(path)] = None
        files = [path] if path.is_file() else _files_under(path)
        for file in files:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                sources.append(SourceFile(file, str(file), in_corpus=False))
    return sources, tuple(remembered)


def _indexable(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES


def _files_under(folder: Path) -> list[Path]:
    """Supported files in a folder tree, hidden files and folders left out."""
    return sorted(
        path
        for path in folder.rglob("*")
        if _indexable(path) and not any(p.startswith(".") for p in path.relative_to(folder).parts)
    )


def _prepare_collection(
    store: ChunkStore, manifest: Manifest, model: str, rebuild: bool
) -> str | None:
    """Drop the collection when asked, or when its vectors come from another model."""
    reason = None
    if rebuild:
        reason = "requested"
    elif manifest.model and manifest.model != model:
        reason = f"embedding model changed ({manifest.model} -> {model})"
    elif not manifest.model and store.count() > 0:
        reason = "index of unknown embedding model"
    if reason is not None:
        store.reset(model)
    elif not manifest.model:
        store.write_manifest(Manifest(model=model))  # recorded before any vector is written
    return reason


def _load_chunks(
    sources: Sequence[SourceFile], report: IngestReport
) -> tuple[dict[str, Chunk], set[str]]:
    """Chunks by id; and the sources that failed, whose indexed chunks must be kept."""
    chunks: dict[str, Chunk] = {}
    owners: dict[str, str] = {}  # doc_id -> source key
    failed: set[str] = set()
    for source in sources:
        try:
            document = load_document(
                source.path, display_path=source.key, require_front_matter=source.in_corpus
            )
        except DocumentError as exc:
            report.failures.append(str(exc))
            failed.add(source.key)
            continue
        doc_id = document.meta.doc_id
        if doc_id in owners:
            report.failures.append(
                f"{source.key}: id: {doc_id!r} is already used by {owners[doc_id]}"
            )
            failed.add(source.key)
            continue
        owners[doc_id] = source.key
        for chunk in chunk_document(document):
            chunks.setdefault(chunk.chunk_id, chunk)
    report.documents = len(owners)
    return chunks, failed


def _reconcile(
    store: ChunkStore,
    settings: Settings,
    chunks: dict[str, Chunk],
    protected: set[str],
    digest: str,
    report: IngestReport,
) -> None:
    existing = store.chunk_metadata()
    new = [chunk for chunk_id, chunk in chunks.items() if chunk_id not in existing]
    stale = [
        chunk_id
        for chunk_id, metadata in existing.items()
        if chunk_id not in chunks and metadata.get("source_path") not in protected
    ]
    changed: list[tuple[str, dict[str, Any]]] = []
    for chunk_id, metadata in existing.items():
        if chunk_id in chunks:
            # corpus_hash records the corpus version that first wrote the chunk: keep it.
            wanted = chunks[chunk_id].metadata(str(metadata.get("corpus_hash", digest)))
            if wanted != metadata:
                changed.append((chunk_id, wanted))
    report.unchanged = sum(1 for chunk_id in existing if chunk_id in chunks)
    if new:
        _embed_and_store(store, settings, new, digest)
    store.delete(stale)
    store.update_metadata([c for c, _ in changed], [m for _, m in changed])
    report.embedded, report.removed, report.metadata_updated = len(new), len(stale), len(changed)


def _embed_and_store(store: ChunkStore, settings: Settings, new: list[Chunk], digest: str) -> None:
    from assistant.index.embeddings import EmbeddingModelError, embed_documents, embeddings_for

    try:
        embeddings = embeddings_for(settings)
    except EmbeddingModelError as exc:
        raise IngestError(str(exc)) from exc

    def store_batch(vectors: list[list[float]], start: int, end: int) -> None:
        batch = new[start:end]
        store.upsert(
            [c.chunk_id for c in batch],
            vectors,
            [c.text for c in batch],
            [c.metadata(digest) for c in batch],
        )

    embed_documents(embeddings, [c.index_text for c in new], on_batch=store_batch)


@contextmanager
def _exclusive(settings: Settings) -> Iterator[None]:
    """One ingest at a time: across threads (a lock) and processes (a lock file)."""
    import fcntl

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _process_lock, open(settings.data_dir / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
