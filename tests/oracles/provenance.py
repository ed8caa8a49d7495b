"""An independent check that every number an answer claims has a source, for tests only.

It reads the answer's claims (`AnswerResult.body`) line by line with its own number reader
(tests/oracles/numbers.py): a number on a line that cites passages must stand in one of those
passages (section heading or text) or in the lab tool's output; a number on a line that cites
nothing (a heading, the lab tool's own lines) must stand in a cited passage or the tool's output.
A value the tool computed may be shown rounded to the decimals written. Nothing here comes from
the guard or the assistant's tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tests.oracles.numbers import number_values, read_numbers

_MARKER_NUMBERS = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


def cited_on(line: str) -> list[int]:
    """The citation numbers of the markers on a line: "[1]", "[2, 3]", "[4; 5]"."""
    return [int(n) for group in _MARKER_NUMBERS.findall(line) for n in re.split(r"[,;]", group)]


def _tool_numbers(labs: Any) -> tuple[set[Decimal], set[Decimal]]:
    """(numbers written in the tool's strings, numeric fields it computed)."""
    written: set[Decimal] = set()
    computed: set[Decimal] = set()

    def walk(node: object) -> None:
        if isinstance(node, bool) or node is None:
            return
        if isinstance(node, int | float):
            computed.add(Decimal(repr(abs(float(node)))).normalize())
        elif isinstance(node, str):
            written.update(number_values(node))
        elif isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    if labs is not None:
        walk(labs.model_dump(mode="json"))
    return written, computed


def _decimals(written: str) -> int:
    match = re.search(r"[.,](\d+)$", written.replace("\u00a0", " "))
    if match is None or re.fullmatch(r"\d{1,3}(?:[, \u00a0\u2009\u202f]\d{3})+", written):
        return 0
    return len(match.group(1))


def _rounds_to(written: str, value: Decimal, computed: Iterable[Decimal]) -> bool:
    half = Decimal(5) * Decimal(10) ** -(_decimals(written) + 1)
    return any(abs(value - c) <= half for c in computed)


def untraced(result: Any) -> list[str]:
    """Each number of the answer's claims that no source accounts for, as written."""
    passages = {c.n: number_values(f"{c.section}\n{c.text}") for c in result.citations}
    every_passage = set().union(*passages.values()) if passages else set()
    written, computed = _tool_numbers(result.labs)
    missing: list[str] = []
    for line in result.body.splitlines():
        cites = cited_on(line)
        allowed = written | computed
        if cites:
            for n in cites:
                allowed |= passages.get(n, set())
        else:
            allowed |= every_passage
        for number in read_numbers(line):
            value = number.value.normalize()
            if value not in allowed and not _rounds_to(number.text, value, computed):
                missing.append(number.text)
    return missing
