"""The result of one evaluation run: both systems side by side, the gate, the run metadata."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from assistant.evaluation.gate import Baseline, GateCheck
from assistant.evaluation.run_meta import RunMeta
from assistant.evaluation.scoring import Aggregate, CaseScore

# Display order and wording of the metrics; "count" metrics are better when lower.
METRIC_LABELS: dict[str, str] = {
    "lab_exactness": "Lab classification exactness (rows)",
    "tool_call": "Lab tool called with the right inputs (cases)",
    "unsupported_numbers": "Unsupported numbers (count, want 0)",
    "threshold_inconsistencies": "Cut-offs not in the rules file (count, want 0)",
    "required_content": "Required content found (patterns)",
    "forbidden_content": "Forbidden content found (count, want 0)",
    "citation_structure": "Citation structure sound (cases)",
    "citation_sources": "Cites the expected documents (cases)",
    "recall@5": "Retrieval recall@5 (reference items)",
    "mrr@5": "Retrieval MRR@5",
    "behavior": "Behaviour: answer / abstain / clarify (cases)",
    "abstention": "Out-of-scope abstention (cases)",
    "determinism": "Same result twice (cases)",
    "no_crash": "No crash (cases)",
    "lead_answers": "Lead: expected fact in the first three sentences (cases)",
    "length_median": "Words shown first, median (answered cases)",
    "length_p95": "Words shown first, p95 (answered cases)",
    "repetition": "Statements shown twice (count, want 0)",
    "gap_admission": "Gap admitted exactly when expected (cases)",
    "near_domain_abstention": "Near-domain abstention (cases)",
    "caveat_retention": "Caveat shown with its statement (cases)",
    "lab_state": "Lab values from earlier turns kept (rows)",
    "patient_readability": "Patient answers at grade 8 or below (cases)",
    "case_pass_rate": "Cases passing every metric",
}


class SystemResult(BaseModel):
    name: str
    metrics: dict[str, Aggregate]
    cases: list[CaseScore]

    def value(self, metric: str) -> float | None:
        agg = self.metrics.get(metric)
        return agg.value if agg is not None else None


class EvalOutcome(BaseModel):
    meta: RunMeta
    assistant: SystemResult
    naive: SystemResult
    gate: list[GateCheck]
    proposed_baseline: Baseline
    judge: dict[str, Any] | None = None
    report_files: list[str] = Field(default_factory=list)
    dev_assistant: SystemResult | None = Field(
        default=None, description="The dev split, scored apart (never gated)"
    )
    dev_naive: SystemResult | None = None
    baseline_changes: list[str] = Field(
        default_factory=list, description="What --write-baseline raised or added"
    )

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.gate)

    def metric_names(self) -> list[str]:
        present = set(self.assistant.metrics) | set(self.naive.metrics)
        ordered = [name for name in METRIC_LABELS if name in present]
        return ordered + sorted(present - set(ordered))

    def summary_json(self) -> dict[str, Any]:
        """What `assistant eval --json` prints: gate, side-by-side metrics, failing cases."""
        return {
            "passed": self.passed,
            "gate": [check.model_dump() for check in self.gate],
            "metrics": {
                name: {"assistant": self.assistant.value(name), "naive": self.naive.value(name)}
                for name in self.metric_names()
            },
            "failed_cases": {
                score.case_id: [m.name for m in score.failures]
                for score in self.assistant.cases
                if not score.passed
            },
            "dev": None
            if self.dev_assistant is None or self.dev_naive is None
            else {
                name: {
                    "assistant": self.dev_assistant.value(name),
                    "naive": self.dev_naive.value(name),
                }
                for name in self.metric_names()
            },
            "baseline_changes": self.baseline_changes,
            "judge": self.judge,
            "meta": self.meta.model_dump(),
            "report_files": self.report_files,
        }
