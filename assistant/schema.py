"""Typed data contract of the assistant: passage -> citation -> answer.

Nothing past the retriever is an untyped dict: every answer part carries its source.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.report import LabReport

SourceType = Literal["Guideline", "Research"]
ReviewStatus = Literal["submitted", "under_review", "approved"]
Audience = Literal["clinician", "patient"]


class DocumentMeta(BaseModel):
    """Front matter of one corpus document: what a reference card shows."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    title: str
    source_type: SourceType
    publisher: str
    year: int
    url: str | None = None
    doi: str | None = None
    review_status: ReviewStatus
    last_reviewed: str  # ISO date


class Passage(BaseModel):
    """One retrieved chunk of a corpus document, with everything a citation needs."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    doc: DocumentMeta
    section: str  # heading path, e.g. "Diagnosis > Total B12 thresholds"
    text: str
    score: float = 0.0  # fused relevance; higher is better
    dense_similarity: float | None = None  # cosine similarity, when the dense search saw it


class Citation(BaseModel):
    """A numbered citation as `ask --json` prints it."""

    n: int
    doc_id: str
    title: str
    source_type: SourceType
    year: int
    section: str
    text: str
    chunk_id: str = ""
    publisher: str = ""
    review_status: ReviewStatus = "approved"
    last_reviewed: str = ""


class AnswerResult(BaseModel):
    """The whole answer: the contract of `assistant ask --json` and `Assistant.ask`."""

    answer: str
    citations: list[Citation] = Field(default_factory=list)
    labs: LabReport | None = None
    refused: bool = False
    removed: list[str] = Field(default_factory=list)
    backend: str = "extractive"
