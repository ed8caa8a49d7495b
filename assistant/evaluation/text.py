"""Reading an answer the way the scorers need it: claim sentences, numbers, quantities.

The scorers read only the answer's claims, `AnswerResult.body` (direct answer, gaps, sections,
more detail, lab details): the notices, reference list and disclaimer are separate fields of
the answer, so nothing here strips them by matching their text.

Tokenising (sentence ends, citation markers, what counts as a number) is shared with the
composer and guard through `assistant.text.sentences`, so the harness and the guard agree on what
a number is. Deciding whether a number is supported is done here, independently of the guard;
the end-to-end tests check numbers with an oracle of their own (tests/oracles/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from labtool.units import normalize_unit

from assistant.text.sentences import (
    citation_numbers,
    number_tokens,
    number_value,
    split_list_prefix,
    split_sentences,
    strip_citations,
)

_HEADING = re.compile(r"^\s*#{1,6}\s")
# A quantity: a number (not glued to a letter: B12, NG239 are names), then optionally a unit.
_QUANTITY = re.compile(r"(?<![^\W_])(\d{1,3}(?:,\d{3})+(?![\d,.]\d)|\d+(?:[.,]\d+)?)")
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|to|and)\s*")
# Words that make a stated number a cut-off rather than a patient's value.
_COMPARATOR = re.compile(
    r"(?:<|>|≤|≥|=<|>=|<=|below|above|under|over|less than|more than|greater than|at least|"
    r"at most|up to|exceed(?:s|ing)?|lower than|higher than)\s*$",
    re.IGNORECASE,
)
# "<180 ng/L (133 pmol/L)": the bracketed equivalent is a cut-off too.
_EQUIVALENT = re.compile(r"\s*[^\s\d()]*\s*\(\s*(?:or\s+|=\s*|≈\s*)?")
_CUTOFF_WORDS = re.compile(r"cut-?off|threshold|limit|\brange\b|band", re.IGNORECASE)


@dataclass(frozen=True)
class ClaimSentence:
    """A sentence of the answer body with the citations that apply to it."""

    text: str
    cites: tuple[int, ...]
    is_heading: bool = False


@dataclass(frozen=True)
class Quantity:
    value: float
    text: str
    unit: str | None
    is_cutoff: bool  # stated with a comparator, as a range end, or in a cut-off sentence
    start: int = 0  # offset in the sentence without citation markers
    range_upper: bool = False  # the second number of "a to b"

    @property
    def step(self) -> float:
        """One unit of the last written digit (a band "110 to 119 g/L" ends just below 120)."""
        decimals = len(re.split(r"[.,]", self.text, maxsplit=1)[1]) if "." in self.text else 0
        return float(10**-decimals)


def claim_sentences(body: str) -> list[ClaimSentence]:
    """Sentences of an answer body (`AnswerResult.body`, or one part of it). A sentence without
    its own marker takes its line's."""
    found: list[ClaimSentence] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        _, content = split_list_prefix(line)
        if _HEADING.match(line):
            found.append(ClaimSentence(content.strip(), (), is_heading=True))
            continue
        line_cites = citation_numbers(content)
        for sentence in split_sentences(content):
            cites = citation_numbers(sentence) or line_cites
            found.append(ClaimSentence(sentence, tuple(cites)))
    return [s for s in found if s.text]


def number_set(text: str) -> set[Decimal]:
    values = (number_value(token) for token in number_tokens(text))
    return {v for v in values if v is not None}


def stated_numbers(text: str) -> list[tuple[str, Decimal]]:
    """Numbers written in a text, as (token, value); citation markers are not numbers."""
    pairs = ((token, number_value(token)) for token in number_tokens(text))
    return [(token, value) for token, value in pairs if value is not None]


def normalise_unit(unit: str) -> str:
    """One key per unit whatever its spelling (µmol/L, umol/L, mcg/L): the lab tool's own
    unit vocabulary, or the lower-cased spelling for a unit it does not know."""
    return normalize_unit(unit) or "".join(unit.split()).lower()


def same_number(stated: float, reference: float) -> bool:
    return abs(stated - reference) <= 1e-9 * max(1.0, abs(reference))


def rounds_to(token: str, stated: Decimal, reference: Decimal) -> bool:
    """The stated number is the reference rounded to as many decimals as were written."""
    decimals = len(re.split(r"[.,]", token, maxsplit=1)[1]) if re.search(r"\d[.,]\d", token) else 0
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", token):
        decimals = 0
    # Half a unit of the last written digit, either way (no banker's-rounding surprises).
    return abs(stated - reference) <= Decimal(5) * Decimal(10) ** -(decimals + 1)


def quantities(sentence: str, units: list[str]) -> list[Quantity]:
    """Numbers of a sentence with the unit written after them, if it is one of `units`.

    The first number of a range ("180-350 ng/L") takes the unit of the second.
    """
    text = strip_citations(sentence)
    unit_re = re.compile(
        r"\s?(" + "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True)) + r")"
        r"(?![A-Za-z])",
        re.IGNORECASE,
    )
    cutoff_sentence = bool(_CUTOFF_WORDS.search(text))
    matches = list(_QUANTITY.finditer(text))

    def joins_range(gap: str) -> bool:
        """ "to", a dash or "and" between two numbers; the first may carry its unit
        ("7.8 mmol/L to 11.0 mmol/L")."""
        unit = unit_re.match(gap) if units else None
        return bool(_RANGE_JOIN.fullmatch(gap[unit.end() :] if unit else gap))

    found: list[Quantity] = []
    for i, match in enumerate(matches):
        unit_match = unit_re.match(text, match.end()) if units else None
        unit = unit_match.group(1) if unit_match else None
        in_range = False
        if i + 1 < len(matches) and joins_range(text[match.end() : matches[i + 1].start()]):
            in_range = True
            if unit is None:
                next_unit = unit_re.match(text, matches[i + 1].end()) if units else None
                unit = next_unit.group(1) if next_unit else None
        range_upper = i > 0 and joins_range(text[matches[i - 1].end() : match.start()])
        in_range = in_range or range_upper
        value = number_value(match.group(1))
        if value is None:
            continue
        is_cutoff = (
            in_range
            or cutoff_sentence
            or bool(_COMPARATOR.search(text[: match.start()]))
            or bool(
                found
                and found[-1].is_cutoff
                and _EQUIVALENT.fullmatch(text[matches[i - 1].end() : match.start()])
            )
        )
        found.append(
            Quantity(float(value), match.group(1), unit, is_cutoff, match.start(), range_upper)
        )
    return found
