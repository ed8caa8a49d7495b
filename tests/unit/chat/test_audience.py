"""Patient mode frames the same cited statements; it adds no number and changes no citation."""

from __future__ import annotations

from assistant.answer.audience import (
    CLINICIAN_DISCLAIMER,
    GLOSSARY_HEADING,
    PATIENT_DISCLAIMER,
    adapt_body,
    disclaimer,
    glossary,
)
from assistant.domain.language import DomainLanguage
from assistant.text.sentences import citation_numbers, number_tokens

BODY = (
    "Deficiency is confirmed below 180 ng/L (133 pmol/L) [1]. Consider methylmalonic acid "
    "when the result is indeterminate [2].\n\n- Oral B12 at 1 mg daily; intramuscular for "
    "neurological symptoms [3]."
)


def test_clinician_body_is_unchanged(b12_language: DomainLanguage) -> None:
    assert adapt_body(BODY, "clinician", b12_language) == BODY


def test_patient_body_keeps_every_statement_number_and_citation(
    b12_language: DomainLanguage,
) -> None:
    adapted = adapt_body(BODY, "patient", b12_language)
    assert BODY in adapted
    assert number_tokens(adapted) == number_tokens(BODY)
    assert citation_numbers(adapted) == citation_numbers(BODY)


def test_patient_body_explains_the_terms_it_uses_and_points_to_a_clinician(
    b12_language: DomainLanguage,
) -> None:
    adapted = adapt_body(BODY, "patient", b12_language)
    assert GLOSSARY_HEADING in adapted
    assert "Methylmalonic acid (MMA)" in adapted
    assert "Intramuscular (IM)" in adapted
    assert "Ferritin" not in adapted  # only terms the answer uses
    assert "clinician" in adapted


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


def test_empty_body_gets_no_patient_framing(b12_language: DomainLanguage) -> None:
    assert adapt_body("", "patient", b12_language) == ""
