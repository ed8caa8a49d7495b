"""The benchmark's corpus: a private copy of the real one, grown synthetically to 100k chunks.

Embedding 100k chunks would take longer than the whole benchmark may (at ~20 chunks/s on a busy
2-core machine, over an hour). Instead each synthetic chunk is derived from a real one whose
vector the run has already computed:

- vector: the real vector plus Gaussian noise, re-normalised (cosine to its source about 0.9,
  so synthetic chunks crowd round the real ones, as near-duplicate guideline text would);
- text: the real chunk's sentences with sentences of another real chunk, shuffled (the BM25
  vocabulary stays the corpus's, so every posting list grows with the corpus);
- metadata: the source chunk's, with the section marked as a synthetic variant.

They are stored in Chroma with these precomputed vectors (no model involved). Seeded: the
same run builds the same corpus.

The grown collection then gets its search files as an ingest would write them (passages, BM25,
statements: `publish_grown`). A synthetic statement's vector is derived like a chunk's: the
vector of the real statement it repeats (its text without the variant mark), or of a real
statement under the same heading, plus noise, re-normalised; the statements of the synthetic
chunks are not written to Chroma (an ingest would: that is statement ingest, measured on the
real corpus, where the model computes every vector).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.index import derived
from assistant.index.passage_files import sorted_passages
from assistant.index.statement_files import collection_name, lookup_texts, statement_texts
from assistant.index.store import ChunkStore
from assistant.index.versions import IndexVersions
from assistant.retrieval.statement_index import StatementIndex
from assistant.sources.documents import Chunk, chunk_document, load_document

NOISE_NORM = 0.48  # |noise| / |vector|: cosine to the source ~ 1 / sqrt(1 + 0.48^2) ~ 0.9
UPSERT_PAGE = 2000  # Chroma caps one write (SQLite variables); pages also keep memory flat
SYNTHETIC_PREFIX = "synthetic-"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_VARIANT = re.compile(r" \(synthetic variant \d+\)")


@dataclass(frozen=True)
class RealChunk:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    vector: np.ndarray  # unit length


@dataclass(frozen=True)
class SyntheticBatch:
    ids: list[str]
    vectors: np.ndarray
    texts: list[str]
    metadatas: list[dict[str, Any]]


def copy_corpus(source_dir: Path, rules_path: Path, target_dir: Path) -> Path:
    """A private copy of the corpus: edits to the real one during a run cannot disturb it."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for path in source_dir.iterdir():
        if path.is_file():
            shutil.copy2(path, target_dir / path.name)
    shutil.copy2(rules_path, target_dir / rules_path.name)
    return target_dir / rules_path.name


def corpus_chunks(settings: Settings) -> list[Chunk]:
    """The chunks ingestion makes of the corpus Markdown files, in ingestion order."""
    chunks: dict[str, Chunk] = {}
    for path in sorted(settings.corpus_dir.glob("*.md")):
        if path.stem.lower().startswith("readme"):
            continue
        document = load_document(path, display_path=path.name, require_front_matter=True)
        for chunk in chunk_document(document):
            chunks.setdefault(chunk.chunk_id, chunk)
    return list(chunks.values())


def synthesize(
    real: Sequence[RealChunk], start: int, count: int, seed: int = 0
) -> Iterator[SyntheticBatch]:
    """Synthetic chunks number `start` to `start + count - 1`, in pages of UPSERT_PAGE."""
    if not real:
        raise ValueError("synthetic chunks need at least one real chunk")
    rng = np.random.default_rng(seed + start)
    base = np.stack([c.vector for c in real]).astype(np.float32)
    sentences = [_sentences(c.text) for c in real]
    dims = base.shape[1]
    for page_start in range(start, start + count, UPSERT_PAGE):
        size = min(UPSERT_PAGE, start + count - page_start)
        sources = rng.integers(0, len(real), size)
        partners = rng.integers(0, len(real), size)
        noise = rng.normal(0.0, NOISE_NORM / np.sqrt(dims), (size, dims)).astype(np.float32)
        vectors = base[sources] + noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids, texts, metadatas = [], [], []
        for offset, (source, partner) in enumerate(zip(sources, partners, strict=True)):
            number = page_start + offset
            mixed = sentences[source] + sentences[partner]
            order = rng.permutation(len(mixed))
            keep = max(1, len(sentences[source]))
            texts.append(" ".join(mixed[i] for i in order[:keep]))
            ids.append(f"{SYNTHETIC_PREFIX}{number:06d}")
            metadata = dict(real[source].metadata)
            metadata["section"] = f"{metadata.get('section', '')} (synthetic variant {number})"
            metadata["chunk_id"] = ids[-1]
            metadatas.append(metadata)
        yield SyntheticBatch(ids, vectors, texts, metadatas)


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s] or [text]


def grow(store: ChunkStore, real: Sequence[RealChunk], total: int) -> float:
    """Add synthetic chunks until the store holds `total`; returns the seconds spent writing."""
    present = store.count()
    synthetic_so_far = present - len(real)
    missing = total - present
    if missing <= 0:
        return 0.0
    started = time.perf_counter()
    for batch in synthesize(real, synthetic_so_far, missing):
        store.upsert(batch.ids, batch.vectors.tolist(), batch.texts, batch.metadatas)
    return time.perf_counter() - started


class SyntheticStatements:
    """Vectors for the statements of synthetic chunks, derived from the real statements'."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self._vectors = np.asarray(vectors, dtype=np.float32)
        self._row = {text: row for row, text in enumerate(texts)}
        self._by_heading: dict[str, list[int]] = {}
        for row, text in enumerate(texts):
            self._by_heading.setdefault(text.split(": ", 1)[0], []).append(row)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        dims = self._vectors.shape[1]
        found = np.empty((len(texts), dims), dtype=np.float32)
        for at, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            real = _VARIANT.sub("", text, count=1)
            row = self._row.get(real)
            if row is None:
                rows = self._by_heading.get(real.split(": ", 1)[0]) or range(len(self._vectors))
                row = rows[seed % len(rows)]
            noise = np.random.default_rng(seed).normal(0.0, NOISE_NORM / np.sqrt(dims), dims)
            found[at] = self._vectors[row] + noise
        units: np.ndarray = found / np.linalg.norm(found, axis=1, keepdims=True)
        return units

    @classmethod
    def of_real_corpus(
        cls, settings: Settings, store: ChunkStore, index: StatementIndex
    ) -> SyntheticStatements:
        """From the real corpus's statements (the ingest benchmark computed their vectors)."""
        profile = derived.pack_profile(settings.pack)
        passages = sorted_passages(store.all_chunks())
        texts, _ = statement_texts(passages, profile.skip)
        extra, _ = lookup_texts(passages, profile.skip, set(texts))
        rows = [(t, index.vector(t)) for t in [*texts, *extra]]
        kept = [(t, v) for t, v in rows if v is not None]
        return cls([t for t, _ in kept], np.stack([v for _, v in kept]))


def publish_grown(settings: Settings, store: ChunkStore, embed: SyntheticStatements) -> float:
    """The grown collection's search files, as an ingest writes them; returns the seconds."""
    started = time.perf_counter()
    identity = derived.identity_of(store)
    if identity is None:
        raise RuntimeError("the benchmark collection has no complete manifest")
    profile = derived.pack_profile(settings.pack)
    folder = derived.version_folder(settings, identity)
    passages = sorted_passages(store.all_chunks())
    derived.ensure_passages(folder, passages)
    derived.ensure_lexical(folder, passages, profile.words)
    # The real statements' vectors come from the ingest's statement collection, as they are.
    real = store.sibling(collection_name(store.name))
    derived.ensure_statements(folder, passages, profile, embed, [real])
    # A grown corpus is a new version of the index: searchers and their caches move to it.
    versions = IndexVersions(settings)
    pointer = versions.pointer()
    versions.write_pointer(replace(pointer, serial=pointer.serial + 1))
    return time.perf_counter() - started
