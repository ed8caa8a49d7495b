"""Offline stand-ins for the chunk store and the embedding model (unit tests only)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

from assistant.index.store import DenseHit, StoredChunk
from assistant.sources.documents import index_text
from assistant.text.tokens import Vocabulary

DIMENSIONS = 256


def bag_of_words(text: str) -> list[float]:
    """A normalised hashed bag of words: cosine = word overlap, no model needed."""
    vector = [0.0] * DIMENSIONS
    for token in Vocabulary().tokenize(text):
        vector[int(hashlib.md5(token.encode()).hexdigest(), 16) % DIMENSIONS] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def stored_chunk(
    chunk_id: str,
    text: str,
    *,
    doc_id: str = "doc",
    section: str = "Section",
    review_status: str = "approved",
    source_type: str = "Guideline",
) -> StoredChunk:
    metadata = {
        "doc_id": doc_id,
        "title": f"Title of {doc_id}",
        "source_type": source_type,
        "publisher": "Publisher",
        "year": 2024,
        "url": "",
        "doi": "",
        "review_status": review_status,
        "last_reviewed": "2025-01-01",
        "section": section,
        "chunk_id": chunk_id,
        "corpus_hash": "h",
    }
    return StoredChunk(chunk_id, text, metadata)


def _matches(metadata: dict[str, Any], where: dict[str, Any] | None) -> bool:
    if not where:
        return True
    if "$and" in where:
        return all(_matches(metadata, clause) for clause in where["$and"])
    (key, condition), *_ = where.items()
    if isinstance(condition, dict):
        return metadata[key] in condition["$in"]
    return bool(metadata[key] == condition)


class FakeStore:
    """Implements the searcher's ChunkSource protocol over an in-memory list."""

    def __init__(self, chunks: list[StoredChunk], version: str = "v1") -> None:
        self.chunks = chunks
        self.version = version
        self.wheres: list[dict[str, Any] | None] = []

    def all_chunks(self) -> list[StoredChunk]:
        return list(self.chunks)

    def index_version(self) -> str:
        return self.version

    def query(
        self,
        embedding: Sequence[float],
        n: int,
        where: dict[str, Any] | None = None,
        *,
        include_content: bool = True,
    ) -> list[DenseHit]:
        self.wheres.append(where)
        scored = []
        for chunk in self.chunks:
            if not _matches(chunk.metadata, where):
                continue
            meta = chunk.metadata
            vector = bag_of_words(index_text(meta["title"], meta["section"], chunk.text))
            similarity = sum(a * b for a, b in zip(embedding, vector, strict=True))
            scored.append(DenseHit(chunk.chunk_id, chunk.text, dict(meta), similarity))
        scored.sort(key=lambda hit: -hit.similarity)
        return scored[:n]
