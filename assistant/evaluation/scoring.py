"""Running a system over the cases (twice, for determinism) and scoring every run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from labtool.report import LabReport
from pydantic import BaseModel, Field

from assistant.evaluation import grounding, metrics
from assistant.evaluation.cases import Behavior, EvalCase
from assistant.evaluation.metrics import Evidence, MetricResult
from assistant.evaluation.rules_view import RulesView
from assistant.schema import AnswerResult, Audience, Citation, Passage


class System(Protocol):
    """What the harness evaluates: something that answers and something that retrieves."""

    name: str

    def ask(self, case: EvalCase) -> AnswerResult: ...

    def retrieve(self, query: str, k: int) -> list[Passage]: ...


@dataclass
class CaseRun:
    result: AnswerResult | None
    retrieved: list[Passage] = field(default_factory=list)
    error: str | None = None


class CaseScore(BaseModel):
    case_id: str
    tags: list[str]
    audience: Audience
    question: str
    history: list[str] = Field(default_factory=list, description="Earlier turns, 'role: text'")
    expected_behavior: Behavior
    passed: bool
    metrics: list[MetricResult]
    answer: str = ""
    citations: list[Citation] = Field(default_factory=list)
    labs: LabReport | None = None
    retrieved: list[str] = Field(default_factory=list)
    error: str | None = None

    def metric(self, name: str) -> MetricResult | None:
        return next((m for m in self.metrics if m.name == name), None)

    @property
    def failures(self) -> list[MetricResult]:
        return [m for m in self.metrics if not m.passed]


class Aggregate(BaseModel):
    """One metric over all cases where it applies."""

    name: str
    kind: str
    hits: float
    total: float
    cases: int
    cases_failed: int

    @property
    def value(self) -> float:
        if self.kind == "count":
            return self.hits
        return self.hits / self.total if self.total else 1.0


def run_case(system: System, case: EvalCase, k: int) -> CaseRun:
    retrieved = system.retrieve(case.query, k)
    try:
        result = system.ask(case)
    except Exception as exc:  # a crash is a finding to report, not a reason to stop the run
        return CaseRun(None, retrieved, f"{type(exc).__name__}: {exc}")
    return CaseRun(result, retrieved)


def score_case(case: EvalCase, runs: Sequence[CaseRun], rules: RulesView, k: int) -> CaseScore:
    first = runs[0]
    result = first.result or AnswerResult(answer="")
    scored: list[MetricResult | None] = [
        metrics.lab_exactness(case, result.labs),
        metrics.tool_call(case, result.labs),
        grounding.numeric_fidelity(result),
        grounding.threshold_consistency(result, rules),
        metrics.required_content(case, result),
        metrics.forbidden_content(case, result),
        grounding.citation_structure(result),
        metrics.citation_sources(case, result),
        *metrics.retrieval(case, first.retrieved, k),
        *metrics.behavior(case, result),
    ]
    if len(runs) > 1:
        signatures = [metrics.signature(r.result, r.retrieved) for r in runs]
        scored.append(metrics.determinism(signatures[0], signatures[-1]))
    if first.error is not None:
        scored.append(
            MetricResult(
                name="no_crash",
                hits=0,
                passed=False,
                evidence=[Evidence(kind="note", text="the system raised", detail=first.error)],
            )
        )
    else:
        scored.append(MetricResult(name="no_crash", hits=1, passed=True))
    kept = [m for m in scored if m is not None]
    return CaseScore(
        case_id=case.id,
        tags=case.tags,
        audience=case.audience,
        question=case.question,
        history=[f"{m.role}: {m.content}" for m in case.conversation[:-1]],
        expected_behavior=case.expected_behavior,
        passed=all(m.passed for m in kept),
        metrics=kept,
        answer=result.answer,
        citations=result.citations,
        labs=result.labs,
        retrieved=[f"{p.doc.doc_id} > {p.section}" for p in first.retrieved],
        error=first.error,
    )


def run_system(
    system: System,
    cases: Sequence[EvalCase],
    rules: RulesView,
    k: int,
    repeats: int = 2,
    progress: Callable[[str], None] | None = None,
) -> list[CaseScore]:
    scores: list[CaseScore] = []
    for case in cases:
        runs = [run_case(system, case, k) for _ in range(max(1, repeats))]
        scores.append(score_case(case, runs, rules, k))
        if progress is not None:
            progress(f"{system.name}: {case.id} {'ok' if scores[-1].passed else 'FAIL'}")
    return scores


def aggregate(scores: Sequence[CaseScore]) -> dict[str, Aggregate]:
    """Each metric summed over the cases it applies to, plus the share of cases passing."""
    totals: dict[str, Aggregate] = {}
    for score in scores:
        for m in score.metrics:
            agg = totals.setdefault(
                m.name,
                Aggregate(name=m.name, kind=m.kind, hits=0, total=0, cases=0, cases_failed=0),
            )
            agg.hits += m.hits
            agg.total += m.total
            agg.cases += 1
            agg.cases_failed += 0 if m.passed else 1
    passed = sum(1 for s in scores if s.passed)
    totals["case_pass_rate"] = Aggregate(
        name="case_pass_rate",
        kind="rate",
        hits=passed,
        total=len(scores),
        cases=len(scores),
        cases_failed=len(scores) - passed,
    )
    return totals
