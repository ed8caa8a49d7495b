"""The search for the statements nearest a question: its time, and what the inverted lists of a
large corpus miss against scoring every statement (the index at its size, same questions)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from assistant.retrieval.statement_index import StatementIndex
from scripts.bench_search import percentile

K, FLOOR = 4, 0.45  # as assistant.retrieval.search asks


def statement_search(index: StatementIndex, searcher: Any, questions: list[str]) -> dict[str, Any]:
    vectors = searcher.question_vectors(questions)
    timings: list[float] = []
    found = wanted = 0
    for vector in vectors:
        started = time.perf_counter()
        got = index.nearest_chunks(vector, K, FLOOR)
        timings.append((time.perf_counter() - started) * 1000)
        exact = _exact(index, vector)
        found += len(set(got) & set(exact))
        wanted += len(exact)
    return {
        "statements": len(index),
        "searchable": index.searchable,
        "inverted_lists": index.lists,
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(percentile(timings, 0.95), 3),
        "recall_vs_exact": round(found / wanted, 3) if wanted else None,
        "questions": len(questions),
    }


def _exact(index: StatementIndex, question: np.ndarray) -> list[str]:
    """Every searchable statement scored: what the lists stand in for."""
    scores = np.asarray(index.vectors[: index.searchable] @ question)
    chunks: list[str] = []
    for row in np.argsort(-scores, kind="stable"):
        if scores[row] < FLOOR or len(chunks) >= K:
            break
        chunk = index.chunk_of(int(row))
        if chunk not in chunks:
            chunks.append(chunk)
    return chunks
