"""Every statement of one index version with its vector, computed once: at ingest.

The composer compares statements with the question by meaning, and the search adds the passages
of the statements nearest the question; embedding statements per question would cost seconds.
At ingest every statement of every passage (a clinician's and a patient's wording) is embedded
once, in pages of texts sorted by length (little padding), and kept twice:

- in the vector store, as a second Chroma collection per index version (`<version>--statements`,
  ids are digests of the texts), so every replica of a Chroma server shares them and a new
  version copies the vectors of unchanged statements instead of embedding them again;
- in a local cache beside the version's other search files: texts, their passages, vectors
  (memory-mapped: scoring a question's candidates reads their rows only) and, for a large
  corpus, inverted lists (k-means) that restrict the search for the nearest statements.

Which statements are searched for (`statement_texts`) is the quotable sections' statements; the
others the composer may score (a document's introduction) are kept after them for lookup only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.index.store import ChunkStore
from assistant.schema import Passage
from assistant.sources.statements import (
    SOURCE_NOTES_SECTION,
    SPLITTING_RULES,
    embedding_text,
    passage_statements,
    quotable_section,
)

STATEMENTS_SUFFIX = "--statements"
FORMAT = "1"  # bump when what is embedded or stored changes: older caches are rebuilt
EMBED_PAGE = 2048  # texts embedded per call (the encoder batches them by length)
READ_PAGE = 5000  # Chroma caps one get()
EXACT_LIMIT = 65_536  # up to this many searchable statements every one is scored
LIST_SAMPLE = 32_768  # statements the inverted lists' centroids are trained on
LIST_ROUNDS = 8
META, TEXTS, TEXT_OFFSETS, CHUNKS, HASHES, HASH_ROWS, VECTORS, CENTROIDS, LIST_STARTS = (
    "statements.json",
    "texts.bin",
    "texts.offsets.npy",
    "chunks.npy",
    "hashes.npy",
    "hash_rows.npy",
    "vectors.npy",
    "centroids.npy",
    "list_starts.npy",
)

Skip = Callable[[str], bool]
Embed = Callable[[Sequence[str]], np.ndarray]


def statements_key(meta_patterns: Sequence[str]) -> str:
    """What the statements depend on besides the passages: which sentences are notes about the
    documents (the pack's meta patterns), never statements."""
    described = json.dumps([FORMAT, SPLITTING_RULES, list(meta_patterns)], ensure_ascii=False)
    return hashlib.sha256(described.encode("utf-8")).hexdigest()[:16]


def collection_name(version: str) -> str:
    return f"{version}{STATEMENTS_SUFFIX}"


def text_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def text_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def statement_texts(passages: Sequence[Passage], skip: Skip) -> tuple[list[str], list[str]]:
    """Every searchable statement's embedding text and passage, both audiences, each text once."""
    texts: list[str] = []
    chunk_ids: list[str] = []
    seen: set[str] = set()
    for passage in passages:
        if not quotable_section(passage.section):
            continue  # never an answer: not worth finding
        for plain in (False, True):
            for statement in passage_statements(
                passage.text, passage.patient, plain=plain, skip=skip
            ):
                text = embedding_text(passage.section, statement.text)
                if text not in seen:
                    seen.add(text)
                    texts.append(text)
                    chunk_ids.append(passage.chunk_id)
    return texts, chunk_ids


def lookup_texts(
    passages: Sequence[Passage], skip: Skip, known: set[str]
) -> tuple[list[str], list[str]]:
    """The other statements the composer scores (every section but source notes), not in
    `known`: kept for lookup, never searched for."""
    texts: list[str] = []
    chunk_ids: list[str] = []
    for passage in passages:
        if quotable_section(passage.section) or passage.section == SOURCE_NOTES_SECTION:
            continue
        for plain in (False, True):
            for statement in passage_statements(
                passage.text, passage.patient, plain=plain, skip=skip
            ):
                text = embedding_text(passage.section, statement.text)
                if text not in known:
                    known.add(text)
                    texts.append(text)
                    chunk_ids.append(passage.chunk_id)
    return texts, chunk_ids


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (as every vector of the index is compared: by dot product)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def gather_vectors(
    texts: Sequence[str],
    sources: Sequence[ChunkStore],
    embed: Embed,
    on_embedded: Callable[[list[int], np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The vector of every text, and where it came from: the index of the first source
    collection that has it, or -1 when it was embedded (shortest first, in pages).
    `on_embedded` receives each embedded page's rows and vectors as soon as it is done."""
    vectors: np.ndarray | None = None
    origin = np.full(len(texts), -1, dtype=np.int32)
    ids = [text_id(t) for t in texts]
    for number, source in enumerate(sources):
        wanted = [row for row in range(len(texts)) if origin[row] < 0]
        for start in range(0, len(wanted), READ_PAGE):
            rows = wanted[start : start + READ_PAGE]
            row_of = {ids[row]: row for row in rows}
            for record in source.records([ids[row] for row in rows]):
                if vectors is None:
                    vectors = np.zeros((len(texts), len(record.vector)), dtype=np.float32)
                row = row_of[record.chunk_id]
                vectors[row] = np.asarray(record.vector, dtype=np.float32)
                origin[row] = number
    # Sorted by length, a page of similar texts is padded little (the encoder sorts within it).
    order = sorted(np.flatnonzero(origin < 0).tolist(), key=lambda row: (len(texts[row]), row))
    for start in range(0, len(order), EMBED_PAGE):
        rows = order[start : start + EMBED_PAGE]
        page = unit_rows(np.asarray(embed([texts[row] for row in rows]), dtype=np.float32))
        if vectors is None:
            vectors = np.zeros((len(texts), page.shape[1]), dtype=np.float32)
        vectors[rows] = page
        if on_embedded is not None:
            on_embedded(rows, page)
    if vectors is None:
        vectors = np.zeros((0, 1), dtype=np.float32)
    return vectors, origin


def store_vectors(
    store: ChunkStore, texts: Sequence[str], chunk_ids: Sequence[str], vectors: np.ndarray
) -> None:
    """Statement vectors into the version's statement collection (texts by digest)."""
    for start in range(0, len(texts), READ_PAGE):
        end = min(start + READ_PAGE, len(texts))
        store.upsert(
            [text_id(t) for t in texts[start:end]],
            vectors[start:end].tolist(),
            [""] * (end - start),  # the text is the passage's: not stored twice
            [{"chunk_id": c} for c in chunk_ids[start:end]],
        )


def write_cache(
    folder: Path,
    texts: Sequence[str],
    chunk_rows: np.ndarray,
    searchable: int,
    vectors: np.ndarray,
) -> None:
    """The local cache of one version's statements (into a folder being built)."""
    order = np.arange(len(texts))
    lists: tuple[np.ndarray, np.ndarray] | None = None
    if searchable > EXACT_LIMIT:
        assignment, centroids = inverted_lists(vectors[:searchable])
        sorted_rows = np.argsort(assignment, kind="stable")
        order[:searchable] = sorted_rows
        starts = np.searchsorted(assignment[sorted_rows], np.arange(len(centroids) + 1))
        lists = (centroids, starts.astype(np.int64))
    texts = [texts[int(row)] for row in order]
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    (folder / TEXTS).write_bytes(b"".join(encoded))
    np.save(folder / TEXT_OFFSETS, offsets)
    np.save(folder / CHUNKS, np.asarray(chunk_rows, dtype=np.int32)[order])
    hashes = np.array([text_hash(t) for t in texts], dtype=np.uint64)
    by_hash = np.argsort(hashes, kind="stable")
    np.save(folder / HASHES, hashes[by_hash])
    np.save(folder / HASH_ROWS, by_hash.astype(np.int32))
    np.save(folder / VECTORS, np.ascontiguousarray(vectors[order], dtype=np.float32))
    if lists is not None:
        np.save(folder / CENTROIDS, lists[0])
        np.save(folder / LIST_STARTS, lists[1])
    meta = {"format": FORMAT, "count": len(texts), "searchable": searchable, "lists": bool(lists)}
    (folder / META).write_text(json.dumps(meta), encoding="utf-8")


def inverted_lists(vectors: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each vector's list and the lists' centroids (spherical k-means on a sample): a question
    is compared with the centroids, then with the statements of the nearest lists only."""
    count = len(vectors)
    lists = max(1, min(4096, int(2 * np.sqrt(count))))
    rng = np.random.default_rng(seed)
    sample = vectors[np.sort(rng.choice(count, min(count, LIST_SAMPLE), replace=False))]
    centroids = sample[rng.choice(len(sample), lists, replace=False)].copy()
    for _ in range(LIST_ROUNDS):
        nearest = np.argmax(sample @ centroids.T, axis=1)
        by_list = np.argsort(nearest, kind="stable")
        filled, starts = np.unique(nearest[by_list], return_index=True)
        centroids[filled] = unit_rows(np.add.reduceat(sample[by_list], starts, axis=0))
    assignment = np.empty(count, dtype=np.int32)
    for start in range(0, count, 16_384):
        block = vectors[start : start + 16_384]
        assignment[start : start + len(block)] = np.argmax(block @ centroids.T, axis=1)
    return assignment, centroids.astype(np.float32)
