"""What the composer works from: retrieved passages, their sentences, and the citation numbering.

Sentences are the corpus's own, taken whole from passages; each keeps the passage it came from so
it is always cited to the text that holds it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.domain.language import DomainLanguage
from assistant.schema import Evidence, Passage
from assistant.text.sentences import (
    number_tokens,
    number_values,
    split_list_prefix,
    split_sentences,
)

_MIN_WORDS = 5
INTRODUCTION_SECTION = "Introduction"  # the loader's name for text before the first heading
# A document's closing section on where its statements come from: shown in passage cards, never
# quoted as an answer (corpus/README.md).
SOURCE_NOTES_SECTION = "Source notes"

# A sentence that hinges on the one before it ("It is consistent with...", "...is therefore not
# reassuring", "the two boundaries", "this second step"): alone it reads poorly or misleads.
_LEANS_BACK = re.compile(
    r"^(?:it|this|these|they|that|those|such|both|its|their|the two|the same|within it|as with)\b"
    r"|^(?:in|for|on|under|at) (?:this|that|these|those|their|it)\b"
    r"|\b(?:therefore|thus|hence|consequently|accordingly)\b"
    r"|\bthe two\b|\bthe (?:previous|preceding|above|following|next) (?:sections?|sentences?"
    r"|paragraphs?|passages?|tables?|bands?|two|three|ones?)\b"
    r"|\b(?:this|that|these|those|such) (?:first|second|step|figures?|limits?|ranges?|results?"
    r"|cut-?offs?|values?|boundar(?:y|ies)|advice|pair|recommendations?|statements?|points?"
    r"|study|review|summary|guideline|document|situation|setting|groups?|bands?|combination"
    r"|approach|disagreement|variation|pattern|conclusion|indications?|markers?)\b"
    r"|\bthe same (?:figure|value|study|boundary|advice|limit|cut-?off|source)s?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    """One corpus sentence, scored against the question."""

    text: str
    passage: Passage
    rank: int  # the passage's position in the evidence
    order: int  # the sentence's position in its passage
    topic: str | None
    score: float
    stems: frozenset[str]
    subjects: frozenset[str]  # the lab tests it is about: named, else named by its heading
    shown: str  # as the answer shows it (with its heading when that names the subject)

    @property
    def has_number(self) -> bool:
        return bool(number_tokens(self.text))

    @property
    def leans_back(self) -> bool:
        return leans_back(self.text)


class CitationRegistry:
    """Numbers passages in order of first citation, so the answer reads [1], [2], [3]..."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.passages: list[Passage] = []

    def cite(self, passage: Passage) -> int:
        key = passage.chunk_id or f"{passage.doc.doc_id}#{passage.section}"
        if key not in self._numbers:
            self.passages.append(passage)
            self._numbers[key] = len(self.passages)
        return self._numbers[key]

    def marker(self, *passages: Passage) -> str:
        numbers = dict.fromkeys(self.cite(passage) for passage in passages)
        return "".join(f"[{n}]" for n in numbers)

    def cited(self, sentence: str, *passages: Passage) -> str:
        """The sentence with its markers before the closing punctuation: "... 180 ng/L [1]." """
        marker = self.marker(*passages)
        stripped = sentence.rstrip()
        if not marker:
            return stripped
        if stripped.endswith((".", "!", "?")):
            return f"{stripped[:-1]} {marker}{stripped[-1]}"
        return f"{stripped} {marker}"


def passage_sentences(passage: Passage) -> list[str]:
    """Whole sentences of a passage, list items included, without Markdown list prefixes."""
    sentences: list[str] = []
    for unit in _paragraphs(passage.text):
        sentences.extend(split_sentences(unit))
    return [s for s in sentences if len(s.split()) >= _MIN_WORDS and not s.rstrip().endswith(":")]


def leans_back(sentence: str) -> bool:
    """A sentence that depends on the one before it to be understood correctly."""
    return bool(_LEANS_BACK.search(sentence))


def is_quotable_section(section: str) -> bool:
    """Sections whose sentences may be answer statements (not summaries, not source notes)."""
    return section not in (INTRODUCTION_SECTION, SOURCE_NOTES_SECTION)


def heading_of(passage: Passage) -> str:
    """The passage's own heading (the last part of its section path)."""
    return passage.section.rsplit(" > ", 1)[-1]


def _paragraphs(text: str) -> list[str]:
    """Paragraphs and list items, with hard-wrapped lines joined back together."""
    units: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        prefix, content = split_list_prefix(line)
        content = content.strip()
        if not content or content.startswith("#") or prefix.strip():
            if current:
                units.append(" ".join(current))
            current = [content] if content and not content.startswith("#") else []
            continue
        current.append(content)
    if current:
        units.append(" ".join(current))
    return units


def score_candidates(
    evidence: Evidence, focus: str, context: str, language: DomainLanguage
) -> list[Candidate]:
    """Every usable sentence with a relevance score: this turn's words count double."""
    words = language.vocabulary
    focus_stems = words.content_stems(focus)
    context_stems = words.content_stems(context) - focus_stems
    asked_figures = number_values(focus)  # "where does 150 pmol/L come from?"
    candidates: list[Candidate] = []
    for rank, passage in enumerate(evidence.passages):
        if passage.section == SOURCE_NOTES_SECTION:
            continue
        hint = evidence.topic_hints.get(passage.chunk_id)
        intro_penalty = 3.0 if passage.section == INTRODUCTION_SECTION else 0.0
        for order, sentence in enumerate(passage_sentences(passage)):
            if language.is_meta(sentence):
                continue
            stems = frozenset(words.content_stems(sentence))
            overlap = 2.0 * len(stems & focus_stems) + len(stems & context_stems)
            topics = language.topics_of(sentence)
            topic = topics[0] if topics else hint
            if language.derived:
                topic = language.section_for_heading(heading_of(passage)) or topic
            score = overlap / math.sqrt(max(len(stems), 4)) * 3.0
            score += 1.0 / (1 + rank)  # retrieval order still matters
            score += 0.2 if number_tokens(sentence) else 0.0
            score += 2.0 * len(asked_figures & number_values(sentence))
            score -= 0.05 * order  # a passage's opening sentences carry its point
            if hint is not None and topic == hint:
                score += 0.5
            score -= intro_penalty + (0.5 if leans_back(sentence) else 0.0)
            subjects, shown = _subjects_and_shown(sentence, passage, language)
            candidates.append(
                Candidate(sentence, passage, rank, order, topic, score, stems, subjects, shown)
            )
    return candidates


def _subjects_and_shown(
    sentence: str, passage: Passage, language: DomainLanguage
) -> tuple[frozenset[str], str]:
    """The tests a sentence is about, and the sentence as shown.

    A figure whose subject lives only in the section heading ("Deficiency is confirmed below
    25 pmol/L" under "Active B12 thresholds") is shown with that heading as its context.
    """
    heading = heading_of(passage)
    named, heading_names = language.subjects_of(sentence), language.subjects_of(heading)
    subjects = named or heading_names
    if not number_tokens(sentence) or named or not heading_names:
        return subjects, sentence
    text = sentence
    if text[:1].isupper() and text[1:2].islower():
        text = text[0].lower() + text[1:]  # "Deficiency is..." -> "...: deficiency is..."
    return subjects, f"{heading}: {text}"


def similar(a: Candidate, b: Candidate, threshold: float = 0.8) -> bool:
    """Near-duplicate sentences (two sources restating one figure the same way)."""
    if not a.stems or not b.stems:
        return a.text == b.text
    return len(a.stems & b.stems) / len(a.stems | b.stems) >= threshold
