"""The lab tool's output in an answer, cited to the corpus section each rule cites.

Every number here comes from the lab tool's own strings (value in both units, thresholds as the
source words them), so the guard traces them to the tool; the citations point at the corpus
sections the rules cite. A message with lab values is answered by the tool first
(`render_lab_answer`: each finding and what follows from them); the details (thresholds used,
notes, disagreeing sources, values not interpreted) close the answer (`render_lab_details`).
"""

from __future__ import annotations

from collections.abc import Sequence

from labtool.report import Finding, SourceRef

from assistant.answer.candidates import CitationRegistry
from assistant.routing.lab_terms import analyte_name
from assistant.schema import LabEvidence, Passage

LAB_HEADING = "### Lab interpretation"
CONCLUSION_LABEL = "**Conclusion:**"
NEAR_THRESHOLD_NOTE = (
    "Close to a cut-off: assay imprecision and between-method bias can move a result across it; "
    "interpret with the clinical picture and consider repeating or confirming the test."
)


def render_lab_block(labs: LabEvidence, registry: CitationRegistry) -> str:
    """Everything the tool said under one heading (language-model answers, refusals)."""
    report = labs.report
    lines = [LAB_HEADING, ""]
    for finding in report.findings:
        sources = labs.passages_for(finding.sources)
        lines.append(f"- {registry.cited(_sentence(finding.summary), *sources)}")
        lines.extend(_finding_details(finding, sources, registry, name=False))
    lines.extend(_conflicts(labs, registry))
    lines.extend(_conclusions(labs, registry))
    lines.extend(_errors(labs))
    return "\n".join(lines)


def render_lab_answer(labs: LabEvidence, registry: CitationRegistry) -> str:
    """The direct answer to lab values: each finding with its source, then the conclusions."""
    lines: list[str] = []
    for finding in labs.report.findings:
        sources = labs.passages_for(finding.sources)
        cited = registry.cited(_sentence(finding.summary), *sources)
        lines.append(f"- {cited} Source: {_source_names(finding.sources, sources)}.")
    lines.extend(_conclusions(labs, registry))
    return "\n".join(lines)


def render_lab_details(labs: LabEvidence, registry: CitationRegistry) -> str:
    """Thresholds used, notes, disagreeing sources and values not interpreted ("" if none)."""
    lines: list[str] = []
    for finding in labs.report.findings:
        sources = labs.passages_for(finding.sources)
        lines.extend(_finding_details(finding, sources, registry, name=True))
    lines.extend(_conflicts(labs, registry))
    lines.extend(_errors(labs))
    return "\n".join([LAB_HEADING, "", *lines]) if lines else ""


def lab_statements(labs: LabEvidence) -> list[str]:
    """What the tool says in prose; corpus sentences restating it need not be shown again."""
    report = labs.report
    return [*(f.summary for f in report.findings), *(c.summary for c in report.conclusions)]


def _finding_details(
    finding: Finding, sources: Sequence[Passage], registry: CitationRegistry, *, name: bool
) -> list[str]:
    lines: list[str] = []
    indent = "" if name else "  "
    if finding.thresholds:
        used = "; ".join(finding.thresholds)
        lead = f"Thresholds used for {analyte_name(finding)}" if name else "Thresholds used"
        lines.append(f"{indent}- {registry.cited(_sentence(f'{lead}: {used}'), *sources)}")
    notes = list(finding.notes)
    said = " ".join([finding.summary, *notes]).lower()
    if finding.near_threshold and not ("near" in said or "threshold" in said):
        notes.append(NEAR_THRESHOLD_NOTE)
    lines.extend(f"  - {_sentence(note)}" for note in notes)
    return lines


def _conflicts(labs: LabEvidence, registry: CitationRegistry) -> list[str]:
    return [
        "- **Where sources differ:** "
        + registry.cited(_sentence(conflict.summary), *labs.passages_for(conflict.sources))
        for conflict in labs.report.conflicts
    ]


def _errors(labs: LabEvidence) -> list[str]:
    return [
        f"- **Not interpreted** ({error.input.strip()}): {_sentence(error.message)}"
        for error in labs.report.errors
    ]


def _conclusions(labs: LabEvidence, registry: CitationRegistry) -> list[str]:
    return [
        f"- {CONCLUSION_LABEL} "
        + registry.cited(_sentence(conclusion.summary), *labs.passages_for(conclusion.sources))
        for conclusion in labs.report.conclusions
    ]


def _source_names(refs: Sequence[SourceRef], passages: Sequence[Passage]) -> str:
    """ "Publisher, “Section”" for each rule source (the reference list gives the full title)."""
    publishers = {(p.doc.doc_id, p.section): p.doc.publisher for p in passages}
    names = [
        f"{publishers.get((ref.doc_id, ref.section)) or ref.title}, “{ref.section}”" for ref in refs
    ]
    return "; ".join(dict.fromkeys(names))


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."
