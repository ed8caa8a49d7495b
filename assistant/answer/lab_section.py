"""The lab tool's output in an answer, cited to the corpus section each rule cites.

Every number here comes from the lab tool's own strings (value in both units, thresholds as the
source words them), so the guard traces them to the tool; the citations point at the corpus
sections the rules cite. A message with lab values is answered by the tool first
(`render_lab_answer`: each finding and what follows from them); the details (thresholds used,
notes, disagreeing sources, values not interpreted) close the answer (`render_lab_details`).
"""

from __future__ import annotations

from labtool.report import Finding

from assistant.answer.citations import CitationRegistry
from assistant.schema import LabEvidence

LAB_HEADING = "### Lab interpretation"
CONCLUSION_LABEL = "**Conclusion:**"
EARLIER_LABEL = "**Earlier results:**"
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
        lines.extend(f"  - {note}" for note in _notes(finding))
    lines.extend(_conflicts(labs, registry))
    lines.extend(_conclusions(labs, registry))
    lines.extend(_errors(labs))
    return "\n".join(lines)


def render_lab_answer(labs: LabEvidence, registry: CitationRegistry) -> str:
    """The direct answer to lab values: the conclusions, then each finding with its source."""
    # What the results mean together comes first; each result follows.
    lines: list[str] = _conclusions(labs, registry)
    earlier = [f for f in labs.report.findings if f.analyte in labs.earlier]
    for finding in labs.report.findings:
        if finding in earlier:
            continue
        sources = labs.passages_for(finding.sources)
        cited = registry.cited(_sentence(finding.summary), *sources)
        lines.append(f"- {cited}")  # the citation names the source; the reference list has it
    if earlier:
        # Shown in full when they were given; here only what they were, read with the new ones.
        said = "; ".join(_brief(finding) for finding in earlier)
        sources = labs.passages_for([ref for f in earlier for ref in f.sources])
        lines.append(f"- {EARLIER_LABEL} {registry.cited(_sentence(said), *sources)}")
    return "\n".join(lines)


def _brief(finding: Finding) -> str:
    name = finding.analyte_name or finding.analyte
    category = finding.category_label or finding.category
    return f"{name} {_figure(finding.value)} {finding.unit}: {category}"


def _figure(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else str(value)


def render_lab_details(labs: LabEvidence, registry: CitationRegistry) -> str:
    """Notes, disagreeing sources and values not interpreted ("" if none)."""
    findings = labs.report.findings
    notes = [_once(_notes(finding)) for finding in findings]
    shared = [note for note in notes[0] if all(note in n for n in notes)] if notes else []
    # A note on every finding ("Age was not mentioned") once; another under its test's name.
    lines = [f"- {note}" for note in shared]
    for finding, own in zip(findings, notes, strict=True):
        name = finding.analyte_name or finding.analyte
        lines.extend(f"- **{name}:** {note}" for note in own if note not in shared)
    lines.extend(_conflicts(labs, registry))
    lines.extend(_errors(labs))
    return "\n".join([LAB_HEADING, "", *lines]) if lines else ""


def lab_statements(labs: LabEvidence) -> list[str]:
    """What the tool says in prose; corpus sentences restating it need not be shown again."""
    report = labs.report
    return [*(f.summary for f in report.findings), *(c.summary for c in report.conclusions)]


def _notes(finding: Finding) -> list[str]:
    # The band used is in the finding's own line; the other bands would only repeat its figures.
    notes = list(finding.notes)
    said = " ".join([finding.summary, *notes]).lower()
    if finding.near_threshold and not ("near" in said or "threshold" in said):
        notes.append(NEAR_THRESHOLD_NOTE)
    return [_sentence(note) for note in notes]


def _conflicts(labs: LabEvidence, registry: CitationRegistry) -> list[str]:
    return [
        "- **Where sources differ:** "
        + registry.cited(_sentence(conflict.summary), *labs.passages_for(conflict.sources))
        for conflict in labs.report.conflicts
    ]


def _errors(labs: LabEvidence) -> list[str]:
    """Values not interpreted, then text read but not as a result (a quoted cut-off)."""
    return [
        *(
            f"- **Not interpreted** ({error.input.strip()}): {_sentence(error.message)}"
            for error in labs.report.errors
        ),
        *(
            f"- **Not read as a result** ({notice.input.strip()}): {_sentence(notice.message)}"
            for notice in labs.report.notices
        ),
    ]


def _conclusions(labs: LabEvidence, registry: CitationRegistry) -> list[str]:
    return [
        f"- {CONCLUSION_LABEL} "
        + registry.cited(_sentence(conclusion.summary), *labs.passages_for(conclusion.sources))
        for conclusion in labs.report.conclusions
    ]


def _once(lines: list[str]) -> list[str]:
    """Each note once; a note another note extends ("age 45 y." beside "age 45 y, no
    inflammation.") is left out."""
    unique = list(dict.fromkeys(lines))
    return [
        line
        for line in unique
        if not any(other != line and other.startswith(line.rstrip(".")) for other in unique)
    ]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."
