"""Is a question about what the corpus covers? The in-scope decision behind every refusal.

Retrieval always finds the nearest passages, so "the search returned something" says little:
"Which statin dose lowers LDL?" retrieves B12 dose passages. A question is in scope when

1. it names a subject of the corpus (a test of the rules file or one of its aliases, a condition
   such as anaemia or macrocytosis, a B12 treatment: `SUBJECTS`), or
2. it names none, but its subject words are mostly words the corpus itself uses (a question
   whose main subject the corpus never mentions, such as TSH or vitamin D, is about something
   else) and the retrieved passages contain more than half of them (after shorthand, lay
   phrases and typos are mapped to the corpus's words).

The retriever has already applied its floor (dense cosine or lexical coverage). A stricter
cosine floor does not separate the two kinds: measured on the bundled model, lay in-scope
questions ("laughing gas user with numb feet, which test?") score 0.36 to 0.46, about as much
as "vitamin B6 dose for nausea in pregnancy" (0.52), so the decision rests on the words.

Follow-ups are judged on this turn's words: their carried-over topic makes almost anything
retrieve B12 passages. Pure functions over text and passages; the corpus vocabulary is passed in.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.domain.language import DomainLanguage
from assistant.question.followup import ResolvedQuestion
from assistant.schema import Passage
from assistant.text.tokens import Vocabulary, correct_slip, stem, word_set

# "vitamin D", "vitamin B6": a substance named by a word and a code is one subject, and another
# field's unless the pack names it.
# A name written as a code: letters with digits ("B12", "HbA1c") or capitals ("TSH", "MMA").
_CODE = re.compile(r"\b(?:[A-Za-z]+\d+[A-Za-z0-9]*|[A-Z]{2,}[a-z]?)\b")
_COMPOUND = re.compile(r"\bvitamins?\s*-?\s*(?:[a-z]\d*|b\s*-?\s*\d+)\b(?!-)", re.IGNORECASE)

# Words that say what kind of answer is wanted, not what it is about.
_ANSWER_KIND = word_set(
    """about best cause causes caused common happen mean means normal patient patients people
    person use used recommended recommend recommendation right correct appropriate optimal
    ideal good guideline guidelines guidance current first line first-line range ranges target
    targets level levels value values lower lowers raise raises high low much many most often
    take taking daily day per amount safe should when which what how options option adult
    adults feel feeling could can get need time regimen regimens schedule schedules protocol
    protocols plan plans trigger triggers"""
)
_TOKEN = re.compile(r"[\w-]+")
_MIN_COVERAGE = 0.5
_FAMILY = 6  # letters two forms of one word share at least ("deficient", "deficiency")
_MIN_NAME_LENGTH = 6  # a foreign word this long names something ("omeprazole"), "feet" does not


@dataclass(frozen=True)
class ScopeReading:
    """What a question is about, in the corpus's terms."""

    names_subject: bool  # names a test, condition or treatment of the corpus
    subject_terms: tuple[tuple[str, ...], ...]  # per subject word: its tokens and expansions
    foreign: tuple[str, ...]  # subject words (or other vitamins) the corpus never uses
    foreign_names: tuple[str, ...] = ()  # of those, names written as codes ("TSH", "B12")

    @property
    def mainly_foreign(self) -> bool:
        """Is the question's main subject something the corpus never mentions?

        A test or drug written as a code that the corpus never uses names the subject on its
        own ("What B12 level confirms deficiency?" to a diabetes corpus).
        """
        if self.foreign_names:
            return True
        return bool(self.foreign) and 2 * len(self.foreign) >= len(self.subject_terms)


class CorpusVocabulary:
    """Every token the corpus uses, as the lexical index normalises it; typos forgiven."""

    def __init__(
        self,
        texts: Iterable[str],
        vocabulary: Vocabulary,
        everyday: frozenset[str] = frozenset(),
        *,
        counts: Counter[str] | None = None,
    ) -> None:
        """`counts`: the texts' tokens counted before (the index's files keep them)."""
        # Everyday English words ("sending", "memory"): never named as a gap in the corpus.
        self.everyday = everyday
        if counts is None:
            counts = Counter(token for text in texts for token in vocabulary.tokenize(text))
        self.counts = counts
        self.tokens = frozenset(self.counts)
        self._prefixes = frozenset(
            token[:length] for token in self.tokens for length in range(_FAMILY, len(token) + 1)
        )

    def knows(self, terms: Sequence[str]) -> bool:
        """A term the corpus uses, or another form of a word it uses ("deficient" beside
        "deficiency": all but the last three letters, and at least six, in common)."""
        return any(
            term in self.tokens
            or (len(term) > _FAMILY and term[: max(_FAMILY, len(term) - 3)] in self._prefixes)
            for term in terms
        )

    def spellings(self, terms: Sequence[str]) -> tuple[str, ...]:
        """The terms plus the corpus word an unknown one is a slip for ("methymalonic")."""
        fixed = correct_slip(terms[0], self.tokens, lambda word: -self.counts[word])
        return tuple(terms) if fixed == terms[0] else (*terms, fixed)


def read_scope(
    question: str, vocabulary: CorpusVocabulary, language: DomainLanguage
) -> ScopeReading:
    """The question's subject words and those of them the corpus never uses."""
    compounds = list(dict.fromkeys(m.group(0).lower() for m in _COMPOUND.finditer(question)))
    other_substances = [c for c in compounds if not language.names_subject(c)]
    rest = _COMPOUND.sub(
        lambda m: " " if m.group(0).lower() in other_substances else m.group(0), question
    )
    # Answer-kind words go; stop words stay so lay phrases ("pins and needles") still match.
    subject_text = _TOKEN.sub(
        lambda m: " " if _answer_kind(m.group(0), language) else m.group(0), rest
    )
    words = language.vocabulary
    groups = [
        (*vocabulary.spellings(group), *words.tokenize(language.expand(group[0])))
        for group in words.query_terms(subject_text)
        if not group[0].replace(".", "").isdigit()
    ]
    foreign = [*other_substances, *(g[0] for g in groups if not vocabulary.knows(g))]
    codes = {words.normalise(m.group(0).lower()) for m in _CODE.finditer(subject_text)}
    return ScopeReading(
        names_subject=language.names_subject(_COMPOUND.sub(" ", question))
        or any(language.names_subject(c) for c in compounds if c not in other_substances),
        subject_terms=(*((v,) for v in other_substances), *groups),
        foreign=tuple(foreign),
        foreign_names=tuple(term for term in foreign if term in codes),
    )


def unknown_words(
    question: str,
    reading: ScopeReading,
    language: DomainLanguage,
    everyday: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """The question's words behind its foreign subject terms, as written ("omeprazole"), but
    not `everyday` words ("sending"): a gap names what the corpus lacks, not how it is asked."""
    foreign = set(reading.foreign)
    written = []
    for match in _TOKEN.finditer(question):
        word = match.group(0)
        if not _names_something(word):
            continue  # short everyday words ("feet", "I'm") are not what a question is about
        if word.lower() in everyday and not _CODE.fullmatch(word):
            continue
        if word.lower() in foreign or language.vocabulary.normalise(word.lower()) in foreign:
            written.append(word)
    return tuple(dict.fromkeys(written))


def _names_something(word: str) -> bool:
    """A drug, test or condition name rather than an everyday word: long, or written as a code."""
    return len(word) >= _MIN_NAME_LENGTH or bool(_CODE.fullmatch(word))


def in_scope(
    resolved: ResolvedQuestion,
    passages: Sequence[Passage],
    vocabulary: CorpusVocabulary,
    language: DomainLanguage,
    reading: ScopeReading | None = None,
) -> bool:
    """Does the corpus cover what this turn asks (see the module docstring)?"""
    reading = reading or read_scope(resolved.question, vocabulary, language)
    if reading.names_subject:
        return True
    if reading.mainly_foreign or not passages:
        return False
    if not reading.subject_terms:  # "and for how long?": only the kind of answer is asked
        return True
    return _coverage(reading.subject_terms, passages, language.vocabulary) > _MIN_COVERAGE


def _answer_kind(word: str, language: DomainLanguage) -> bool:
    """A word about the kind of answer wanted (or an aspect such as "dose"), not its subject."""
    lowered = language.vocabulary.spelled(word.lower())
    return (
        lowered in _ANSWER_KIND
        or stem(lowered) in _ANSWER_KIND
        or language.is_section_word(lowered)
    )


def _coverage(
    subject_terms: Sequence[Sequence[str]], passages: Sequence[Passage], words: Vocabulary
) -> float:
    """Share of the subject words the passages contain ("how long" is found as "lifelong")."""
    found = {token for p in passages for token in words.tokenize(f"{p.section} {p.text}")}

    def has(term: str) -> bool:
        # A long term inside a compound counts ("neuropathy" in "myeloneuropathy").
        return term in found or (len(term) >= _FAMILY and any(term in t for t in found))

    hits = sum(1 for terms in subject_terms if any(has(term) for term in terms))
    return hits / len(subject_terms)
