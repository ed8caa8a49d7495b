"""Audience adaptation: the same evidence, framed for a clinician or for a patient.

Patient mode never rewrites a cited sentence (numbers and citations stay identical): it adds a
plain-language preface, explains the technical terms the answer uses, and advises discussing the
results with a clinician. Nothing added here may contain a number, so the guard has nothing to
trace in it.
"""

from __future__ import annotations

import re

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

# Plain-language explanations; no numbers, so patient mode adds nothing the guard must trace.
_GLOSSARY: tuple[tuple[str, str, str], ...] = (
    (
        r"vitamin b12|cobalamin|\bb12\b",
        "Vitamin B12 (cobalamin)",
        "a vitamin from food that the body needs to make healthy red blood cells and nerves.",
    ),
    (
        r"holotranscobalamin|holo-?tc|active b12",
        "Active B12 (holotranscobalamin)",
        "the part of the B12 in blood that the body's cells can actually take up.",
    ),
    (
        r"methylmalonic|\bmma\b",
        "Methylmalonic acid (MMA)",
        "a substance that builds up in the blood when the body is short of usable B12.",
    ),
    (
        r"homocysteine",
        "Homocysteine",
        "a substance that builds up in the blood when B12 or folate is lacking.",
    ),
    (
        r"anaemi|anemi",
        "Anaemia",
        "too little haemoglobin in the blood, which can cause tiredness and breathlessness.",
    ),
    (
        r"haemoglobin|hemoglobin|\bhb\b",
        "Haemoglobin",
        "the protein in red blood cells that carries oxygen.",
    ),
    (r"ferritin", "Ferritin", "a blood test that shows how much iron the body has stored."),
    (r"folate|folic", "Folate", "a B vitamin that works with B12 to make red blood cells."),
    (
        r"\bmcv\b|macrocyt",
        "MCV and macrocytosis",
        "the average size of red blood cells; larger cells can point to a lack of B12 or folate.",
    ),
    (
        r"intramuscular|\bim\b|injection",
        "Intramuscular (IM)",
        "given as an injection into a muscle.",
    ),
    (r"hydroxocobalamin", "Hydroxocobalamin", "a form of vitamin B12 given by injection."),
    (
        r"indeterminate",
        "Indeterminate",
        "the result is in a grey zone: it neither confirms nor rules out a deficiency.",
    ),
    (
        r"pernicious",
        "Pernicious anaemia",
        "a condition in which the body cannot absorb B12 from food.",
    ),
    (r"malabsorption", "Malabsorption", "the gut does not take up a nutrient properly."),
    (
        r"neurolog",
        "Neurological",
        "to do with the nerves, for example numbness or pins and needles.",
    ),
    (
        r"erythropoietin|\bepo\b",
        "Erythropoietin (EPO)",
        "a hormone from the kidneys that tells the body to make red blood cells.",
    ),
    (
        r"pmol/l|ng/l|pg/ml|nmol/l|µmol/l|µg/l",
        "Units such as ng/L or pmol/L",
        "two ways laboratories write the same amount; the answer shows both where it can.",
    ),
)


def disclaimer(audience: Audience) -> str:
    return PATIENT_DISCLAIMER if audience == "patient" else CLINICIAN_DISCLAIMER


def glossary(body: str) -> str:
    """Plain-language explanations of the technical terms the body uses."""
    lowered = body.lower()
    entries = [
        f"- **{term}**: {meaning}"
        for pattern, term, meaning in _GLOSSARY
        if re.search(pattern, lowered)
    ]
    return "\n".join([GLOSSARY_HEADING, "", *entries]) if entries else ""


def adapt_body(body: str, audience: Audience) -> str:
    """Frame an answer body for its reader; the cited statements themselves are unchanged."""
    if audience != "patient" or not body.strip():
        return body
    parts = [PATIENT_PREFACE, body]
    terms = glossary(body)
    if terms:
        parts.append(terms)
    return "\n\n".join(parts)
