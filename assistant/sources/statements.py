"""Passages into statements: a sentence, the sentences it depends on, and the caveat that
qualifies it.

A statement is the unit an answer quotes. It never loses what makes it true: a sentence that
leans on the one before it ("This cut-off is therefore ...") travels with it, and so does a
caveat right after it ("... should be confirmed before being relied on"). Pure text functions,
the same at ingest and at answer time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.text.sentences import split_list_prefix, split_sentences

MIN_WORDS = 5
INTRODUCTION_SECTION = "Introduction"  # the loader's name for text before the first heading
SOURCE_NOTES_SECTION = "Source notes"  # a document's notes on its sources: never quoted
MAX_STATEMENT_WORDS = 90  # longer chains are cut; the cut-off part never stands alone

# A sentence that hinges on the one before it ("It is consistent with...", "...is therefore not
# reassuring", "the two boundaries", "this second step"): alone it reads poorly or misleads.
_LEANS_BACK = re.compile(
    r"^(?:it|this|these|they|that|those|such|both|its|their|the two|the same|within it|as with"
    r"|then|or|so|and)\b"
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
# A sentence that qualifies the statement before it: shown with it, never without it.
_CAVEAT = re.compile(
    r"^(?:however|but|although|though|yet|unless|except|still|even so|note that|caution|no)\b"
    r"|\b(?:disagrees?|conflicts?) with\b"
    r"|\bshould be (?:confirmed|checked|interpreted)\b|\binterpret(?:ed)? with (?:care|caution)\b"
    r"|\b(?:not|never) (?:diagnostic|reliable|sufficient|enough)(?: on its own| by itself)?\b"
    r"|\bdoes not (?:by itself|on its own|exclude|rule out|confirm|apply)\b"
    r"|\bbefore (?:being|it is) relied on\b|\bonly (?:if|when|in)\b|\bdoes not cover\b",
    re.IGNORECASE,
)


# What a stored statement index depends on in this module: change a rule, rebuild the cache.
SPLITTING_RULES = (_LEANS_BACK.pattern, _CAVEAT.pattern, MIN_WORDS, MAX_STATEMENT_WORDS)


@dataclass(frozen=True)
class StatementText:
    """One statement of a passage, in order."""

    text: str
    order: int  # position among the passage's statements
    complete: bool = True  # False: begins by leaning on text that is not part of it
    caveated: bool = False  # a qualifying sentence is part of it


def leans_back(sentence: str) -> bool:
    """A sentence that depends on the one before it to be understood correctly."""
    return bool(_LEANS_BACK.search(sentence))


def is_caveat(sentence: str) -> bool:
    """A sentence that qualifies the one before it."""
    return bool(_CAVEAT.search(sentence))


def sentences_of(text: str) -> list[str]:
    """Whole sentences of a passage, list items included, without Markdown list prefixes."""
    sentences: list[str] = []
    for unit in _paragraphs(text):
        sentences.extend(split_sentences(unit))
    return [s for s in sentences if len(s.split()) >= MIN_WORDS and not s.rstrip().endswith(":")]


def statements_of(text: str, skip: Callable[[str], bool] | None = None) -> list[StatementText]:
    """The passage's statements: each sentence with those that lean on it or qualify it.

    `skip`: sentences that are not statements at all (notes about the documents); they are
    left out before grouping, so they never travel with a statement.
    """
    groups: list[list[str]] = []
    flags: list[tuple[bool, bool]] = []  # (complete, caveated)
    for sentence in sentences_of(text):
        if skip is not None and skip(sentence):
            continue
        # "Did you have weight-loss surgery? Then you will ...": the answer to a question
        # sentence travels with it.
        asked = bool(groups) and groups[-1][-1].rstrip().endswith("?")
        attaches = leans_back(sentence) or is_caveat(sentence) or asked
        words = sum(len(s.split()) for s in groups[-1]) if groups else 0
        if groups and attaches and words + len(sentence.split()) <= MAX_STATEMENT_WORDS:
            groups[-1].append(sentence)
            complete, caveated = flags[-1]
            flags[-1] = (complete, caveated or is_caveat(sentence))
            continue
        groups.append([sentence])
        flags.append((not leans_back(sentence), False))
    return [
        StatementText(" ".join(group), order, complete, caveated)
        for order, (group, (complete, caveated)) in enumerate(zip(groups, flags, strict=True))
    ]


def quotable_section(section: str) -> bool:
    """Sections whose statements may be answers (not document summaries, not source notes)."""
    return section not in (INTRODUCTION_SECTION, SOURCE_NOTES_SECTION)


def heading_of(section: str) -> str:
    """A section path's own heading (its last part): "Diagnosis > Total B12" → "Total B12"."""
    return section.rsplit(" > ", 1)[-1]


def embedding_text(section: str, text: str) -> str:
    """What is embedded for a statement: its heading first ("Total B12 thresholds: ... below
    180 ng/L"), which names the subject a figure-only sentence leaves out. The same string at
    ingest and at answer time, so a precomputed vector is found by its text."""
    return f"{heading_of(section)}: {text}"


def passage_statements(
    text: str, patient: str, *, plain: bool, skip: Callable[[str], bool] | None = None
) -> list[StatementText]:
    """A passage's statements for a clinician (`plain=False`), or for a patient: the section's
    patient-language version, written as one short whole, quoted whole (when it has one)."""
    if plain and patient.strip():
        return [StatementText(" ".join(patient.split()), 0)]
    return statements_of(text, skip=skip)


def statement_id(chunk_id: str, order: int, text: str) -> str:
    digest = hashlib.sha256(f"{chunk_id}\x1f{order}\x1f{text}".encode())
    return digest.hexdigest()[:24]


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
