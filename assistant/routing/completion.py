"""A message that completes an earlier result: the missing unit, a corrected figure, or a bare
figure when the conversation is about one test.

"B12 150" → "What unit?" → "pmol/L": the reply is the unit of the earlier figure. "Sorry, it
was 270 not 170": the corrected figure keeps the earlier result's test and unit. "And if it was
300?" after results of one test only: the figure is that test's (its unit still decides; the lab
tool asks for it when the category depends on it). Anything else stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from labtool.report import LabReport
from labtool.units import normalize_unit

from assistant.domain.language import DomainLanguage
from assistant.question.followup import Turn
from assistant.routing.lab_state import ReadValues
from assistant.text.sentences import number_tokens, number_value

# The lab tool on a message alone.
ReadMessage = Callable[[str], LabReport | None]

_UNIT_REPLY = re.compile(
    r"^\s*(?:(?:it(?:'s| is| was)|in|the unit (?:is|was)|units?:?)\s+)*"
    r"(?P<unit>[^\s?.!]+)\s*[?.!]?\s*$",
    re.IGNORECASE,
)
_MISSING_UNIT = "MISSING_UNIT"


def complete_message(
    text: str,
    unread: Sequence[str],
    turns: Sequence[Turn],
    read: ReadMessage,
    language: DomainLanguage,
    read_values: ReadValues | None,
) -> str | None:
    """The lab text this message stands for, or None when it completes nothing."""
    earlier = [turn.content for turn in turns if turn.role == "user"]
    if not earlier:
        return None
    unit = _unit_reply(text)
    if unit is not None:
        return _with_unit(earlier[-1], unit, read)
    if not unread:
        return None
    if read_values is not None:
        corrected = _correction(text, unread, earlier, read_values)
        if corrected is not None:
            return corrected
    tests = _latest_named_tests(earlier, language)
    if len(tests) == 1:
        (key,) = tests
        names = language.test_names.get(key, (key,))
        name = names[1] if len(names) > 1 else names[0]  # the first alias: "B12"
        return " ".join(f"{name} {value}" for value in unread)
    return None


def _unit_reply(text: str) -> str | None:
    match = _UNIT_REPLY.match(text)
    if match is None or number_tokens(text):
        return None
    return match.group("unit") if normalize_unit(match.group("unit")) else None


def _with_unit(previous: str, unit: str, read: ReadMessage) -> str | None:
    """The earlier values that lacked a unit, written with it ("B12 150 pmol/L")."""
    report = read(previous)
    if report is None:
        return None
    missing = [error.input.strip() for error in report.errors if error.code == _MISSING_UNIT]
    return "; ".join(f"{value} {unit}" for value in missing) or None


def _correction(
    text: str, unread: Sequence[str], earlier: Sequence[str], read_values: ReadValues
) -> str | None:
    """ "It was 270 not 170": an earlier result written with 170 gets 270 instead."""
    said = {number_value(token) for token in number_tokens(text)}
    for message in reversed(earlier):
        for _key, written in read_values(message, ()):
            tokens = number_tokens(written)
            if len(tokens) == 1 and number_value(tokens[0]) in said:
                return written.replace(tokens[0], unread[0], 1)
    return None


def _latest_named_tests(earlier: Sequence[str], language: DomainLanguage) -> frozenset[str]:
    for message in reversed(earlier):
        if named := language.analytes_in(message):
            return named
    return frozenset()
