"""The retrieval gate: recall@5 >= 0.95 and MRR >= 0.8 for the hybrid search, on the
clinician-style questions of evals/retrieval_questions.yaml."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.retrieval.hybrid import get_searcher
from scripts.retrieval_eval import evaluate, load_questions, render

pytestmark = pytest.mark.integration


def test_hybrid_retrieval_meets_the_gate(indexed_settings: Settings) -> None:
    questions = load_questions()
    assert len(questions.questions) >= 40
    assert len(questions.out_of_scope) >= 15

    result = evaluate(get_searcher(indexed_settings), questions, indexed_settings, k=5)

    summary = render(result)
    hybrid = result.scores["hybrid"]
    assert hybrid.recall_at_k >= 0.95, summary
    assert hybrid.mrr >= 0.8, summary
    assert result.answered_in_scope == 1.0, summary
    assert set(result.scores) == {"hybrid", "dense", "bm25"}
