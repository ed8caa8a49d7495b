"""Retrieval for one resolved question, and the decision whether the corpus covers it.

The main query runs first; when the question is out of scope (assistant.retrieval.scope) the
evidence is empty and the pipeline refuses. Otherwise a broad or single-topic question gets extra
topic queries so every section of the answer has evidence.
"""

from __future__ import annotations

from typing import Protocol

from assistant.domain.language import DomainLanguage
from assistant.question.followup import ResolvedQuestion
from assistant.retrieval.plan import plan_search
from assistant.retrieval.scope import CorpusVocabulary, in_scope
from assistant.schema import Evidence, Passage

_TOPIC_QUERY_K = 3


class Searcher(Protocol):
    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[Passage]: ...

    def indexed_passages(self) -> list[Passage]: ...


def search_evidence(
    searcher: Searcher,
    resolved: ResolvedQuestion,
    vocabulary: CorpusVocabulary,
    language: DomainLanguage,
) -> Evidence:
    """The passages for a question; none when the corpus does not cover it."""
    plan = plan_search(resolved, language)
    main = searcher.search(plan.main)
    if not main or not in_scope(resolved, main, vocabulary, language):
        return Evidence(passages=[])
    passages = list(main)
    seen = {p.chunk_id for p in passages}
    hints: dict[str, str] = {}
    for topic, query in plan.topic_queries:
        for passage in searcher.search(query, k=_TOPIC_QUERY_K):
            if passage.chunk_id not in seen:
                seen.add(passage.chunk_id)
                passages.append(passage)
                hints[passage.chunk_id] = topic
    return Evidence(
        passages=passages, topic_hints=hints, main_ids=frozenset(p.chunk_id for p in main)
    )
