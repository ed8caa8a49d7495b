"""Candidate statements for an answer, scored by meaning, words and the authority of their source.

Every retrieved passage is split into statements (assistant.sources.statements); each is scored
against the question: the cosine of its vector to the question's (precomputed vectors: a
question costs one embedding), the share of the question's words it contains, and the authority
of its document (national guideline first, an AI-written summary last). Deterministic: the same
evidence and vectors give the same scores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import numpy as np
from labtool.report import Finding
from labtool.rules_model import Analyte

from assistant.answer.applies import applies_to_result
from assistant.domain.language import DomainLanguage
from assistant.schema import Evidence, Passage
from assistant.sources.statements import (
    SOURCE_NOTES_SECTION,
    embedding_text,
    heading_of,
    passage_statements,
    quotable_section,
    statement_id,
)
from assistant.text.sentences import number_values

# How much a source counts, by what it is (docs/pack-format.md, most authoritative first).
AUTHORITY: dict[str, float] = {
    "national_guideline": 1.0,
    "society_guideline": 0.9,
    "systematic_review": 0.8,
    "laboratory_handbook": 0.7,
    "primary_study": 0.6,
    "secondary_summary": 0.45,
    "ai_generated_summary": 0.1,
}
_BY_TYPE = {"Guideline": 0.75, "Research": 0.55}  # documents that do not declare their kind
_REVIEW_PENALTY = {"approved": 0.0, "under_review": 0.02, "submitted": 0.15}
# Among sources of one kind, the more recent counts a little more (a 2024 guideline before a
# 2014 one); never enough to pass a source of a higher kind.
_RECENCY_PER_YEAR = 0.003
_RECENCY_FROM = 2000

# Relevance = meaning (cosine) and words (overlap); both in [0, 1].
_MEANING = 0.65
_WORDS = 0.35
_FROM_THE_QUESTION = 0.03  # passages the question itself retrieved, not a topic sub-query
_APPLIES = 0.2  # a statement whose cut-off the patient's result satisfies
# A source's year after its name ("BSH 2014", "WHO 2020") names the source: it is no figure.
_SOURCE_YEAR = re.compile(r"(?<=[A-Z])\s+(?:19|20)\d\d\b")

Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> unit-length row vectors
Results = tuple[Sequence[Finding], Mapping[str, Analyte]]  # the lab tool's findings, the rules


class Vectors(Protocol):
    """The index's embedding model, as the composer needs it (the searcher provides it)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def question(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Statement:
    """One statement of a retrieved passage, with what the selection needs to know."""

    id: str
    text: str
    shown: str  # as the answer shows it (with its heading when only that names the subject)
    passage: Passage
    rank: int  # the passage's position in the evidence
    order: int  # the statement's position in its passage
    complete: bool  # stands on its own (does not begin by leaning on an unquoted sentence)
    topic: str | None
    subjects: frozenset[str]
    stems: frozenset[str]
    numbers: frozenset[Decimal]
    authority: float
    similarity: float  # cosine to the question
    overlap: float  # share of the question's words it contains
    relevance: float
    vector: tuple[float, ...] = ()
    applies: bool = False  # states a cut-off the patient's result satisfies
    qualifiers: frozenset[str] = frozenset()  # population sections it names ("intensive care")

    @property
    def words(self) -> int:
        return len(self.shown.split())

    @property
    def doc_id(self) -> str:
        return self.passage.doc.doc_id

    def same_point(self, other: Statement) -> bool:
        """The same statement twice: the same figures (or one's figures within the other's:
        "below 133 pmol/L" beside "below 180 ng/L (133 pmol/L)") about the same tests in much
        the same words, the same wording, or (cosine 0.9 or more) the same meaning. Different
        figures are different points (bands, doses) however alike the words."""
        small, large = sorted((self.numbers, other.numbers), key=len)
        if small and not small <= large:
            return False
        jaccard = 0.0
        if self.stems and other.stems:
            jaccard = len(self.stems & other.stems) / len(self.stems | other.stems)
        if jaccard >= 0.8:
            return True
        if small and self.subjects == other.subjects and jaccard >= 0.4:
            return True
        if self.vector and other.vector:
            return float(np.dot(self.vector, other.vector)) >= 0.9
        return self.text == other.text


def authority_of(passage: Passage) -> float:
    doc = passage.doc
    base = AUTHORITY.get(doc.kind or "", _BY_TYPE.get(doc.source_type, 0.5))
    recency = _RECENCY_PER_YEAR * max(0, (doc.year or _RECENCY_FROM) - _RECENCY_FROM)
    return base - _REVIEW_PENALTY.get(doc.review_status, 0.0) + recency


def is_quotable(passage: Passage) -> bool:
    """Sections whose statements may be answers (not summaries, not source notes)."""
    return quotable_section(passage.section)


def score_statements(
    evidence: Evidence,
    focus: str,
    context: str,
    language: DomainLanguage,
    embed: Embed,
    question_vector: np.ndarray,
    results: Results | None = None,
    *,
    plain: bool = False,
) -> list[Statement]:
    """Every statement of the evidence, scored against the question (see the module docstring).

    `plain`: a patient's answer is chosen among the patient-language versions of the sections
    (same facts and numbers, in second person), where a section has one.

    `focus` is this turn's words; `context` the earlier turns' topic and the lab tool's words,
    which count half. `results`: the lab tool's findings and the rules' analytes; a statement
    whose cut-off the result satisfies ("persistently above 1000 pg/mL") is about the result.
    """
    words = language.vocabulary
    qualifier_keys = language.keys_with_role("qualifier")
    focus_stems = words.content_stems(focus)
    context_stems = words.content_stems(context) - focus_stems
    weight = len(focus_stems) + 0.5 * len(context_stems)
    drafts: list[tuple[Passage, int, int, str, bool]] = []
    for rank, passage in enumerate(evidence.passages):
        if passage.section == SOURCE_NOTES_SECTION:
            continue
        statements = passage_statements(
            passage.text, passage.patient, plain=plain, skip=language.is_meta
        )
        for statement in statements:
            drafts.append((passage, rank, statement.order, statement.text, statement.complete))
    if not drafts:
        return []
    # A statement is embedded with its heading: "Total B12 thresholds: ... below 180 ng/L".
    vectors = embed([embedding_text(p.section, text) for p, _, _, text, _ in drafts])
    # One row per way of asking (the whole message, its asking sentence): the closest counts.
    asked = np.atleast_2d(question_vector)
    similarities = (vectors @ asked.T).max(axis=1) if len(vectors) else np.zeros(0)
    found: list[Statement] = []
    for (passage, rank, order, text, complete), vector, cosine in zip(
        drafts, vectors, similarities, strict=True
    ):
        stems = frozenset(words.content_stems(text))
        hits = len(stems & focus_stems) + 0.5 * len(stems & context_stems)
        overlap = hits / weight if weight else 0.0
        topics = language.topics_of(text)
        topic = topics[0] if topics else evidence.topic_hints.get(passage.chunk_id)
        named = language.topics_of(f"{heading_of(passage.section)} {text}")
        qualifiers = frozenset(key for key in named if key in qualifier_keys)
        if language.derived:
            topic = language.section_for_heading(heading_of(passage.section)) or topic
        subjects, shown = _subjects_and_shown(text, passage, language)
        similarity = max(0.0, float(cosine))
        relevance = _MEANING * similarity + _WORDS * min(1.0, overlap)
        applies = applies_to_result(text, subjects, *results) if results is not None else None
        if applies is not None:
            relevance += _APPLIES if applies else -_APPLIES / 2  # another result's cut-off
        if passage.chunk_id in evidence.main_ids:
            relevance += _FROM_THE_QUESTION
        found.append(
            Statement(
                id=statement_id(passage.chunk_id, order, text),
                text=text,
                shown=shown,
                passage=passage,
                rank=rank,
                order=order,
                complete=complete,
                topic=topic,
                subjects=subjects,
                stems=stems,
                numbers=frozenset(number_values(_SOURCE_YEAR.sub("", text))),
                authority=authority_of(passage),
                similarity=similarity,
                overlap=overlap,
                relevance=relevance,
                vector=tuple(float(v) for v in vector),
                applies=bool(applies),
                qualifiers=qualifiers,
            )
        )
    return found


def _subjects_and_shown(
    text: str, passage: Passage, language: DomainLanguage
) -> tuple[frozenset[str], str]:
    """The tests a statement is about, and the statement as shown.

    A figure whose subject lives only in the section heading ("Deficiency is confirmed below
    25 pmol/L" under "Active B12 thresholds") is shown with that heading as its context.
    """
    heading = heading_of(passage.section)
    named, heading_names = language.subjects_of(text), language.subjects_of(heading)
    subjects = named or heading_names
    if not number_values(text) or named or not heading_names:
        return subjects, text
    if text[:1].isupper() and text[1:2].islower():
        text = text[0].lower() + text[1:]  # "Deficiency is..." -> "...: deficiency is..."
    return subjects, f"{heading}: {text}"


def unit(vector: Sequence[float]) -> np.ndarray:
    """A unit-length copy of a vector (cosine by dot product)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = math.sqrt(float(array @ array)) or 1.0
    return array / norm
