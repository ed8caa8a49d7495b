"""Hybrid search over the guideline index: dense (Chroma, cosine) + BM25, fused by reciprocal rank.

Relevance rule (drives refusals): a query is answerable when the best dense cosine similarity
reaches `retrieval.relevance_floor`, OR the best BM25 chunk covers at least
`retrieval.lexical_floor` of the query's words (IDF-weighted, abbreviations and typos resolved).
Otherwise the search returns an empty list: nothing in the corpus is relevant.

Several queries (a broad question's topic queries) are searched together: their vectors are
encoded in one batch and sent to Chroma in one query, and BM25 scores them in one pass; each
gets exactly what it would alone. Rankings work on chunk positions; a passage is read from the
version's files only when it is returned.

Importing this module loads neither torch nor Chroma: the model and the store open on first search.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from assistant.config import Settings
from assistant.domain.pack import pack_vocabulary
from assistant.index.lexical_files import vocabulary_key
from assistant.index.statement_files import unit_rows
from assistant.index.store import generation, metadata_filter
from assistant.retrieval.corpus import (
    ChunkSource,
    LoadedIndex,
    VersionedSource,
    load_index,
    query_all,
)
from assistant.retrieval.fusion import Ranked, Relevance, fuse, relevance
from assistant.retrieval.statement_index import StatementIndex
from assistant.schema import Passage
from assistant.text.tokens import Vocabulary

__all__ = [
    "ChunkSource",
    "HybridSearcher",
    "Relevance",
    "VersionedSource",
    "get_searcher",
    "refresh_searchers",
]

# How many candidates each ranker contributes to the fusion, relative to k.
CANDIDATE_FACTOR = 4
MIN_CANDIDATES = 20
# How long a searcher trusts its copy of the index before asking which version is live (one
# small read of the pointer): a running app moves to a version another process switched to on
# its next question, one asked half a second or more after its last. An ingest in this process
# is seen at once (generation).
STALE_CHECK_SECONDS = 0.5
_TEXT_VECTOR_CACHE = 200_000  # statement vectors kept per searcher


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
        self._loaded: LoadedIndex | None = None
        self._checked_at = 0.0
        self._text_vectors: dict[str, np.ndarray] = {}
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
        return self.search_many([query], k, approved_only=approved_only, source_types=source_types)[
            0
        ]

    def search_many(
        self,
        queries: Sequence[str],
        k: int | Sequence[int | None] | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[list[Passage]]:
        """`search` of each query (`k`: one for all, or one each), the queries encoded, sent to
        Chroma and scored together."""
        wanted = list(k) if isinstance(k, Sequence) else [k] * len(queries)
        ks = [self._defaults(each, approved_only)[0] for each in wanted]
        _, approved_only = self._defaults(None, approved_only)
        corpus = self._corpus()
        ns = [max(each * CANDIDATE_FACTOR, MIN_CANDIDATES) for each in ks]
        dense = self._dense(corpus, queries, ns, approved_only, source_types)
        found: list[list[Passage]] = []
        for query, ranked, each, n in zip(queries, dense, ks, ns, strict=True):
            lexical = self._lexical(corpus, query, n, approved_only, source_types)
            if not relevance(self._settings.retrieval, ranked, lexical).relevant:
                found.append([])
                continue
            fused = fuse(ranked, lexical, each, self._settings.retrieval.rrf_k, corpus.table.ids)
            found.append([_scored(corpus, row, score, cosine) for row, score, cosine in fused])
        return found

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
        corpus = self._corpus()
        ranked = self._dense(corpus, [query], k, approved_only, source_types)[0]
        return [_scored(corpus, row, cosine, cosine) for row, cosine in ranked.hits]

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
        corpus = self._corpus()
        ranked = self._lexical(corpus, query, k, approved_only, source_types)
        return [_scored(corpus, row, score, None) for row, score in ranked.hits]

    def relevance(
        self,
        query: str,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> Relevance:
        """The relevance decision for a query, with its evidence (for tuning and reports)."""
        _, approved_only = self._defaults(None, approved_only)
        corpus = self._corpus()
        dense = self._dense(corpus, [query], MIN_CANDIDATES, approved_only, source_types)[0]
        lexical = self._lexical(corpus, query, MIN_CANDIDATES, approved_only, source_types)
        return relevance(self._settings.retrieval, dense, lexical)

    def indexed_passages(self) -> list[Passage]:
        """Every passage in the index (for checks and evaluations; no scores). A full read:
        answering never needs it."""
        return list(self._corpus().table.passages())

    def passages(self, chunk_ids: Sequence[str]) -> list[Passage]:
        """The indexed passages of these chunk ids, in the order given (unknown ids left out)."""
        return self._corpus().passages(chunk_ids)

    def question_vector(self, query: str) -> np.ndarray:
        """The unit vector the dense search used for `query` (cached: no second embedding)."""
        vector: np.ndarray = self.question_vectors([query])[0]
        return vector

    def question_vectors(self, queries: Sequence[str]) -> np.ndarray:
        """`question_vector` of several queries, those not cached encoded in one batch."""
        corpus = self._corpus()
        texts = [corpus.bm25.dense_query(q) for q in queries]
        embedder = self._embedder()
        many = getattr(embedder, "many", None)
        vectors = many(texts) if callable(many) else [embedder(text) for text in texts]
        return unit_rows(np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of texts (statements) with the index's model; each text is encoded once
        per process."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._text_vectors]
        if missing:
            from assistant.index.embeddings import embeddings_for

            model = embeddings_for(self._settings)
            rows = unit_rows(np.asarray(model.embed_documents(missing), dtype=np.float32))
            with self._lock:
                if len(self._text_vectors) > _TEXT_VECTOR_CACHE:
                    self._text_vectors.clear()
                self._text_vectors.update(zip(missing, rows, strict=True))
        return np.stack([self._text_vectors[t] for t in texts]) if texts else np.zeros((0, 1))

    def statement_index(
        self, meta_patterns: Sequence[str], skip: Callable[[str], bool]
    ) -> StatementIndex:
        """The statement vectors of the version searched now (computed at ingest), for a
        pack whose notes about documents `meta_patterns` / `skip` recognise."""
        from assistant.index.derived import model_embed

        return self._corpus().statements(meta_patterns, skip, model_embed(self._settings))

    def term_counts(self, words: Vocabulary) -> Counter[str] | None:
        """Every token of the indexed sections and texts with its count, as `words` tokenizes
        them; None when this searcher tokenizes otherwise."""
        if vocabulary_key(words) != vocabulary_key(self._words):
            return None
        return self._corpus().term_counts()

    def index_version(self) -> str:
        """The index version searches answer from now (the live one: checked first)."""
        return self._corpus().version

    def refresh(self) -> None:
        """Forget the loaded index (files, BM25); reloaded on the next search."""
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
            from assistant.index.versions import open_live_index

            self._store = open_live_index(self._settings)
        return self._store

    def _embedder(self) -> Callable[[str], list[float]]:
        if self._embed_query is None:
            from assistant.index.embeddings import QueryEmbedder, embeddings_for

            self._embed_query = QueryEmbedder(embeddings_for(self._settings))
        return self._embed_query

    def _corpus(self) -> LoadedIndex:
        with self._lock:
            now = time.monotonic()
            fresh = now - self._checked_at < STALE_CHECK_SECONDS
            if self._loaded is not None and fresh and self._generation == generation():
                return self._loaded
            self._checked_at = now
            self._generation = generation()
            source = self._source()
            version = source.index_version()
            if self._loaded is None or self._loaded.version != version:
                pinned: ChunkSource = source
                if isinstance(source, VersionedSource):
                    version, pinned = source.snapshot()
                self._loaded = load_index(self._settings, pinned, version, self._words)
            return self._loaded

    def _dense(
        self,
        corpus: LoadedIndex,
        queries: Sequence[str],
        n: int | Sequence[int],
        approved_only: bool,
        source_types: frozenset[str] | None,
    ) -> list[Ranked]:
        ns = list(n) if isinstance(n, Sequence) else [n] * len(queries)
        ranked = [Ranked() for _ in queries]
        asked = [i for i, query in enumerate(queries) if query.strip()]
        if not asked or not len(corpus.table):
            return ranked
        where = metadata_filter(approved_only, source_types)
        vectors = dict(zip(asked, self._vectors(corpus, [queries[i] for i in asked]), strict=True))
        # One request per candidate count (all of them, usually); Chroma returns ids and
        # distances, passages come from the version's files.
        for size in sorted({min(ns[i], len(corpus.table)) for i in asked}):
            group = [i for i in asked if min(ns[i], len(corpus.table)) == size]
            hits = query_all(corpus.source, [vectors[i] for i in group], size, where)
            for number, found in zip(group, hits, strict=True):
                rows = []
                for hit in found:
                    row = corpus.table.position.get(hit.chunk_id)
                    if row is None:  # written after we loaded: pick it up on the next search
                        self.refresh()
                        continue
                    rows.append((row, hit.similarity))
                ranked[number] = Ranked(rows)
        return ranked

    def _vectors(self, corpus: LoadedIndex, queries: Sequence[str]) -> list[list[float]]:
        texts = [corpus.bm25.dense_query(q) for q in queries]
        embedder = self._embedder()
        many = getattr(embedder, "many", None)
        if callable(many) and len(texts) > 1:
            return list(many(texts))
        return [embedder(text) for text in texts]

    def _lexical(
        self,
        corpus: LoadedIndex,
        query: str,
        n: int,
        approved_only: bool,
        source_types: frozenset[str] | None,
    ) -> Ranked:
        terms = corpus.bm25.prepare(query)
        hits = corpus.bm25.search(terms, n, corpus.mask(approved_only, source_types))
        ranked = Ranked([(hit.index, hit.score) for hit in hits])
        # Only the best chunk's coverage decides relevance.
        ranked.best_coverage = corpus.bm25.coverage(terms, hits[0].index) if hits else 0.0
        return ranked


def _scored(corpus: LoadedIndex, row: int, score: float, cosine: float | None) -> Passage:
    return corpus.table.passage(row).model_copy(update={"score": score, "dense_similarity": cosine})


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
