"""Running a system over the cases (twice, or once here and once in another process, for
determinism) and scoring every run."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from labtool.report import LabReport
from pydantic import BaseModel, Field

from assistant.evaluation import answer_metrics, grounding, metrics
from assistant.evaluation.answer_metrics import percentile
from assistant.evaluation.cases import Behavior, EvalCase, Split
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
    split: Split = "gate"
    passed: bool
    metrics: list[MetricResult]
    answer: str = ""
    body: str = Field(default="", description="The claims of the answer: what was scored")
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
        if self.kind in ("count", "level"):
            return self.hits
        return self.hits / self.total if self.total else 1.0


def run_case(system: System, case: EvalCase, k: int) -> CaseRun:
    retrieved = system.retrieve(case.query, k)
    try:
        result = system.ask(case)
    except Exception as exc:  # a crash is a finding to report, not a reason to stop the run
        return CaseRun(None, retrieved, f"{type(exc).__name__}: {exc}")
    return CaseRun(result, retrieved)


def score_case(
    case: EvalCase,
    runs: Sequence[CaseRun],
    rules: RulesView,
    k: int,
    replayed: str | None = None,
) -> CaseScore:
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
        answer_metrics.lead_answers(case, result),
        answer_metrics.answer_words(result),
        answer_metrics.repetition(result),
        answer_metrics.gap_admission(case, result),
        answer_metrics.near_domain_abstention(case, result),
        answer_metrics.caveat_retention(case, result),
        answer_metrics.lab_state(case, result.labs),
        answer_metrics.patient_readability(case, result),
    ]
    if replayed is not None:
        # The same case answered in another process, with cold caches (runner: replay).
        here = metrics.signature(first.result, first.retrieved)
        scored.append(metrics.determinism(here, replayed))
    elif len(runs) > 1:
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
        split=case.split,
        passed=all(m.passed for m in kept),
        metrics=kept,
        answer=result.answer,
        body=result.body,
        citations=result.citations,
        labs=result.labs,
        retrieved=[f"{p.doc.doc_id} > {p.section}" for p in first.retrieved],
        error=first.error,
    )


def answer_cases(
    system: System, cases: Sequence[EvalCase], k: int, times: int = 1
) -> list[list[CaseRun]]:
    """Each case answered (and retrieved for) `times` times in this process."""
    return [[run_case(system, case, k) for _ in range(max(1, times))] for case in cases]


def score_cases(
    cases: Sequence[EvalCase],
    runs: Sequence[Sequence[CaseRun]],
    rules: RulesView,
    k: int,
    replayed: Mapping[str, str] | None = None,
) -> list[CaseScore]:
    """Every case scored on its runs; with `replayed` (case id -> signature of the case
    answered in another process) determinism compares the first run with that one."""
    return [
        score_case(
            case,
            case_runs,
            rules,
            k,
            None if replayed is None else replayed.get(case.id, "not replayed"),
        )
        for case, case_runs in zip(cases, runs, strict=True)
    ]


def run_system(
    system: System,
    cases: Sequence[EvalCase],
    rules: RulesView,
    k: int,
    repeats: int = 2,
    progress: Callable[[str], None] | None = None,
) -> list[CaseScore]:
    """Each case answered `repeats` times in this process and scored."""
    scores: list[CaseScore] = []
    for case in cases:
        runs = [run_case(system, case, k) for _ in range(max(1, repeats))]
        scores.append(score_case(case, runs, rules, k))
        if progress is not None:
            progress(f"{system.name}: {case.id} {'ok' if scores[-1].passed else 'FAIL'}")
    return scores


def aggregate(scores: Sequence[CaseScore]) -> dict[str, Aggregate]:
    """Each metric summed over the cases it applies to, plus the share of cases passing; the
    words shown per case summarised as `length_median` and `length_p95`."""
    totals: dict[str, Aggregate] = {}
    words: list[float] = []
    for score in scores:
        for m in score.metrics:
            if m.name == "answer_words":
                words.append(m.hits)
                continue
            agg = totals.setdefault(
                m.name,
                Aggregate(name=m.name, kind=m.kind, hits=0, total=0, cases=0, cases_failed=0),
            )
            agg.hits += m.hits
            agg.total += m.total
            agg.cases += 1
            agg.cases_failed += 0 if m.passed else 1
    if words:
        over = sum(1 for w in words if w > answer_metrics.LENGTH_BUDGET_WORDS)
        for name, share in (("length_median", 0.5), ("length_p95", 0.95)):
            value = statistics.median(words) if share == 0.5 else percentile(words, share)
            totals[name] = Aggregate(
                name=name,
                kind="level",
                hits=value,
                total=len(words),
                cases=len(words),
                cases_failed=over,
            )
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
