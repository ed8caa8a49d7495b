"""A result the lab tool cannot read: a bare figure with neither a test name nor a unit.

"And what if it was 250?" after B12 and MMA results could be either test in any of their
units; answering as if the figure had not been written would be silent guessing. Such a figure
becomes an error of the lab report, so the answer asks for the test and the unit instead.
"""

from __future__ import annotations

import re
from decimal import Decimal

from labtool.report import LabError, LabReport

from assistant.text.sentences import NUMBER_PATTERN, number_value, number_values

UNREAD_CODE = "NO_TEST_OR_UNIT"
UNREAD_MESSAGE = (
    "this figure names neither a test nor a unit, so it was not interpreted; give both, "
    "as a laboratory report writes them (the test, the value, then the unit)"
)

# The words that give a figure as a result ("it was 250", "level of 175", "came back 9.5",
# "= 250"), then the figure with nothing glued after it. A figure followed by any word or unit
# ("3 months", "1 mg", "16 years", "150 pmol/L") is a quantity, not a bare result.
_JOINING = r"(?:not|and|or|but|instead|rather|then|so|too|either|now|today)"  # not a unit
_BARE_RESULT = re.compile(
    r"(?:\b(?:was|is|were|of|at|came back(?: at)?|result(?:ed)?|level|value|reading|measured)"
    rf"|[=:])\s*{NUMBER_PATTERN}(?!\d|[.,]\d|\s*(?!{_JOINING}\b)(?:[^\W\d_]|[%/µμ]))",
    re.IGNORECASE,
)
_WHOLE_MESSAGE = re.compile(rf"^\s*{NUMBER_PATTERN}\s*\??\s*$")
# "5.6 or 6.1 mmol/L", "180 to 350 ng/L": the unit after the second figure is the first's too.
_SHARES_A_UNIT = re.compile(
    rf"\s*(?:or|and|to|-|–)\s*{NUMBER_PATTERN}\s*(?:[^\W\d_]|[%µμ])", re.IGNORECASE
)
_SMALLEST = Decimal(10)  # smaller whole numbers are mostly counts ("the 3 bands")


def unread_values(text: str, report: LabReport | None) -> list[str]:
    """Bare figures given as results that the lab tool's report does not account for."""
    read = _read_numbers(report)
    found: list[str] = []
    for match in [*_BARE_RESULT.finditer(text), *_WHOLE_MESSAGE.finditer(text)]:
        written = match.group(1)
        value = number_value(written)
        if value is None or value in read or written in found:
            continue
        if _SHARES_A_UNIT.match(text, match.end()):
            continue
        if value == value.to_integral_value() and (value < _SMALLEST or _year(value)):
            continue
        found.append(written)
    return found


def with_unread(report: LabReport | None, values: list[str]) -> LabReport:
    """The report with an error for each unread figure (an empty report when there was none)."""
    errors = [LabError(input=value, code=UNREAD_CODE, message=UNREAD_MESSAGE) for value in values]
    base = report or LabReport()
    return base.model_copy(update={"errors": [*base.errors, *errors]})


def _read_numbers(report: LabReport | None) -> set[Decimal]:
    if report is None:
        return set()
    read = {Decimal(repr(finding.value)) for finding in report.findings}
    for error in report.errors:
        read |= number_values(error.input)
    return read


def _year(value: Decimal) -> bool:
    return Decimal(1900) <= value <= Decimal(2100)
