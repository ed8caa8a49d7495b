"""Does a statement's cut-off apply to the patient's result?

"A total B12 persistently above 1000 pg/mL is associated with ..." is about a result of 1500 ng/L
even though it shares few words with "B12 1500 ng/L, should I worry?". A statement that states a
bound (above, below, from ... to) for a test the message gives, in a unit the rules convert,
and that the result satisfies, applies to that result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation

from labtool.report import Finding
from labtool.rules_model import Analyte
from labtool.units import convert, normalize_unit

Check = Callable[[Decimal, tuple[Decimal, ...]], bool]
_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"\s*([A-Za-zµμ%]+(?:/[A-Za-z0-9.]+)?)"
_ABOVE = re.compile(
    rf"\b(?:above|over|more than|greater than|exceeding|at least|≥|>)\s*{_NUMBER}{_UNIT}",
    re.IGNORECASE,
)
_BELOW = re.compile(
    rf"\b(?:below|under|less than|lower than|at most|up to|≤|<)\s*{_NUMBER}{_UNIT}", re.IGNORECASE
)
_BETWEEN = re.compile(
    rf"\b(?:from\s+)?{_NUMBER}(?:{_UNIT})?\s*(?:to|–|-)\s*{_NUMBER}{_UNIT}", re.IGNORECASE
)


def applies_to_result(
    text: str,
    subjects: frozenset[str],
    findings: Sequence[Finding],
    analytes: Mapping[str, Analyte],
) -> bool | None:
    """True when a bound the statement states for a test it is about holds for that test's
    result; False when it states such bounds and none holds; None when it states none."""
    stated = False
    for finding in findings:
        analyte = analytes.get(finding.analyte)
        if analyte is None or finding.analyte not in subjects:
            continue
        value = Decimal(str(finding.canonical_value))
        for bound, holds in _bounds(text, analyte):
            stated = True
            if holds(value, bound):
                return True
    return False if stated else None


def restates_rules(
    text: str,
    subjects: frozenset[str],
    findings: Sequence[Finding],
    analytes: Mapping[str, Analyte],
) -> bool:
    """True when every bound the statement states for a given test is one of the rules' own
    cut-offs for it: the lab tool's finding already says what the statement says ("the result
    is indeterminate from 180 ng/L to 350 ng/L" beside the tool's "Indeterminate")."""
    stated = False
    for finding in findings:
        analyte = analytes.get(finding.analyte)
        if analyte is None or finding.analyte not in subjects:
            continue
        edges = _rule_edges(analyte)
        for bound, _holds in _bounds(text, analyte):
            stated = True
            if not all(any(_close(value, edge) for edge in edges) for value in bound):
                return False
    return stated


def _rule_edges(analyte: Analyte) -> list[Decimal]:
    edges: list[Decimal] = []
    for rule in analyte.rules:
        for unit, bands in rule.scales.items():
            if unit != analyte.canonical_unit and unit not in analyte.units:
                continue  # a scale the analyte's conversions do not reach (HbA1c in %)
            for band in bands:
                values = [band.less_than, band.at_most, band.more_than, band.at_least]
                values.extend(band.between_inclusive or ())
                for value in values:
                    if value is not None:
                        converted = convert(value, unit, analyte.canonical_unit, analyte.units)
                        edges.append(converted)
    return edges


def _close(value: Decimal, edge: Decimal) -> bool:
    """The same cut-off, allowing for a source's rounded conversion (133 pmol/L for 180 ng/L)."""
    return abs(value - edge) <= abs(edge) * Decimal("0.01")


def _bounds(text: str, analyte: Analyte) -> list[tuple[tuple[Decimal, ...], Check]]:
    found: list[tuple[tuple[Decimal, ...], Check]] = []
    for pattern, check in ((_ABOVE, _above), (_BELOW, _below)):
        for match in pattern.finditer(text):
            value = _canonical(match.group(1), match.group(2), analyte)
            if value is not None:
                found.append(((value,), check))
    for match in _BETWEEN.finditer(text):
        unit = match.group(4)
        low = _canonical(match.group(1), match.group(2) or unit, analyte)
        high = _canonical(match.group(3), unit, analyte)
        if low is not None and high is not None:
            found.append(((low, high), _between))
    return found


def _canonical(number: str, unit: str, analyte: Analyte) -> Decimal | None:
    canonical_unit = normalize_unit(unit)
    if canonical_unit is None or canonical_unit not in analyte.units:
        return None
    try:
        return convert(Decimal(number), canonical_unit, analyte.canonical_unit, analyte.units)
    except (InvalidOperation, KeyError, ArithmeticError):
        return None


def _above(value: Decimal, bound: tuple[Decimal, ...]) -> bool:
    return value > bound[0]


def _below(value: Decimal, bound: tuple[Decimal, ...]) -> bool:
    return value < bound[0]


def _between(value: Decimal, bound: tuple[Decimal, ...]) -> bool:
    return bound[0] <= value <= bound[1]
