"""Retrieval for one resolved question, and the decision whether the corpus covers it.

The main query runs first; when the question is out of scope (assistant.scope) the evidence is
empty and the pipeline refuses. Otherwise a broad or single-topic question gets extra topic
queries so every section of the answer has evidence.
"""

from __future__ import annotations

from typing import Protocol

from assistant.evidence import Difference, Evidence
from assistant.followup import ResolvedQuestion
from assistant.router import plan_search
from assistant.schema import Passage
from assistant.scope import CorpusVocabulary, in_scope

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


def search_evidence(
    searcher: Searcher, resolved: ResolvedQuestion, vocabulary: CorpusVocabulary
) -> Evidence:
    """The passages for a question; none when the corpus does not cover it."""
    plan = plan_search(resolved)
    main = searcher.search(plan.main)
    if not main or not in_scope(resolved, main, vocabulary):
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


def with_difference_passages(evidence: Evidence, differences: list[Difference]) -> Evidence:
    """The sources that disagree on a cut-off are evidence on thresholds too."""
    extra = [
        passage
        for difference in differences
        for _, passage in difference.statements
        if passage.chunk_id not in {p.chunk_id for p in evidence.passages}
    ]
    if not extra:
        return evidence
    unique = list({p.chunk_id: p for p in extra}.values())
    hints = {**evidence.topic_hints, **{p.chunk_id: "thresholds" for p in unique}}
    return Evidence([*evidence.passages, *unique], hints, evidence.main_ids)
