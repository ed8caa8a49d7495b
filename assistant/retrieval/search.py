"""Retrieval for one resolved question, and the decision whether the corpus covers it.

The main query runs first; when the question is out of scope (assistant.retrieval.scope) the
evidence is empty and the pipeline refuses. Otherwise a broad or single-topic question gets extra
topic queries so every section of the answer has evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.domain.language import DomainLanguage
from assistant.question.aspect import asking_sentence
from assistant.question.followup import ResolvedQuestion
from assistant.retrieval.plan import plan_search
from assistant.retrieval.scope import CorpusVocabulary, in_scope, read_scope, unknown_words
from assistant.retrieval.statement_index import StatementIndex
from assistant.schema import Evidence, Passage

_TOPIC_QUERY_K = 3
_STATEMENT_PASSAGES = 4  # passages of the statements nearest the question by meaning
_STATEMENT_FLOOR = 0.45  # cosine below which a statement is not near the question


class Searcher(Protocol):
    """What retrieval needs of a searcher (test stand-ins implement this much)."""

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[Passage]: ...

    def indexed_passages(self) -> list[Passage]: ...

    def question_vector(self, query: str) -> np.ndarray: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def search_evidence(
    searcher: Searcher,
    resolved: ResolvedQuestion,
    vocabulary: CorpusVocabulary,
    language: DomainLanguage,
    statements: StatementIndex | None = None,
    *,
    approved_only: bool = False,
) -> Evidence:
    """The passages for a question; none when the corpus does not cover it.

    `statements`: the corpus's statement vectors; the passages of the statements nearest the
    question by meaning join the evidence, whatever words they use.
    """
    plan = plan_search(resolved, language)
    asked = resolved.search_text if resolved.is_followup else resolved.question
    statement_queries = [asked, *filter(None, [asking_sentence(resolved.question)])]
    topic_queries = [query for _, query in plan.topic_queries]
    batched = isinstance(searcher, BatchSearcher)
    if isinstance(searcher, BatchSearcher):
        # Every sub-query at once: one batch of embeddings (the statement queries' too), one
        # vector query and one BM25 pass; each query gets what it would alone.
        searcher.question_vectors([plan.main, *topic_queries, *statement_queries])
        ks: list[int | None] = [None, *[_TOPIC_QUERY_K] * len(topic_queries)]
        main, *topic_results = searcher.search_many([plan.main, *topic_queries], ks)
    else:
        main = searcher.search(plan.main)
    reading = read_scope(resolved.question, vocabulary, language)
    if not main or not in_scope(resolved, main, vocabulary, language, reading):
        return Evidence(passages=[])
    passages = list(main)
    seen = {p.chunk_id for p in passages}
    if statements is not None:
        nearest = [
            chunk_id
            for query in statement_queries
            for chunk_id in statements.nearest_chunks(
                searcher.question_vector(query), _STATEMENT_PASSAGES, _STATEMENT_FLOOR
            )
        ]
        by_id = {
            p.chunk_id: p
            for p in _passages(searcher, [c for c in dict.fromkeys(nearest) if c not in seen])
            if not approved_only or p.doc.review_status == "approved"
        }
        for chunk_id in nearest:
            if chunk_id not in seen and chunk_id in by_id:
                seen.add(chunk_id)
                passages.append(by_id[chunk_id])
    hints: dict[str, str] = {}
    if not batched:
        topic_results = [searcher.search(query, k=_TOPIC_QUERY_K) for query in topic_queries]
    for (topic, _), found in zip(plan.topic_queries, topic_results, strict=True):
        for passage in found:
            if passage.chunk_id not in seen:
                seen.add(passage.chunk_id)
                passages.append(passage)
                hints[passage.chunk_id] = topic
    return Evidence(
        passages=passages,
        topic_hints=hints,
        main_ids=frozenset(p.chunk_id for p in main),
        unknown=unknown_words(resolved.question, reading, language, vocabulary.everyday),
    )


@runtime_checkable
class BatchSearcher(Searcher, Protocol):
    """A searcher that searches several queries together and reads passages by id
    (assistant.retrieval.hybrid.HybridSearcher)."""

    def search_many(
        self,
        queries: Sequence[str],
        k: int | Sequence[int | None] | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[list[Passage]]: ...

    def question_vectors(self, queries: Sequence[str]) -> np.ndarray: ...

    def passages(self, chunk_ids: Sequence[str]) -> list[Passage]: ...


def _passages(searcher: Searcher, chunk_ids: Sequence[str]) -> list[Passage]:
    """The indexed passages of these chunks: read by id, or picked from every passage."""
    if isinstance(searcher, BatchSearcher):
        return searcher.passages(chunk_ids)
    wanted = set(chunk_ids)
    return [p for p in searcher.indexed_passages() if p.chunk_id in wanted]
