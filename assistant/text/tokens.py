"""The one tokeniser: words, stop words, a light stemmer, and a pack's spellings and shorthand.

Chunks, queries, the scope decision and the composer's scoring all go through `Vocabulary`, so a
word is the same token everywhere: lower case, the pack's preferred spelling ("anemia" ->
"anaemia" in a British corpus), stemmed ("treated", "treating", "treatment" -> "treat"), stop
words dropped. Queries also get the pack's shorthand and lay phrases expanded into the words
the documents use ("IM" -> intramuscular). The tables come from the pack's domain file; the
code itself knows only English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import lru_cache

WORD = re.compile(r"[a-z0-9µ]+(?:\.[0-9]+)?")

_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our out over own same she should
    so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your
    patient patients pt pts someone somebody tell know please anything something get got give
    given whats vs versus e g eg ie explain want need regarding re per etc may might must shall
    yes ok okay thanks thank hi hello
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_STEM_SUFFIXES = (
    ("ations", ""),
    ("ation", ""),
    ("ments", ""),
    ("ment", ""),
    ("ies", "y"),
    ("sses", "ss"),
    ("ing", ""),
    ("ed", ""),
    ("ly", ""),
)

QueryTerms = list[tuple[str, ...]]  # one group per query word: (word, *expansions)


@lru_cache(maxsize=1 << 16)
def stem(token: str) -> str:
    """A light English suffix stemmer: treated/treating/treatment/treats -> treat."""
    if len(token) <= 3 or not token.isalpha():
        return token
    for suffix, replacement in _STEM_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            token = token[: -len(suffix)] + replacement
            break
    else:
        if token.endswith("s") and not token.endswith(("ss", "us", "is")):
            token = token[:-1]
    # measure/measured/measuring all end as "measur"
    return token[:-1] if token.endswith("e") and len(token) > 4 else token


def raw_words(text: str) -> list[str]:
    """Lower-cased words and numbers as written (micro sign unified)."""
    return WORD.findall(text.lower().replace("μ", "µ"))


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one readable block of text."""
    return frozenset(text.split())


def is_number(token: str) -> bool:
    return token.replace(".", "").isdigit()


class Vocabulary:
    """A pack's spellings, abbreviations and lay phrases, applied by one tokeniser."""

    def __init__(
        self,
        spellings: Mapping[str, str] | None = None,
        abbreviations: Mapping[str, Iterable[str]] | None = None,
        phrases: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.spellings = {k.lower(): v.lower() for k, v in (spellings or {}).items()}
        self.abbreviations = {
            k.lower(): tuple(w.lower() for w in v) for k, v in (abbreviations or {}).items()
        }
        self.phrases = {k.lower(): tuple(w.lower() for w in v) for k, v in (phrases or {}).items()}
        self._phrase_patterns = [
            (re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])"), words)
            for phrase, words in self.phrases.items()
        ]
        self._normalised: dict[str, str] = {}

    def spelled(self, token: str) -> str:
        """The pack's spelling of a lower-case word ("anemia" -> "anaemia")."""
        return self.spellings.get(token, token)

    def normalise(self, token: str) -> str:
        """Spelling then stem; cached (an index build repeats a few thousand words)."""
        found = self._normalised.get(token)
        if found is None:
            found = stem(self.spelled(token))
            if len(self._normalised) < 1 << 16:
                self._normalised[token] = found
        return found

    def tokenize(self, text: str) -> list[str]:
        """Index-side tokens: words and numbers, stop words dropped, spelling and stem applied."""
        return [self.normalise(t) for t in raw_words(text) if t not in STOPWORDS]

    def words(self, text: str) -> list[str]:
        """Words in the pack's spelling, unstemmed (for word-list checks)."""
        return [self.spelled(t) for t in raw_words(text)]

    def content_words(self, text: str) -> list[str]:
        """Words without stop words or bare numbers, in the pack's spelling, unstemmed."""
        return [w for w in self.words(text) if w not in STOPWORDS and not is_number(w)]

    def content_stems(self, text: str) -> set[str]:
        """Stems of the content words plus those of the words the pack's shorthand and lay
        phrases stand for ("IM" -> im, intramuscular, injection); numbers left out."""
        stems = {t for t in self.tokenize(text) if not is_number(t)}
        stems.update(self.normalise(word) for word in self.expansion_words(text))
        return stems

    def query_terms(self, text: str) -> QueryTerms:
        """Query-side tokens as `tokenize`, each with its expansions; lay phrases become a group."""
        lowered = text.lower().replace("μ", "µ")
        groups: dict[str, tuple[str, ...]] = {}
        for pattern, words in self._phrase_patterns:
            if pattern.search(lowered):
                stems = tuple(self.normalise(w) for w in words)
                groups.setdefault(stems[0], stems)
                lowered = pattern.sub(" ", lowered)  # the phrase stands for its words
        for raw in WORD.findall(lowered):
            if raw in STOPWORDS:
                continue
            word = self.normalise(raw)
            expansions = (self.normalise(w) for w in self.abbreviations.get(raw, ()))
            groups.setdefault(word, (word, *dict.fromkeys(e for e in expansions if e != word)))
        return list(groups.values())

    def expansion_words(self, text: str) -> list[str]:
        """The document words a question's shorthand and lay phrases stand for (unstemmed)."""
        lowered = text.lower()
        words: list[str] = []
        for pattern, expansion in self._phrase_patterns:
            if pattern.search(lowered):
                words.extend(expansion)
        for raw in WORD.findall(lowered):
            words.extend(self.abbreviations.get(raw, ()))
            if raw in self.spellings:
                words.append(self.spellings[raw])
        present = set(WORD.findall(lowered))
        return [w for w in dict.fromkeys(words) if w not in present]


_MIN_TYPO_LENGTH = 6  # shorter words are too often other real words one slip away
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def correct_slip(token: str, known: Collection[str], rank: Callable[[str], float]) -> str:
    """The known word a token is one typing slip away from ("vitamn" -> vitamin), else itself.

    `rank` orders candidates (lowest first): the likeliest intended word.
    """
    if token in known or len(token) < _MIN_TYPO_LENGTH or not token.isalpha():
        return token
    candidates = [word for word in slips(token) if word in known]
    return min(candidates, key=lambda word: (rank(word), word)) if candidates else token


def slips(word: str) -> set[str]:
    """Words one typing slip away: a missing, wrong or swapped letter, or a doubled one.

    Dropping a letter that is not doubled is left out: it turns real words into other real
    words ("tablet" -> "table") far more often than it fixes a typo.
    """
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    undoubled = {a + b[1:] for a, b in splits if len(b) > 1 and b[0] == b[1]}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return undoubled | transposes | replaces | inserts
