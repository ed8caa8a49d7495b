"""Numbered citations and the reference list: passage -> Citation -> one reference line."""

from __future__ import annotations

import re

from assistant.schema import Citation, DocumentKind, Passage, ReviewStatus
from assistant.text.sentences import CITATION_MARKER, citation_numbers

# Fixed heading: everything from here on is metadata, not a claim the guard must trace.
REFERENCES_HEADING = "### References"

_STATUS_LABELS: dict[ReviewStatus, str] = {
    "approved": "approved",
    "under_review": "under review",
    "submitted": "submitted",
}
# What a document is, in words (docs/pack-format.md); a document without a kind shows its type.
KIND_LABELS: dict[DocumentKind, str] = {
    "national_guideline": "National guideline",
    "society_guideline": "Society guideline",
    "systematic_review": "Systematic review",
    "laboratory_handbook": "Laboratory handbook",
    "primary_study": "Primary study",
    "secondary_summary": "Secondary summary",
    "ai_generated_summary": "AI-generated summary",
}


def citation_for(n: int, passage: Passage) -> Citation:
    """The numbered citation of one passage, carrying the passage text it points to."""
    doc = passage.doc
    return Citation(
        n=n,
        doc_id=doc.doc_id,
        title=doc.title,
        source_type=doc.source_type,
        year=doc.year,
        section=passage.section,
        text=passage.text,
        chunk_id=passage.chunk_id,
        publisher=doc.publisher,
        review_status=doc.review_status,
        last_reviewed=doc.last_reviewed,
        kind=doc.kind,
        reviewed_by=doc.reviewed_by,
        reviewed_on=doc.reviewed_on,
        review_state=doc.review_state,
        url=doc.url,
        doi=doc.doi,
    )


def kind_label(citation: Citation) -> str:
    """The document's kind in words ("National guideline", "AI-generated summary", ...)."""
    return KIND_LABELS[citation.kind] if citation.kind else citation.source_type


def review_label(citation: Citation) -> str:
    """Corpus status, then the clinical review record: "approved; clinical review by X on
    DATE", "under review; changed since its clinical review", "submitted; no clinical review
    recorded". A document never reviewed shows no date."""
    status = _STATUS_LABELS.get(citation.review_status, citation.review_status)
    if citation.review_state == "reviewed" and citation.reviewed_by and citation.reviewed_on:
        return f"{status}; clinical review by {citation.reviewed_by} on {citation.reviewed_on}"
    if citation.review_state == "changed since review":
        return f"{status}; changed since its clinical review"
    return f"{status}; no clinical review recorded"


def reference_line(citation: Citation) -> str:
    """One entry: number, kind, title, publisher, year, section, review status and state.

    A publisher or year the document does not state is left out of the line.
    """
    year = str(citation.year) if citation.year is not None else ""
    source = ", ".join(part for part in (citation.publisher, year) if part)
    source = f" {source}." if source else ""
    return (
        f"{citation.n}. **{kind_label(citation)}**: {citation.title.rstrip('.')}.{source} "
        f"Section: {citation.section}. Status: {review_label(citation)}."
    )


def render_references(citations: list[Citation]) -> str:
    """The reference list; its numbering is the citation numbering."""
    if not citations:
        return ""
    lines = [REFERENCES_HEADING, ""]
    lines.extend(reference_line(citation) for citation in citations)
    return "\n".join(lines)


def renumber(markdown: str, passages: list[Passage]) -> tuple[str, list[Citation]]:
    """Number citations 1, 2, 3... in order of first appearance; drop passages no longer cited.

    `passages[i]` is the passage behind provisional marker [i + 1]. After the guard removes
    sentences, some passages may be cited nowhere: they leave the reference list too.
    """
    mapping: dict[int, int] = {}
    for old in citation_numbers(markdown):
        if 1 <= old <= len(passages) and old not in mapping:
            mapping[old] = len(mapping) + 1

    def rewrite(match: re.Match[str]) -> str:
        olds = [int(part) for part in re.split(r"\s*[,;]\s*", match.group(1))]
        news = dict.fromkeys(mapping[o] for o in olds if o in mapping)
        return "".join(f"[{n}]" for n in news)

    body = CITATION_MARKER.sub(rewrite, markdown)
    citations = [citation_for(new, passages[old - 1]) for old, new in mapping.items()]
    return body, citations
