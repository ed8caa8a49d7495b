"""Per-ask figures at one corpus size: the searcher's timing, the p95 tail, the slowest asks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scripts.bench_ask import ScaleFigures, TimedSearcher


class _Searcher:
    index_version = "v7"

    def __init__(self) -> None:
        self.asked: list[Any] = []

    def search(self, query: str, k: int | None = None, **options: Any) -> list[str]:
        self.asked.append((query, k, options))
        return [f"hit for {query}"]

    def search_many(self, queries: Sequence[str], k: Any = None, **options: Any) -> list[Any]:
        self.asked.append((list(queries), k, options))
        return [[q] for q in queries]

    def question_vectors(self, queries: Sequence[str]) -> np.ndarray:
        return np.zeros((len(queries), 3), dtype=np.float32)


def test_timed_searcher_counts_queries_and_hands_everything_on() -> None:
    inner = _Searcher()
    timed = TimedSearcher(inner)

    assert timed.search("b12", 3, scope="x") == ["hit for b12"]
    assert timed.search_many(["a", "b", "c"], 5) == [["a"], ["b"], ["c"]]
    assert timed.question_vectors(["a", "b"]).shape == (2, 3)  # time counted, no query
    assert timed.index_version == "v7"  # not timed: passed through

    assert timed.calls == 4
    assert timed.seconds > 0
    assert inner.asked == [("b12", 3, {"scope": "x"}), (["a", "b", "c"], 5, {})]
    timed.reset()
    assert (timed.calls, timed.seconds) == (0, 0.0)


def _figures() -> ScaleFigures:
    figures = ScaleFigures(chunks=1_000, index_load_s=0.25)
    figures.ours_ms = [10.0, 12.0, 11.0, 90.0, 13.0] * 4
    figures.theirs_ms = [50.0] * 20
    figures.questions = [f"q{i}" for i in range(20)]
    figures.ask_search_ms = [ms / 2 for ms in figures.ours_ms]
    figures.ask_searches = [6 if ms == 90.0 else 1 for ms in figures.ours_ms]
    figures.stages = [{"search": ms / 2, "other": ms / 2} for ms in figures.ours_ms]
    return figures


def test_the_p95_tail_is_the_asks_at_or_above_the_p95() -> None:
    tail = _figures().tail()

    assert tail == {
        "asks": 4,  # the four 90 ms asks: the p95 of 20 asks is the 19th slowest
        "mean_ms": 90.0,
        "mean_search_ms": 45.0,
        "mean_searches": 6.0,
        "all_asks_mean_searches": 2.0,
    }


def test_as_dict_ratios_slowest_asks_and_stages() -> None:
    figures = _figures().as_dict()

    assert figures["ratio_median"] == round(12.0 / 50.0, 3)  # the median of 20: 12 and 12
    assert figures["ratio_p95"] == round(90.0 / 50.0, 3)
    assert [a["question"] for a in figures["slowest_asks"]][:4] == ["q3", "q8", "q13", "q18"]
    assert figures["slowest_asks"][0] == {
        "ms": 90.0,
        "search_ms": 45.0,
        "searches": 6,
        "question": "q3",
    }
    assert figures["stages"]["search"]["share"] == 0.5
    assert figures["p95_tail_stages"]["search"]["mean_ms"] == 45.0
    assert figures["hybrid_search_only"] is None
