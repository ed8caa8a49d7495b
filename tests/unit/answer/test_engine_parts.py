"""Parts of the answer engine: statements, the asking sentence, restated cut-offs and lab results
in a patient's words."""

from __future__ import annotations

import pytest
from labtool.report import Finding, LabReport, SourceRef
from labtool.rules_model import Analyte

from assistant.answer.applies import restates_rules
from assistant.answer.citations import CitationRegistry
from assistant.answer.lab_patient import PATIENT_ADVICE, render_patient_lab_answer
from assistant.question.aspect import asking_sentence
from assistant.schema import DocumentMeta, LabEvidence, Passage
from assistant.sources.statements import passage_statements, statements_of

_SOURCE = {"doc_id": "d", "section": "S"}
B12 = Analyte.model_validate(
    {
        "name": "Vitamin B12 (total serum cobalamin)",
        "aliases": ["B12"],
        "canonical_unit": "ng/L",
        "units": {"ng/L": 1, "pmol/L": "1.355"},
        "near_threshold": {"relative": "0.1"},
        "categories": [{"id": "low", "label": "Low"}, {"id": "mid", "label": "Indeterminate"}],
        "rules": [
            {
                "id": "b12-test",
                "role": "primary",
                "scales": {
                    "ng/L": [
                        {"category": "low", "less_than": 180, "source": _SOURCE},
                        {"category": "mid", "between_inclusive": [180, 350], "source": _SOURCE},
                    ]
                },
            }
        ],
    }
)


def _finding(value: float) -> Finding:
    return Finding(
        analyte="b12",
        value=value,
        unit="ng/L",
        canonical_value=value,
        canonical_unit="ng/L",
        category="mid",
        summary=f"Vitamin B12 {value:g} ng/L: Indeterminate",
        near_threshold=False,
        sources=[SourceRef(doc_id="d", title="T", section="S")],
        analyte_name="Vitamin B12 (total serum cobalamin)",
        category_label="Indeterminate",
    )


def _passage(text: str, patient: str = "", section: str = "S") -> Passage:
    doc = DocumentMeta(doc_id="d", title="T", source_type="Guideline", review_status="approved")
    return Passage(chunk_id=f"d:{section}", doc=doc, section=section, text=text, patient=patient)


def test_a_question_sentence_travels_with_its_answer() -> None:
    text = "Did you have weight-loss surgery at any time? Then you need B12 tablets for life."
    assert [s.text for s in statements_of(text)] == [text]


def test_a_patient_statement_is_the_whole_patient_version() -> None:
    (statement,) = passage_statements(
        "Clinician text here today.", "You may  need tests.", plain=True
    )
    assert statement.text == "You may need tests."
    assert passage_statements("Clinician text is long enough.", "", plain=True)[0].order == 0


@pytest.mark.parametrize(
    ("message", "asking"),
    [
        ("Started IM B12 3 months ago. Any point rechecking?", "Any point rechecking?"),
        ("Any point rechecking the level?", None),
        ("Started IM B12 3 months ago. Rechecking now.", None),
    ],
)  # fmt: skip
def test_the_asking_sentence_after_a_situation(message: str, asking: str | None) -> None:
    assert asking_sentence(message) == asking


def test_a_statement_of_the_rules_own_cut_offs_restates_the_finding() -> None:
    findings = [_finding(240)]
    band = "A result from 180 ng/L to 350 ng/L (133 pmol/L to 258 pmol/L) is indeterminate."
    assert restates_rules(band, frozenset({"b12"}), findings, {"b12": B12})
    other = "A B12 persistently above 1000 ng/L is associated with other conditions."
    assert not restates_rules(other, frozenset({"b12"}), findings, {"b12": B12})
    assert not restates_rules("No figure here at all.", frozenset({"b12"}), findings, {"b12": B12})


def test_a_patient_reads_the_sentence_whose_range_holds_the_result() -> None:
    plain = (
        "A B12 below 180 ng/L means you are short of vitamin B12. "
        "A result from 180 ng/L to 350 ng/L is unclear and may need another test."
    )
    passage = _passage("Clinician wording of the bands here.", patient=plain)
    labs = LabEvidence(LabReport(findings=[_finding(240)]), {("d", "S"): passage})
    text = render_patient_lab_answer(labs, CitationRegistry(), {"b12": B12})
    first = text.splitlines()[0]
    assert first.startswith("- Your vitamin B12 result: 240 ng/L.")
    assert "is unclear and may need another test [1]." in first
    assert "short of vitamin B12" not in first
    assert text.endswith(PATIENT_ADVICE)
