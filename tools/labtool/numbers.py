"""Numbers and units as clinicians write them, read by anchored regexes.

Number format decisions (the text has been cleaned first: labtool.text_clean):
- "0,28" is a decimal comma (0.28); "1.5" a decimal point.
- Thousands separators: a comma ("1,200", "1,200,000", "1,200.5") or a space, no-break space
  or narrow no-break space ("1 200", "1 000 000"). A group of exactly three digits after a
  comma is a thousands group unless the message writes decimal commas elsewhere ("Hb 12,5");
  then "1,200" could be 1200 or 1.2 and is reported as AMBIGUOUS_NUMBER instead of guessed.
  "0,280" (integer part 0) is a decimal.
- Space-grouped digits are one number only when a lab unit or the end of a clause follows
  ("B12 1 200 ng/L"); a number followed by a space and three digits otherwise ("B12 1 200 and")
  could be one number or two, and is ambiguous.
- Scientific notation ("1e308", "1e-13") and numbers with more than 9 digits before the
  decimal mark or 6 after it are not lab results as written: UNREADABLE_NUMBER.
- "240 ± 10 ng/L": the value is 240 ng/L; the uncertainty is not used for the category (a note
  says so).
- Dates ("12.03.2024") and version-like numbers are not values.
"""

from __future__ import annotations

import re
from decimal import Decimal

from labtool.units import KNOWN_UNITS, UNIT_SPELLINGS

__all__ = [
    "MAX_DECIMALS",
    "MAX_WHOLE_DIGITS",
    "NUMBER",
    "PAIR_RE",
    "SPLIT_GROUP",
    "UNIT",
    "UNIT_AT",
    "VALUE_RE",
    "digits_problem",
    "read_number",
    "readable",
    "writes_decimal_comma",
]

MAX_WHOLE_DIGITS = 9  # no lab result is written with more digits before the decimal mark
MAX_DECIMALS = 6  # ... or after it


def _unit_pattern(spelling: str) -> str:
    pattern = re.escape(spelling).replace("/", r"\s*/\s*").replace(r"\ ", r"\s*")
    return re.sub(r"^(x|×)", r"\1\\s*", pattern)


NUMBER = r"[0-9]+(?:[.,][0-9]+)*"
UNIT = "|".join(_unit_pattern(spelling) for spelling in UNIT_SPELLINGS)
# Digits in groups of three after spaces, when a lab unit or the end of a clause follows.
_GROUPED = (
    rf"[0-9]{{1,3}}(?:[ ][0-9]{{3}})+(?![0-9])(?:[.,][0-9]+)?"
    rf"(?=[ ]?(?:{UNIT})(?![\w/])|[ \t]*(?:[,;:)\]!?\n]|\.(?![0-9])|$))"
)
# Units that make a number a dose, a duration or a count: such numbers are not results.
_NOT_LAB_UNIT = (
    r"(?:mg|mcg|µg|μg|ug|micrograms?|milligrams?|g|grams?|kg|ml|mls|l|iu|units?|tabs?|"
    r"tablets?|caps?|capsules?|doses?|injections?|inj|drops?|x|times|daily|weekly|monthly|"
    r"weeks?|wks?|months?|mo|mos|years?|yrs?|y|yo|days?|d|hours?|hrs?|h|minutes?|mins?|"
    r"cm|mm|am|pm|st|nd|rd|th)\b|%"  # a % that is not a lab unit ("97%sensitivity")
)
# A token shaped like a lab unit the tool does not know ("nmol/min"): numerator and
# denominator both taken from the known units.
_PARTS = [unit.split("/", 1) for unit in KNOWN_UNITS if "/" in unit]
_ODD_UNIT = (
    rf"(?:{'|'.join(sorted({re.escape(n) for n, _ in _PARTS} | {'umol', 'ug', 'mIU'}))})"
    rf"\s*/\s*(?:{'|'.join(sorted({re.escape(d.split('/')[0]) for _, d in _PARTS}))})"
)
# A number read from where its token starts: a range (ignored) or a value with its unit. A
# word glued to the number ("240ng") is left for the caller: it may be a unit not known.
VALUE_RE = re.compile(
    rf"(?P<range>{NUMBER}\s*(?:[-–—]|to\b)\s*{NUMBER}(?:\s*(?:{UNIT})(?![\w/]))?)"
    r"|(?P<cmp><=|>=|≤|≥|<|>)?\s*(?P<sign>[-−])?"
    rf"(?P<num>{_GROUPED}|{NUMBER})(?![0-9])(?P<exp>[eE][-+−]?[0-9]+(?![\w/]))?"
    rf"(?:\s*(?P<pm>±|\+/-|\+/−|\+-)\s*(?P<pmnum>{NUMBER}))?"
    rf"(?:\s*(?P<unit>{UNIT})(?![\w/])|\s*(?P<nonlab>{_NOT_LAB_UNIT})"
    rf"|\s*(?P<odd>{_ODD_UNIT})(?![\w/])|(?![/^]))",
    re.IGNORECASE,
)
# Two numbers for one name: "150/95 mmHg".
PAIR_RE = re.compile(
    rf"(?P<first>{NUMBER})\s*/\s*(?P<second>{NUMBER})(?![0-9])"
    rf"(?:\s*(?P<unit>{UNIT})(?![\w/]))?",
    re.IGNORECASE,
)
UNIT_AT = re.compile(rf"(?:{UNIT})(?![\w/])", re.IGNORECASE)
SPLIT_GROUP = re.compile(r"[ ][0-9]{3}(?![0-9])")
_DECIMAL_COMMA = re.compile(
    r"(?<![0-9,.])(?:[0-9]+,(?:[0-9]{1,2}|[0-9]{4,})|0,[0-9]+)(?![0-9]|,[0-9])"
)


def writes_decimal_comma(text: str) -> bool:
    """Does the text write a decimal comma ("12,5", "0,28") anywhere?"""
    return "," in text and _DECIMAL_COMMA.search(text) is not None


def read_number(raw: str, decimal_comma: bool = False) -> Decimal | None:
    """The number a clinician meant, or None when it cannot be told (see the module notes).

    `decimal_comma`: the message writes decimal commas elsewhere, so "1,200" is ambiguous.
    """
    if " " in raw:  # thousands groups written with spaces; a comma is then a decimal comma
        raw = raw.replace(" ", "").replace(",", ".")
        return Decimal(raw) if raw.count(".") <= 1 else None
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
        if decimal_comma or len(whole) > 3:
            return None  # "1,200" from a writer of decimal commas: 1200 or 1.2? Ask.
        return Decimal(whole + fraction)
    return Decimal(f"{whole}.{fraction}")


def digits_problem(number: Decimal) -> str | None:
    """Why a number is not a lab result as written (too many digits), if it is not."""
    whole, _, fraction = format(abs(number), "f").partition(".")
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        return f"more than {MAX_WHOLE_DIGITS} digits before the decimal mark"
    if len(fraction) > MAX_DECIMALS:
        return f"{len(fraction)} digits after the decimal mark"
    return None


def readable(raw: str) -> bool:
    """Dates ("12.03.2024") and mixed separators are not lab values at all."""
    return raw.count(".") <= 1 and not (
        "." in raw and "," in raw and raw.index(".") < raw.index(",")
    )
