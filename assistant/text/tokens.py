"""How clinicians write versus how the guidelines write: tokens, spelling, abbreviations.

Pure text functions shared by the lexical index and the query expansion of the dense search.
Chunks and queries go through the same tokenizer (lower case, British spelling, a light suffix
stemmer, stopwords dropped); queries additionally get their abbreviations and lay phrases
expanded into the words the corpus uses ("IM" -> intramuscular, "laughing gas" -> nitrous oxide).
The tables hold general clinical shorthand, not answers: adding a word never adds a document.
"""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")

_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our out over own same she should
    so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your
    patient patients pt pts someone somebody tell know please anything something get got give
    given whats vs versus e g eg ie
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# American -> British spellings used by the corpus (whole tokens).
SPELLING = {
    "anemia": "anaemia",
    "anemic": "anaemic",
    "anemias": "anaemias",
    "hemoglobin": "haemoglobin",
    "hematology": "haematology",
    "hematologist": "haematologist",
    "hematological": "haematological",
    "hematologic": "haematological",
    "hemolysis": "haemolysis",
    "hemolytic": "haemolytic",
    "hemorrhage": "haemorrhage",
    "hypovolemia": "hypovolaemia",
    "acidemia": "acidaemia",
    "pediatric": "paediatric",
    "esophageal": "oesophageal",
    "fetal": "foetal",
    "estrogen": "oestrogen",
    "edema": "oedema",
    "tumor": "tumour",
    "tumors": "tumours",
    "paresthesia": "paraesthesia",
    "paresthesias": "paraesthesia",
}

# Shorthand -> the words the guidelines spell out (the shorthand itself is kept as well).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "cbl": ("cobalamin",),
    "holotc": ("holotranscobalamin", "active"),
    "htc": ("holotranscobalamin", "active"),
    "mma": ("methylmalonic", "acid"),
    "hcy": ("homocysteine",),
    "thcy": ("homocysteine",),
    "im": ("intramuscular", "injection"),
    "po": ("oral",),
    "pa": ("pernicious", "anaemia"),
    "ifab": ("intrinsic", "factor", "antibody"),
    "mcv": ("mean", "corpuscular", "volume"),
    "fbc": ("full", "blood", "count"),
    "cbc": ("full", "blood", "count"),
    "hb": ("haemoglobin",),
    "hgb": ("haemoglobin",),
    "epo": ("erythropoietin",),
    "esa": ("erythropoiesis", "stimulating", "agent"),
    "ibd": ("inflammatory", "bowel", "disease"),
    "crohn": ("inflammatory", "bowel", "disease"),
    "crohns": ("inflammatory", "bowel", "disease"),
    "colitis": ("inflammatory", "bowel", "disease"),
    "ckd": ("chronic", "kidney", "disease", "renal"),
    "kidney": ("renal",),
    "kidneys": ("renal",),
    "icu": ("intensive", "care", "critically", "ill"),
    "itu": ("intensive", "care", "critically", "ill"),
    "tsat": ("transferrin", "saturation"),
    "crp": ("inflammation",),
    "n2o": ("nitrous", "oxide"),
    "jab": ("intramuscular", "injection"),
    "jabs": ("intramuscular", "injection"),
    "injections": ("intramuscular",),
    "tablet": ("oral",),
    "tablets": ("oral",),
    "pill": ("oral",),
    "pills": ("oral",),
    "pregnant": ("pregnancy",),
    "numb": ("neurological", "neuropathy"),
    "numbness": ("neurological", "neuropathy"),
    "tingling": ("neurological", "neuropathy"),
}
# Multi-word lay or shorthand phrases -> corpus words (matched on the lower-cased question).
PHRASES: dict[str, tuple[str, ...]] = {
    "laughing gas": ("nitrous", "oxide"),
    "pins and needles": ("neurological", "neuropathy"),
    "gastric bypass": ("bariatric", "surgery"),
    "weight loss surgery": ("bariatric", "surgery"),
    "for life": ("lifelong",),
    "active b12": ("holotranscobalamin",),
    "holo tc": ("holotranscobalamin", "active"),
    "raised mcv": ("macrocytosis",),
    "high mcv": ("macrocytosis",),
    "big red cells": ("macrocytosis",),
    "low hb": ("anaemia",),
    "low haemoglobin": ("anaemia",),
    "low ferritin": ("iron", "deficiency"),
}

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


@lru_cache(maxsize=1 << 16)
def normalise(token: str) -> str:
    # Cached: a corpus repeats a few thousand words millions of times (BM25 index build).
    return stem(SPELLING.get(token, token))


def tokenize(text: str) -> list[str]:
    """Index-side tokens: words and numbers, stopwords dropped, spelling and stem normalised."""
    return [normalise(t) for t in WORD.findall(text.lower()) if t not in STOPWORDS]


QueryTerms = list[tuple[str, ...]]  # one group per query word: (word, *expansions)


def query_terms(text: str) -> QueryTerms:
    """Query-side tokens as `tokenize`, each with its expansions; lay phrases become a group."""
    lowered = text.lower()
    groups: dict[str, tuple[str, ...]] = {}
    for phrase, words in PHRASES.items():
        pattern = rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])"
        if re.search(pattern, lowered):
            stems = tuple(normalise(w) for w in words)
            groups.setdefault(stems[0], stems)
            lowered = re.sub(pattern, " ", lowered)  # the phrase stands for its words
    for raw in WORD.findall(lowered):
        if raw in STOPWORDS:
            continue
        word = normalise(raw)
        expansions = (normalise(w) for w in ABBREVIATIONS.get(raw, ()))
        groups.setdefault(word, (word, *dict.fromkeys(e for e in expansions if e != word)))
    return list(groups.values())


def expansion_words(text: str) -> list[str]:
    """The corpus words a question's shorthand and lay phrases stand for (unstemmed)."""
    lowered = text.lower()
    words: list[str] = []
    for phrase, expansion in PHRASES.items():
        if re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", lowered):
            words.extend(expansion)
    for raw in WORD.findall(lowered):
        words.extend(ABBREVIATIONS.get(raw, ()))
        if raw in SPELLING:
            words.append(SPELLING[raw])
    present = set(WORD.findall(lowered))
    return [w for w in dict.fromkeys(words) if w not in present]
