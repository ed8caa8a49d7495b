"""Retrieval evaluation: recall@5, MRR and hit@1 for hybrid, dense-only and BM25-only search.

Usage: python -m scripts.retrieval_eval [--questions PATH] [--out PATH] [--k 5]

Builds or updates the index of the configured data folder (ASSISTANT_DATA_DIR), runs every
question of evals/retrieval_questions.yaml through the three rankers of one searcher, and the
out-of-scope questions through the hybrid search (which should return nothing). Prints a table
and writes the figures, with per-question evidence, to reports/retrieval.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

import assistant.offline  # noqa: F401
from assistant.config import PROJECT_ROOT, Settings, get_settings
from assistant.retrieval.hybrid import HybridSearcher
from assistant.schema import Passage

DEFAULT_QUESTIONS = PROJECT_ROOT / "evals" / "b12" / "retrieval" / "questions.yaml"
DEFAULT_REPORT = PROJECT_ROOT / "reports" / "retrieval.json"
RANK_DEPTH = 10  # MRR counts the first relevant passage within this many
RANKERS = ("hybrid", "dense", "bm25")


class ExpectedSection(BaseModel):
    doc_id: str
    section: str


class Question(BaseModel):
    id: str
    question: str
    style: str = "paraphrase"
    expected: list[ExpectedSection] = Field(min_length=1)


class QuestionSet(BaseModel):
    questions: list[Question] = Field(min_length=1)
    out_of_scope: list[str] = Field(default_factory=list)


@dataclass
class RankerScore:
    recall_at_k: float
    mrr: float
    hit_at_1: float


@dataclass
class EvalResult:
    k: int
    questions: int
    out_of_scope: int
    scores: dict[str, RankerScore]
    answered_in_scope: float  # share of in-scope questions the hybrid search did not refuse
    abstained_out_of_scope: float  # share of out-of-scope questions it refused
    relevance_floor: float
    lexical_floor: float
    hybrid_misses: list[str] = field(default_factory=list)  # "id -> top passages"
    per_question: list[dict[str, object]] = field(default_factory=list)
    per_out_of_scope: list[dict[str, object]] = field(default_factory=list)


def load_questions(path: Path = DEFAULT_QUESTIONS) -> QuestionSet:
    return QuestionSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def first_relevant_rank(passages: list[Passage], expected: list[ExpectedSection]) -> int | None:
    wanted = {(e.doc_id, e.section) for e in expected}
    for rank, passage in enumerate(passages, start=1):
        if (passage.doc.doc_id, passage.section) in wanted:
            return rank
    return None


def score_ranks(ranks: list[int | None], k: int) -> RankerScore:
    n = len(ranks)
    return RankerScore(
        recall_at_k=sum(1 for r in ranks if r is not None and r <= k) / n,
        mrr=sum(1.0 / r for r in ranks if r is not None) / n,
        hit_at_1=sum(1 for r in ranks if r == 1) / n,
    )


def missing_sections(searcher: HybridSearcher, questions: QuestionSet) -> list[str]:
    """Expected sections that no indexed chunk has: the question file is out of date."""
    indexed = {(p.doc.doc_id, p.section) for p in searcher.indexed_passages()}
    return [
        f"{q.id}: {e.doc_id} / {e.section}"
        for q in questions.questions
        for e in q.expected
        if (e.doc_id, e.section) not in indexed
    ]


def evaluate(
    searcher: HybridSearcher, questions: QuestionSet, settings: Settings, k: int = 5
) -> EvalResult:
    missing = missing_sections(searcher, questions)
    if missing:
        raise ValueError("expected sections not in the index:\n  " + "\n  ".join(missing))
    rankers: dict[str, Callable[[str], list[Passage]]] = {
        "hybrid": lambda q: searcher.search(q, RANK_DEPTH),
        "dense": lambda q: searcher.dense_search(q, RANK_DEPTH),
        "bm25": lambda q: searcher.bm25_search(q, RANK_DEPTH),
    }
    ranks: dict[str, list[int | None]] = {name: [] for name in RANKERS}
    per_question: list[dict[str, object]] = []
    answered = 0
    for question in questions.questions:
        row: dict[str, object] = {"id": question.id, "style": question.style}
        for name, rank_fn in rankers.items():
            passages = rank_fn(question.question)
            rank = first_relevant_rank(passages, question.expected)
            ranks[name].append(rank)
            row[f"{name}_rank"] = rank
            if name == "hybrid":
                answered += bool(passages)
                row["top"] = [f"{p.doc.doc_id} / {p.section}" for p in passages[:3]]
        relevance = searcher.relevance(question.question)
        row["best_cosine"] = round(relevance.best_cosine, 4)
        row["lexical_coverage"] = round(relevance.lexical_coverage, 4)
        per_question.append(row)
    misses = [
        f"{q.id} -> {row.get('top')}"
        for q, rank, row in zip(questions.questions, ranks["hybrid"], per_question, strict=True)
        if rank is None or rank > k
    ]
    per_oos: list[dict[str, object]] = []
    abstained = 0
    for query in questions.out_of_scope:
        relevance = searcher.relevance(query)
        refused = not searcher.search(query)
        abstained += refused
        per_oos.append(
            {
                "question": query,
                "refused": refused,
                "best_cosine": round(relevance.best_cosine, 4),
                "lexical_coverage": round(relevance.lexical_coverage, 4),
            }
        )
    return EvalResult(
        k=k,
        questions=len(questions.questions),
        out_of_scope=len(questions.out_of_scope),
        scores={name: score_ranks(r, k) for name, r in ranks.items()},
        answered_in_scope=answered / len(questions.questions),
        abstained_out_of_scope=abstained / max(len(questions.out_of_scope), 1),
        relevance_floor=settings.retrieval.relevance_floor,
        lexical_floor=settings.retrieval.lexical_floor,
        hybrid_misses=misses,
        per_question=per_question,
        per_out_of_scope=per_oos,
    )


def render(result: EvalResult) -> str:
    lines = [
        f"{result.questions} questions, {result.out_of_scope} out of scope, k={result.k}",
        f"{'ranker':<8} {'recall@' + str(result.k):>9} {'MRR':>6} {'hit@1':>6}",
    ]
    for name, score in result.scores.items():
        lines.append(
            f"{name:<8} {score.recall_at_k:>9.3f} {score.mrr:>6.3f} {score.hit_at_1:>6.3f}"
        )
    lines.append(
        f"hybrid answered {result.answered_in_scope:.1%} of in-scope questions; "
        f"abstained on {result.abstained_out_of_scope:.1%} of out-of-scope "
        f"(relevance_floor={result.relevance_floor}, lexical_floor={result.lexical_floor})"
    )
    lines.extend(f"  hybrid miss: {miss}" for miss in result.hybrid_misses)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args(argv)
    from assistant.index.build import ensure_index
    from assistant.retrieval.hybrid import get_searcher

    settings = get_settings()
    ensure_index(settings)
    result = evaluate(get_searcher(settings), load_questions(args.questions), settings, args.k)
    print(render(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(asdict(result), indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
