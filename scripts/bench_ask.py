"""Warm `Assistant.ask` latency at one corpus size, next to a plain LangChain pipeline.

Theirs: Chroma through `langchain_chroma` over the same collection (same vectors), queried
with `HuggingFaceEmbeddings` and `similarity_search(q, k=5)`: retrieval only. Ours: the whole
default pipeline (router, lab tool, hybrid search, composer, guard), a cited answer. Each
question goes through both, in alternating order, so load from other processes hits both
alike. Every text is new to the process: query caches never answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.pipeline import Assistant, AssistantError
from assistant.retrieval.hybrid import get_searcher, refresh_searchers
from scripts.bench_search import percentile, summarise
from scripts.bench_stages import StageClock, shares

BASELINE_K = 5


class TimedSearcher:
    """The shared searcher, counting the queries of each ask and the time spent in it.

    Implements the whole searcher protocol (assistant.retrieval.search.Searcher and
    BatchSearcher); what it does not time is handed to the searcher as it is.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls = 0  # queries searched
        self.seconds = 0.0

    def reset(self) -> None:
        self.calls, self.seconds = 0, 0.0

    def __getattr__(self, name: str) -> Any:  # index_version, term_counts, statement_index...
        return getattr(self._inner, name)

    def _timed(self, queries: int, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            self.calls += queries
            self.seconds += time.perf_counter() - started

    def indexed_passages(self) -> list[Any]:
        return list(self._inner.indexed_passages())

    def search(self, query: str, k: int | None = None, **options: Any) -> list[Any]:
        return list(self._timed(1, lambda: self._inner.search(query, k, **options)))

    def search_many(self, queries: Sequence[str], k: Any = None, **options: Any) -> list[Any]:
        return list(
            self._timed(len(queries), lambda: self._inner.search_many(queries, k, **options))
        )

    def question_vector(self, query: str) -> np.ndarray:
        vector: np.ndarray = self._timed(0, lambda: self._inner.question_vector(query))
        return vector

    def question_vectors(self, queries: Sequence[str]) -> np.ndarray:
        vectors: np.ndarray = self._timed(0, lambda: self._inner.question_vectors(queries))
        return vectors

    def passages(self, chunk_ids: Sequence[str]) -> list[Any]:
        return list(self._timed(0, lambda: self._inner.passages(chunk_ids)))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors: np.ndarray = self._inner.embed(texts)
        return vectors


@dataclass
class ScaleFigures:
    chunks: int
    index_load_s: float
    ours_ms: list[float] = field(default_factory=list)
    theirs_ms: list[float] = field(default_factory=list)
    search_ms: list[float] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    ask_search_ms: list[float] = field(default_factory=list)  # inside searches, per ask
    ask_searches: list[int] = field(default_factory=list)
    stages: list[dict[str, float]] = field(default_factory=list)  # ms per stage, per ask
    refused: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        ours, theirs = summarise(self.ours_ms), summarise(self.theirs_ms)
        return {
            "chunks": self.chunks,
            "index_load_s": round(self.index_load_s, 2),
            "ask": ours,
            "langchain_similarity_search": theirs,
            "hybrid_search_only": summarise(self.search_ms) if self.search_ms else None,
            "ratio_median": round(ours["median_ms"] / theirs["median_ms"], 3),
            "ratio_p95": round(ours["p95_ms"] / theirs["p95_ms"], 3),
            "refused": self.refused,
            "errors": self.errors,
            "p95_tail": self.tail(),
            "slowest_asks": self.slowest(),
            "stages": shares(self.stages),
            "p95_tail_stages": shares(self._tail_stages()),
        }

    def _tail_stages(self) -> list[dict[str, float]]:
        cut = percentile(self.ours_ms, 0.95)
        return [self.stages[i] for i, ms in enumerate(self.ours_ms) if ms >= cut]

    def tail(self) -> dict[str, Any]:
        """The asks at or above the p95: how many searches they made, how long they took."""
        cut = percentile(self.ours_ms, 0.95)  # unrounded: the tail holds at least that ask
        rows = [i for i, ms in enumerate(self.ours_ms) if ms >= cut]
        return {
            "asks": len(rows),
            "mean_ms": round(sum(self.ours_ms[i] for i in rows) / len(rows), 1),
            "mean_search_ms": round(sum(self.ask_search_ms[i] for i in rows) / len(rows), 1),
            "mean_searches": round(sum(self.ask_searches[i] for i in rows) / len(rows), 1),
            "all_asks_mean_searches": round(sum(self.ask_searches) / len(self.ask_searches), 2),
        }

    def slowest(self, count: int = 5) -> list[dict[str, Any]]:
        """The slowest questions of ours: where the p95 comes from."""
        order = sorted(range(len(self.ours_ms)), key=lambda i: -self.ours_ms[i])[:count]
        return [
            {
                "ms": round(self.ours_ms[i], 1),
                "search_ms": round(self.ask_search_ms[i], 1),
                "searches": self.ask_searches[i],
                "question": self.questions[i],
            }
            for i in order
        ]


def langchain_baseline(settings: Settings) -> Callable[[str], list[Any]]:
    """`similarity_search(q, k=5)` of a plain LangChain Chroma store over our collection."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    client = chromadb.PersistentClient(  # same path and settings: Chroma shares the instance
        path=str(settings.data_dir / "chroma"),
        settings=ChromaSettings(anonymized_telemetry=False),
    )
    embeddings = HuggingFaceEmbeddings(
        model_name=str(settings.embedding_model_path),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True},
    )
    store = Chroma(
        client=client, collection_name=settings.collection, embedding_function=embeddings
    )

    def search(question: str) -> list[Any]:
        return store.similarity_search(question, k=BASELINE_K)

    return search


def reload_index(assistant: Assistant, warmups: list[str]) -> float:
    """Make the searcher reload the (grown) index; returns the seconds the reload took."""
    refresh_searchers()
    started = time.perf_counter()
    assistant.ask(warmups[0])  # loads passages and BM25 of the grown index
    load_s = time.perf_counter() - started
    for text in warmups[1:]:
        assistant.ask(text)
    return load_s


def measure_scale(
    assistant: Assistant,
    timed: TimedSearcher,
    theirs: Callable[[str], list[Any]],
    questions: list[str],
    search_questions: list[str],
    chunks: int,
    load_s: float,
) -> ScaleFigures:
    figures = ScaleFigures(chunks=chunks, index_load_s=load_s)
    figures.questions = list(questions)
    with StageClock() as clock:
        for index, question in enumerate(questions):
            for ours_turn in (True, False) if index % 2 == 0 else (False, True):
                started = time.perf_counter()
                if ours_turn:
                    timed.reset()
                    _ask(assistant, question, figures)
                    figures.ask_search_ms.append(timed.seconds * 1000)
                    figures.ask_searches.append(timed.calls)
                else:
                    theirs(question)
                elapsed = (time.perf_counter() - started) * 1000
                (figures.ours_ms if ours_turn else figures.theirs_ms).append(elapsed)
                if ours_turn:
                    figures.stages.append(clock.take(elapsed / 1000))
                else:
                    clock.take(0.0)  # LangChain's turn runs none of our stages
    searcher = get_searcher(assistant.settings)
    for question in search_questions:
        started = time.perf_counter()
        searcher.search(question)
        figures.search_ms.append((time.perf_counter() - started) * 1000)
    return figures


def _ask(assistant: Assistant, question: str, figures: ScaleFigures) -> None:
    try:
        result = assistant.ask(question)
    except AssistantError:
        figures.errors += 1  # e.g. a case that is invalid input on purpose; still timed
        return
    figures.refused += int(result.refused)
