"""Suggested follow-ups come from the evidence the answer did not show, then the pack."""

from __future__ import annotations

from assistant.answer.followups import suggest_followups
from assistant.domain.language import DomainLanguage
from assistant.domain.model import AppTexts, Domain, Section
from assistant.schema import DocumentMeta, Evidence, Passage


def _language() -> DomainLanguage:
    return DomainLanguage(
        Domain(
            sections=[
                Section(key="dose", heading="Dosing", terms=["dose"], followup="Which dose?"),
                Section(key="tests", heading="Testing", terms=["test"], followup="Which test?"),
                Section(key="quiet", heading="Quiet", terms=["quiet"]),
            ],
            ui=AppTexts(examples=["First example?", "Second example?", "Third example?"]),
        )
    )


def _passage(text: str, score: float) -> Passage:
    doc = DocumentMeta(doc_id="d", title="T", source_type="Guideline", review_status="approved")
    return Passage(chunk_id=text, doc=doc, section="S", text=text, score=score)


def test_unshown_sections_with_evidence_come_first_in_rank_order() -> None:
    evidence = Evidence(passages=[_passage("the test to order", 0.4), _passage("a dose", 0.9)])
    suggested = suggest_followups(evidence, [], ["Q?"], _language())
    assert suggested == ["Which dose?", "Which test?", "First example?"]


def test_a_section_the_answer_showed_is_not_suggested() -> None:
    evidence = Evidence(passages=[_passage("a dose", 0.9), _passage("a quiet test", 0.5)])
    suggested = suggest_followups(evidence, ["Dosing"], ["Q?"], _language())
    assert "Which dose?" not in suggested
    assert suggested[0] == "Which test?"


def test_questions_already_asked_are_not_suggested_again() -> None:
    suggested = suggest_followups(None, [], ["first example", "What now?"], _language())
    assert suggested == ["Second example?", "Third example?"]
