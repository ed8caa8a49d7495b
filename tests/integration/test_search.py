"""Hybrid search over the real corpus with the real model and an embedded Chroma store."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.retrieval.hybrid import get_searcher

pytestmark = pytest.mark.integration

OUT_OF_SCOPE = [
    "What is the capital of France?",
    "How do I treat a broken leg?",
    "dose of amoxicillin for otitis media",
]


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_questions_find_nothing(indexed_settings: Settings, question: str) -> None:
    searcher = get_searcher(indexed_settings)
    assert searcher.search(question) == []
    assert not searcher.relevance(question).relevant


def test_in_scope_question_returns_cited_passages(indexed_settings: Settings) -> None:
    passages = get_searcher(indexed_settings).search("IM vs PO b12 for pernicious anaemia", k=4)

    assert len(passages) == 4
    for passage in passages:
        assert passage.chunk_id
        assert passage.doc.title
        assert passage.doc.doc_id
        assert passage.section
        assert passage.text
        assert passage.score > 0
    assert any(p.dense_similarity is not None for p in passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_filters_limit_review_status_and_source_type(indexed_settings: Settings) -> None:
    searcher = get_searcher(indexed_settings)
    question = "methylmalonic acid cut-off for B12 deficiency"

    everything = searcher.search(question, k=10)
    approved = searcher.search(question, k=10, approved_only=True)
    research = searcher.search(question, k=10, source_types=frozenset({"Research"}))

    assert {p.doc.review_status for p in everything} != {"approved"}  # the filter has work to do
    assert approved
    assert all(p.doc.review_status == "approved" for p in approved)
    assert research
    assert all(p.doc.source_type == "Research" for p in research)


def test_same_question_gives_the_same_passages(indexed_settings: Settings) -> None:
    searcher = get_searcher(indexed_settings)
    first = searcher.search("holoTC grey zone", k=5)
    searcher.refresh()
    second = searcher.search("holoTC grey zone", k=5)
    assert [p.chunk_id for p in first] == [p.chunk_id for p in second]
