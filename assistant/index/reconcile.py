"""Bringing one index version in line with the chunks the sources produce, by chunk id.

A plan compares the wanted chunks with what the target version already holds and, when the
target is a new version, with the live version it replaces: chunks the live version has are
copied with their vectors (no embedding), new chunks are embedded batch by batch, chunks no
source produces any more are left out or deleted, and changed metadata is rewritten. Every
step is idempotent, so a run killed at any point is finished by the next one without duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.config import Settings
from assistant.index.store import ChunkStore
from assistant.sources.documents import Chunk

COPY_PAGE = 1000


@dataclass
class Plan:
    """What to do to the target, and what changed compared with the index before the run."""

    embed: list[Chunk] = field(default_factory=list)
    copy: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> metadata to store
    delete: list[str] = field(default_factory=list)
    update: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> new metadata
    unchanged: int = 0  # chunks the index had before and still has
    removed: int = 0  # chunks the index had before and no longer has
    metadata_updated: int = 0  # chunks kept whose metadata changed

    @property
    def empty(self) -> bool:
        return not (self.embed or self.copy or self.delete or self.update)


def plan(
    chunks: Mapping[str, Chunk],
    protected: set[str],
    digest: str,
    target: Mapping[str, Mapping[str, Any]],
    reference: Mapping[str, Mapping[str, Any]] | None = None,
) -> Plan:
    """The steps that make `target` hold exactly the wanted chunks.

    `chunks`: wanted chunks by id; `protected`: sources that failed to load this time, whose
    indexed chunks are kept as they are; `target`: ids and metadata the target holds;
    `reference`: the live version's, when the target is a new version built beside it.
    """
    before = target if reference is None else reference
    result = Plan()
    kept = {
        chunk_id: dict(metadata)
        for chunk_id, metadata in {**before, **target}.items()
        if chunk_id not in chunks and metadata.get("source_path") in protected
    }
    for chunk_id, chunk in chunks.items():
        old = before.get(chunk_id)
        # corpus_hash records the corpus version that first wrote the chunk: keep it.
        wanted = chunk.metadata(str(old.get("corpus_hash", digest)) if old else digest)
        if old is not None:
            result.unchanged += 1
            result.metadata_updated += dict(old) != wanted
        if chunk_id in target:
            if dict(target[chunk_id]) != wanted:
                result.update[chunk_id] = dict(wanted)
        elif reference is not None and chunk_id in reference:
            result.copy[chunk_id] = dict(wanted)
        else:
            result.embed.append(chunk)
    for chunk_id, metadata in kept.items():
        if chunk_id not in target and reference is not None and chunk_id in reference:
            result.copy[chunk_id] = metadata
    result.delete = [c for c in target if c not in chunks and c not in kept]
    result.removed = sum(1 for c in before if c not in chunks and c not in kept)
    return result


def apply(
    plan_: Plan,
    target: ChunkStore,
    settings: Settings,
    digest: str,
    reference: ChunkStore | None = None,
) -> None:
    """Carry out a plan: copy, embed (each batch stored at once), delete, update metadata."""
    if plan_.copy and reference is not None:
        ids = sorted(plan_.copy)
        for start in range(0, len(ids), COPY_PAGE):
            records = reference.records(ids[start : start + COPY_PAGE])
            target.upsert(
                [r.chunk_id for r in records],
                [r.vector for r in records],
                [r.text for r in records],
                [plan_.copy[r.chunk_id] for r in records],
            )
    if plan_.embed:
        _embed_and_store(target, settings, plan_.embed, digest)
    target.delete(plan_.delete)
    target.update_metadata(list(plan_.update), list(plan_.update.values()))


def _embed_and_store(store: ChunkStore, settings: Settings, new: list[Chunk], digest: str) -> None:
    from assistant.index import embeddings as model
    from assistant.index.build import IngestError

    try:
        embeddings = model.embeddings_for(settings)
    except model.EmbeddingModelError as exc:
        raise IngestError(str(exc)) from exc

    def store_batch(vectors: list[list[float]], start: int, end: int) -> None:
        batch = new[start:end]
        store.upsert(
            [c.chunk_id for c in batch],
            vectors,
            [c.text for c in batch],
            [c.metadata(digest) for c in batch],
        )

    model.embed_documents(embeddings, [c.index_text for c in new], on_batch=store_batch)
