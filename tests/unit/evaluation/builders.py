"""Hand-built answers, passages and rules for the scorer unit tests (no model, no index)."""

from __future__ import annotations

from pathlib import Path

from labtool.report import Finding, LabError, LabReport, SourceRef

from assistant.evaluation.cases import EvalCase
from assistant.schema import AnswerResult, Citation, DocumentMeta, Passage

NICE_TEXT = (
    "Total B12 below 180 ng/L (133 pmol/L) confirms deficiency; 180 to 350 ng/L "
    "(133 to 258 pmol/L) is indeterminate; above 350 ng/L (258 pmol/L) deficiency is unlikely."
)
MMA_TEXT = "Measure MMA when total B12 is indeterminate; MMA above 271 nmol/L supports deficiency."

RULES_YAML = """
version: 2
analytes:
  b12:
    name: Vitamin B12 (total serum cobalamin)
    aliases: [B12, vitamin B12]
    canonical_unit: ng/L
    units: {ng/L: 1, pg/mL: 1, pmol/L: 1.35537}
    plausible: {above: 0, at_most: 100000}
    near_threshold: {relative: 0.10}
    categories:
      - {id: deficient, label: B12 deficiency confirmed}
      - {id: indeterminate, label: Indeterminate}
      - {id: unlikely, label: B12 deficiency unlikely}
    rules:
      - id: b12-nice
        role: primary
        scales:
          ng/L:
            - {category: deficient, less_than: 180, source: {doc_id: nice, section: B12}}
            - category: indeterminate
              between_inclusive: [180, 350]
              source: {doc_id: nice, section: B12}
            - {category: unlikely, more_than: 350, source: {doc_id: nice, section: B12}}
          pmol/L:
            - {category: deficient, less_than: 133, source: {doc_id: nice, section: B12}}
            - category: indeterminate
              between_inclusive: [133, 258]
              source: {doc_id: nice, section: B12}
            - {category: unlikely, more_than: 258, source: {doc_id: nice, section: B12}}
  mma:
    name: Methylmalonic acid
    aliases: [MMA, methylmalonic acid]
    canonical_unit: nmol/L
    units: {nmol/L: 1, µmol/L: 1000}
    plausible: {above: 0, at_most: 5000000}
    near_threshold: {relative: 0.15}
    categories:
      - {id: elevated, label: Raised}
      - {id: normal, label: Not raised}
    rules:
      - id: mma-seed
        role: primary
        scales:
          nmol/L:
            - {category: normal, at_most: 271, source: {doc_id: mma-doc, section: MMA}}
            - {category: elevated, more_than: 271, source: {doc_id: mma-doc, section: MMA}}
"""


def doc(doc_id: str = "nice", title: str = "NICE NG239 B12 deficiency") -> DocumentMeta:
    return DocumentMeta(
        doc_id=doc_id,
        title=title,
        source_type="Guideline",
        publisher="NICE",
        year=2024,
        review_status="approved",
        last_reviewed="2025-01-01",
    )


def passage(
    doc_id: str = "nice", section: str = "Diagnosis > B12", text: str = NICE_TEXT
) -> Passage:
    return Passage(chunk_id=f"{doc_id}:{section}", doc=doc(doc_id), section=section, text=text)


def citation(n: int, doc_id: str = "nice", text: str = NICE_TEXT, section: str = "B12") -> Citation:
    return Citation(
        n=n,
        doc_id=doc_id,
        title="NICE NG239 B12 deficiency",
        source_type="Guideline",
        year=2024,
        section=section,
        text=text,
        chunk_id=f"{doc_id}:{section}",
    )


def finding(
    value: float = 240, unit: str = "ng/L", category: str = "indeterminate", analyte: str = "b12"
) -> Finding:
    return Finding(
        analyte=analyte,
        value=value,
        unit=unit,
        canonical_value=value,
        canonical_unit=unit,
        category=category,
        summary=f"{category}: {value:g} {unit}",
        near_threshold=False,
        sources=[SourceRef(doc_id="nice", title="NICE", section="B12")],
    )


def labs(*findings: Finding, errors: tuple[LabError, ...] = ()) -> LabReport:
    return LabReport(findings=list(findings), errors=list(errors))


def answer(
    text: str, *citations: Citation, report: LabReport | None = None, **parts: object
) -> AnswerResult:
    """An answer whose direct part is `text` (other parts, e.g. `sections`, `notices`,
    `references`, `disclaimer`, by keyword); `answer` is them all, as shown."""
    fields: dict[str, object] = {"direct": text, **parts}
    result = AnswerResult.model_validate(
        {"answer": "", "citations": list(citations), "labs": report, **fields}
    )
    shown = [*result.notices, result.body, result.references, result.disclaimer]
    return result.model_copy(update={"answer": "\n\n".join(s for s in shown if s.strip())})


def case(**fields: object) -> EvalCase:
    data: dict[str, object] = {
        "id": "c1",
        "question": "What does a B12 of 240 ng/L mean?",
        "provenance": [{"doc_id": "nice", "section": "B12"}],
    }
    if "conversation" in fields:
        del data["question"]
    data.update(fields)
    return EvalCase.model_validate(data)


def write_rules(folder: Path, text: str = RULES_YAML) -> Path:
    path = folder / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path
