"""The lab-interpretation block: the deterministic tool's output, cited to each rule's source.

Every number here comes from the lab tool's own strings (value in both units, thresholds as the
source words them), so the guard traces them to the tool; the citations point at the corpus
sections the rules cite.
"""

from __future__ import annotations

from assistant.evidence import CitationRegistry, LabEvidence

LAB_HEADING = "### Lab interpretation"
NEAR_THRESHOLD_NOTE = (
    "Close to a cut-off: assay imprecision and between-method bias can move a result across it; "
    "interpret with the clinical picture and consider repeating or confirming the test."
)


def render_lab_block(labs: LabEvidence, registry: CitationRegistry) -> str:
    report = labs.report
    lines = [LAB_HEADING, ""]
    for finding in report.findings:
        sources = labs.passages_for(finding.sources)
        lines.append(f"- {registry.cited(_sentence(finding.summary), *sources)}")
        if finding.thresholds:
            used = _sentence(f"Thresholds used: {'; '.join(finding.thresholds)}")
            lines.append(f"  - {registry.cited(used, *sources)}")
        notes = list(finding.notes)
        said = " ".join([finding.summary, *notes]).lower()
        if finding.near_threshold and not ("near" in said or "threshold" in said):
            notes.append(NEAR_THRESHOLD_NOTE)
        lines.extend(f"  - {_sentence(note)}" for note in notes)
    for conflict in report.conflicts:
        cited = registry.cited(_sentence(conflict.summary), *labs.passages_for(conflict.sources))
        lines.append(f"- **Where sources differ:** {cited}")
    for conclusion in report.conclusions:
        cited = registry.cited(
            _sentence(conclusion.summary), *labs.passages_for(conclusion.sources)
        )
        lines.append(f"- **Next step:** {cited}")
    for error in report.errors:
        lines.append(f"- **Not interpreted** ({error.input.strip()}): {_sentence(error.message)}")
    return "\n".join(lines)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."
