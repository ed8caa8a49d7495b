"""Text primitives shared by the composer and the guard: sentences, citation markers, numbers.

Pure functions over strings. The guard and the evaluation both depend on these agreeing, so the
rules for "what is a number" and "where a sentence ends" live only here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Tokens that end in a full stop without ending a sentence ("vs. 150", "e.g. MMA", "et al. 2001").
_ABBREVIATIONS = frozenset(
    {
        "vs",
        "v",
        "e.g",
        "i.e",
        "eg",
        "ie",
        "etc",
        "al",
        "approx",
        "ca",
        "cf",
        "dr",
        "drs",
        "prof",
        "fig",
        "figs",
        "no",
        "nos",
        "ref",
        "refs",
        "sec",
        "mr",
        "mrs",
        "ms",
        "st",
        "u.s",
        "u.k",
        "incl",
        "resp",
        "max",
        "min",
        "inc",
        "co",
        "jr",
        "sr",
        "vol",
        "p",
        "pp",
    }
)

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+")
_WORD_BEFORE = re.compile(r"(?:^|[\s(])([A-Za-z][A-Za-z.]*)$")

# Citation markers: [1], [1, 2], [1; 3], [1-3] is not accepted (ambiguous with ranges).
CITATION_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")

# A number not glued to a preceding letter or digit: "B12" and "NG239" are names, not numbers.
# Thousands groups first ("1,000"), then plain or decimal numbers ("0.28", decimal comma "0,28").
NUMBER_PATTERN = r"(?<![^\W_])(\d{1,3}(?:,\d{3})+(?![\d,.]\d)|\d+(?:[.,]\d+)?)"  # group 1
_NUMBER = re.compile(NUMBER_PATTERN)
_LIST_PREFIX = re.compile(r"^(\s*(?:[-*+>]\s+|\d+[.)]\s+|#+\s+)*)")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking "vs.", "e.g.", initials or decimals."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end >= len(text):
            break
        if _is_false_boundary(text, match.start(), end):
            continue
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _is_false_boundary(text: str, punct_start: int, next_start: int) -> bool:
    next_char = text[next_start]
    if next_char.islower():
        return True  # "e.g. oral", "approx. weekly": a lowercase word continues the sentence
    if text[punct_start] != ".":
        return False
    word = _WORD_BEFORE.search(text[:punct_start])
    if word is None:
        return False
    token = word.group(1).lower()
    # Single capital letters are initials ("Savage J. Am J Med"); known abbreviations continue.
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def citation_numbers(text: str) -> list[int]:
    """Every citation number in the text, in order of appearance (duplicates kept)."""
    numbers: list[int] = []
    for match in CITATION_MARKER.finditer(text):
        numbers.extend(int(part) for part in re.split(r"\s*[,;]\s*", match.group(1)))
    return numbers


def strip_citations(text: str) -> str:
    """The text without its [n] markers (they are references, not numbers to trace)."""
    return CITATION_MARKER.sub("", text)


def split_list_prefix(line: str) -> tuple[str, str]:
    """Separate a Markdown list/quote/heading prefix ("- ", "2. ", "### ") from the line's text."""
    match = _LIST_PREFIX.match(line)
    prefix = match.group(1) if match else ""
    return prefix, line[len(prefix) :]


def number_tokens(text: str) -> list[str]:
    """The numbers written in the text, as written; citation markers are not numbers."""
    return [match.group(1) for match in _NUMBER.finditer(strip_citations(text))]


def number_value(token: str) -> Decimal | None:
    """The numeric value of a token, so "1,000" equals "1000" and "203.0" equals "203"."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", token):
        normalised = token.replace(",", "")
    else:
        normalised = token.replace(",", ".")
    try:
        return Decimal(normalised)
    except InvalidOperation:
        return None


def number_values(text: str) -> set[Decimal]:
    """The set of numeric values written in the text."""
    values = (number_value(token) for token in number_tokens(text))
    return {value for value in values if value is not None}


# A measured value with its unit ("240 ng/L", "5.2 mmol/L", "12%"): values are a message's data.
_VALUE_WITH_UNIT = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)?(?:\s*(?:ng|pg|pmol|nmol|[uµμ]mol|mmol|mu|iu|u|g|mg|[uµμ]g|mcg|fl|%)"
    r"(?:/(?:l|ml|dl))?(?![\w/]))?",
    re.IGNORECASE,
)


def strip_values(text: str) -> str:
    """The text without measured values and their units ("B12 240 ng/L" -> "B12")."""
    return re.sub(r"\s{2,}", " ", _VALUE_WITH_UNIT.sub(" ", text)).strip()
