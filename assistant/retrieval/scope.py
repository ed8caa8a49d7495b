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

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.domain.topics import TOPICS, expand, normalise, stem, word_set
from assistant.question.followup import ResolvedQuestion
from assistant.schema import Passage
from assistant.text.tokens import query_terms, tokenize

# Another vitamin than B12 ("vitamin D", "vitamin C", "vitamin B6") is another subject.
_OTHER_VITAMIN = re.compile(
    r"\bvitamins?\s*-?\s*(?:[ac-z]\d*|b\s*-?\s*(?!12\b)\d+)\b(?!-)", re.IGNORECASE
)

# What the corpus is about: the rules file's tests and their aliases, the conditions and the
# treatments it covers. "Vitamin" and "deficiency" alone are not here: vitamin D deficiency is
# another subject.
SUBJECTS = re.compile(
    r"(?<![\w-])(?:b-?12|cobalamins?|cyanocobalamin|hydroxocobalamin|cbl|holo-?tc"
    r"|holotranscobalamin|methylmalonic|mma|homocyste?ine|folate|folic|ferritin|iron"
    r"|haemoglobin|hemoglobin|hb|hgb|mcv|erythropoietin|epo|anaemi\w*|anemi\w*|macrocyt\w*"
    r"|megaloblast\w*|pernicious|neuropath\w*|intrinsic factor|transferrin|tsat)(?![\w-])"
    r"|(?<!holotrans)cobalamin",
    re.IGNORECASE,
)

# Words that say what kind of answer is wanted, not what it is about.
_ANSWER_KIND = word_set(
    """about best cause causes caused common happen mean means normal patient patients people
    person use used recommended recommend recommendation right correct appropriate optimal
    ideal good guideline guidelines guidance current first line first-line range ranges target
    targets level levels value values lower lowers raise raises high low much many most often
    take taking daily day per amount safe should when which what how options option adult
    adults feel feeling could can get need time"""
)
_TOKEN = re.compile(r"[\w-]+")
_MIN_TYPO_LENGTH = 6  # shorter words are too often other real words one slip away
_MIN_COVERAGE = 0.5  # the retrieved passages must contain more than this share of subject words


@dataclass(frozen=True)
class ScopeReading:
    """What a question is about, in the corpus's terms."""

    names_subject: bool  # names a test, condition or treatment of the corpus
    subject_terms: tuple[tuple[str, ...], ...]  # per subject word: its tokens and expansions
    foreign: tuple[str, ...]  # subject words (or other vitamins) the corpus never uses

    @property
    def mainly_foreign(self) -> bool:
        """Is the question's main subject something the corpus never mentions?"""
        return bool(self.foreign) and 2 * len(self.foreign) >= len(self.subject_terms)


class CorpusVocabulary:
    """Every token the corpus uses, as the lexical index normalises it; typos forgiven."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.tokens = frozenset(token for text in texts for token in tokenize(text))
        self._long = sorted(t for t in self.tokens if len(t) >= _MIN_TYPO_LENGTH - 1)

    def knows(self, terms: Sequence[str]) -> bool:
        return any(term in self.tokens for term in terms)

    def spellings(self, terms: Sequence[str]) -> tuple[str, ...]:
        """The terms plus the corpus word an unknown one is a slip for ("methymalonic")."""
        word = terms[0]
        if word in self.tokens or len(word) < _MIN_TYPO_LENGTH or not word.isalpha():
            return tuple(terms)
        return (*terms, *difflib.get_close_matches(word, self._long, n=1, cutoff=0.85))


def names_subject(text: str) -> bool:
    return bool(SUBJECTS.search(_OTHER_VITAMIN.sub(" ", text)))


def read_scope(question: str, vocabulary: CorpusVocabulary) -> ScopeReading:
    """The question's subject words and those of them the corpus never uses."""
    found = (m.group(0).lower() for m in _OTHER_VITAMIN.finditer(question))
    other_vitamins = list(dict.fromkeys(found))
    rest = _OTHER_VITAMIN.sub(" ", question)
    # Answer-kind words go; stop words stay so lay phrases ("pins and needles") still match.
    subject_text = _TOKEN.sub(lambda m: " " if _answer_kind(m.group(0)) else m.group(0), rest)
    groups = [
        (*vocabulary.spellings(group), *tokenize(expand(group[0])))
        for group in query_terms(subject_text)
        if not group[0].replace(".", "").isdigit()
    ]
    foreign = [*other_vitamins, *(g[0] for g in groups if not vocabulary.knows(g))]
    return ScopeReading(
        names_subject=names_subject(question),
        subject_terms=(*((v,) for v in other_vitamins), *groups),
        foreign=tuple(foreign),
    )


def in_scope(
    resolved: ResolvedQuestion, passages: Sequence[Passage], vocabulary: CorpusVocabulary
) -> bool:
    """Does the corpus cover what this turn asks (see the module docstring)?"""
    reading = read_scope(resolved.question, vocabulary)
    if reading.names_subject:
        return True
    if reading.mainly_foreign or not passages:
        return False
    if not reading.subject_terms:  # "and for how long?": only the kind of answer is asked
        return True
    return _coverage(reading.subject_terms, passages) > _MIN_COVERAGE


def _answer_kind(word: str) -> bool:
    """A word about the kind of answer wanted (or an aspect such as "dose"), not its subject."""
    lowered = normalise(word)
    return (
        lowered in _ANSWER_KIND
        or stem(lowered) in _ANSWER_KIND
        or any(topic.pattern.fullmatch(lowered) for topic in TOPICS)
    )


def _coverage(subject_terms: Sequence[Sequence[str]], passages: Sequence[Passage]) -> float:
    """Share of the subject words the passages contain ("how long" is found as "lifelong")."""
    found = {token for p in passages for token in tokenize(f"{p.section} {p.text}")}
    hits = sum(1 for terms in subject_terms if any(term in found for term in terms))
    return hits / len(subject_terms)
