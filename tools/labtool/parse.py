"""Find lab values in free text as clinicians write them ("B12 240 ng/L and MMA 410").

A light tokenizer finds words, numbers and clause breaks; words are looked up as analyte
names (labtool.analytes), numbers are read with their censoring sign and unit by an
anchored regex, and a short loop pairs each number with the analyte named just before
it. Numbers that are not lab results (doses, durations, dates, years,
reference ranges) are ignored. `parse_message` never raises.

Number format decisions:
- "0,28" is a decimal comma (0.28); "1.5" a decimal point.
- A single comma followed by exactly three digits ("1,200") is ambiguous: a thousands
  separator (1200) or a decimal comma (1.2) give different categories, so it is reported
  as AMBIGUOUS_NUMBER instead of guessed. "0,280" (integer part 0) is a decimal, and
  "1,200,000" or "1,200.5" are thousands separators.
- Dates ("12.03.2024") and version-like numbers are not values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Literal

from labtool.analytes import ANALYTE_NAMES, CONTEXT_ANALYTES, match_analyte
from labtool.context import CRP_INFLAMMATION_ABOVE_MG_PER_L, PatientContext, parse_context
from labtool.units import UNIT_SPELLINGS, normalize_unit

__all__ = ["ANALYTE_NAMES", "ParsedMessage", "ParsedValue", "parse_message", "read_number"]

Censor = Literal["<", ">", "<=", ">="]

_NUMBER = r"[0-9]+(?:[.,][0-9]+)*"
_UNIT = "|".join(re.escape(spelling).replace("/", r"\s*/\s*") for spelling in UNIT_SPELLINGS)
# Units that make a number a dose, a duration or a count: such numbers are not results.
_NOT_LAB_UNIT = (
    r"(?:mg|mcg|µg|μg|ug|micrograms?|milligrams?|g|grams?|kg|ml|mls|l|iu|units?|tabs?|"
    r"tablets?|caps?|capsules?|doses?|injections?|inj|drops?|x|times|daily|weekly|monthly|"
    r"weeks?|wks?|months?|mo|mos|years?|yrs?|y|yo|days?|d|hours?|hrs?|h|minutes?|mins?|"
    r"cm|mm|am|pm|st|nd|rd|th)\b|%"
)
# Words, the start of a number (with its censoring sign), and clause breaks.
_TOKEN_RE = re.compile(
    r"(?P<word>[^\W\d_]\w*)|(?P<number>(?:[<>≤≥]=?[ \t]*)?[-−]?[0-9])|(?P<brk>[;\n?!]|\.(?![0-9]))"
)
# A number read from where its token starts: a range (ignored) or a value with its unit.
_VALUE_RE = re.compile(
    rf"(?P<range>{_NUMBER}\s*(?:[-–—]|to\b)\s*{_NUMBER}(?:\s*(?:{_UNIT})(?![\w/]))?)"
    r"|(?P<cmp><=|>=|≤|≥|<|>)?\s*(?P<sign>[-−])?"
    rf"(?P<num>{_NUMBER})(?![0-9])"
    rf"(?:\s*(?P<unit>{_UNIT})(?![\w/])|\s*(?P<nonlab>{_NOT_LAB_UNIT})|(?![\w/^]))",
    re.IGNORECASE,
)
_REST_OF_WORD = re.compile(r"[\w.,]*")
# What may stand between an analyte name and its value.
_FILLER = (
    r"level|levels|result|results|value|values|concentration|conc|is|was|were|are|of|at|now|"
    r"today|measured|reported|returned|came|back|as|only|just|around|about|approx|"
    r"approximately|roughly|reading"
)
_GAP_PUNCT = r"[\s:=(\[~\-–]*"
_FILLER_GAP = re.compile(rf"{_GAP_PUNCT}(?:(?:{_FILLER})\b{_GAP_PUNCT})*", re.IGNORECASE)
# A value with a lab unit may sit a few plain words after its analyte ("B12 in 2024 was 240 ng/L").
_LOOSE_GAP = re.compile(rf"{_GAP_PUNCT}(?:\w+{_GAP_PUNCT}){{0,3}}")
_RESTATEMENT_GAP = re.compile(r"\s*(?:[(\[=/]|\bor\b|\bi\.?e\.?,?)\s*", re.IGNORECASE)
_CENSOR: dict[str, Censor] = {"<": "<", ">": ">", "<=": "<=", "≤": "<=", ">=": ">=", "≥": ">="}


@dataclass(frozen=True)
class ParsedValue:
    """One number read as a lab result (or flagged as unusable)."""

    analyte: str | None  # None: a lab unit with no analyte named before it
    text: str  # the words as written, for messages
    number: Decimal | None  # None when the number itself is ambiguous ("1,200")
    negative: bool = False
    censor: Censor | None = None
    unit: str | None = None  # canonical spelling
    unit_text: str | None = None


@dataclass(frozen=True)
class ParsedMessage:
    text: str
    values: tuple[ParsedValue, ...]
    crp_raised: bool | None = field(default=None, repr=False)

    @cached_property
    def context(self) -> PatientContext:
        """Read on first use: most messages need no population context."""
        return parse_context(self.text, crp_raised=self.crp_raised)


def read_number(raw: str) -> Decimal | None:
    """The number a clinician meant, or None when it cannot be told (see module notes)."""
    if "," in raw and "." in raw:
        if re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+", raw):
            return Decimal(raw.replace(",", ""))
        return None
    if "," not in raw:
        return Decimal(raw)
    groups = raw.split(",")
    if len(groups) > 2:
        if len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
            return Decimal("".join(groups))
        return None
    whole, fraction = groups
    if len(fraction) == 3 and whole.strip("0") != "":
        return None  # "1,200": thousands or decimal comma? Ask.
    return Decimal(f"{whole}.{fraction}")


def _readable(raw: str) -> bool:
    """Dates ("12.03.2024") and mixed separators are not lab values at all."""
    return raw.count(".") <= 1 and not (
        "." in raw and "," in raw and raw.index(".") < raw.index(",")
    )


@dataclass
class _Mention:
    analyte: str
    start: int
    end: int
    used: bool = False


def _value(match: re.Match[str], analyte: str | None, text: str) -> ParsedValue:
    unit_text = match.group("unit")
    cmp = match.group("cmp")
    return ParsedValue(
        analyte=analyte,
        text=text,
        number=read_number(match.group("num")),
        negative=match.group("sign") is not None,
        censor=_CENSOR[cmp] if cmp else None,
        unit=normalize_unit(unit_text) if unit_text else None,
        unit_text=unit_text,
    )


def parse_message(text: str) -> ParsedMessage:
    """Every lab value in text, in order; the patient context is read when first used."""
    values: list[ParsedValue] = []
    crp_raised: bool | None = None
    mention: _Mention | None = None
    skip_until = 0
    last_end = -1  # end of the last value attached to an analyte (for restatements)
    for token in _TOKEN_RE.finditer(text):
        start = token.start()
        if start < skip_until:
            continue
        kind = token.lastgroup
        if kind == "word":
            if token.group().lower() == "but":
                mention = None
                continue
            hit = match_analyte(text, start, token.end())
            if hit is not None:
                mention = _Mention(analyte=hit[0], start=start, end=hit[1])
                skip_until = hit[1]
            continue
        if kind == "brk":
            mention = None
            continue
        match = _VALUE_RE.match(text, start)
        if match is None or (start > 0 and text[start - 1] in ".,"):
            rest = _REST_OF_WORD.match(text, token.end())
            skip_until = rest.end() if rest else token.end()
            continue
        skip_until = match.end()
        if match.group("range") is not None:
            mention = None  # a reference range, not a result
            continue
        if match.group("nonlab") is not None or not _readable(match.group("num")):
            continue
        has_unit = match.group("unit") is not None
        if mention is not None and not mention.used:
            gap = text[mention.end : match.start()]
            if _FILLER_GAP.fullmatch(gap) or (has_unit and _LOOSE_GAP.fullmatch(gap)):
                mention.used = True
                last_end = match.end()
                parsed = _value(match, mention.analyte, text[mention.start : match.end()])
                if mention.analyte == "crp":
                    crp_raised = _crp_raised(parsed)
                elif mention.analyte not in CONTEXT_ANALYTES:
                    values.append(parsed)
                continue
        if not has_unit:
            continue  # a bare number with no analyte: a count, a year, a dose...
        if last_end >= 0 and _RESTATEMENT_GAP.fullmatch(text[last_end : match.start()]):
            last_end = match.end()
            continue  # "Hb 12.0 g/dL (120 g/L)": the same result in another unit
        values.append(_value(match, None, match.group(0).strip()))
    return ParsedMessage(text=text, values=tuple(values), crp_raised=crp_raised)


def _crp_raised(value: ParsedValue) -> bool | None:
    """Whether a CRP result shows inflammation (a unitless CRP is read as mg/L, the usual
    reporting unit); None when the result cannot tell (e.g. "<10")."""
    if value.number is None or value.negative:
        return None
    if value.unit == "mg/dL":
        mg_per_l = value.number * 10
    elif value.unit in (None, "mg/L"):
        mg_per_l = value.number
    else:
        return None
    cut_off = CRP_INFLAMMATION_ABOVE_MG_PER_L
    if value.censor in ("<", "<="):
        return False if mg_per_l <= cut_off else None
    if value.censor == ">":
        return True if mg_per_l >= cut_off else None
    if value.censor == ">=":
        return True if mg_per_l > cut_off else None
    return mg_per_l > cut_off
