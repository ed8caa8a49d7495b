"""Patient mode frames the same cited statements; it adds no number and changes no citation."""

from __future__ import annotations

from assistant.answer.audience import (
    CLINICIAN_DISCLAIMER,
    GLOSSARY_HEADING,
    PATIENT_DISCLAIMER,
    PATIENT_PREFACE,
    disclaimer,
    glossary,
    patient_glossary,
    patient_notices,
)
from assistant.domain.language import DomainLanguage
from assistant.text.sentences import citation_numbers, number_tokens

BODY = (
    "Deficiency is confirmed below 180 ng/L (133 pmol/L) [1]. Consider methylmalonic acid "
    "when the result is indeterminate [2].\n\n- Oral B12 at 1 mg daily; intramuscular for "
    "neurological symptoms [3]."
)


def test_a_clinician_answer_gets_no_patient_framing(b12_language: DomainLanguage) -> None:
    assert patient_notices("clinician") == []
    assert patient_glossary(BODY, "clinician", b12_language) == ""


def test_the_patient_framing_adds_no_number_and_no_citation(b12_language: DomainLanguage) -> None:
    framing = " ".join(
        [*patient_notices("patient"), patient_glossary(BODY, "patient", b12_language)]
    )
    assert number_tokens(framing) == []
    assert citation_numbers(framing) == []


def test_patient_answer_explains_the_terms_it_uses_and_points_to_a_clinician(
    b12_language: DomainLanguage,
) -> None:
    terms = patient_glossary(BODY, "patient", b12_language)
    assert GLOSSARY_HEADING in terms
    assert "Methylmalonic acid (MMA)" in terms
    assert "Intramuscular (IM)" in terms
    assert "Ferritin" not in terms  # only terms the answer uses
    assert patient_notices("patient") == [PATIENT_PREFACE]
    assert "clinician" in PATIENT_PREFACE


def test_glossary_never_contains_a_number(b12_language: DomainLanguage) -> None:
    everything = (
        "vitamin b12 holotc methylmalonic homocysteine anaemia haemoglobin ferritin folate mcv "
        "intramuscular hydroxocobalamin indeterminate pernicious malabsorption neurological "
        "erythropoietin pmol/l"
    )
    assert number_tokens(glossary(everything, b12_language)) == []


def test_disclaimers_differ_by_audience() -> None:
    assert disclaimer("clinician") == CLINICIAN_DISCLAIMER
    assert disclaimer("patient") == PATIENT_DISCLAIMER
    assert "clinician" in PATIENT_DISCLAIMER
    assert "clinical judgement" in CLINICIAN_DISCLAIMER


def test_empty_body_gets_no_glossary(b12_language: DomainLanguage) -> None:
    assert patient_glossary("", "patient", b12_language) == ""
