"""Two rankings into one: the relevance decision and reciprocal rank fusion, over chunk rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.config import RetrievalSettings


@dataclass
class Ranked:
    """One ranker's hits for one query: (chunk row, cosine or BM25 score), best first."""

    hits: list[tuple[int, float]] = field(default_factory=list)
    best_coverage: float = 0.0  # BM25: the share of the query the best chunk covers


@dataclass(frozen=True)
class Relevance:
    """Why a query was (not) answered: the numbers the floors are compared with."""

    best_cosine: float
    lexical_coverage: float
    relevant: bool


def relevance(retrieval: RetrievalSettings, dense: Ranked, lexical: Ranked) -> Relevance:
    best_cosine = max((cosine for _, cosine in dense.hits), default=0.0)
    coverage = lexical.best_coverage if lexical.hits else 0.0  # of the best BM25 chunk
    relevant = best_cosine >= retrieval.relevance_floor or coverage >= retrieval.lexical_floor
    return Relevance(best_cosine=best_cosine, lexical_coverage=coverage, relevant=relevant)


def fuse(
    dense: Ranked, lexical: Ranked, k: int, rrf_k: int, ids: Sequence[str]
) -> list[tuple[int, float, float | None]]:
    """Reciprocal rank fusion: score = sum over rankers of 1 / (rrf_k + rank); ties by the
    better cosine, then chunk id. Returns (row, fused score, cosine or None), best first."""
    fused: dict[int, float] = {}
    for ranking in (dense.hits, lexical.hits):
        for rank, (row, _) in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (rrf_k + rank)
    cosines = dict(dense.hits)
    order = sorted(fused, key=lambda row: (-fused[row], -cosines.get(row, -1.0), ids[row]))
    return [(row, fused[row], cosines.get(row)) for row in order[:k]]
