"""Citation numbering and the reference list."""

from __future__ import annotations

from assistant.answer.references import (
    REFERENCES_HEADING,
    reference_line,
    render_references,
    renumber,
)
from assistant.schema import DocumentMeta, Passage


def _passage(doc_id: str, section: str, text: str = "Text.") -> Passage:
    meta = DocumentMeta(
        doc_id=doc_id,
        title=f"Title of {doc_id}.",
        source_type="Research",
        publisher="A Journal",
        year=2017,
        review_status="under_review",
        last_reviewed="2026-11-24",
    )
    return Passage(chunk_id=f"{doc_id}-{section}", doc=meta, section=section, text=text)


def test_renumber_follows_first_appearance_and_drops_uncited_passages() -> None:
    passages = [_passage("a", "s1"), _passage("b", "s2"), _passage("c", "s3")]
    body, citations = renumber("First [3]. Second [1][3]. Again [3].", passages)
    assert body == "First [1]. Second [2][1]. Again [1]."
    assert [(c.n, c.doc_id) for c in citations] == [(1, "c"), (2, "a")]


def test_renumber_ignores_markers_beyond_the_passages() -> None:
    body, citations = renumber("Text [5].", [_passage("a", "s1")])
    assert body == "Text ."
    assert citations == []


def test_citation_carries_passage_text_and_document_metadata() -> None:
    _, citations = renumber("X [1].", [_passage("a", "Oral dose", "Oral 1 mg daily.")])
    citation = citations[0]
    assert citation.text == "Oral 1 mg daily."
    assert citation.section == "Oral dose"
    assert citation.publisher == "A Journal"
    assert citation.review_status == "under_review"


def test_reference_line_shows_type_title_publisher_year_and_review_status() -> None:
    _, citations = renumber("X [1].", [_passage("a", "Oral dose")])
    line = reference_line(citations[0])
    assert line == (
        "1. **Research**: Title of a. A Journal, 2017. Section: Oral dose. "
        "Status: under review; no clinical review recorded."  # a legacy date is no review record
    )
    assert render_references(citations).startswith(REFERENCES_HEADING)
    assert render_references([]) == ""
