"""Characters normalised before lab text is read, so the parser reads what a person sees.

A chat bubble or a pasted report can hold characters that show nothing, or that show the
text in another order than it is written. Each is normalised or makes the values it touches
an error; none is dropped without a trace:

- Unicode spaces (no-break U+00A0, narrow no-break U+202F, thin, figure, en and em spaces,
  ideographic space) are spaces; line and paragraph separators are line breaks.
- Invisible format characters (zero-width space and joiners U+200B-U+200D, word joiner
  U+2060, byte-order mark U+FEFF, soft hyphen U+00AD, invisible operators, tag characters...)
  show nothing: they are removed, so "2<U+200B>40" reads 240 as displayed, and a value they
  stood in gets a note saying so.
- Bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) can show a
  text in another order than it is written (an override shows "042" as "240"): every value
  after one on the same line is an error.
- Digits of other scripts (Arabic-Indic, full-width, Devanagari, ...) are read as the digits
  they are, and full-width Latin letters and signs (U+FF01-U+FF5E) as their ASCII forms; a
  value written with them gets a note.
- Control characters (C0 and C1, except tab, line feed and carriage return) and combining
  marks on a digit show differently in every program: a value that touches one is an error.

Positions in `CleanText` are positions in the cleaned text, which is what the parser reads.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = ["BIDI_CONTROLS", "CleanText", "Problem", "clean_text"]

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_FULL_WIDTH = range(0xFF01, 0xFF5F)  # full-width forms of "!" to "~"
_FULL_WIDTH_OFFSET = 0xFEE0
# Everything that is not printable ASCII, tab, line feed or carriage return.
_SPECIAL = re.compile(r"[^\t\n\r\x20-\x7e]")
_LINE_BREAKS = "\n\r"

Problem = Literal["direction_control", "control_character"]


@dataclass(frozen=True)
class CleanText:
    """The text as a person reads it, and where characters were removed or replaced."""

    text: str
    original: str
    invisible: tuple[int, ...] = ()  # where an invisible character was removed
    converted: tuple[int, ...] = ()  # a digit or full-width character read as ASCII
    bidi: tuple[int, ...] = ()  # where a bidirectional control was removed
    unreadable: tuple[int, ...] = ()  # a control character (now a space) or a mark on a digit
    origin: tuple[int, ...] = ()  # position in `original` of each position (empty: the same)

    @property
    def changed(self) -> bool:
        return self.text is not self.original

    def problem(self, start: int, end: int) -> Problem | None:
        """Why the value written at text[start:end] cannot be read as shown, if it cannot."""
        if not self.changed:
            return None
        if self.bidi:
            line_start = max(self.text.rfind(ch, 0, start) for ch in _LINE_BREAKS) + 1
            if _any_within(self.bidi, line_start, end):
                return "direction_control"
        if _any_within(self.unreadable, start, end):
            return "control_character"
        return None

    def had_invisible(self, start: int, end: int) -> bool:
        return self.changed and _any_within(self.invisible, start, end)

    def had_converted(self, start: int, end: int) -> bool:
        return self.changed and _any_within(self.converted, start, end)

    def as_written(self, start: int, end: int) -> str:
        """The original characters behind text[start:end]."""
        if not self.origin:
            return self.original[start:end]
        return self.original[self.origin[start] : self.origin[end]]


def _any_within(positions: tuple[int, ...], start: int, end: int) -> bool:
    """Is a position in [start, end] (the end included: a character glued after a value)?"""
    index = bisect.bisect_left(positions, start)
    return index < len(positions) and positions[index] <= end


def _replacement(char: str, previous: str) -> tuple[str, str]:
    """(what the character becomes, what happened: '', 'invisible', 'converted', 'bidi',
    'unreadable')."""
    if char in BIDI_CONTROLS:
        return "", "bidi"
    category = unicodedata.category(char)
    if category == "Zs":
        return " ", ""
    if category in ("Zl", "Zp") or char == "\x85":
        return "\n", ""
    if category == "Cc":
        return " ", "unreadable"
    if category == "Cf":
        return "", "invisible"
    if char.isdecimal():
        return str(unicodedata.decimal(char)), "converted"
    if ord(char) in _FULL_WIDTH:
        return chr(ord(char) - _FULL_WIDTH_OFFSET), "converted"
    if category in ("Mn", "Me") and previous.isdigit():
        return "", "unreadable"
    return char, ""


def clean_text(text: str) -> CleanText:
    """The text with spaces, invisible characters, digits and controls normalised."""
    if _SPECIAL.search(text) is None:
        return CleanText(text=text, original=text)
    parts: list[str] = []
    origin: list[int] = []
    events: dict[str, list[int]] = {"invisible": [], "converted": [], "bidi": [], "unreadable": []}
    length = 0
    last = 0
    previous = ""
    for match in _SPECIAL.finditer(text):
        index = match.start()
        if index > last:
            plain = text[last:index]
            parts.append(plain)
            origin.extend(range(last, index))
            length += len(plain)
            previous = plain[-1]
        replacement, event = _replacement(match.group(), previous)
        if event:
            events[event].append(length)
        if replacement:
            parts.append(replacement)
            origin.extend([index] * len(replacement))
            length += len(replacement)
            previous = replacement[-1]
        last = index + 1
    parts.append(text[last:])
    cleaned = "".join(parts)
    if cleaned == text and not any(events.values()):
        return CleanText(text=text, original=text)  # only characters kept ("µ", "–", "×")
    origin.extend(range(last, len(text) + 1))  # one past the end too, for slices
    return CleanText(
        text=cleaned,
        original=text,
        invisible=tuple(events["invisible"]),
        converted=tuple(events["converted"]),
        bidi=tuple(events["bidi"]),
        unreadable=tuple(events["unreadable"]),
        origin=tuple(origin),
    )
