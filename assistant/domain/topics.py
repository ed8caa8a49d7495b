"""Vocabulary of the domain: content words, answer topics, follow-up expansions.

Shared by the router (is a question broad?), the follow-up resolver (does a message name the
domain?) and the composer (which section does a sentence belong to?). Plain regexes, no models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-zµμ0-9]+(?:[-/][a-zµμ0-9]+)*", re.IGNORECASE)


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one readable block of text."""
    return frozenset(text.split())


STOPWORDS = word_set(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our out over own same she should
    so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your
    please tell explain give me know want need regarding re vs per eg ie etc may might must shall
    yes ok okay thanks thank hi hello"""
)

# British spelling is the corpus's; the clinician may write either.
_NORMALISE = {
    "anemia": "anaemia",
    "anemic": "anaemic",
    "hemoglobin": "haemoglobin",
    "hematological": "haematological",
    "pediatric": "paediatric",
    "vit": "vitamin",
    "b-12": "b12",
    "cobalamine": "cobalamin",
    "cbl": "cobalamin",
    "holo-tc": "holotc",
    "im": "intramuscular",
    "po": "oral",
    "tablets": "oral",
    "tablet": "oral",
    "pills": "oral",
    "injections": "intramuscular",
    "injection": "intramuscular",
    "shots": "intramuscular",
    "kids": "children",
}


_VALUE_WITH_UNIT = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)?(?:\s*(?:ng|pg|pmol|nmol|[uµμ]mol|mmol|mu|iu|u|g|mg|[uµμ]g|mcg|fl|%)"
    r"(?:/(?:l|ml|dl))?(?![\w/]))?",
    re.IGNORECASE,
)


def strip_values(text: str) -> str:
    """The text without measured values and their units ("B12 240 ng/L" -> "B12")."""
    return re.sub(r"\s{2,}", " ", _VALUE_WITH_UNIT.sub(" ", text)).strip()


def normalise(word: str) -> str:
    lowered = word.lower().replace("μ", "µ")
    return _NORMALISE.get(lowered, lowered)


def stem(word: str) -> str:
    """A light stem so "thresholds"/"threshold" and "treating"/"treatment" meet."""
    for suffix in ("ments", "ment", "ings", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    return [normalise(match.group(0)) for match in _WORD.finditer(text)]


def content_words(text: str) -> list[str]:
    """Normalised words without stop words or bare numbers."""
    return [w for w in words(text) if w not in STOPWORDS and not w.replace(".", "").isdigit()]


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


@dataclass(frozen=True)
class Topic:
    key: str
    heading: str
    pattern: re.Pattern[str]
    focus_query: str  # sub-query wording for broad questions


def _rx(body: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


# Layout order of the seed page's sections.
TOPICS: tuple[Topic, ...] = (
    Topic(
        "thresholds",
        "Diagnostic thresholds",
        _rx(
            r"thresholds?|cut-?offs?|levels?|indeterminate|borderline|unlikely|confirmed"
            r"|ng/l|pg/ml|pmol/l|sensitivity|reference (?:range|interval)s?|grey (?:zone|area)"
        ),
        "thresholds deficiency confirmed indeterminate unlikely cut-off",
    ),
    Topic(
        "confirmatory",
        "Confirmatory testing",
        _rx(
            r"methylmalonic(?: acid)?|mma|holo-?tc|holotranscobalamin|active b12|homocysteine"
            r"|confirm(?!ed\b)\w*|second[- ]line|further test\w*|additional test\w*"
            r"|two-step|functional"
        ),
        "confirmatory testing methylmalonic acid MMA indeterminate result",
    ),
    Topic(
        "treatment",
        "Treatment",
        _rx(
            r"treat\w*|therap\w*|oral(?:ly)?|intramuscular(?:ly)?|im|injections?"
            r"|hydroxocobalamin|cyanocobalamin|doses?|dosing|supplement\w*|replacement"
            r"|mg|µg|mcg|loading|daily|malabsorption|duration|indefinitely|lifelong"
        ),
        "treatment oral intramuscular dose duration",
    ),
    Topic(
        "special",
        "Special considerations",
        _rx(
            r"pregnan\w*|breastfeed\w*|ibd|inflammatory bowel|crohn\w*|iron|folate|folic"
            r"|neurolog\w*|black|ethnic\w*|nitrous(?: oxide)?|bariatric|metformin"
            r"|erythropoietin|epo|elderly|older|vegan\w*|vegetarian\w*|child\w*|malignan\w*"
            r"|tumou?rs?|renal|kidney|coexist\w*|macrocyt\w*|mcv|pernicious"
        ),
        "special considerations coexisting iron folate deficiency pregnancy neurological",
    ),
    Topic(
        "monitoring",
        "Monitoring and follow-up",
        _rx(
            r"monitor\w*|review(?:ed|ing)?(?= (?:the|at|after|about|in|of|every))|re-?check\w*"
            r"|re-?test\w*|re-?measur\w*|follow[- ]?up"
            r"|repeat\w*|annual(?:ly)?|maintenance|normali[sz]\w*|response"
        ),
        "monitoring review follow-up after starting treatment",
    ),
)
TOPIC_BY_KEY = {topic.key: topic for topic in TOPICS}

# Words that make a question about the whole subject rather than one part of it.
_BROAD = _rx(
    r"manag\w*|approach|overview|work-?up|everything|summar\w*|guidance|recommended level"
    r"|what should i know|how (?:do|should) (?:i|we|you) (?:handle|approach|manage)"
)

# Which lab test a text is about (keys of the rules file). "Active B12" is holoTC, not total B12:
# in this corpus's vocabulary a bare "B12" is the total serum level.
ANALYTE_PATTERNS: dict[str, re.Pattern[str]] = {
    key: re.compile(pattern, re.IGNORECASE)
    for key, pattern in {
        "b12": r"(?<!active )\b(?:vitamin\s*)?b-?12\b|(?<!holotrans)cobalamin|\bcbl\b",
        "holotc": r"holo-?tc|holotranscobalamin|active b-?12",
        "mma": r"methylmalonic|\bmma\b",
        "folate": r"folate|folic",
        "ferritin": r"ferritin",
        "hb": r"haemoglobin|hemoglobin|\bhb\b|\bhgb\b",
        "mcv": r"\bmcv\b|macrocyt",
        "epo": r"erythropoietin|\bepo\b",
    }.items()
}


def analytes_in(text: str) -> frozenset[str]:
    """The lab tests a text names, as rules-file keys."""
    return frozenset(key for key, rx in ANALYTE_PATTERNS.items() if rx.search(text))


# Terms that name the guideline's subject: a message without any is likely a follow-up.
DOMAIN = _rx(
    r"b12|vitamin|cobalamin|cyanocobalamin|hydroxocobalamin|anaemi\w*|anemi\w*|folate|folic"
    r"|iron|ferritin|methylmalonic|mma|holo-?tc|holotranscobalamin|homocysteine|haemoglobin"
    r"|hemoglobin|hb|hgb|mcv|macrocyt\w*|megaloblast\w*|pernicious|erythropoietin|epo"
    r"|deficien\w*|cbl|neuropath\w*|intrinsic factor"
)

# Short follow-ups name an aspect in everyday words; these point retrieval at the corpus's words.
EXPANSIONS: dict[str, str] = {
    "long": "duration months lifelong indefinitely maintenance continue",
    "duration": "duration months lifelong indefinitely maintenance",
    "often": "review monitoring annually recheck months",
    "frequently": "review monitoring annually recheck",
    "dose": "dose mg µg daily",
    "dosage": "dose mg µg daily",
    "much": "dose mg µg daily",
    "pregnancy": "pregnancy pregnant trimester",
    "pregnant": "pregnancy pregnant trimester",
    "children": "children child years",
    "elderly": "older elderly aged",
    "intramuscular": "intramuscular injection",
    "oral": "oral daily mg",
    "monitor": "monitoring review recheck",
    "monitoring": "monitoring review recheck",
    "test": "testing measure",
    "confirm": "confirm confirmatory methylmalonic MMA",
}


_FOLLOWUP_ONLY = frozenset({"much"})

# On a tie the more specific topic wins: "consider MMA when indeterminate" is confirmatory testing.
_TIE_PRIORITY = ("confirmatory", "monitoring", "special", "treatment", "thresholds")


def topics_of(text: str) -> list[str]:
    """Topic keys whose vocabulary occurs in the text, most hits first.

    Population words ("pregnant", "older") qualify a statement rather than make its point, so
    they weigh half: "review at 3 months, or 1 month if pregnant" is about monitoring.
    """
    scored = [
        (
            len(topic.pattern.findall(text)) * (0.5 if topic.key == "special" else 1.0),
            _TIE_PRIORITY.index(topic.key),
            topic.key,
        )
        for topic in TOPICS
    ]
    return [key for hits, _, key in sorted(scored, key=lambda s: (-s[0], s[1])) if hits]


def is_broad(question: str) -> bool:
    """A question spanning several topics ("recommended level for treating anaemia")."""
    return bool(_BROAD.search(question)) or len(topics_of(question)) >= 2


def names_domain(text: str) -> bool:
    return bool(DOMAIN.search(text))


def expand(text: str, *, followup: bool = True) -> str:
    """The text plus the corpus's words for the everyday aspects it names.

    Some words only name an aspect in a short follow-up: "and how much?" asks for a dose, "how
    much does B12 vary?" does not.
    """
    extra = [
        EXPANSIONS[w]
        for w in content_words(text)
        if w in EXPANSIONS and (followup or w not in _FOLLOWUP_ONLY)
    ]
    return " ".join([text, *extra]) if extra else text
