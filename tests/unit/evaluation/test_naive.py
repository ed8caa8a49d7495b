"""The naive baseline: dense top-k, the best passage as the answer, nothing else."""

from __future__ import annotations

from assistant.evaluation.naive import NaiveBaseline
from assistant.schema import Passage
from tests.unit.evaluation.builders import passage


class DenseOnly:
    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.calls: list[tuple[str, int]] = []

    def dense_search(self, query: str, k: int) -> list[Passage]:
        self.calls.append((query, k))
        return self.passages[:k]


def test_the_best_dense_passage_is_the_answer_with_one_citation() -> None:
    searcher = DenseOnly([passage("nice"), passage("other")])

    result = NaiveBaseline(searcher, k=5).ask("B12 240 ng/L", audience="patient")

    assert result.answer == passage("nice").text + " [1]"
    assert [(c.n, c.doc_id) for c in result.citations] == [(1, "nice")]
    assert result.labs is None
    assert not result.refused
    assert searcher.calls == [("B12 240 ng/L", 5)]


def test_nothing_retrieved_gives_an_empty_answer_not_an_error() -> None:
    result = NaiveBaseline(DenseOnly([]), k=5).ask("anything")

    assert result.answer == ""
    assert result.citations == []
