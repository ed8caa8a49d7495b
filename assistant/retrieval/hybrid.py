"""Hybrid search over the guideline index: dense (Chroma, cosine) + BM25, fused by reciprocal rank.

Relevance rule (drives refusals): a query is answerable when the best dense cosine similarity
reaches `retrieval.relevance_floor`, OR the best BM25 chunk covers at least
`retrieval.lexical_floor` of the query's words (IDF-weighted, abbreviations and typos resolved).
Otherwise the search returns an empty list: nothing in the corpus is relevant.

Importing this module loads neither torch nor Chroma: the model and the store open on first search.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from pydantic import ValidationError

from assistant.config import Settings
from assistant.domain.pack import pack_vocabulary
from assistant.index.store import DenseHit, StoredChunk, generation, metadata_filter
from assistant.retrieval.lexical import BM25Index
from assistant.schema import Passage
from assistant.sources.documents import index_text, meta_from_metadata
from assistant.text.tokens import Vocabulary

# How many candidates each ranker contributes to the fusion, relative to k.
CANDIDATE_FACTOR = 4
MIN_CANDIDATES = 20
STALE_CHECK_SECONDS = 10.0  # how often to notice that another process changed the index


class ChunkSource(Protocol):
    """The part of `assistant.index.store.ChunkStore` search needs (fakes implement it in tests)."""

    def all_chunks(self) -> list[StoredChunk]: ...

    def query(
        self,
        embedding: Sequence[float],
        n: int,
        where: dict[str, Any] | None = None,
        *,
        include_content: bool = True,
    ) -> list[DenseHit]: ...

    def index_version(self) -> str: ...


@dataclass(frozen=True)
class Relevance:
    """Why a query was (not) answered: the numbers the floors are compared with."""

    best_cosine: float
    lexical_coverage: float
    relevant: bool


@dataclass(frozen=True)
class _Loaded:
    passages: list[Passage]
    position: dict[str, int]
    approved: np.ndarray
    source_types: list[str]
    bm25: BM25Index
    version: str


class HybridSearcher:
    def __init__(
        self,
        settings: Settings,
        store: ChunkSource | None = None,
        embed_query: Callable[[str], list[float]] | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self._settings = settings
        self._words = vocabulary or Vocabulary()
        self._store = store
        self._embed_query = embed_query
        self._loaded: _Loaded | None = None
        self._checked_at = 0.0
        self._generation = generation()
        self._lock = threading.Lock()

    # -- public API -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[Passage]:
        """Top-k fused passages, or [] when nothing in the corpus is relevant."""
        k, approved_only = self._defaults(k, approved_only)
        n = max(k * CANDIDATE_FACTOR, MIN_CANDIDATES)
        dense = self._dense(query, n, approved_only, source_types)
        lexical = self._lexical(query, n, approved_only, source_types)
        if not self._relevance(dense, lexical).relevant:
            return []
        return self._fuse(dense, lexical, k)

    def dense_search(
        self,
        query: str,
        k: int | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[Passage]:
        """Dense-only ranking (evaluation baseline); score = cosine similarity. No floor."""
        k, approved_only = self._defaults(k, approved_only)
        return [p for p, _ in self._dense(query, k, approved_only, source_types)]

    def bm25_search(
        self,
        query: str,
        k: int | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[Passage]:
        """BM25-only ranking (evaluation baseline); score = BM25 score. No floor."""
        k, approved_only = self._defaults(k, approved_only)
        return [p for p, _ in self._lexical(query, k, approved_only, source_types)]

    def relevance(
        self,
        query: str,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> Relevance:
        """The relevance decision for a query, with its evidence (for tuning and reports)."""
        _, approved_only = self._defaults(None, approved_only)
        dense = self._dense(query, MIN_CANDIDATES, approved_only, source_types)
        lexical = self._lexical(query, MIN_CANDIDATES, approved_only, source_types)
        return self._relevance(dense, lexical)

    def indexed_passages(self) -> list[Passage]:
        """Every passage in the index (for checks and evaluations; no scores)."""
        return list(self._corpus().passages)

    def refresh(self) -> None:
        """Forget the in-memory copy of the index (BM25, passages); reloaded on next search."""
        with self._lock:
            self._loaded = None

    # -- internals --------------------------------------------------------------------------

    def _defaults(self, k: int | None, approved_only: bool | None) -> tuple[int, bool]:
        retrieval = self._settings.retrieval
        k = retrieval.k if k is None else k
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        return k, retrieval.approved_only if approved_only is None else approved_only

    def _source(self) -> ChunkSource:
        if self._store is None:
            from assistant.index.store import open_store

            self._store = open_store(self._settings)
        return self._store

    def _embedder(self) -> Callable[[str], list[float]]:
        if self._embed_query is None:
            from assistant.index.embeddings import QueryEmbedder, embeddings_for

            self._embed_query = QueryEmbedder(embeddings_for(self._settings))
        return self._embed_query

    def _corpus(self) -> _Loaded:
        with self._lock:
            now = time.monotonic()
            fresh = now - self._checked_at < STALE_CHECK_SECONDS
            if self._loaded is not None and fresh and self._generation == generation():
                return self._loaded
            self._checked_at = now
            self._generation = generation()
            version = self._source().index_version()
            if self._loaded is None or self._loaded.version != version:
                self._loaded = _load(self._source().all_chunks(), version, self._words)
            return self._loaded

    def _dense(
        self, query: str, n: int, approved_only: bool, source_types: frozenset[str] | None
    ) -> list[tuple[Passage, float]]:
        corpus = self._corpus()
        if not query.strip() or not corpus.passages:
            return []
        where = metadata_filter(approved_only, source_types)
        vector = self._embedder()(corpus.bm25.dense_query(query))
        # Text and metadata come from the in-memory passages: Chroma returns ids and distances.
        hits = self._source().query(
            vector, min(n, len(corpus.passages)), where, include_content=False
        )
        results = []
        for hit in hits:
            index = corpus.position.get(hit.chunk_id)
            if index is None:  # written after we loaded: pick it up on the next search
                self.refresh()
                continue
            passage = corpus.passages[index]
            scored = passage.model_copy(
                update={"score": hit.similarity, "dense_similarity": hit.similarity}
            )
            results.append((scored, hit.similarity))
        return results

    def _lexical(
        self, query: str, n: int, approved_only: bool, source_types: frozenset[str] | None
    ) -> list[tuple[Passage, float]]:
        corpus = self._corpus()
        terms = corpus.bm25.prepare(query)
        allowed = _mask(corpus, approved_only, source_types)
        results = []
        for hit in corpus.bm25.search(terms, n, allowed):
            coverage = corpus.bm25.coverage(terms, hit.index)
            passage = corpus.passages[hit.index].model_copy(update={"score": hit.score})
            results.append((passage, coverage))
        return results

    def _relevance(
        self, dense: list[tuple[Passage, float]], lexical: list[tuple[Passage, float]]
    ) -> Relevance:
        retrieval = self._settings.retrieval
        best_cosine = max((cosine for _, cosine in dense), default=0.0)
        coverage = lexical[0][1] if lexical else 0.0  # of the best BM25 chunk
        relevant = best_cosine >= retrieval.relevance_floor or (coverage >= retrieval.lexical_floor)
        return Relevance(best_cosine=best_cosine, lexical_coverage=coverage, relevant=relevant)

    def _fuse(
        self, dense: list[tuple[Passage, float]], lexical: list[tuple[Passage, float]], k: int
    ) -> list[Passage]:
        """Reciprocal rank fusion: score = sum over rankers of 1 / (rrf_k + rank)."""
        rrf_k = self._settings.retrieval.rrf_k
        fused: dict[str, float] = {}
        passages: dict[str, Passage] = {}
        cosines: dict[str, float] = {}
        for ranking in (dense, lexical):
            for rank, (passage, _) in enumerate(ranking, start=1):
                fused[passage.chunk_id] = fused.get(passage.chunk_id, 0.0) + 1.0 / (rrf_k + rank)
                passages.setdefault(passage.chunk_id, passage)
        for passage, cosine in dense:
            cosines[passage.chunk_id] = cosine
        order = sorted(fused, key=lambda cid: (-fused[cid], -cosines.get(cid, -1.0), cid))
        return [
            passages[cid].model_copy(
                update={"score": fused[cid], "dense_similarity": cosines.get(cid)}
            )
            for cid in order[:k]
        ]


def _load(chunks: list[StoredChunk], version: str, words: Vocabulary) -> _Loaded:
    passages: list[Passage] = []
    texts: list[str] = []
    for chunk in sorted(chunks, key=lambda c: c.chunk_id):  # stable BM25 tie order
        try:
            meta = meta_from_metadata(chunk.metadata)
        except (KeyError, ValueError, ValidationError):
            continue  # a chunk without valid metadata cannot be cited: never return it
        section = str(chunk.metadata.get("section", ""))
        patient = str(chunk.metadata.get("patient", ""))
        passages.append(
            Passage(
                chunk_id=chunk.chunk_id, doc=meta, section=section, text=chunk.text, patient=patient
            )
        )
        texts.append(index_text(meta.title, section, chunk.text))
    return _Loaded(
        passages=passages,
        position={p.chunk_id: i for i, p in enumerate(passages)},
        approved=np.array([p.doc.review_status == "approved" for p in passages], dtype=bool),
        source_types=[p.doc.source_type for p in passages],
        bm25=BM25Index(texts, words),
        version=version,
    )


def _mask(
    corpus: _Loaded, approved_only: bool, source_types: frozenset[str] | None
) -> np.ndarray | None:
    if not approved_only and source_types is None:
        return None
    mask = corpus.approved.copy() if approved_only else np.ones(len(corpus.passages), dtype=bool)
    if source_types is not None:
        mask &= np.array([t in source_types for t in corpus.source_types], dtype=bool)
    return mask


_searchers: dict[str, HybridSearcher] = {}
_searchers_lock = threading.Lock()


def get_searcher(settings: Settings, vocabulary: Vocabulary | None = None) -> HybridSearcher:
    """The shared searcher for these settings (same store, model and retrieval options).

    `vocabulary` is the pack's (its spellings and shorthand; read from its domain file when not
    given); the pack selects the collection, so one key never sees two vocabularies.
    """
    key = "|".join(
        (
            settings.chroma_url or str(settings.data_dir.resolve()),
            settings.collection,
            str(settings.embedding_model_path),
            settings.embedding_backend,
            settings.retrieval.model_dump_json(),
        )
    )
    with _searchers_lock:
        if key not in _searchers:
            words = vocabulary if vocabulary is not None else pack_vocabulary(settings.pack)
            _searchers[key] = HybridSearcher(settings, vocabulary=words)
        return _searchers[key]


def refresh_searchers() -> None:
    """Called after an ingest in this process: searchers reload the index on next use."""
    with _searchers_lock:
        for searcher in _searchers.values():
            searcher.refresh()
