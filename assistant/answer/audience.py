"""Audience adaptation: the same evidence, framed for a clinician or for a patient.

Patient mode never rewrites a cited sentence (numbers and citations stay identical): it adds a
plain-language preface, explains the technical terms the answer uses, and advises discussing the
results with a clinician. Nothing added here may contain a number, so the guard has nothing to
trace in it.
"""

from __future__ import annotations

from assistant.domain.language import DomainLanguage
from assistant.schema import Audience

CLINICIAN_DISCLAIMER = (
    "**Professional disclaimer.** For educational use by healthcare professionals. This summary "
    "supports, and does not replace, clinical judgement: verify every recommendation against the "
    "primary sources and current local guidance before applying it to patient care."
)
PATIENT_DISCLAIMER = (
    "**Important.** This is general information for education, not medical advice. Please "
    "discuss your results and any treatment with your clinician, who knows your full history."
)
PATIENT_PREFACE = (
    "*This answer summarises what clinical guidelines say. Medical terms are explained at the end. "
    "Please discuss your results with your clinician before making any change to your care.*"
)
GLOSSARY_HEADING = "### What the terms mean"


def disclaimer(audience: Audience) -> str:
    return PATIENT_DISCLAIMER if audience == "patient" else CLINICIAN_DISCLAIMER


def glossary(body: str, language: DomainLanguage) -> str:
    """Plain-language explanations of the technical terms the body uses (from the pack)."""
    entries = [f"- **{entry.term}**: {entry.meaning}" for entry in language.glossary(body)]
    return "\n".join([GLOSSARY_HEADING, "", *entries]) if entries else ""


def patient_notices(audience: Audience) -> list[str]:
    """The fixed preface of a patient answer (none for a clinician)."""
    return [PATIENT_PREFACE] if audience == "patient" else []


def patient_glossary(body: str, audience: Audience, language: DomainLanguage) -> str:
    """The plain-language explanations a patient answer ends with ("" for a clinician)."""
    return glossary(body, language) if audience == "patient" and body.strip() else ""
