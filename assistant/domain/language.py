"""A pack's domain, compiled for use: which sections a text is about, which tests it names.

Shared by the router (is a question broad?), the follow-up resolver (does a message name the
field?), the scope decision (does it name a subject?) and the composer (which section does a
sentence belong to?). Everything comes from the pack (domain.yaml and the rules file's test
names); plain regular expressions, no models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assistant.domain.model import Domain, GlossaryEntry, Section
from assistant.text.tokens import Vocabulary

_QUALIFIER_WEIGHT = 0.5  # population words qualify a statement rather than make its point


def whole_words(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of the terms (regular expressions) as whole words."""
    ordered = sorted(dict.fromkeys(terms), key=len, reverse=True)
    if not ordered:
        return None
    return re.compile(rf"(?<![\w-])(?:{'|'.join(ordered)})(?![\w-])", re.IGNORECASE)


def name_pattern(name: str) -> str:
    """A test name as a pattern: its words in order, any spaces, hyphens or dots between them."""
    parts = [re.escape(part) for part in re.split(r"[\s.\-]+", name.strip()) if part]
    return r"[\s.\-]*".join(parts)


@dataclass(frozen=True)
class CompiledSection:
    key: str
    heading: str
    pattern: re.Pattern[str] | None
    focus_query: str
    role: str
    tie_rank: int

    def hits(self, text: str) -> int:
        return len(self.pattern.findall(text)) if self.pattern is not None else 0

    def matches_word(self, word: str) -> bool:
        return self.pattern is not None and self.pattern.fullmatch(word) is not None


class DomainLanguage:
    """The compiled domain of one pack; pure functions of text."""

    def __init__(
        self,
        domain: Domain,
        test_names: Mapping[str, Sequence[str]] | None = None,
        *,
        context_words: Iterable[str] = (),
        result_words: Iterable[str] = (),
    ) -> None:
        """From the rules file: `test_names` (analyte key -> its name and aliases), the words
        that describe the patient (`context_words`) and the words of its category labels
        (`result_words`)."""
        self.domain = domain
        self.vocabulary = Vocabulary(domain.spellings, domain.abbreviations, domain.lay_phrases)
        self.sections: tuple[CompiledSection, ...] = tuple(
            _compile_section(section) for section in domain.sections
        )
        self._by_key = {section.key: section for section in self.sections}
        # Without a domain file, a statement belongs to the section its document gives it.
        self.derived = domain.derived
        self._by_heading = {section.heading.lower(): section.key for section in self.sections}
        self._broad = whole_words(domain.broad_terms)
        names = {key: list(values) for key, values in (test_names or {}).items()}
        self.test_keys = tuple(names)
        self.test_names: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in names.items()}
        # One alternation over every test name, longest first, so "active B12" is not "B12".
        self._test_groups: dict[str, str] = {}
        alternatives: list[tuple[str, str]] = []
        for key, values in names.items():
            alternatives.extend((name_pattern(value), key) for value in values)
        for subject in domain.subjects:
            if subject.names_test and subject.analyte is not None:
                alternatives.extend((term, subject.analyte) for term in subject.terms)
        alternatives.sort(key=lambda item: len(item[0]), reverse=True)
        groups = []
        for index, (alternative, key) in enumerate(alternatives):
            self._test_groups[f"t{index}"] = key
            groups.append(f"(?P<t{index}>{alternative})")
        self._tests = (
            re.compile(rf"(?<![\w-])(?:{'|'.join(groups)})(?![\w-])", re.IGNORECASE)
            if groups
            else None
        )
        self._subject_analytes = [
            (subject_rx, subject.analyte)
            for subject in domain.subjects
            if subject.analyte is not None
            and (subject_rx := whole_words(subject.terms)) is not None
        ]
        all_names = [name_pattern(v) for values in names.values() for v in values]
        # Words that may stand beside lab values without asking anything of the documents.
        self.lab_words = frozenset(
            word
            for text in [*(v for values in names.values() for v in values), *context_words]
            for word in self.vocabulary.words(text)
        )
        self.result_words = frozenset(
            word for text in result_words for word in self.vocabulary.words(text)
        )
        subject_terms = [term for subject in domain.subjects for term in subject.terms]
        self._subjects = whole_words([*all_names, *subject_terms])
        self._field = whole_words([*all_names, *subject_terms, *domain.field_words])
        self._meta = (
            re.compile("|".join(f"(?:{p})" for p in domain.meta_patterns), re.IGNORECASE)
            if domain.meta_patterns
            else None
        )
        self._glossary = [
            (entry_rx, entry)
            for entry in domain.glossary
            if (entry_rx := whole_words(entry.terms)) is not None
        ]

    # -- sections -------------------------------------------------------------------------

    def section(self, key: str) -> CompiledSection | None:
        return self._by_key.get(key)

    def heading(self, key: str) -> str:
        section = self._by_key.get(key)
        return section.heading if section is not None else key

    def section_for_heading(self, heading: str) -> str | None:
        """The derived section of a document heading (packs without a domain file)."""
        return self._by_heading.get(heading.lower()) if self.derived else None

    def keys_with_role(self, role: str) -> frozenset[str]:
        return frozenset(s.key for s in self.sections if s.role == role)

    def topics_of(self, text: str) -> list[str]:
        """Section keys whose terms occur in the text, most hits first (ties: lower rank)."""
        scored = [
            (
                section.hits(text) * (_QUALIFIER_WEIGHT if section.role == "qualifier" else 1.0),
                section.tie_rank,
                section.key,
            )
            for section in self.sections
        ]
        return [key for hits, _, key in sorted(scored, key=lambda s: (-s[0], s[1])) if hits]

    def is_section_word(self, word: str) -> bool:
        """A word that names an aspect (a section's term) rather than a subject."""
        return any(section.matches_word(word) for section in self.sections)

    def is_broad(self, question: str) -> bool:
        """A question spanning several sections ("recommended level for treating anaemia")."""
        broad = self._broad is not None and self._broad.search(question) is not None
        return broad or len(self.topics_of(question)) >= 2

    # -- subjects and tests ---------------------------------------------------------------

    def analytes_in(self, text: str) -> frozenset[str]:
        """The lab tests a text names, as rules-file keys."""
        if self._tests is None:
            return frozenset()
        found = set()
        for match in self._tests.finditer(text):
            if match.lastgroup is not None:
                found.add(self._test_groups[match.lastgroup])
        return frozenset(found)

    def subjects_of(self, text: str) -> frozenset[str]:
        """Tests a text is about: those it names, and those its conditions concern."""
        found = set(self.analytes_in(text))
        found.update(key for pattern, key in self._subject_analytes if pattern.search(text))
        return frozenset(found)

    def names_subject(self, text: str) -> bool:
        """Does the text name a subject of the field (a test, condition or treatment)?"""
        return self._subjects is not None and self._subjects.search(text) is not None

    def names_domain(self, text: str) -> bool:
        """Does the text name the field at all (a subject, or a word such as "vitamin")?"""
        return self._field is not None and self._field.search(text) is not None

    # -- words ----------------------------------------------------------------------------

    def expand(self, text: str, *, followup: bool = True) -> str:
        """The text plus the documents' words for the everyday aspects it names.

        Some words only name an aspect in a short follow-up: "and how much?" asks for a dose,
        "how much does B12 vary?" does not.
        """
        expansions = self.domain.followup_expansions
        only = set(self.domain.followup_only)
        words: list[str] = []
        for word in self.vocabulary.content_words(text):
            words.extend((word, *self.vocabulary.abbreviations.get(word, ())))
        extra = [
            expansions[word]
            for word in dict.fromkeys(words)
            if word in expansions and (followup or word not in only)
        ]
        return " ".join([text, *dict.fromkeys(extra)]) if extra else text

    def is_meta(self, sentence: str) -> bool:
        """A sentence about the documents themselves (provenance), not about patients."""
        return self._meta is not None and self._meta.search(sentence) is not None

    def glossary(self, text: str) -> list[GlossaryEntry]:
        """The glossary entries whose terms the text uses, in the domain file's order."""
        return [entry for pattern, entry in self._glossary if pattern.search(text)]


def _compile_section(section: Section) -> CompiledSection:
    return CompiledSection(
        key=section.key,
        heading=section.heading,
        pattern=whole_words(section.terms),
        focus_query=section.focus_query or section.heading,
        role=section.role,
        tie_rank=section.tie_rank,
    )
