"""Warm search latency: median and p95 of hybrid, dense-only and BM25-only search.

Usage: python -m scripts.bench_search [--repeats 3] [--out reports/bench/search.json]

Builds or updates the index of the configured data folder, warms up (model load, BM25 build,
one search), then times each question once. Every timed question is new to the process, so
the query-embedding cache never answers: the figures include encoding the question.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import assistant.offline  # noqa: F401
from assistant.config import PROJECT_ROOT, get_settings
from assistant.schema import Passage
from scripts.retrieval_eval import DEFAULT_QUESTIONS, load_questions

DEFAULT_REPORT = PROJECT_ROOT / "reports" / "bench" / "search.json"
# Suffixes that make each repeat a question the process has not seen (no cache hits).
_VARIANTS = ("", " in adults", " in primary care", " for a GP", " please", " (urgent)")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summarise(elapsed_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(elapsed_ms),
        "median_ms": round(statistics.median(elapsed_ms), 2),
        "p95_ms": round(percentile(elapsed_ms, 0.95), 2),
        "mean_ms": round(statistics.fmean(elapsed_ms), 2),
        "max_ms": round(max(elapsed_ms), 2),
    }


def time_interleaved(
    rankers: dict[str, Callable[[str], list[Passage]]], queries: list[str]
) -> dict[str, dict[str, float]]:
    """Each query through every ranker in turn, so load from other processes hits all alike."""
    elapsed: dict[str, list[float]] = {name: [] for name in rankers}
    for query in queries:
        for index, (name, search) in enumerate(rankers.items()):
            unseen = f"{'Q' * index}{query}"  # a distinct text per ranker: no cache hits
            started = time.perf_counter()
            search(unseen)
            elapsed[name].append((time.perf_counter() - started) * 1000)
    return {name: summarise(values) for name, values in elapsed.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Warm search latency benchmark")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--repeats", type=int, default=3, help="variants per question (max 6)")
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT)
    args = parser.parse_args(argv)
    from assistant.index.build import ensure_index
    from assistant.retrieval.hybrid import get_searcher

    settings = get_settings()
    ensure_index(settings)
    searcher = get_searcher(settings)
    searcher.search("warm-up: vitamin B12 deficiency treatment")  # load model, BM25, store

    question_set = load_questions(args.questions)
    base = [q.question for q in question_set.questions] + question_set.out_of_scope
    variants = _VARIANTS[: max(1, min(args.repeats, len(_VARIANTS)))]
    rankers: dict[str, Callable[[str], list[Passage]]] = {
        "hybrid": searcher.search,
        "dense": searcher.dense_search,
        "bm25": searcher.bm25_search,
    }
    results = time_interleaved(rankers, [f"{q}{v}" for v in variants for q in base])
    report = {
        "machine": {"python": platform.python_version(), "cpu": platform.processor()},
        "chunks": len(searcher.indexed_passages()),
        "store": "server" if settings.chroma_url else "embedded",
        "search": results,
    }
    for name, figures in results.items():
        print(f"{name:<7} {json.dumps(figures)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
