"""Deterministic scorers of labs, content, citation expectations, retrieval and behaviour.

Each returns a value AND the evidence behind it (grounding scorers: grounding.py).

A rate metric counts hits out of a total (summed over cases, so rows weigh equally); a count
metric counts offences (unsupported numbers, forbidden phrases) and passes only at zero; a level
is a measure per case (words shown) that the run summarises (median, p95).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from labtool.report import Finding, LabError, LabReport
from pydantic import BaseModel, Field

from assistant.evaluation.cases import Behavior, EvalCase, ExpectedLab
from assistant.evaluation.text import (
    normalise_unit,
    number_set,
    same_number,
)
from assistant.schema import AnswerResult, Passage

EvidenceKind = Literal["number", "sentence", "citation", "lab", "pattern", "passage", "note"]

# Lab-tool error codes that mean "tell me more", not "this value is wrong".
CLARIFY_CODES = frozenset(
    {"MISSING_UNIT", "MISSING_CONTEXT", "AMBIGUOUS_NUMBER", "NO_TEST_OR_UNIT"}
)


class Evidence(BaseModel):
    kind: EvidenceKind
    text: str
    detail: str = ""


class MetricResult(BaseModel):
    name: str
    kind: Literal["rate", "count", "level"] = "rate"
    hits: float
    total: float = 1.0
    passed: bool
    evidence: list[Evidence] = Field(default_factory=list)

    @property
    def value(self) -> float:
        if self.kind in ("count", "level"):
            return self.hits
        return self.hits / self.total if self.total else 1.0


def rate_metric(name: str, hits: float, total: float, evidence: list[Evidence]) -> MetricResult:
    return MetricResult(
        name=name, hits=hits, total=total, passed=hits >= total - 1e-9, evidence=evidence
    )


def count_metric(name: str, evidence: list[Evidence]) -> MetricResult:
    return MetricResult(
        name=name, kind="count", hits=len(evidence), passed=not evidence, evidence=evidence
    )


# --- lab tool ---------------------------------------------------------------------------


def finding_matches(row: ExpectedLab, finding: Finding) -> bool:
    return (
        finding.analyte == row.analyte
        and row.value is not None
        and same_number(finding.value, row.value)
        and row.unit is not None
        and normalise_unit(finding.unit) == normalise_unit(row.unit)
    )


def error_matches(row: ExpectedLab, error: LabError) -> bool:
    if error.code != row.error:
        return False
    # The tokenizer reads "-5" as 5: the sign is compared by the error code, not here.
    return row.value is None or Decimal(repr(abs(row.value))) in number_set(error.input)


def lab_exactness(case: EvalCase, labs: LabReport | None) -> MetricResult | None:
    """Each golden row gets the category (or the input error) the sources give."""
    if not case.expected_labs:
        return None
    report = labs or LabReport()
    evidence: list[Evidence] = []
    hits = 0
    for row in case.expected_labs:
        if row.error is not None:
            if any(error_matches(row, e) for e in report.errors):
                hits += 1
            else:
                got = ", ".join(f"{e.code} ({e.input})" for e in report.errors) or "no error"
                evidence.append(Evidence(kind="lab", text=row.describe(), detail=f"got {got}"))
            continue
        found = [f for f in report.findings if finding_matches(row, f)]
        if any(f.category == row.category for f in found):
            hits += 1
        else:
            got = ", ".join(f.category for f in found) or "no finding for this value"
            evidence.append(Evidence(kind="lab", text=row.describe(), detail=f"got {got}"))
    return rate_metric("lab_exactness", hits, len(case.expected_labs), evidence)


def tool_call(case: EvalCase, labs: LabReport | None) -> MetricResult | None:
    """The tool ran with the case's analytes, values and units, and produced nothing spurious.

    Applies to cases with lab values and to any answer where the tool reported an error.
    Interpreting a value a question quotes ("what does an EPO above 500 mU/mL mean?") is
    not counted against it; an error block in such an answer is.
    """
    report = labs or LabReport()
    if not case.expected_labs and not report.errors:
        return None
    evidence: list[Evidence] = []
    for row in case.expected_labs:
        called = (
            any(error_matches(row, e) for e in report.errors)
            if row.error is not None
            else any(finding_matches(row, f) for f in report.findings)
        )
        if not called:
            evidence.append(Evidence(kind="lab", text=row.describe(), detail="not passed to tool"))
    for finding in report.findings if case.expected_labs else []:
        if not any(finding_matches(row, finding) for row in case.expected_labs):
            text = f"{finding.analyte} {finding.value:g} {finding.unit}"
            evidence.append(Evidence(kind="lab", text=text, detail="unexpected tool input"))
    for error in report.errors:
        if not any(row.error and error_matches(row, error) for row in case.expected_labs):
            evidence.append(
                Evidence(kind="lab", text=error.input, detail=f"unexpected {error.code}")
            )
    return rate_metric("tool_call", 0 if evidence else 1, 1, evidence)


# --- content and citations ----------------------------------------------------------------


def required_content(case: EvalCase, result: AnswerResult) -> MetricResult | None:
    if not case.must_include:
        return None
    missing = [p for p in case.must_include if not re.search(p, result.body, re.IGNORECASE)]
    evidence = [Evidence(kind="pattern", text=p, detail="required, not found") for p in missing]
    return rate_metric(
        "required_content", len(case.must_include) - len(missing), len(case.must_include), evidence
    )


def forbidden_content(case: EvalCase, result: AnswerResult) -> MetricResult:
    evidence: list[Evidence] = []
    for pattern in case.must_not_include:
        match = re.search(pattern, result.body, re.IGNORECASE)
        if match:
            evidence.append(
                Evidence(kind="pattern", text=pattern, detail=f"found: {match.group(0)!r}")
            )
    return count_metric("forbidden_content", evidence)


def citation_sources(case: EvalCase, result: AnswerResult) -> MetricResult | None:
    expected = case.citations
    if expected.minimum == 0 and not expected.allowed_docs and not expected.required_docs:
        return None
    evidence: list[Evidence] = []
    if len(result.citations) < expected.minimum:
        evidence.append(
            Evidence(
                kind="citation",
                text=f"{len(result.citations)} citation(s)",
                detail=f"expected at least {expected.minimum}",
            )
        )
    cited = {c.doc_id for c in result.citations}
    for doc_id in expected.required_docs:
        if doc_id not in cited:
            evidence.append(Evidence(kind="citation", text=doc_id, detail="expected, not cited"))
    if expected.allowed_docs:
        for c in result.citations:
            if c.doc_id not in expected.allowed_docs:
                evidence.append(
                    Evidence(
                        kind="citation",
                        text=f"[{c.n}] {c.doc_id}",
                        detail="document not expected for this case",
                    )
                )
    return rate_metric("citation_sources", 0 if evidence else 1, 1, evidence)


# --- retrieval, behaviour, determinism ----------------------------------------------------


def _passage_label(p: Passage) -> str:
    return f"{p.doc.doc_id} > {p.section}"


def retrieval(case: EvalCase, passages: Sequence[Passage], k: int) -> list[MetricResult]:
    """recall@k over the reference items and the reciprocal rank of the first relevant one."""
    if not case.reference:
        return []
    top = list(passages)[:k]

    def relevant(p: Passage) -> list[int]:
        return [i for i, ref in enumerate(case.reference) if ref.matches(p.doc.doc_id, p.section)]

    found = {i for p in top for i in relevant(p)}
    ranks = [rank for rank, p in enumerate(top, start=1) if relevant(p)]
    got = "; ".join(_passage_label(p) for p in top) or "nothing retrieved"
    missed = [
        Evidence(
            kind="passage",
            text=ref.describe(),
            detail=f"not in top {k}: {got}",
        )
        for i, ref in enumerate(case.reference)
        if i not in found
    ]
    recall = rate_metric(f"recall@{k}", len(found), len(case.reference), missed)
    reciprocal = 1.0 / ranks[0] if ranks else 0.0
    mrr_evidence = (
        [] if ranks else [Evidence(kind="passage", text="no relevant passage", detail=got)]
    )
    mrr = MetricResult(
        name=f"mrr@{k}", hits=reciprocal, total=1, passed=bool(ranks), evidence=mrr_evidence
    )
    return [recall, mrr]


def observed_behavior(result: AnswerResult) -> Behavior:
    """abstain: refused, or nothing grounded given (no citation, no tool output)."""
    has_labs = result.labs is not None and not result.labs.empty
    if result.refused or not (result.citations or has_labs):
        return "abstain"
    if result.labs and any(e.code in CLARIFY_CODES for e in result.labs.errors):
        return "clarify"
    return "answer"


def behavior(case: EvalCase, result: AnswerResult) -> list[MetricResult]:
    """Answer, abstain or ask for what is missing; abstention is also reported on its own."""
    seen = observed_behavior(result)
    ok = seen == case.expected_behavior
    evidence = (
        []
        if ok
        else [
            Evidence(
                kind="note",
                text=f"expected {case.expected_behavior}, got {seen}",
                detail=result.answer[:300],
            )
        ]
    )
    scores = [rate_metric("behavior", int(ok), 1, evidence)]
    if case.expected_behavior == "abstain":
        scores.append(rate_metric("abstention", int(ok), 1, evidence))
    return scores


def signature(result: AnswerResult | None, passages: Sequence[Passage]) -> str:
    """What must not change between two runs: every field of the answer (the text as shown,
    its parts, citations, tool output, refusal) and the retrieved ids, one line per field."""
    if result is None:
        return "crashed"
    fields = result.model_dump(mode="json")
    lines = [f"{name}: {json.dumps(value, sort_keys=True)}" for name, value in fields.items()]
    lines.append("retrieved: " + ",".join(p.chunk_id for p in passages))
    return "\n".join(lines)


def _first_difference(first: str, second: str, width: int = 140) -> str:
    """Where two signatures part: the field and the text around the first differing character."""
    for x, y in zip(first.splitlines(), second.splitlines(), strict=False):
        if x != y:
            at = next(
                (i for i, (a, b) in enumerate(zip(x, y, strict=False)) if a != b),
                min(len(x), len(y)),
            )
            field = x.split(":", 1)[0]
            start = max(0, at - width // 3)
            return f"{field}: …{x[start : at + width]!r} != …{y[start : at + width]!r}"
    return "lengths differ"


def determinism(first: str, second: str) -> MetricResult:
    if first == second:
        return rate_metric("determinism", 1, 1, [])
    diff = _first_difference(first, second)
    return rate_metric(
        "determinism", 0, 1, [Evidence(kind="note", text="two runs differ", detail=diff[:400])]
    )
