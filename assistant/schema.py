"""Typed data contract of the assistant: passage -> citation -> answer.

Nothing past the retriever is an untyped dict: every answer part carries its source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from labtool.report import LabReport
from pydantic import BaseModel, ConfigDict, Field, model_validator

SourceType = Literal["Guideline", "Research"]
# What a document is, most authoritative first (docs/pack-format.md).
DocumentKind = Literal[
    "national_guideline",
    "society_guideline",
    "systematic_review",
    "laboratory_handbook",
    "primary_study",
    "secondary_summary",
    "ai_generated_summary",
]
GUIDELINE_KINDS = frozenset({"national_guideline", "society_guideline"})
ReviewStatus = Literal["submitted", "under_review", "approved"]
# Whether the text a reviewer signed off is the text now in the file (assistant/sources/review.py).
ReviewState = Literal["never reviewed", "reviewed", "changed since review"]
Audience = Literal["clinician", "patient"]


class DocumentMeta(BaseModel):
    """Front matter of one corpus document: what a reference card shows.

    A year or publisher the document does not state is None, never guessed.
    """

    model_config = ConfigDict(frozen=True)

    doc_id: str
    title: str
    source_type: SourceType
    kind: DocumentKind | None = None
    publisher: str | None = None
    year: int | None = None
    url: str | None = None
    doi: str | None = None
    review_status: ReviewStatus
    last_reviewed: str = ""  # legacy front-matter date, read but never written; "" when absent
    reviewed_by: str | None = None  # from the `reviewed` record; None when never reviewed
    reviewed_on: str | None = None  # ISO date of that record
    review_state: ReviewState = "never reviewed"  # computed at load time from the body hash
    authors: tuple[str, ...] = ()  # as the document lists them
    subject: str | None = None  # the document's own description of itself

    @model_validator(mode="before")
    @classmethod
    def _type_from_kind(cls, data: Any) -> Any:
        """A document that declares its kind is a guideline when a guideline body wrote it."""
        if isinstance(data, dict) and data.get("kind") and not data.get("source_type"):
            guideline = data["kind"] in GUIDELINE_KINDS
            return {**data, "source_type": "Guideline" if guideline else "Research"}
        return data


class Passage(BaseModel):
    """One retrieved chunk of a corpus document, with everything a citation needs."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    doc: DocumentMeta
    section: str  # heading path, e.g. "Diagnosis > Total B12 thresholds"
    text: str
    patient: str = ""  # the section's patient-language version, same facts and numbers
    score: float = 0.0  # fused relevance; higher is better
    dense_similarity: float | None = None  # cosine similarity, when the dense search saw it


class Citation(BaseModel):
    """A numbered citation as `ask --json` prints it."""

    n: int
    doc_id: str
    title: str
    source_type: SourceType
    year: int | None = None  # None when the document states none
    section: str
    text: str
    chunk_id: str = ""
    publisher: str | None = None  # None when the document states none
    review_status: ReviewStatus = "approved"
    last_reviewed: str = ""
    kind: DocumentKind | None = None
    reviewed_by: str | None = None
    reviewed_on: str | None = None
    review_state: ReviewState = "never reviewed"
    url: str | None = None  # the document's address, when it has one
    doi: str | None = None


class AnswerSection(BaseModel):
    """One titled part of an answer: a heading and its Markdown (bullets with [n] markers)."""

    heading: str
    markdown: str


class AnswerResult(BaseModel):
    """The whole answer: the contract of `assistant ask --json` and `Assistant.ask`.

    `answer` is the answer as shown, in Markdown. The parts it is made of are given apart, so a
    reader (the app, the evaluation) never has to parse it: what the answer claims (`direct`,
    `gaps`, `sections`, `more_detail`, `lab_details`) and the fixed text around it (`notices`,
    `references`, `disclaimer`), which claims nothing.
    """

    answer: str
    direct: str = Field(default="", description="The direct answer, first, with citations")
    gaps: list[str] = Field(
        default_factory=list, description="What the corpus does not say, one sentence each"
    )
    sections: list[AnswerSection] = Field(default_factory=list)
    more_detail: list[AnswerSection] = Field(
        default_factory=list, description="Further sections, shown collapsed"
    )
    lab_details: str = Field(default="", description="The lab tool's thresholds and notes")
    notices: list[str] = Field(default_factory=list, description="Fixed notices, e.g. a fallback")
    references: str = ""
    disclaimer: str = ""
    followups: list[str] = Field(default_factory=list, description="Suggested next questions")
    citations: list[Citation] = Field(default_factory=list)
    labs: LabReport | None = None
    refused: bool = False
    removed: list[str] = Field(default_factory=list)
    backend: str = "extractive"

    @property
    def shown_first(self) -> str:
        """What a reader sees before opening "More detail": the direct answer, the gaps and the
        sections (the answer's length budget counts this)."""
        parts = [
            self.direct,
            *self.gaps,
            *(f"### {s.heading}\n\n{s.markdown}" for s in self.sections),
        ]
        return "\n\n".join(part for part in parts if part.strip())

    @property
    def body(self) -> str:
        """Every claim of the answer (what is scored): no notice, reference or disclaimer."""
        more = (f"### {s.heading}\n\n{s.markdown}" for s in self.more_detail)
        parts = [self.shown_first, *more, self.lab_details]
        return "\n\n".join(part for part in parts if part.strip())


@dataclass(frozen=True)
class Evidence:
    """Retrieved passages, best first, with the topic sub-query (if any) that found each."""

    passages: Sequence[Passage]
    topic_hints: Mapping[str, str] = field(default_factory=dict)  # chunk_id -> topic key
    main_ids: frozenset[str] = frozenset()  # chunk ids the question itself retrieved
    unknown: tuple[str, ...] = ()  # words of the question the corpus never uses, as written


@dataclass(frozen=True)
class LabEvidence:
    """The lab tool's report and the corpus passages its rules cite."""

    report: LabReport
    sources: Mapping[tuple[str, str], Passage] = field(default_factory=dict)  # (doc_id, section)
    earlier: frozenset[str] = frozenset()  # tests whose result only an earlier turn gave

    def passages_for(self, refs: Sequence[object]) -> list[Passage]:
        found: list[Passage] = []
        for ref in refs:
            key = (getattr(ref, "doc_id", ""), getattr(ref, "section", ""))
            passage = self.sources.get(key)
            if passage is not None and passage not in found:
                found.append(passage)
        return found


@dataclass(frozen=True)
class Difference:
    """Sources that state different cut-offs for the same analyte, each in its own words."""

    analyte: str
    statements: Sequence[tuple[str, Passage]]
