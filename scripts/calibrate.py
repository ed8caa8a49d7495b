"""Calibrate the answer floor on the evaluation's development split, and report the margins.

For every single-question development case without lab values, the best relevance any
statement reaches (what `ANSWER_FLOOR` is compared with) is measured on the real index and
model. Cases the reference says to answer should lie above the floor, cases it says to refuse
below it. The report lists both groups, the floor that misclassifies fewest cases (the middle of
the widest gap among those), the current floor's errors and its margins on each side.

    python -m scripts.calibrate [--pack corpus/b12] [--split dev]
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from assistant.answer.citations import CitationRegistry
from assistant.answer.extractive import compose_body, question_statements
from assistant.answer.select import ANSWER_FLOOR, best_relevance
from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation.cases import EvalCase, load_cases
from assistant.pipeline import Assistant
from assistant.question.followup import resolve_followup
from assistant.resources import SearcherVectors


@dataclass(frozen=True)
class Measured:
    case_id: str
    should_answer: bool
    relevance: float  # 0.0 when retrieval found the question out of scope
    refused_otherwise: bool = False  # refused above the floor: a gap with nothing answering

    def answered(self, floor: float) -> bool:
        return self.relevance >= floor and not self.refused_otherwise


def measure(case: EvalCase, assistant: Assistant) -> Measured:
    resources = assistant.resources
    question = case.conversation[-1].content
    language = resources.language()
    resolved = resolve_followup(question, [], language)
    evidence = assistant._retrieve(resolved)
    relevance, refused_otherwise = 0.0, False
    if evidence.passages:
        vectors = SearcherVectors(resources)
        statements = question_statements(
            resolved, evidence, language, vectors, audience=case.audience
        )
        relevance = best_relevance(statements)
        body = compose_body(
            resolved,
            evidence,
            CitationRegistry(),
            language,
            vectors,
            audience=case.audience,
            unknown_terms=evidence.unknown,
        )
        refused_otherwise = body is None and relevance >= ANSWER_FLOOR
    return Measured(case.id, case.expected_behavior == "answer", relevance, refused_otherwise)


def best_floor(measured: list[Measured]) -> tuple[float, int]:
    """The floor with the fewest misclassified cases (the middle of the widest such gap)."""
    values = sorted({0.0, 1.5, *(m.relevance for m in measured)})
    best: tuple[int, float, float] = (len(measured) + 1, 0.0, 0.0)  # (errors, -gap, floor)
    for low, high in itertools.pairwise(values):
        floor = (low + high) / 2
        errors = sum(m.answered(floor) != m.should_answer for m in measured)
        candidate = (errors, -(high - low), floor)
        if candidate < best:
            best = candidate
    return best[2], best[0]


def report(measured: list[Measured], floor: float) -> dict[str, object]:
    answer = [m.relevance for m in measured if m.should_answer and m.relevance > 0]
    # Refusals the floor decides (not retrieval, not the gap rule).
    refuse = [
        m.relevance
        for m in measured
        if not m.should_answer and m.relevance > 0 and not m.refused_otherwise
    ]
    chosen, chosen_errors = best_floor(measured)
    wrong = [m for m in measured if m.answered(floor) != m.should_answer]
    return {
        "cases": len(measured),
        "answer_cases": sum(m.should_answer for m in measured),
        "refuse_cases": sum(not m.should_answer for m in measured),
        "refused_by_retrieval": sum(m.relevance == 0.0 for m in measured),
        "floor": floor,
        "floor_errors": [f"{m.case_id} ({m.relevance:.3f})" for m in wrong],
        "lowest_answer_case": min(answer, default=None),
        "highest_refuse_case_reaching_the_floor_check": max(refuse, default=None),
        "margin_above": round(min((r - floor for r in answer if r >= floor), default=0.0), 3),
        "margin_below": round(min((floor - r for r in refuse if r < floor), default=0.0), 3),
        "best_floor": round(chosen, 3),
        "best_floor_errors": chosen_errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pack", type=Path, default=PROJECT_ROOT / "corpus" / "b12")
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    pack = args.pack.resolve()
    cases = [
        case
        for case in load_cases(PROJECT_ROOT / "evals" / pack.name)
        if case.split == args.split
        and len(case.conversation) == 1
        and not case.expected_labs
        and case.expected_behavior in ("answer", "abstain")
    ]
    assistant = Assistant(Settings(pack=pack))
    measured = [measure(case, assistant) for case in cases]
    for m in sorted(measured, key=lambda m: m.relevance):
        gap = "  (refused: gap, nothing answers)" if m.refused_otherwise else ""
        print(f"{m.relevance:.3f}  {'answer' if m.should_answer else 'refuse'}  {m.case_id}{gap}")
    print(json.dumps(report(measured, ANSWER_FLOOR), indent=2))


if __name__ == "__main__":
    main()
