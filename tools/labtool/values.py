"""One lab value as written: `ParsedValue`, and how a number read by labtool.numbers becomes one.

The value keeps what a person reads (the cleaned text), the number (None when it cannot be
read as written, with the reason as an error code in `problem`) and notes on how it was read
(invisible characters ignored, digits of another script, an uncertainty after "±").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from labtool.analytes import NameMatcher, ordinary_word, words
from labtool.numbers import MAX_DECIMALS, SPLIT_GROUP, digits_problem, read_number
from labtool.text_clean import CleanText
from labtool.units import normalize_unit

__all__ = ["Censor", "ParsedValue", "read_value", "unit_word_after"]

Censor = Literal["<", ">", "<=", ">="]
_CENSOR: dict[str, Censor] = {"<": "<", ">": ">", "<=": "<=", "≤": "<=", ">=": ">=", "≥": ">="}
# A word right after a number: glued ("240ng") or after one space ("300 furlongs").
_WORD_AFTER = re.compile(r"[ \t]?(?P<word>[^\W\d_][^\s,;:()\[\]<>=?!]*)")
_NUMBER_NEXT = re.compile(r"[\s:=]*(?:[<>≤≥]=?\s*)?[-−]?[0-9]")
_UNIT_SHAPED = re.compile(r"[/^0-9]")
_CLAUSE_END = re.compile(r"[ \t]*(?:[,;:)\]!?\n]|\.(?![0-9])|$)")
# Ordinary words that may follow a value and are never read as its unit (beyond the general
# English words of labtool.analytes and the words that may stand between a name and a value).
_AFTER_VALUE = words(
    "pre post repeat repeated pending awaited done treated untreated fasting random on off "
    "then prior ago later earlier previously currently recently last next week month year "
    "hemolysed haemolysed lipaemic lipemic icteric see level levels result results value "
    "values concentration conc is was were are of at now today measured reported returned "
    "came back as only just around about approx approximately roughly reading ok okay fine "
    "good stable unchanged improved improving falling rising"
)


@dataclass(frozen=True, slots=True)
class ParsedValue:
    """One number read as a lab result (or flagged as unusable)."""

    analyte: str | None  # None: no analyte the rules classify (see the fields below)
    text: str  # the words as written (cleaned: what a person reads), for messages
    number: Decimal | None  # None when the number itself cannot be read (see `problem`)
    negative: bool = False
    censor: Censor | None = None
    unit: str | None = None  # canonical spelling
    unit_text: str | None = None
    unsupported: str | None = None  # a test named that the rules do not cover
    candidates: tuple[str, ...] = ()  # the analytes an unnamed or paired value could be
    unknown_unit: bool = False  # unit_text looks like a unit the tool does not know
    problem: str | None = None  # an error code: why the value cannot be read as written
    detail: str = ""  # what the problem is, for the message
    notes: tuple[str, ...] = ()  # how the value was read (invisible characters, other digits)

    @property
    def key(self) -> tuple[object, ...]:
        """Equal for the same value written twice (the wording and notes aside)."""
        return (
            self.analyte,
            self.number,
            self.negative,
            self.censor,
            self.unit,
            self.unit_text if self.unknown_unit else None,
            self.unsupported,
            self.candidates,
            self.problem,
            self.detail,
        )


def read_value(
    match: re.Match[str],
    clean: CleanText,
    start: int,
    end: int,
    *,
    analyte: str | None,
    decimal_comma: bool,
    unsupported: str | None = None,
    candidates: tuple[str, ...] = (),
    unit_word: str | None = None,
) -> ParsedValue:
    """The value a labtool.numbers.VALUE_RE `match` read, written at clean.text[start:end].

    `decimal_comma`: the message writes decimal commas elsewhere (labtool.numbers).
    `unit_word`: a word after the number that is not a known unit ("furlongs").
    """
    raw = match.group("num")
    number = read_number(raw, decimal_comma and "," in raw)
    problem, detail = _number_problem(match, raw, number)
    why = clean.problem(start, end)
    if why is not None:
        problem, detail = why.upper(), ""
    text = clean.text
    notes = []
    if clean.had_converted(start, end):
        notes.append(
            "Written with digits of another script or full-width characters "
            f"('{clean.as_written(start, end).strip()}'): read as '{text[start:end].strip()}'."
        )
    if clean.had_invisible(start, end):
        notes.append(
            "Invisible characters (such as zero-width spaces) in the value were ignored: it was "
            "read as shown."
        )
    if match.group("pm"):
        notes.append(
            f"The '± {match.group('pmnum')}' after the value was read as its uncertainty and not "
            "used for the category."
        )
    unit = match.group("unit")
    odd = unit_word or match.group("odd")
    cmp = match.group("cmp")
    return ParsedValue(
        analyte=analyte,
        text=text[start:end].strip(),
        number=None if problem else number,
        negative=match.group("sign") is not None,
        censor=_CENSOR[cmp] if cmp else None,
        unit=normalize_unit(unit) if unit else None,
        unit_text=odd or unit,
        unknown_unit=odd is not None,
        unsupported=unsupported,
        candidates=candidates,
        problem=problem,
        detail=detail,
        notes=tuple(notes),
    )


def _number_problem(
    match: re.Match[str], raw: str, number: Decimal | None
) -> tuple[str | None, str]:
    """(error code, detail) when the number is not a lab result as written."""
    if match.group("exp"):
        return "UNREADABLE_NUMBER", f"scientific notation ({raw}{match.group('exp')})"
    if number is None:
        return "AMBIGUOUS_NUMBER", raw
    too_many = digits_problem(number) if len(raw) > MAX_DECIMALS else None
    if too_many is not None:
        return "UNREADABLE_NUMBER", f"a number with {too_many}"
    if len(raw) <= 3 and raw.isdigit() and not match.group("unit"):
        split = SPLIT_GROUP.match(match.string, match.end("num"))
        if split is not None:  # "B12 1 200 and": 1200, or 1 and 200?
            return "AMBIGUOUS_NUMBER", f"{raw}{split.group()}"
    return None, ""


def unit_word_after(
    text: str, end: int, matcher: NameMatcher, stop: frozenset[str]
) -> re.Match[str] | None:
    """The word after a named value's number (ending at `end`) when it reads as a unit the
    tool does not know: glued to the number ("240ng"), or after a space, shaped like a unit
    (with "/", "^" or a digit) or ending the clause ("MMA 300 furlongs."), and neither an
    ordinary word, a cue word (`stop`) nor the next test's name ("B12 240 TSH 8")."""
    found = _WORD_AFTER.match(text, end)
    if found is None:
        return None
    start, stop_at = found.span("word")
    if start == end:
        return found  # glued to the number
    word = found.group("word")
    lowered = word.lower().rstrip(".")
    first = lowered.split("-")[0]
    if (
        ordinary_word(first)
        or first in _AFTER_VALUE
        or lowered in stop
        or first in stop
        or matcher.match(text, start, stop_at)
        or _NUMBER_NEXT.match(text, stop_at)
    ):
        return None  # an ordinary word, a cue, or the next test's name
    if _UNIT_SHAPED.search(word) or _CLAUSE_END.match(text, stop_at):
        return found
    return None  # a word that goes on the sentence ("B12 240 despite treatment")
