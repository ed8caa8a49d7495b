"""An independent reader of the numbers in a clinical text, for tests only.

Written apart from `assistant.text.sentences` and the guard (it imports nothing from the
assistant), so a blind spot of the product's tokenizer is not shared by the tests that check it.
It reads a number the way a person reading an English guideline does:

- thousands separators: "1,000" and "1 000" (space, no-break or thin space) are 1000;
- a decimal point "7.8" or a decimal comma "7,8" (one or two digits, or more than three);
- ranges "180–350 ng/L", "180-350", "180 to 350": two numbers, neither negative;
- a unit glued to its number, "180ng/L", is still the number 180 with its unit;
- citation markers "[12]", "[1, 2]", "[3; 4]" are not numbers;
- a digit glued to a letter belongs to a name: "B12", "NG239", "HbA1c", "T2DM", "COVID-19".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_SPACES = "\u0020\u00a0\u2009\u202f"  # space, no-break space, thin space, narrow no-break space
_MARKER = re.compile(r"\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"


@dataclass(frozen=True)
class Number:
    text: str  # as written, e.g. "1 000" or "7,8"
    value: Decimal
    unit: str  # the letters, "/", "%" or "µ" written right after it, "" if none
    start: int


def without_markers(text: str) -> str:
    """The text with every citation marker blanked out (same length, so offsets hold)."""
    return _MARKER.sub(lambda m: " " * len(m.group(0)), text)


def _is_name_char(char: str) -> bool:
    return char.isalpha() or char == "_"


def _starts_name(text: str, i: int) -> bool:
    """The digit at i is glued to a name before it: "B12", "NG239", "HbA1c", "COVID-19"."""
    if i == 0:
        return False
    before = text[i - 1]
    if _is_name_char(before):
        return True
    # "COVID-19", "ICD-10": a hyphen glued to a word, with no space before the digits.
    return before in _DASHES and i >= 2 and _is_name_char(text[i - 2])


def _group_end(text: str, i: int) -> int:
    """End of a run of digits starting at i."""
    while i < len(text) and text[i].isdigit():
        i += 1
    return i


def _read(text: str, start: int) -> tuple[str, Decimal, int]:
    """(written form, value, end) of the number starting at `start`."""
    end = _group_end(text, start)
    integer = text[start:end]
    # Thousands groups: the first group has 1-3 digits, then ",ddd" or " ddd" (not followed by
    # another digit), all with the same separator.
    if len(integer) <= 3:
        for separator in (",", *_SPACES):
            groups, i = [], end
            while (
                i + 4 <= len(text)
                and text[i] == separator
                and text[i + 1 : i + 4].isdigit()
                and (i + 4 == len(text) or not text[i + 4].isdigit())
            ):
                groups.append(text[i + 1 : i + 4])
                i += 4
            if groups:
                written = text[start:i]
                return written, Decimal(integer + "".join(groups)), i
    # A decimal part: "." or "," and digits. A comma with exactly three digits was taken above.
    if end + 1 < len(text) and text[end] in ".," and text[end + 1].isdigit():
        frac_end = _group_end(text, end + 1)
        written = text[start:frac_end]
        return written, Decimal(f"{integer}.{text[end + 1 : frac_end]}"), frac_end
    return integer, Decimal(integer), end


def _unit_after(text: str, end: int) -> str:
    match = re.match(r"\s?([A-Za-zµμ%][A-Za-zµμ/%0-9.]*)", text[end:])
    return match.group(1).rstrip(".") if match else ""


def read_numbers(text: str) -> list[Number]:
    """Every number a reader sees in `text`, in order (see the module docstring)."""
    clean = without_markers(text)
    found: list[Number] = []
    i = 0
    while i < len(clean):
        if not clean[i].isdigit():
            i += 1
            continue
        if _starts_name(clean, i):
            i = _group_end(clean, i)
            # "HbA1c", "B12": skip the rest of the name too.
            while i < len(clean) and (clean[i].isalnum() or clean[i] == "_"):
                i += 1
            continue
        written, value, end = _read(clean, i)
        found.append(Number(written, value, _unit_after(clean, end), i))
        i = end
    return found


def number_values(text: str) -> set[Decimal]:
    return {n.value.normalize() for n in read_numbers(text)}
