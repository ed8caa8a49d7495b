"""Building and updating the search index: incremental, versioned and safe to interrupt.

An ingest never edits the index that is serving. Changes go into a new version beside it
(assistant.index.versions): unchanged chunks are copied with their vectors, new ones embedded,
and the pointer switches to the new version when it is complete, so questions are answered
from the old version until then and from the new one right after. `--rebuild` embeds everything
again into a new version. The sources of a build (the corpus and every extra path) are written
to the pointer before its first chunk, so an interrupted build, a rebuild with paths included,
is finished by the next `ingest` or start-up. The very first build writes in place (nothing
serves yet) and is resumed by chunk id. A different embedding model builds a new version rather
than mix vectors. Every Chroma failure is an IngestError naming the folder or URL.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.config import Settings
from assistant.index import derived, reconcile
from assistant.index.locking import LOCK_FILE, exclusive
from assistant.index.store import ChunkStore, Manifest, StoreError, bump_generation
from assistant.index.versions import IndexVersions, Pointer
from assistant.sources.documents import (
    CHUNKER_VERSION,
    SUPPORTED_SUFFIXES,
    Chunk,
    DocumentError,
    chunk_document,
    load_document,
    pack_files,
)

__all__ = ["LOCK_FILE", "IngestError", "IngestReport", "ensure_index", "run_ingest"]

logger = logging.getLogger(__name__)


class IngestError(Exception):
    """Ingestion cannot run at all (store unreachable, model missing, corpus folder absent)."""


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0  # chunks in the index after the run
    embedded: int = 0
    statements: int = 0  # statements embedded (the others' vectors were copied)
    removed: int = 0
    unchanged: int = 0
    metadata_updated: int = 0
    seconds: float = 0.0
    rebuilt: str | None = None  # why the index was built from scratch, if it was
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
    try:
        with exclusive(settings, wait=True):
            report = _ingest(settings, extra_paths, rebuild)
    except StoreError as exc:  # e.g. the Chroma server went away mid-ingest
        raise IngestError(str(exc)) from exc
    bump_generation()  # searchers in this process reload on their next question
    return report


def ensure_index(settings: Settings) -> None:
    """Build or finish the index when it is missing, stale or half-built.

    When another process is ingesting and a complete index exists, answer from it instead of
    waiting (its searchers move to the new version when that ingest switches); with nothing to
    answer from, wait, and say so.
    """
    try:
        if _is_current(settings):
            return
        with exclusive(settings, wait=False) as acquired:
            if acquired:
                _ensure_locked(settings)
                return
        if _servable(settings):
            logger.warning(
                "an ingest is running: answering from the current index until it finishes"
            )
            return
        with exclusive(settings, wait=True):  # says that it waits
            _ensure_locked(settings)
    except StoreError as exc:
        raise IngestError(str(exc)) from exc


def _ensure_locked(settings: Settings) -> None:
    if _is_current(settings):  # another thread or process built it meanwhile
        return
    report = _ingest(settings, (), rebuild=False)
    bump_generation()
    logger.info("index updated: %s", report.describe())
    for failure in report.failures:
        logger.warning("skipped: %s", failure)


@dataclass
class _Build:
    """Where this run writes and what it starts from."""

    target: ChunkStore | None  # None: a new version, created only if anything changes
    reference: ChunkStore | None  # the live version to copy unchanged chunks from
    remembered: tuple[str, ...]
    rebuilt: str | None = None


def _ingest(settings: Settings, extra_paths: Sequence[Path], rebuild: bool) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    versions = _versions(settings)
    model = _fingerprint(settings)
    pointer = versions.collect_garbage(versions.pointer())
    build = _plan_build(versions, pointer, model, rebuild)
    report.rebuilt = build.rebuilt
    sources, extras = _discover(settings, [*map(Path, build.remembered), *extra_paths], report)
    # Every source is on record before the first chunk is written.
    pointer = versions.pointer()
    if build.target is None and extras != build.remembered:
        build.target = _start_version(versions, pointer, model, extras, fresh=False)
    elif build.target is not None and build.target.name == pointer.building:
        versions.write_pointer(replace(pointer, building_sources=extras))
    elif build.target is not None:  # in place: the sources go into its own manifest
        build.target.write_manifest(Manifest(model=model, extra_sources=extras))
    digest = corpus_hash(sources)  # before reading: a file edited meanwhile looks stale next time
    chunks, protected = _load_chunks(sources, report, settings.max_document_bytes)
    plan, target = _plan(versions, build, model, extras, chunks, protected, digest)
    reconcile.apply(plan, target, settings, digest, build.reference)
    report.embedded, report.removed = len(plan.embed), plan.removed
    report.unchanged, report.metadata_updated = plan.unchanged, plan.metadata_updated
    target.write_manifest(Manifest(model=model, corpus_hash=digest, extra_sources=extras))
    # The search files and statement vectors, before any searcher can see this version.
    report.statements = derived.publish(settings, target, versions.open_other, build.reference)
    pointer = versions.pointer()
    if target.name != pointer.live:
        versions.switch(pointer, target.name)
    derived.prune(settings, versions.names(), derived.identity_of(target))
    report.chunks = target.count()
    report.seconds = time.perf_counter() - started
    return report


def _plan(
    versions: IndexVersions,
    build: _Build,
    model: str,
    extras: tuple[str, ...],
    chunks: dict[str, Chunk],
    protected: set[str],
    digest: str,
) -> tuple[reconcile.Plan, ChunkStore]:
    """The plan, and the version it applies to (a new one only when anything changes)."""
    reference = build.reference.chunk_metadata() if build.reference is not None else None
    if build.target is None:  # the live version is complete: is a new one needed at all?
        assert build.reference is not None
        assert reference is not None
        against_live = reconcile.plan(chunks, protected, digest, reference)
        if against_live.empty:
            return against_live, build.reference  # only its manifest is rewritten
        build.target = _start_version(versions, versions.pointer(), model, extras, fresh=False)
    target = build.target
    return reconcile.plan(chunks, protected, digest, target.chunk_metadata(), reference), target


def _plan_build(versions: IndexVersions, pointer: Pointer, model: str, rebuild: bool) -> _Build:
    live = versions.open(versions.live_name(pointer), create=True)  # a lost one: empty
    manifest = live.manifest()
    complete = bool(manifest.corpus_hash) and manifest.model == model
    if pointer.building and rebuild:  # a rebuild starts over, forgetting the sources
        versions.delete(pointer.building)
        pointer = versions.write_pointer(replace(pointer, building="", building_sources=()))
    if rebuild:
        target = _start_version(versions, pointer, model, (), fresh=True)
        return _Build(target, None, (), "requested")
    if pointer.building:  # an interrupted build: finish it with every source it was given
        pending = versions.open(pointer.building, create=True, manifest=Manifest(model=model))
        if pending.manifest().model not in ("", model):  # built with another model: start over
            versions.delete(pending.name)
            target = _start_version(versions, pointer, model, pointer.building_sources, fresh=True)
            return _Build(target, None, pointer.building_sources)
        reference = live if complete and not pointer.building_fresh else None
        return _Build(pending, reference, pointer.building_sources)
    if complete:  # the usual case: a new version only if anything changes
        return _Build(None, live, manifest.extra_sources)
    # Nothing complete to serve (the first build, maybe interrupted): build in place.
    first = not manifest.corpus_hash and manifest.model in ("", model)
    if first and (manifest.model or live.count() == 0):
        if not manifest.model:
            live.write_manifest(Manifest(model=model))  # before any vector is written
        return _Build(live, None, manifest.extra_sources)
    reason = (
        f"embedding model changed ({manifest.model} -> {model})"
        if manifest.model and manifest.model != model
        else "index of unknown embedding model"
    )
    target = _start_version(versions, pointer, model, manifest.extra_sources, fresh=True)
    return _Build(target, None, manifest.extra_sources, reason)


def _start_version(
    versions: IndexVersions,
    pointer: Pointer,
    model: str,
    sources: tuple[str, ...],
    *,
    fresh: bool,
) -> ChunkStore:
    """A new, empty version, recorded in the pointer (with its sources) before it is written."""
    name = versions.next_name(pointer)
    versions.write_pointer(
        replace(pointer, building=name, building_sources=sources, building_fresh=fresh)
    )
    return versions.open(name, create=True, manifest=Manifest(model=model))


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
    versions = _versions(settings)
    pointer = versions.pointer()
    if pointer.building:  # a build was started and not finished (or is running now)
        return False
    manifest = versions.open(versions.live_name(pointer), create=True).manifest()
    if not manifest.corpus_hash or manifest.model != _fingerprint(settings):
        return False
    sources, _ = _discover(settings, [Path(p) for p in manifest.extra_sources], IngestReport())
    return manifest.corpus_hash == corpus_hash(sources)


def _servable(settings: Settings) -> bool:
    """A complete index of this model exists: questions can be answered from it."""
    versions = _versions(settings)
    name = versions.live_name()
    if not versions.exists(name):
        return False
    manifest = versions.open(name).manifest()
    return bool(manifest.corpus_hash) and manifest.model == _fingerprint(settings)


def _versions(settings: Settings) -> IndexVersions:
    try:
        return IndexVersions(settings)
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


def _load_chunks(
    sources: Sequence[SourceFile], report: IngestReport, max_bytes: int | None = None
) -> tuple[dict[str, Chunk], set[str]]:
    """Chunks by id; and the sources that failed, whose indexed chunks must be kept."""
    chunks: dict[str, Chunk] = {}
    owners: dict[str, str] = {}  # doc_id -> source key
    failed: set[str] = set()
    for source in sources:
        try:
            document = load_document(
                source.path,
                display_path=source.key,
                require_front_matter=source.in_corpus,
                max_bytes=max_bytes,
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
