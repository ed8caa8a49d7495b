"""Lab results for a patient: each result in the plain words of the section its rule cites.

The rule's cited section carries a patient-language version ("A result from 180 ng/L to
350 ng/L ... is unclear and may need another test."); the sentence of it whose range holds the
patient's result says what the result means, with the same numbers and the same citation as the
clinician's answer. Where a section has no patient version, the lab tool's own sentence stays.
"""

from __future__ import annotations

from collections.abc import Mapping

from labtool.report import Finding
from labtool.rules_model import Analyte

from assistant.answer.applies import applies_to_result
from assistant.answer.citations import CitationRegistry
from assistant.schema import LabEvidence, Passage
from assistant.sources.statements import sentences_of

PATIENT_ADVICE = "Talk to your clinician about what your results mean for you."


def render_patient_lab_answer(
    labs: LabEvidence, registry: CitationRegistry, analytes: Mapping[str, Analyte]
) -> str:
    """Each result with what it means in plain words, then what follows, then the advice."""
    lines: list[str] = []
    for finding in labs.report.findings:
        sources = labs.passages_for(finding.sources)
        meaning = _meaning(finding, sources, analytes)
        said = f"Your {_name(finding)} result: {_figure(finding.value)} {finding.unit}."
        lines.append(f"- {registry.cited(f'{said} {meaning}', *sources)}")
    shown: set[str] = set()
    for conclusion in labs.report.conclusions:
        sources = labs.passages_for(conclusion.sources)
        plain = " ".join(p.patient for p in sources if p.patient) or conclusion.summary
        if plain not in shown:
            shown.add(plain)
            lines.append(f"- {registry.cited(plain, *sources)}")
    if lines:
        lines.append(PATIENT_ADVICE)
    return "\n".join(lines)


def _meaning(finding: Finding, sources: list[Passage], analytes: Mapping[str, Analyte]) -> str:
    for passage in sources:
        for sentence in sentences_of(passage.patient):
            subjects = frozenset({finding.analyte})
            if applies_to_result(sentence, subjects, [finding], analytes):
                return sentence
    label = finding.category_label or finding.category
    return f"{label}."


def _name(finding: Finding) -> str:
    """The test's name without its qualifier: "Vitamin B12 (total serum cobalamin)" reads
    "vitamin B12"."""
    name = (finding.analyte_name or finding.analyte).split(" (", 1)[0]
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _figure(value: float) -> str:
    return f"{value:g}"
